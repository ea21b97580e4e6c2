"""What every training script shares: process group, optimizer, time-based LR, checkpoints.

Both `train_entropy.py` and `train_blt.py` run under torchrun (one or many GPUs, DDP) or on
the CPU with gloo, train for at most a wall-clock budget per call and resume from `ckpt.pt`.

>>> class A: lr, warmup_frac, min_lr_ratio = 1.0, 0.1, 0.0
>>> round(lr_at(0.05, A), 3), lr_at(0.1, A), lr_at(1.0, A)
(0.5, 1.0, 0.0)
"""

from __future__ import annotations

import math
import os
import time
from dataclasses import dataclass
from pathlib import Path

import torch
import torch.distributed as dist


@dataclass(frozen=True)
class Proc:
    distributed: bool  # started by torchrun
    rank: int
    world: int
    local: int  # GPU index on this host
    device: torch.device


def setup_process() -> Proc:
    """Join the torchrun process group when there is one (nccl on GPUs, gloo on CPUs)."""
    distributed = "RANK" in os.environ
    if distributed:
        dist.init_process_group("nccl" if torch.cuda.is_available() else "gloo")
        rank, world = dist.get_rank(), dist.get_world_size()
    else:
        rank, world = 0, 1
    local = int(os.environ.get("LOCAL_RANK", 0))
    device = torch.device(f"cuda:{local}") if torch.cuda.is_available() else torch.device("cpu")
    if device.type == "cuda":
        torch.cuda.set_device(device)
        torch.backends.cuda.matmul.allow_tf32 = True
    return Proc(distributed, rank, world, local, device)


def make_optimizer(model: torch.nn.Module, *, lr: float, weight_decay: float, device: torch.device):
    """AdamW with weight decay on matrices only (norm gains and biases are not decayed); frozen
    weights (requires_grad False) are left out."""
    params = [p for p in model.parameters() if p.requires_grad]
    decay = [p for p in params if p.dim() >= 2]
    no_decay = [p for p in params if p.dim() < 2]
    return torch.optim.AdamW(
        [{"params": decay, "weight_decay": weight_decay}, {"params": no_decay, "weight_decay": 0.0}],
        lr=lr, betas=(0.9, 0.95), fused=device.type == "cuda",
    )


def init_from(model: torch.nn.Module, path: str | None, *, new: tuple[str, ...] = ()) -> torch.nn.Module:
    """Load safetensors weights (any float dtype, e.g. shipped fp16) into `model`; None: unchanged.
    A checkpoint in the run folder still wins: start_run resumes it afterwards.

    `new`: name prefixes of weights the file may lack (inputs added to a trained model, such as
    the entropy model's match tables); those start at zero, so the model starts as the one it
    grew from. Any other missing or unexpected weight is an error.
    """
    if path:
        from safetensors.torch import load_file

        state = dequantized(load_file(path), model.state_dict().keys())
        missing, unexpected = model.load_state_dict({k: v.float() for k, v in state.items()}, strict=False)
        bad = [k for k in missing if not k.startswith(new)] + list(unexpected)
        if bad:
            raise RuntimeError(f"{path} does not fit the model: {bad[:5]}")
        with torch.no_grad():
            for name, p in model.named_parameters():
                if name in missing:
                    p.zero_()
    return model


def dequantized(state: dict[str, torch.Tensor], keys) -> dict[str, torch.Tensor]:
    """A shipped card's int8 tables (Int8Table: `X.weight` int8 rows, `X.scale` one float each) as
    float rows `X.weight` for a model whose `keys` hold no `X.scale` (float tables: a fine-tune on the
    GPU trains them); every other tensor as it is.

    >>> s = dequantized({"t.weight": torch.tensor([[2, -4]], dtype=torch.int8), "t.scale": torch.tensor([0.5])},
    ...                 ["t.weight"])
    >>> list(s), s["t.weight"].tolist()
    (['t.weight'], [[1.0, -2.0]])
    """
    keys = set(keys)
    out = dict(state)
    for k, scale in state.items():
        w = k[:-len(".scale")] + ".weight"
        if k.endswith(".scale") and k not in keys and w in state and state[w].dtype == torch.int8:
            out[w] = state[w].float() * scale.float()[:, None]
            del out[k]
    return out


def state_on_cpu(model: torch.nn.Module) -> dict[str, torch.Tensor]:
    """fp32 CPU copy of the weights, ready for safetensors. Always a copy: on the CPU `.float().cpu()`
    returned the live tensors, so a run's kept best evaluation (keep_best) silently followed every later
    step (entropy21-m112ud shipped its final weights under its step-100 evaluation).

    >>> m = torch.nn.Linear(1, 1)
    >>> kept = state_on_cpu(m)
    >>> _ = m.weight.data.add_(1.0)
    >>> bool(kept["weight"] == m.weight.data - 1.0)
    True
    """
    return {k: v.detach().to("cpu", torch.float32, copy=True).contiguous() for k, v in model.state_dict().items()}


def batch_rng(args, proc: Proc, step: int) -> torch.Generator:
    """Sampling RNG, distinct per rank and per resumed call (the step moves the seed on)."""
    return torch.Generator(device=proc.device).manual_seed(args.seed * 1000 + proc.rank * 7919 + step)


def update(model: torch.nn.Module, opt, loss: torch.Tensor, lr: float) -> bool:
    """One optimizer step at `lr` with gradients clipped to norm 1; False (and no step) when the
    loss or gradient is non-finite, so one bad batch never turns the weights into NaN."""
    for g in opt.param_groups:
        g["lr"] = lr
    opt.zero_grad(set_to_none=True)
    loss.backward()
    grad_norm = torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
    if not (torch.isfinite(grad_norm) and torch.isfinite(loss)):
        return False
    opt.step()
    return True


def lr_at(progress: float, args) -> float:
    """Linear warm-up, then cosine to min_lr_ratio * lr, over progress in [0, 1]."""
    if progress < args.warmup_frac:
        return args.lr * progress / args.warmup_frac
    t = min(1.0, (progress - args.warmup_frac) / (1 - args.warmup_frac))
    return args.lr * (args.min_lr_ratio + (1 - args.min_lr_ratio) * 0.5 * (1 + math.cos(math.pi * t)))


def resume(ckpt: Path, model: torch.nn.Module, opt, device: torch.device) -> tuple[int, float, int]:
    """(step, elapsed seconds, tokens seen) from `ckpt` if it exists, else zeros."""
    if not ckpt.exists():
        return 0, 0.0, 0
    state = torch.load(ckpt, map_location=device, weights_only=True)
    model.load_state_dict(state["model"])
    opt.load_state_dict(state["opt"])
    return int(state["step"]), float(state["elapsed"]), int(state["tokens"])


def save_checkpoint(ckpt: Path, model: torch.nn.Module, opt, *, step: int, elapsed: float, tokens: int) -> None:
    """Write `ckpt` atomically: a call killed mid-save leaves the previous checkpoint intact."""
    tmp = ckpt.with_suffix(".tmp")
    torch.save({"model": model.state_dict(), "opt": opt.state_dict(), "step": step, "elapsed": elapsed,
                "tokens": tokens}, tmp)
    os.replace(tmp, ckpt)


def autocast(device: torch.device) -> torch.autocast:
    """bf16 autocast on a GPU, a no-op on the CPU (where training and evaluation stay fp32)."""
    return torch.autocast(device.type, dtype=torch.bfloat16, enabled=device.type == "cuda")


def wrap(model: torch.nn.Module, proc: Proc, *, compile: bool):
    """Optionally compile, then wrap in DDP when distributed."""
    fwd = torch.compile(model) if compile else model
    if not proc.distributed:
        return fwd
    return torch.nn.parallel.DistributedDataParallel(fwd, device_ids=[proc.local] if proc.device.type == "cuda" else None)


class Clock:
    """The schedule clock: training seconds so far, agreed across ranks, and this call's budget.

    The LR schedule follows `progress` (elapsed / total_seconds), so a run split over several
    calls follows one schedule; a call stops after budget_seconds of wall time.
    """

    def __init__(self, elapsed: float, *, proc: Proc, total_seconds: float, budget_seconds: float,
                 max_steps: int | None):
        self.elapsed, self.proc = elapsed, proc
        self.total, self.budget, self.max_steps = total_seconds, budget_seconds, max_steps
        self.t_call = self.t_last = time.time()

    def start(self) -> None:
        """Start timing now, so loading data and compiling count neither against the budget nor the schedule."""
        self.t_call = self.t_last = time.time()

    @property
    def progress(self) -> float:
        return self.elapsed / self.total

    def should_stop(self, step: int) -> bool:
        return (self.progress >= 1.0 or (self.max_steps is not None and step >= self.max_steps)
                or time.time() - self.t_call > self.budget)

    def tick(self) -> None:
        """Add the seconds since the last tick, the slowest rank's, so every rank stops together."""
        now = time.time()
        dt = torch.tensor([now - self.t_last], device=self.proc.device)
        if self.proc.distributed:
            dist.all_reduce(dt, op=dist.ReduceOp.MAX)
        self.elapsed += float(dt.item())
        self.t_last = now


class StepClock(Clock):
    """A Clock whose schedule follows steps out of `total_steps`, not seconds: for runs whose length
    a training-FLOP budget fixes (blt_core/evidence). A call still stops after budget_seconds."""

    def __init__(self, elapsed: float, *, step: int, total_steps: int, proc: Proc, budget_seconds: float,
                 max_steps: int | None):
        super().__init__(elapsed, proc=proc, total_seconds=math.inf, budget_seconds=budget_seconds,
                         max_steps=max_steps)
        self.step, self.total_steps = step, total_steps

    @property
    def progress(self) -> float:
        return self.step / self.total_steps

    def tick(self) -> None:
        super().tick()
        self.step += 1


@dataclass
class Run:
    """A training call's state: counters, the schedule clock, the rank-0 log and the best evaluation."""

    step: int
    tokens: int
    clock: Clock
    log: object | None  # an open JSON-lines file on rank 0, else None
    skipped: int = 0  # updates dropped for a non-finite loss or gradient in this call
    best: tuple[float, int, dict | None] = (math.inf, 0, None)  # (held-out bpb, step, weights), if kept


def shipped_weights(run: Run, model: torch.nn.Module, final_bpb: float) -> tuple[dict, float, int]:
    """(weights, held-out bpb, step) to ship: the final ones, or the best evaluation's when the run
    ended worse than it (over-fitting) or non-finite; `best` is kept only with Task(keep_best=True).

    >>> run = Run(step=9, tokens=0, clock=None, log=None, best=(1.2, 4, {"w": torch.zeros(1)}))
    >>> shipped_weights(run, torch.nn.Linear(1, 1), 1.5)[1:]
    (1.2, 4)
    """
    if run.best[2] is not None and not final_bpb <= run.best[0]:
        return run.best[2], run.best[0], run.best[1]
    return state_on_cpu(model), final_bpb, run.step


def start_run(out: Path, model: torch.nn.Module, opt, proc: Proc, args) -> Run:
    """Resume from `out/ckpt.pt` when it exists, start the clock and open `out/log.jsonl` (rank 0)."""
    step, elapsed, tokens = resume(out / "ckpt.pt", model, opt, proc.device)
    if step and proc.rank == 0:
        print(f"resumed at step {step}, {elapsed:.0f}s elapsed", flush=True)
    if getattr(args, "total_steps", None):
        clock = StepClock(elapsed, step=step, total_steps=args.total_steps, proc=proc,
                          budget_seconds=args.budget_seconds, max_steps=args.max_steps)
    else:
        clock = Clock(elapsed, proc=proc, total_seconds=args.total_seconds, budget_seconds=args.budget_seconds,
                      max_steps=args.max_steps)
    return Run(step, tokens, clock, open(out / "log.jsonl", "a") if proc.rank == 0 else None)
