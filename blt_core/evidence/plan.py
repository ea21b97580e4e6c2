"""The experiment's plan: for each training budget, every architecture's size, bytes and steps.

    python -m blt_core.evidence.plan --patching assets/evidence/patching.json \
        --tokens data/evidence/bpe_4096/tokens.json --out assets/evidence/plan.json \
        --commands assets/evidence/commands.sh [--lr-from runs/evidence]

Rules, the same for every run (Rules below holds the numbers):
- budgets: training FLOPs C = 3 x inference FLOPs per byte (model only, costs.py) x training bytes;
- BPE model: from a ladder of Llama-style shapes, the one whose non-embedding parameters are
  nearest (in log) to Chinchilla's N = sqrt(C / 120) (C = 6ND, D = 20N);
- BLT models: the same local encoder/decoder template for every run; the global model sized
  (costs.match_global) so inference FLOPs per byte equal the BPE model's at that budget, so all
  architectures at one budget see the same number of training bytes; entropy patching at the
  calibrated ~4.5 and ~8 bytes per patch at every budget, space patching at the middle budget;
- data: every run reads windows of `seq_bytes` bytes of context (BPE: the same bytes in tokens),
  `batch_size` windows per step, drawn by one sampler (half at a document start) with the run's seed;
- optimizer and schedule: AdamW (0.9, 0.95), weight decay 0.1 on matrices, gradients clipped to 1,
  linear warm-up over 5% of the steps then cosine to 10% of the peak LR, over the budget's steps;
- one short LR sweep per family (BPE, and BLT entropy 4.5 for the BLT family) at the smallest
  budget; a second seed for every architecture at the smallest budget.

>>> rules = MICRO
>>> plan = make_plan(rules, bytes_per_token=2.0, vocab_size=300, patching={"entropy": [
...     {"target": 4.5, "threshold": 1.0, "mean_patch_length": 4.5}], "space": {"mean_patch_length": 5.0},
...     "entropy_model": {"card": "card.json", "config": {"hidden_size": 32, "intermediate_size": 64,
...     "num_hidden_layers": 1, "window": 16, "vocab_size": 260}, "safetensors_sha256": "x"}})
>>> sorted({r["arch"] for r in plan["runs"]})
['blt-entropy-4.5', 'blt-space', 'bpe']
>>> a = [r for r in plan["runs"] if r["budget_flops"] == rules.budgets[0] and r["role"] == "main"]
>>> max(r["inference_flops_per_byte"] for r in a) / min(r["inference_flops_per_byte"] for r in a) < 1.02
True
"""

from __future__ import annotations

import argparse
import json
import math
from dataclasses import asdict, dataclass, replace
from pathlib import Path

from blt_core.evidence.costs import (TRAIN_FLOPS_PER_FORWARD, as_transformer, blt_flops_per_byte,
                                     bpe_flops_per_byte, entropy_flops_per_byte, match_global, token_lm_config)
from blt_core.generator.config import BLTConfig, num_parameters


@dataclass(frozen=True)
class Rules:
    budgets: tuple[float, ...]  # training FLOPs, smallest first
    bpe_ladder: tuple[tuple[int, int], ...]  # (hidden_size, layers) of the BPE shapes on offer
    local: BLTConfig  # the BLT local template (its global fields are replaced by match_global)
    seq_bytes: int  # context of every run in bytes (BPE: seq_bytes / bytes_per_token tokens)
    batch_size: int  # windows per optimizer step, over all GPUs
    lr: dict  # family -> peak LR used until a sweep picks one
    sweep_lrs: tuple[float, ...]  # the LR sweep at the smallest budget
    seeds: tuple[int, ...] = (0, 1)  # the second seed runs at the smallest budget only
    warmup_frac: float = 0.05
    min_lr_ratio: float = 0.1
    weight_decay: float = 0.1
    space_budget_index: int = 1  # the one budget with space patching
    throughput: float = 2e13  # assumed training FLOP/s on one H200 (bench_gpu: a few % MFU), for estimates only


# For one H200: largest budget about 5 minutes at the assumed throughput (C / 2e13 FLOP/s).
H200 = Rules(
    budgets=(6e14, 2e15, 6e15),
    bpe_ladder=((192, 3), (256, 4), (320, 5), (384, 6), (512, 8)),
    # local models: 128 wide (2 heads), one encoder and one decoder layer, 256-byte window; they
    # cost about 1.4 MFLOP/byte, half the smallest BPE budget, so the global model is what grows
    local=BLTConfig(local_hidden_size=128, local_num_attention_heads=2, local_intermediate_size=352,
                    num_encoder_layers=1, num_decoder_layers=1, local_window=256, global_hidden_size=256,
                    global_num_attention_heads=4),
    seq_bytes=1024, batch_size=64, lr={"bpe": 2e-3, "blt": 2e-3}, sweep_lrs=(1e-3, 2e-3, 4e-3))

# The test's microscopic plan: the same code path in a few CPU steps per run.
MICRO = Rules(
    budgets=(2e8, 4e8, 6e8), bpe_ladder=((64, 2),),
    local=BLTConfig(local_hidden_size=32, local_num_attention_heads=1, local_intermediate_size=96,
                    num_encoder_layers=1, num_decoder_layers=1, local_window=32, global_hidden_size=64,
                    global_num_attention_heads=1, hash_buckets=64, hash_dim=4),
    seq_bytes=64, batch_size=4, lr={"bpe": 3e-3, "blt": 3e-3}, sweep_lrs=(3e-3, 1e-2), seeds=(0, 1),
    throughput=1e9)


def chinchilla_params(budget: float) -> float:
    """N with C = 6ND and D = 20N tokens: sqrt(C / 120).

    >>> round(chinchilla_params(1.2e15))
    3162278
    """
    return math.sqrt(budget / 120)


def bpe_model(rules: Rules, budget: float, *, vocab_size: int, seq_tokens: int):
    """The ladder shape nearest (log) to Chinchilla's N at this budget."""
    shapes = [token_lm_config(vocab_size=vocab_size, hidden_size=h, num_hidden_layers=n, seq_tokens=seq_tokens)
              for h, n in rules.bpe_ladder]
    target = chinchilla_params(budget)
    return min(shapes, key=lambda c: abs(math.log(as_transformer(c).non_embedding_params / target)))


def _run(rules: Rules, *, name: str, arch: str, family: str, budget: float, role: str, lr: float, seed: int,
         model: dict, seq_len: int, bytes_per_unit: float, flops_per_byte: float, entropy_per_byte: float,
         parameters: int, patching: dict | None) -> dict:
    """One run's entry: steps from the budget (each step reads batch_size x seq_len units of bytes_per_unit)."""
    bytes_per_step = rules.batch_size * seq_len * bytes_per_unit
    train_bytes = budget / (TRAIN_FLOPS_PER_FORWARD * flops_per_byte)
    steps = max(1, math.ceil(train_bytes / bytes_per_step))
    return {
        "name": name, "arch": arch, "family": family, "role": role, "budget_flops": budget, "lr": lr, "seed": seed,
        "model": model, "parameters": parameters, "seq_len": seq_len, "seq_bytes": rules.seq_bytes,
        "batch_size": rules.batch_size, "bytes_per_unit": bytes_per_unit, "total_steps": steps,
        "train_bytes": steps * bytes_per_step,
        "train_flops": TRAIN_FLOPS_PER_FORWARD * flops_per_byte * steps * bytes_per_step,
        "inference_flops_per_byte": flops_per_byte,
        "inference_flops_per_byte_with_entropy": flops_per_byte + entropy_per_byte,
        "estimated_seconds": TRAIN_FLOPS_PER_FORWARD * flops_per_byte * steps * bytes_per_step / rules.throughput,
        "patching": patching, "warmup_frac": rules.warmup_frac, "min_lr_ratio": rules.min_lr_ratio,
        "weight_decay": rules.weight_decay,
    }


def _archs(patching: dict) -> list[tuple[str, dict, float]]:
    """(arch name, patching entry, mean bytes per patch) for each BLT variant."""
    card = patching["entropy_model"]["card"]
    out = [(f"blt-entropy-{e['target']:g}", {"mode": "entropy", "threshold": e["threshold"], "entropy_card": card,
                                             "entropy_sha256": patching["entropy_model"]["safetensors_sha256"]},
            e["mean_patch_length"]) for e in patching["entropy"]]
    return out + [("blt-space", {"mode": "space"}, patching["space"]["mean_patch_length"])]


def runs_at(rules: Rules, budget: float, *, bytes_per_token: float, vocab_size: int, patching: dict,
            lr: dict, seed: int, role: str, archs: set[str] | None = None) -> list[dict]:
    """Every architecture's run at one budget (space patching only at rules.space_budget_index)."""
    seq_tokens = max(8, round(rules.seq_bytes / bytes_per_token))
    bpe_cfg = bpe_model(rules, budget, vocab_size=vocab_size, seq_tokens=seq_tokens)
    budget_per_byte = bpe_flops_per_byte(bpe_cfg, bytes_per_token=bytes_per_token)
    ent_per_byte = entropy_flops_per_byte(patching["entropy_model"]["config"], seq_bytes=rules.seq_bytes)
    tag = f"C{budget:.0e}".replace("+", "")
    runs = []
    if archs is None or "bpe" in archs:
        n_params = as_transformer(bpe_cfg).non_embedding_params + as_transformer(bpe_cfg).embedding_params
        runs.append(_run(rules, name=f"bpe-{tag}-lr{lr['bpe']:g}-s{seed}", arch="bpe", family="bpe", budget=budget,
                         role=role, lr=lr["bpe"], seed=seed, model=bpe_cfg.to_dict(), seq_len=seq_tokens,
                         bytes_per_unit=bytes_per_token, flops_per_byte=budget_per_byte, entropy_per_byte=0.0,
                         parameters=n_params, patching=None))
    for arch, patch, mean_len in _archs(patching):
        if (archs is not None and arch not in archs) or (
                arch == "blt-space" and budget != rules.budgets[rules.space_budget_index]):
            continue
        cfg = match_global(rules.local, budget=budget_per_byte, patch_length=mean_len, seq_bytes=rules.seq_bytes,
                           depth=bpe_cfg.num_hidden_layers)
        if patch["mode"] == "entropy":
            cfg = replace(cfg, patch_threshold=patch["threshold"])
        runs.append(_run(rules, name=f"{arch}-{tag}-lr{lr['blt']:g}-s{seed}", arch=arch, family="blt",
                         budget=budget, role=role, lr=lr["blt"], seed=seed, model=cfg.to_dict(),
                         seq_len=rules.seq_bytes, bytes_per_unit=1.0,
                         flops_per_byte=blt_flops_per_byte(cfg, patch_length=mean_len, seq_bytes=rules.seq_bytes),
                         entropy_per_byte=ent_per_byte if patch["mode"] == "entropy" else 0.0,
                         parameters=num_parameters(cfg)["total"], patching={**patch, "mean_patch_length": mean_len}))
    return runs


def sweep_archs(patching: dict) -> dict[str, str]:
    """The architecture each family's LR sweep trains: BPE, and BLT at the first entropy target (~4.5).

    >>> sweep_archs({"entropy": [{"target": 4.5}, {"target": 8.0}]})
    {'bpe': 'bpe', 'blt': 'blt-entropy-4.5'}
    """
    return {"bpe": "bpe", "blt": f"blt-entropy-{patching['entropy'][0]['target']:g}"}


def make_plan(rules: Rules, *, bytes_per_token: float, vocab_size: int, patching: dict,
              lr: dict | None = None) -> dict:
    """The plan: rules, inputs and every run (main runs at each budget, the LR sweep, the second seeds)."""
    lr = dict(lr or rules.lr)
    kw = {"bytes_per_token": bytes_per_token, "vocab_size": vocab_size, "patching": patching}
    runs = [r for b in rules.budgets for r in runs_at(rules, b, lr=lr, seed=rules.seeds[0], role="main", **kw)]
    smallest = rules.budgets[0]
    archs = sweep_archs(patching)
    for family, arch in archs.items():
        for x in rules.sweep_lrs:
            runs += runs_at(rules, smallest, lr={**lr, family: x}, seed=rules.seeds[0], role="lr_sweep",
                            archs={arch}, **kw)
    for seed in rules.seeds[1:]:
        runs += runs_at(rules, smallest, lr=lr, seed=seed, role="seed", **kw)
    unique = {}
    for r in runs:  # a sweep run at the chosen LR is the main run itself
        unique.setdefault(r["name"], r)
    rules_json = {**asdict(rules), "local": rules.local.to_dict()}
    return {"rules": rules_json, "bytes_per_token": bytes_per_token, "vocab_size": vocab_size, "lr": lr,
            "sweep_archs": archs,
            "patching": patching, "train_flops_formula": "3 x inference FLOPs per byte (model only) x training bytes",
            "runs": list(unique.values())}


def best_lrs(plan: dict, runs_dir: Path) -> dict:
    """Per family, the sweep LR with the lowest clean bits per byte among the sweep's evaluated runs."""
    best: dict[str, tuple[float, float]] = {}
    for r in plan["runs"]:
        res = Path(runs_dir) / r["name"] / "results.json"
        if r["seed"] != plan["rules"]["seeds"][0] or r["budget_flops"] != plan["rules"]["budgets"][0] \
                or r["arch"] != plan["sweep_archs"][r["family"]] or not res.is_file():
            continue
        bpb = json.loads(res.read_text())["bpb"]["clean"]
        if r["family"] not in best or bpb < best[r["family"]][1]:
            best[r["family"]] = (r["lr"], bpb)
    return {f: v[0] for f, v in best.items()}


def commands(plan: dict, *, plan_path: str, runs_dir: str, evalset: str, data: str, tokens: str) -> str:
    """The shell commands that train and evaluate every run, LR sweep first, then collect."""
    order = {"lr_sweep": 0, "seed": 1, "main": 2}
    lines = ["# generated by blt_core.evidence.plan; one GPU per run (several may run side by side)", "set -e"]
    for r in sorted(plan["runs"], key=lambda r: (order[r["role"]], r["budget_flops"], r["name"])):
        out = f"{runs_dir}/{r['name']}"
        lines += [f"# {r['role']}: {r['arch']} at {r['budget_flops']:.0e} FLOPs, ~{r['estimated_seconds']:.0f} s",
                  f"torchrun --standalone --nproc_per_node=1 -m blt_core.evidence.train --plan {plan_path} "
                  f"--name {r['name']} --data {data} --tokens {tokens} --out {out} --compile",
                  f"python -m blt_core.evidence.evaluate --run {out} --evalset {evalset}"]
    lines.append(f"python -m blt_core.evidence.collect --plan {plan_path} --runs {runs_dir} "
                 f"--out assets/evidence/results.json")
    return "\n".join(lines) + "\n"


PRESETS = {"h200": H200, "micro": MICRO}


def main(argv=None) -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--patching", default="assets/evidence/patching.json", help="from blt_core.evidence.calibrate")
    p.add_argument("--tokens", required=True, help="tokens.json from blt_core.evidence.pretokenize")
    p.add_argument("--preset", choices=list(PRESETS), default="h200")
    p.add_argument("--lr-from", help="a runs folder holding the LR sweep's results: take each family's best LR")
    p.add_argument("--out", default="assets/evidence/plan.json")
    p.add_argument("--commands", default="assets/evidence/commands.sh")
    p.add_argument("--runs", default="runs/evidence", help="where the commands put the runs")
    p.add_argument("--evalset", default="data/evidence/evalset.json")
    p.add_argument("--data", default="data/corpus")
    a = p.parse_args(argv)
    rules = PRESETS[a.preset]
    meta = json.loads(Path(a.tokens).read_text())
    kw = {"bytes_per_token": meta["splits"]["train"]["bytes_per_token"], "vocab_size": meta["vocab_size"],
          "patching": json.loads(Path(a.patching).read_text())}
    plan = make_plan(rules, **kw)
    if a.lr_from:
        plan = make_plan(rules, lr={**rules.lr, **best_lrs(plan, Path(a.lr_from))}, **kw)
    Path(a.out).parent.mkdir(parents=True, exist_ok=True)
    Path(a.out).write_text(json.dumps(plan, indent=2))
    Path(a.commands).write_text(commands(plan, plan_path=a.out, runs_dir=a.runs, evalset=a.evalset, data=a.data,
                                         tokens=str(Path(a.tokens).parent)))
    for r in plan["runs"]:
        print(f"{r['name']:40s} {r['role']:8s} params {r['parameters'] / 1e6:6.2f}M  "
              f"F/byte {r['inference_flops_per_byte'] / 1e6:6.2f}M (+entropy {r['inference_flops_per_byte_with_entropy'] / 1e6:6.2f}M)  "
              f"steps {r['total_steps']:6d}  bytes {r['train_bytes'] / 1e6:8.1f}M  ~{r['estimated_seconds']:.0f}s")


if __name__ == "__main__":
    main()
