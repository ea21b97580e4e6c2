"""Run the plan's runs side by side, one GPU each, resumably: train, then evaluate, skipping finished runs.

    python -m blt_core.evidence.launch --gpus 2 --per-gpu 5 --sweep-only    # first the LR sweep
    python -m blt_core.evidence.plan --tokens data/evidence/bpe_4096/tokens.json --lr-from runs/evidence
    python -m blt_core.evidence.launch --gpus 2 --per-gpu 6                 # then everything else

Runs go longest first to the least-loaded lane (by the plan's estimated seconds); a GPU has
--per-gpu lanes, because one of these small models leaves an H200 mostly idle (a BLT run at 6e14
FLOPs reached about 1.5e13 FLOP/s alone, launch-bound), so several side by side finish sooner
than one after another. Each training call stops after --budget-seconds and saves `ckpt.pt`;
calling the launcher again continues every unfinished run and evaluates it once its steps are
done. No new call starts after --deadline-seconds, so a session can end on time.

>>> runs = [{"name": n, "estimated_seconds": s} for n, s in (("a", 30), ("b", 100), ("c", 60), ("d", 40))]
>>> assign(runs, 2)
[['b', 'a'], ['c', 'd']]
>>> [gpu_of(lane, gpus=2) for lane in range(4)]
[0, 1, 0, 1]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path


def assign(runs: list[dict], n_gpus: int) -> list[list[str]]:
    """Longest run first onto the GPU with the least estimated work so far."""
    queues: list[list[str]] = [[] for _ in range(n_gpus)]
    load = [0.0] * n_gpus
    for r in sorted(runs, key=lambda r: -r["estimated_seconds"]):
        i = load.index(min(load))
        queues[i].append(r["name"])
        load[i] += r["estimated_seconds"]
    return queues


def gpu_of(lane: int, *, gpus: int) -> int:
    """The GPU a lane runs on, round robin: `assign` fills lanes longest run first, so the longest
    runs land on different GPUs."""
    return lane % gpus


def sweep_runs(plan: dict) -> list[dict]:
    """The runs `plan.best_lrs` reads: the smallest budget, first seed, each family's sweep architecture.

    >>> plan = {"rules": {"budgets": [1, 2], "seeds": [0, 1]}, "sweep_archs": {"bpe": "bpe"}, "runs": [
    ...     {"name": "a", "budget_flops": 1, "seed": 0, "arch": "bpe", "family": "bpe"},
    ...     {"name": "b", "budget_flops": 2, "seed": 0, "arch": "bpe", "family": "bpe"}]}
    >>> [r["name"] for r in sweep_runs(plan)]
    ['a']
    """
    rules = plan["rules"]
    return [r for r in plan["runs"] if r["budget_flops"] == rules["budgets"][0] and r["seed"] == rules["seeds"][0]
            and r["arch"] == plan["sweep_archs"][r["family"]]]


def _status(out: Path) -> str:
    """"evaluated", "trained" (steps done, not evaluated) or "todo"."""
    if (out / "results.json").is_file():
        return "evaluated"
    cfg = out / "config.json"
    return "trained" if cfg.is_file() and json.loads(cfg.read_text()).get("done") else "todo"


def _worker(gpu: int, names: list[str], a: argparse.Namespace, t0: float) -> None:
    # each process compiles with a few threads, so many lanes do not fight over the host's cores
    env = {**os.environ, "CUDA_VISIBLE_DEVICES": str(gpu), "TORCHINDUCTOR_COMPILE_THREADS": "4"}
    for name in names:
        out = Path(a.runs) / name
        if _status(out) == "todo" and time.time() - t0 < a.deadline_seconds:
            subprocess.run([sys.executable, "-m", "blt_core.evidence.train", "--plan", a.plan, "--name", name,
                            "--data", a.data, "--tokens", a.tokens, "--out", str(out), "--budget-seconds",
                            str(a.budget_seconds), *(["--compile"] if a.compile else [])], env=env, check=False)
        if _status(out) == "trained":
            subprocess.run([sys.executable, "-m", "blt_core.evidence.evaluate", "--run", str(out), "--evalset",
                            a.evalset], env=env, check=False)
        print(f"gpu {gpu}: {name} {_status(out)}", flush=True)


def main(argv=None) -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--plan", default="assets/evidence/plan.json")
    p.add_argument("--gpus", type=int, default=1)
    p.add_argument("--per-gpu", type=int, default=1, help="runs side by side on each GPU")
    p.add_argument("--sweep-only", action="store_true", help="only the runs the LR choice reads (plan.best_lrs)")
    p.add_argument("--roles", nargs="+", default=["lr_sweep", "seed", "main"])
    p.add_argument("--runs", default="runs/evidence")
    p.add_argument("--data", default="data/corpus")
    p.add_argument("--tokens", default="data/evidence/bpe_4096")
    p.add_argument("--evalset", default="data/evidence/evalset.json")
    p.add_argument("--budget-seconds", type=float, default=480, help="per training call (then it resumes later)")
    p.add_argument("--deadline-seconds", type=float, default=1e9, help="start no training call after this long")
    p.add_argument("--no-compile", dest="compile", action="store_false")
    p.add_argument("--dry-run", action="store_true", help="print each GPU's queue and stop")
    a = p.parse_args(argv)
    plan = json.loads(Path(a.plan).read_text())
    runs = [r for r in (sweep_runs(plan) if a.sweep_only else plan["runs"]) if r["role"] in a.roles]
    queues = assign(runs, a.gpus * a.per_gpu)
    for lane, names in enumerate(queues):
        print(f"gpu {gpu_of(lane, gpus=a.gpus)}: {', '.join(f'{n} ({_status(Path(a.runs) / n)})' for n in names)}",
              flush=True)
    if a.dry_run:
        return
    t0 = time.time()
    threads = [threading.Thread(target=_worker, args=(gpu_of(lane, gpus=a.gpus), names, a, t0))
               for lane, names in enumerate(queues)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()


if __name__ == "__main__":
    main()
