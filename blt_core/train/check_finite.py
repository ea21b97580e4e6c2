"""Find where a generator training step turns non-finite (about 12% of steps skipped on an H200).

    python -m blt_core.train.check_finite --data DIR --weights W.safetensors --config runs/blt/config.json \
        --entropy-weights assets/entropy_model.safetensors --entropy-config assets/entropy_model.json --out R.json

Samples training batches exactly as train_blt.py does and runs forward + backward on each. For a
batch whose loss or gradient is non-finite it records the first module (in call order) whose
forward output is non-finite, whether the loss or only the gradient is bad, which rows are bad,
and whether the same batch is finite in float32 and with the math attention kernel. The
answer decides the fix: a data edge case fails everywhere, a kernel problem only in bf16/fused.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import torch
from torch.nn.attention import SDPBackend, sdpa_kernel

from blt_core.generator.config import BLTConfig
from blt_core.generator.model import BLT
from blt_core.train.train_blt import load_entropy, load_split, masked_loss, sample_batch, starts_for


def first_bad_module(model: torch.nn.Module, run) -> str | None:
    """Run `run()` with forward hooks; the name of the first module whose output is non-finite."""
    bad: list[str] = []

    def hook(name):
        def f(_m, _i, out):
            t = out[0] if isinstance(out, tuple) else out
            if not bad and torch.is_tensor(t) and t.is_floating_point() and not torch.isfinite(t).all():
                bad.append(name)
        return f

    handles = [m.register_forward_hook(hook(n)) for n, m in model.named_modules() if n]
    try:
        run()
    finally:
        for h in handles:
            h.remove()
    return bad[0] if bad else None


ALL_KERNELS = [SDPBackend.MATH, SDPBackend.EFFICIENT_ATTENTION, SDPBackend.FLASH_ATTENTION, SDPBackend.CUDNN_ATTENTION]


def step_finite(model, x, y, starts, *, bf16: bool, math_kernel: bool, only=None) -> tuple[bool, bool]:
    """(loss finite, grad finite) of one forward + backward; `only` limits SDPA to one kernel."""
    model.zero_grad(set_to_none=True)
    backends = [only] if only is not None else [SDPBackend.MATH] if math_kernel else ALL_KERNELS
    with sdpa_kernel(backends), torch.autocast("cuda", dtype=torch.bfloat16, enabled=bf16):
        logits = model(x, starts)
    loss, _ = masked_loss(logits, y)
    loss.backward()
    grads = [p.grad for p in model.parameters() if p.grad is not None]
    return bool(torch.isfinite(loss)), all(bool(torch.isfinite(g).all()) for g in grads)


def main(argv=None) -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--data", required=True)
    p.add_argument("--weights", required=True)
    p.add_argument("--config", required=True, help="train_blt config.json")
    p.add_argument("--entropy-weights", required=True)
    p.add_argument("--entropy-config", required=True)
    p.add_argument("--batches", type=int, default=60)
    p.add_argument("--batch-size", type=int, default=32)
    p.add_argument("--seq-len", type=int, default=2048)
    p.add_argument("--per-row", action="store_true", help="also find the bad rows (slow)")
    p.add_argument("--out", required=True)
    a = p.parse_args(argv)
    a.threshold = None
    device = torch.device("cuda")
    from safetensors.torch import load_file

    cfg = BLTConfig.from_dict(json.loads(Path(a.config).read_text())["config"])
    model = BLT(cfg)
    model.load_state_dict({k: v.float() for k, v in load_file(a.weights).items()})
    model = model.to(device).train()
    entropy_model, _, _ = load_entropy(a, device)
    stream, bos = load_split(Path(a.data), "train", device)
    gen = torch.Generator(device=device).manual_seed(7)
    report = []
    for i in range(a.batches):
        x, y = sample_batch(stream, bos, batch=a.batch_size, seq_len=a.seq_len, gen=gen)
        starts = starts_for(entropy_model, x, cfg, device)
        ok_loss, ok_grad = step_finite(model, x, y, starts, bf16=True, math_kernel=False)
        if ok_loss and ok_grad:
            continue
        rec = {"batch": i, "loss_finite": ok_loss, "grad_finite": ok_grad,
               "patches_per_row_max": int(starts.sum(1).max()), "first_bad_module_bf16": first_bad_module(model, lambda: _fwd(model, x, starts, True))}
        rec["fp32_fused"] = step_finite(model, x, y, starts, bf16=False, math_kernel=False)
        rec["bf16_math"] = step_finite(model, x, y, starts, bf16=True, math_kernel=True)
        rec["fp32_math"] = step_finite(model, x, y, starts, bf16=False, math_kernel=True)
        for kernel in (SDPBackend.EFFICIENT_ATTENTION, SDPBackend.CUDNN_ATTENTION):
            try:
                rec[f"bf16_only_{kernel.name}"] = step_finite(model, x, y, starts, bf16=True, math_kernel=False,
                                                              only=kernel)
            except RuntimeError as e:  # the kernel refuses these inputs
                rec[f"bf16_only_{kernel.name}"] = str(e)[:120]
        bad_rows = []
        for r in range(x.shape[0] if a.per_row else 0):
            lr_, gr_ = step_finite(model, x[r:r + 1], y[r:r + 1], starts[r:r + 1], bf16=True, math_kernel=False)
            if not (lr_ and gr_):
                bad_rows.append({"row": r, "loss": lr_, "grad": gr_, "patches": int(starts[r].sum()),
                                 "first_ids": x[r, :24].tolist(), "bos_count": int((x[r] == 1).sum())})
        rec["bad_rows"] = bad_rows
        report.append(rec)
        print(json.dumps(rec), flush=True)
    out = {"batches": a.batches, "bad_batches": len(report), "records": report}
    Path(a.out).write_text(json.dumps(out, indent=1))
    print(json.dumps({k: out[k] for k in ("batches", "bad_batches")}))


def _fwd(model, x, starts, bf16: bool):
    with torch.no_grad(), torch.autocast("cuda", dtype=torch.bfloat16, enabled=bf16):
        return model(x, starts)


if __name__ == "__main__":
    main()
