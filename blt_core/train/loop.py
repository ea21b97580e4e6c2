"""The one wall-clock training loop that train_entropy.py and train_blt.py share.

A `Task` holds what differs between the models: how a batch becomes a loss, the held-out
score, and what ships at the end. `train` does the rest: resume from `ckpt.pt`, the LR
schedule over elapsed seconds, the guarded update, logging to `log.jsonl` with periodic
held-out evaluation, then (rank 0) the checkpoint, the shipped weights and `config.json`.

    train(model, opt, proc, args, out=Path(args.out), task=Task(
        batch_loss=..., heldout_bpb=..., finish=..., weights_file="entropy_model.safetensors"))

A log record looks like {"step": 50, "elapsed": 12.3, "lr": 0.003, "skipped_updates": 0,
"train_bpb": 2.1, "tokens": 51200, **extra, "heldout_bpb": 2.2} (the last on eval steps only).
"""

from __future__ import annotations

import argparse
import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, NamedTuple

import torch
import torch.distributed as dist

from blt_core.train.common import (Proc, Run, batch_rng, lr_at, save_checkpoint, start_run, state_on_cpu, update,
                                   wrap)


class Batch(NamedTuple):
    """One training batch's outcome, as a task's `batch_loss` returns it."""

    loss: torch.Tensor  # mean cross-entropy in nats, the one that is backpropagated
    tokens: int  # tokens in this process's batch
    log_fields: Callable[[], dict] = dict  # extra log entries, computed only on logging steps


@dataclass(frozen=True)
class Task:
    """The model-specific parts of a training call."""

    batch_loss: Callable[[torch.nn.Module, torch.Generator], Batch]  # (wrapped model, sampling RNG) -> Batch
    heldout_bpb: Callable[[], float]  # rank 0: held-out bits per byte on fixed windows
    finish: Callable[[Run], tuple[dict, dict]]  # rank 0, after the loop: (weights to ship, config.json entries)
    weights_file: str  # the shipped weights' file name in the run folder
    banner: str = ""  # appended to the rank-0 "params ... world ... device ..." line
    keep_best: bool = False  # keep the best evaluation's weights in Run.best, for `finish` to fall back to


def train(model: torch.nn.Module, opt: torch.optim.Optimizer, proc: Proc, args: argparse.Namespace, *,
          out: Path, task: Task) -> None:
    """Train `model` for one call (resuming `out`), save its outputs and leave the process group."""
    if proc.rank == 0:
        out.mkdir(parents=True, exist_ok=True)
    run = start_run(out, model, opt, proc, args)
    gen = batch_rng(args, proc, run.step)
    ddp = wrap(model, proc, compile=args.compile)
    if proc.rank == 0:
        print(f"params {model.num_parameters():,}  world {proc.world}  device {proc.device}{task.banner}", flush=True)
    run.clock.start()
    while not run.clock.should_stop(run.step):
        lr = lr_at(run.clock.progress, args)
        batch = task.batch_loss(ddp, gen)
        run.skipped += not update(model, opt, batch.loss, lr)
        run.step += 1
        run.tokens += batch.tokens * proc.world
        run.clock.tick()
        if proc.rank == 0 and run.step % args.log_every == 0:
            log_step(run, model, batch, lr=lr, task=task, eval_every=args.eval_every)
    if proc.rank == 0:
        save_outputs(run, model, opt, out=out, task=task)
    if proc.distributed:
        dist.barrier()
        dist.destroy_process_group()


def log_step(run: Run, model: torch.nn.Module, batch: Batch, *, lr: float, task: Task, eval_every: int) -> None:
    """Write one log record (rank 0), with a held-out evaluation every `eval_every` steps."""
    rec = {"step": run.step, "elapsed": round(run.clock.elapsed, 1), "lr": lr, "skipped_updates": run.skipped,
           "train_bpb": batch.loss.item() / math.log(2), "tokens": run.tokens, **batch.log_fields()}
    if run.step % eval_every == 0:
        rec["heldout_bpb"] = task.heldout_bpb()
        if task.keep_best and math.isfinite(rec["heldout_bpb"]) and rec["heldout_bpb"] < run.best[0]:
            run.best = (rec["heldout_bpb"], run.step, state_on_cpu(model))
    run.log.write(json.dumps(rec) + "\n")
    run.log.flush()
    print(json.dumps(rec), flush=True)


def save_outputs(run: Run, model: torch.nn.Module, opt: torch.optim.Optimizer, *, out: Path, task: Task) -> None:
    """Rank 0 after the loop: `ckpt.pt` to resume from, the shipped weights and `config.json`."""
    from safetensors.torch import save_file

    save_checkpoint(out / "ckpt.pt", model, opt, step=run.step, elapsed=run.clock.elapsed, tokens=run.tokens)
    weights, entries = task.finish(run)
    save_file(weights, str(out / task.weights_file))
    (out / "config.json").write_text(json.dumps(entries, indent=2))
    print("final", json.dumps(entries), flush=True)
    run.log.close()


def run_summary(run: Run, proc: Proc, args: argparse.Namespace) -> dict:
    """The config.json entries both models share: counters, shape of the batch, where it ran.

    >>> from types import SimpleNamespace as NS
    >>> run = Run(step=6, tokens=1536, clock=NS(elapsed=42.04), log=None)
    >>> args = NS(batch_size=4, seq_len=64, lr=1e-3, total_seconds=900, init_from=None)
    >>> proc = Proc(False, 0, 1, 0, torch.device("cpu"))
    >>> s = run_summary(run, proc, args); s["train_seconds"], s["done"], s["device"]
    (42.0, False, 'cpu')
    """
    device = proc.device
    return {"steps": run.step, "train_seconds": round(run.clock.elapsed, 1), "tokens": run.tokens,
            "world_size": proc.world, "batch_size_per_process": args.batch_size, "seq_len": args.seq_len,
            "lr": args.lr, "skipped_updates": run.skipped, "done": run.clock.elapsed >= args.total_seconds,
            "device": torch.cuda.get_device_name(device) if device.type == "cuda" else "cpu",
            "init_from": args.init_from}
