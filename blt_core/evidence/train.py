"""Train one run of the plan, BPE or BLT, until its training-FLOP budget (the plan's steps) is spent.

    torchrun --standalone --nproc_per_node=1 -m blt_core.evidence.train --plan assets/evidence/plan.json \
        --name bpe-C6e14-lr0.002-s0 --data data/corpus --tokens data/evidence/bpe_4096 \
        --out runs/evidence/bpe-C6e14-lr0.002-s0 --compile

The one training loop (blt_core/train/loop.py) runs both families: resumable from `ckpt.pt` (a call
stops after --budget-seconds and the next call continues), torchrun/DDP-capable (the plan's batch
is split over the processes), JSON-lines log. The LR schedule follows steps out of the plan's
total (StepClock), so a run ends exactly when its budget is spent, however fast the machine is.
Both families minimise the same quantity, nats per byte of the target text: the summed
cross-entropy over a batch's targets divided by the bytes they stand for (a BPE token its UTF-8
bytes, a byte 1, EOS 1, BOS 0), so `train_bpb` and `heldout_bpb` in the log are bits per byte for both.
"""

from __future__ import annotations

import argparse
import json
import math
from argparse import Namespace
from functools import partial
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from blt_core.constants import BOS_ID, EOS_ID, OFFSET
from blt_core.entropy.model import EntropyModel, EntropyModelConfig
from blt_core.evidence.patch_rules import starts_function
from blt_core.generator.config import BLTConfig
from blt_core.generator.model import BLT
from blt_core.train.common import Run, autocast, make_optimizer, setup_process, state_on_cpu
from blt_core.train.loop import Batch, Task, run_summary, train
from blt_core.train.train_blt import load_split, sample_batch, token_stream

WEIGHTS = "model.safetensors"


def run_spec(plan_path: str | Path, name: str) -> dict:
    """One run's entry of the plan, by name."""
    plan = json.loads(Path(plan_path).read_text())
    for r in plan["runs"]:
        if r["name"] == name:
            return r
    raise SystemExit(f"no run {name!r} in {plan_path}")


def byte_lengths(spec: dict, tokens: Path | None) -> np.ndarray:
    """Bytes each target id stands for: a byte 1, EOS 1, BOS and the other specials 0; BPE tokens their bytes.

    >>> byte_lengths({"family": "blt"}, None)[:6].tolist()
    [0, 0, 1, 0, 1, 1]
    """
    if spec["family"] == "bpe":
        return np.load(Path(tokens) / "token_bytes.npy")
    out = np.ones(256 + OFFSET, dtype=np.int64)
    out[:OFFSET] = 0
    out[EOS_ID] = 1
    return out


def nats_per_byte(logits: torch.Tensor, y: torch.Tensor, lengths: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """(summed cross-entropy over targets that stand for bytes) / (their bytes), and the bytes.

    >>> y = torch.tensor([[5, 1]]); logits = torch.zeros(1, 2, 8)  # uniform over 8: ln 8 per target
    >>> loss, n = nats_per_byte(logits, y, torch.tensor([0, 0, 1, 0, 0, 3, 0, 0]))
    >>> round(float(loss / math.log(8)), 4), int(n)   # one 3-byte target, the BOS target free
    (0.3333, 3)
    """
    n = lengths[y]
    ce = F.cross_entropy(logits.float().reshape(-1, logits.shape[-1]), y.reshape(-1), reduction="none")
    total = n.sum()
    return (ce * (n.reshape(-1) > 0)).sum() / total.clamp(min=1), total


def load_stream(spec: dict, a: Namespace, split: str, device: torch.device) -> tuple[torch.Tensor, torch.Tensor]:
    """The split as one id stream (BOS doc EOS ...) and its BOS positions: bytes, or BPE tokens."""
    if spec["family"] == "blt":
        return load_split(Path(a.data), split, device)
    raw = np.fromfile(Path(a.tokens) / f"{split}.bin", dtype=np.uint16).astype(np.int64)
    starts = np.load(Path(a.tokens) / f"{split}_docs.npy").astype(np.int64)
    ids, bos = token_stream(raw - OFFSET, starts)  # token_stream adds OFFSET back: ids are the token ids
    return torch.from_numpy(ids).to(device), torch.from_numpy(bos).to(device)


def make_forward(spec: dict, device: torch.device):
    """ids -> logits for either family (a BLT draws its patches first)."""
    if spec["family"] == "bpe":
        return lambda net, x: net(x)
    starts = starts_function(spec["patching"], device)
    return lambda net, x: net(x, starts(x))


def build_model(spec: dict) -> torch.nn.Module:
    if spec["family"] == "bpe":
        return EntropyModel(EntropyModelConfig.from_dict(spec["model"])).init_weights(seed=spec["seed"])
    return BLT(BLTConfig.from_dict(spec["model"])).init_weights(seed=spec["seed"])


def batch_loss(net, gen, *, forward, stream, bos, lengths, args) -> Batch:
    x, y = sample_batch(stream, bos, batch=args.batch_size, seq_len=args.seq_len, gen=gen)
    with autocast(stream.device):
        logits = forward(net, x)
    loss, n = nats_per_byte(logits, y, lengths)
    return Batch(loss, x.numel(), lambda: {"bytes": int(n)})


@torch.no_grad()
def heldout_bpb(model, *, forward, stream, bos, lengths, args) -> float:
    """Bits per byte on fixed held-out windows (the same seed every call)."""
    gen = torch.Generator(device=stream.device).manual_seed(1234)
    model.eval()
    nats, n_bytes = 0.0, 0
    for _ in range(args.eval_batches):
        x, y = sample_batch(stream, bos, batch=min(args.batch_size, 16), seq_len=args.seq_len, gen=gen)
        with autocast(stream.device):
            loss, n = nats_per_byte(forward(model, x), y, lengths)
        nats, n_bytes = nats + loss.item() * n.item(), n_bytes + n.item()
    model.train()
    return nats / max(1, n_bytes) / math.log(2)


def parse_args(argv=None) -> Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--plan", required=True)
    p.add_argument("--name", required=True, help="a run name of the plan (not --run: torchrun would take it for --run-path)")
    p.add_argument("--data", required=True, help="byte corpus (train.bin, heldout.bin, *_docs.npy)")
    p.add_argument("--tokens", help="pretokenized folder (BPE runs)")
    p.add_argument("--out", required=True)
    p.add_argument("--budget-seconds", type=float, default=540, help="stop this call after this long (resume later)")
    p.add_argument("--max-steps", type=int, default=None, help="stop this call at this step (tests)")
    p.add_argument("--eval-every", type=int, default=200)
    p.add_argument("--eval-batches", type=int, default=8)
    p.add_argument("--log-every", type=int, default=50)
    p.add_argument("--compile", action="store_true")
    return p.parse_args(argv)


def loop_args(spec: dict, a: Namespace, world: int) -> Namespace:
    """The loop's arguments from the plan's run: its optimizer and schedule rules, its steps."""
    if spec["batch_size"] % world:
        raise SystemExit(f"batch {spec['batch_size']} does not split over {world} processes")
    return Namespace(lr=spec["lr"], warmup_frac=spec["warmup_frac"], min_lr_ratio=spec["min_lr_ratio"],
                     weight_decay=spec["weight_decay"], seed=spec["seed"], batch_size=spec["batch_size"] // world,
                     seq_len=spec["seq_len"], total_steps=spec["total_steps"], total_seconds=math.inf,
                     budget_seconds=a.budget_seconds, max_steps=a.max_steps, compile=a.compile,
                     log_every=a.log_every, eval_every=a.eval_every, eval_batches=a.eval_batches, init_from=None)


def main(argv=None) -> None:
    a = parse_args(argv)
    spec = run_spec(a.plan, a.name)
    if spec["family"] == "bpe" and not a.tokens:
        raise SystemExit("a BPE run needs --tokens (blt_core.evidence.pretokenize's folder)")
    torch.backends.cuda.enable_cudnn_sdp(False)  # as train_blt.py: cuDNN's bf16 attention backward goes non-finite
    proc = setup_process()
    args = loop_args(spec, a, proc.world)
    model = build_model(spec).to(proc.device)
    opt = make_optimizer(model, lr=args.lr, weight_decay=args.weight_decay, device=proc.device)
    forward = make_forward(spec, proc.device)
    lengths = torch.from_numpy(byte_lengths(spec, a.tokens)).to(proc.device)
    data = {"forward": forward, "lengths": lengths, "args": args}
    train_stream, train_bos = load_stream(spec, a, "train", proc.device)
    held_stream, held_bos = load_stream(spec, a, "heldout", proc.device)
    heldout = partial(heldout_bpb, model, stream=held_stream, bos=held_bos, **data)

    def finish(run: Run) -> tuple[dict, dict]:
        return state_on_cpu(model), {
            "run": spec, "parameters": model.num_parameters(), "heldout_bpb_windows": heldout(),
            **run_summary(run, proc, args), "done": run.step >= spec["total_steps"]}

    train(model, opt, proc, args, out=Path(a.out), task=Task(
        batch_loss=partial(batch_loss, stream=train_stream, bos=train_bos, **data), heldout_bpb=heldout,
        finish=finish, weights_file=WEIGHTS, banner=f"  {spec['name']}: {spec['total_steps']} steps"))


if __name__ == "__main__":
    main()
