"""Fit a frozen entropy model's run boosts to convergence on statistics read from it once (issue 13).

Where a match predicts the byte it reads again (a run), EntropyModel.head adds that order's run
boost, a shared constant plus, with match_boost_bytes, the current byte's own row, to that byte's
logit; nothing else reads them. With every other weight frozen, the loss at such a position is
therefore a function of four numbers the model gives once (RunStats): the byte's logit without the
run boosts, the log-sum-exp of every other logit, the target's logit, and which orders match. So
the rows are read once, and then the same loss as `train_entropy --train-only match_boost_run` is
minimised to convergence on all of them (it is convex in the boosts). Stochastic steps at a decaying
learning rate left rare byte values, each seen in about 20 runs in 900 s on two cores, wherever
their last few runs put them (bench/results/entropy22/).

Takes train_entropy's flags (shape, row mix, --init-from, --batch-size, --seq-len, --seed) plus
--total-seconds for reading rows; a tenth of the batches are kept apart to check the fit.

    python -m blt_core.train.fit_run_boost --data data/corpus --out data/runs/entropy23 \\
        --init-from assets/entropy_model.safetensors --match-boost --match-boost-bytes ...
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from pathlib import Path

import torch

from blt_core.entropy.model import EntropyModel
from blt_core.train.common import init_from, state_on_cpu
from blt_core.train.train_entropy import (binary_docs, evaluate, load_split, model_config, parse_args, row_mix,
                                          sample_batch)

@dataclass
class RunStats:
    """Per position where some order's match predicts the current byte again: (N,) tensors and the
    (N, orders) mask of those orders."""

    ids: torch.Tensor  # the current byte's id: the logit the boosts lift, and the table row they read
    mask: torch.Tensor  # which orders' matches predict ids
    z_id: torch.Tensor  # the logit of ids without run boosts
    rest: torch.Tensor  # log-sum-exp of every other logit
    z_target: torch.Tensor  # the target's logit without run boosts
    same: torch.Tensor  # the target is ids (the run goes on)

    @classmethod
    def cat(cls, parts: list["RunStats"]) -> "RunStats":
        return cls(*(torch.cat([getattr(p, f) for p in parts]) for f in cls.__dataclass_fields__))


def run_nll(stats: RunStats, shared: torch.Tensor, table: torch.Tensor) -> torch.Tensor:
    """(N,) loss in nats at each position, given the shared run constants (orders,) and the per-value
    table (vocab, orders): what the model's cross-entropy is there with those boosts.

    >>> s = RunStats(torch.tensor([5]), torch.tensor([[True, False]]), torch.tensor([0.0]),
    ...              torch.tensor([0.0]), torch.tensor([0.0]), torch.tensor([True]))
    >>> round(run_nll(s, torch.zeros(2), torch.zeros(8, 2)).item(), 4)  # two equal logits: log 2
    0.6931
    >>> round(run_nll(s, torch.tensor([3.0, 9.0]), torch.zeros(8, 2)).item(), 4)  # order 2 does not match
    0.0486
    """
    boost = (stats.mask * (shared + table[stats.ids])).sum(-1)
    lifted = stats.z_id + boost
    return torch.logaddexp(stats.rest, lifted) - torch.where(stats.same, lifted, stats.z_target)


@torch.no_grad()
def run_stats(model: EntropyModel, x: torch.Tensor, y: torch.Tensor) -> RunStats:
    """RunStats of a batch (inputs x, targets y, (B, T) ids) through the frozen model."""
    run, table = model.match_boost_run, model.match_boost_run_byte.weight
    kept = run.clone(), table.clone()
    run.zero_(), table.zero_()
    try:
        logits = model(x).float()
    finally:
        run.copy_(kept[0]), table.copy_(kept[1])
    preds = torch.stack(model.embed_and_match(x)[1], dim=-1)  # (B, T, orders); NONE never equals an id
    mask = preds == x[..., None]
    where = mask.any(-1)
    z, ids, tgt = logits[where], x[where], y[where]
    z_id = z.gather(1, ids[:, None])[:, 0]
    rest = z.scatter(1, ids[:, None], float("-inf")).logsumexp(1)
    return RunStats(ids, mask[where], z_id, rest, z.gather(1, tgt[:, None])[:, 0], tgt == ids)


def fit(stats: RunStats, shared: torch.Tensor, table: torch.Tensor, *, iterations: int = 200,
        l2: float = 0.0) -> tuple:
    """(shared, table) minimising the mean run_nll over `stats` plus l2 * the table's sum of squares,
    from the given start (L-BFGS). The penalty keeps a byte value seen in few runs near the shared
    constants: unpenalised, each value's row fits its own few runs (m112ug, bench/results/entropy23/)."""
    shared, table = shared.clone().requires_grad_(), table.clone().requires_grad_()
    opt = torch.optim.LBFGS([shared, table], lr=1, max_iter=iterations, history_size=20,
                            line_search_fn="strong_wolfe", tolerance_grad=1e-9, tolerance_change=1e-12)

    def closure():
        opt.zero_grad()
        loss = run_nll(stats, shared, table).mean() + l2 * table.square().sum()
        loss.backward()
        return loss

    opt.step(closure)
    return shared.detach(), table.detach()


def read_stats(model: EntropyModel, raw: torch.Tensor, docs: torch.Tensor, args, *, binary=None) -> list[RunStats]:
    """One RunStats per batch of train_entropy's rows (its row mix and seed), until --max-steps
    batches or --total-seconds."""
    gen = torch.Generator().manual_seed(args.seed)
    parts, t0 = [], time.monotonic()
    while time.monotonic() - t0 < args.total_seconds and (not args.max_steps or len(parts) < args.max_steps):
        x, y = sample_batch(raw, docs, batch=args.batch_size, seq_len=args.seq_len, gen=gen, binary=binary,
                            **row_mix(args))
        parts.append(run_stats(model, x, y))
        if len(parts) % 100 == 0:
            print(f"read {len(parts)} batches, {sum(len(p.ids) for p in parts):,} run positions, "
                  f"{time.monotonic() - t0:.0f}s", flush=True)
    return parts


def main(argv=None) -> None:
    import argparse

    own = argparse.ArgumentParser(add_help=False)
    own.add_argument("--fit-iterations", type=int, default=200, help="L-BFGS iterations (one evaluation or more each)")
    own.add_argument("--l2", default="0", help="comma-separated penalties on the per-value table; the one with the "
                                               "lowest loss on the batches kept apart wins")
    own.add_argument("--stats", default="", help="RunStats file: read from it when it exists, else written to it")
    extra, rest = own.parse_known_args(argv)
    args = parse_args(rest)
    args.fit_iterations = extra.fit_iterations
    cfg = model_config(args)
    if not cfg.match_boost_bytes:
        raise SystemExit("fit_run_boost fits the run boost per byte value: pass --match-boost --match-boost-bytes")
    model = init_from(EntropyModel(cfg), args.init_from, new=("match_embeddings.", "match_boost")).eval()
    raw, docs = load_split(Path(args.data), "train", torch.device("cpu"))
    binary = binary_docs(raw, docs) if args.binary_frac > 0 else None
    cached = Path(extra.stats) if extra.stats else None
    if cached and cached.exists():  # the rows of the run that wrote it (same seed and row mix)
        saved = torch.load(cached, weights_only=True)
        parts, read_seconds = [RunStats(**p) for p in saved["parts"]], saved["seconds"]
    else:
        t0 = time.monotonic()
        parts = read_stats(model, raw, docs, args, binary=binary)
        read_seconds = time.monotonic() - t0
        if cached:
            torch.save({"parts": [vars(p) for p in parts], "seconds": read_seconds}, cached)
    batches = len(parts)
    held = max(1, batches // 10)  # every tenth batch, kept apart to see the fit generalise
    fit_set = RunStats.cat([p for i, p in enumerate(parts) if i % 10 != 9 or batches < 2])
    check = RunStats.cat([p for i, p in enumerate(parts) if i % 10 == 9] or parts[-1:])
    before = [run_nll(s, model.match_boost_run, model.match_boost_run_byte.weight).mean().item() for s in (fit_set, check)]
    grid = {}
    for l2 in (float(v) for v in extra.l2.split(",")):
        fitted = fit(fit_set, model.match_boost_run.detach(), model.match_boost_run_byte.weight.detach(),
                     iterations=args.fit_iterations, l2=l2)
        grid[l2] = (run_nll(check, *fitted).mean().item(), fitted)
    l2 = min(grid, key=lambda k: grid[k][0])
    shared, table = grid[l2][1]
    after = [run_nll(s, shared, table).mean().item() for s in (fit_set, check)]
    with torch.no_grad():
        model.match_boost_run.copy_(shared)
        model.match_boost_run_byte.weight.copy_(table)
    heldout = evaluate(model, *load_split(Path(args.data), "heldout", torch.device("cpu")), args, torch.device("cpu"))
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    from safetensors.torch import save_file

    save_file(state_on_cpu(model), str(out / "entropy_model.safetensors"))
    seen = torch.bincount(fit_set.ids, minlength=cfg.vocab_size)
    summary = {"config": cfg.to_dict(), **row_mix(args), "train_only": "match_boost_run",
               "fit": {"method": "L-BFGS on RunStats (blt_core.train.fit_run_boost)", "iterations": args.fit_iterations,
                       "positions": int(fit_set.ids.numel()), "check_positions": int(check.ids.numel()),
                       "check_batches": held, "byte_values_seen": int((seen[4:260] > 0).sum()),
                       "l2": l2, "check_nll_by_l2": {str(k): v[0] for k, v in grid.items()},
                       "nll_before": before[0], "nll_after": after[0],
                       "check_nll_before": before[1], "check_nll_after": after[1]},
               "heldout_bpb_windows": heldout, "steps": batches, "train_seconds": round(read_seconds, 1),
               "tokens": batches * args.batch_size * args.seq_len, "world_size": 1,
               "batch_size_per_process": args.batch_size, "seq_len": args.seq_len, "lr": None, "device": "cpu",
               "init_from": args.init_from}
    summary["fit"]["stats_file"] = str(cached) if cached else None
    (out / "config.json").write_text(json.dumps(summary, indent=2))
    print(json.dumps(summary["fit"]), f"heldout windows {heldout:.6f}", flush=True)


if __name__ == "__main__":
    main()
