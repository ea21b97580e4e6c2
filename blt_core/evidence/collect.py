"""Gather every evaluated run of the plan into one results file, and keep each run's log.

    python -m blt_core.evidence.collect --plan assets/evidence/plan.json --runs runs/evidence \
        --out assets/evidence/results.json

One row per run: its place in the plan (architecture, role, budget, LR, seed), size, planned and
spent training FLOPs, inference FLOPs per byte with and without the entropy model, bytes per
patch or token (planned on the training split, measured on the evaluation set), and bits per
byte clean, per noise kind and per script. Each run's `log.jsonl` and `config.json` are copied to
`<out folder>/runs/<name>/` (weights stay out of the repository). Runs not yet evaluated are
listed under `missing`; a row whose run was trained from another version of its plan entry says
so (`matches_plan: false`).

>>> row({"name": "r", "train_flops": 30.0, "total_steps": 3, "inference_flops_per_byte": 1.0,
...      "inference_flops_per_byte_with_entropy": 2.0, "bytes_per_unit": 4.0}, {"steps": 2, "done": False,
...      "bpb": {"clean": 1.0}, "bpb_by_script": {}, "bytes_per_unit": 4.5}, {"heldout_bpb_windows": 1.1})["train_flops_spent"]
20.0
"""

from __future__ import annotations

import argparse
import json
import shutil
from pathlib import Path

PLAN_KEYS = ("name", "arch", "family", "role", "budget_flops", "lr", "seed", "parameters", "train_flops",
             "total_steps", "train_bytes", "inference_flops_per_byte", "inference_flops_per_byte_with_entropy",
             "seq_len", "seq_bytes", "batch_size")


def row(spec: dict, result: dict, summary: dict) -> dict:
    """One run's row: plan entries, what the run spent, and its measured bits per byte."""
    return {
        **{k: spec.get(k) for k in PLAN_KEYS},
        "bytes_per_unit_planned": spec["bytes_per_unit"],
        "bytes_per_unit_measured": result["bytes_per_unit"],
        "steps": result["steps"], "done": result["done"],
        # a run stopped early (budget seconds) spent its share of the planned FLOPs
        "train_flops_spent": spec["train_flops"] * result["steps"] / spec["total_steps"],
        "heldout_bpb_windows": summary.get("heldout_bpb_windows"),
        "bpb": result["bpb"], "bpb_by_script": result["bpb_by_script"],
    }


def collect(plan: dict, runs_dir: Path, out: Path) -> dict:
    """The results file's content; copies each evaluated run's log next to `out`."""
    rows, missing = [], []
    for spec in plan["runs"]:
        run = runs_dir / spec["name"]
        if not (run / "results.json").is_file():
            missing.append(spec["name"])
            continue
        summary = json.loads((run / "config.json").read_text())
        # the row describes the run as it was trained (its own copy of the plan's entry); a plan
        # regenerated since (new thresholds, a new LR) is flagged, never silently mixed in. Only the
        # role is the plan's: re-planning with the sweep's best LR makes that sweep run the main one.
        trained = {**summary["run"], "role": spec["role"]}
        rows.append({**row(trained, json.loads((run / "results.json").read_text()), summary),
                     "matches_plan": trained == spec})
        logs = out.parent / "runs" / spec["name"]
        logs.mkdir(parents=True, exist_ok=True)
        for f in ("log.jsonl", "config.json", "results.json"):
            shutil.copy(run / f, logs / f)
    evalset = next((json.loads((runs_dir / r["name"] / "results.json").read_text()) for r in rows), {})
    return {
        "rules": plan["rules"], "bytes_per_token": plan["bytes_per_token"], "vocab_size": plan["vocab_size"],
        "lr": plan["lr"], "entropy_model": plan["patching"]["entropy_model"],
        "patching": {"entropy": plan["patching"]["entropy"], "space": plan["patching"]["space"]},
        "train_flops_formula": plan["train_flops_formula"],
        "evalset": {k: evalset.get(k) for k in ("documents", "evalset_source_sha256", "evalset_noise")},
        "runs": rows, "missing": missing,
    }


def main(argv=None) -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--plan", default="assets/evidence/plan.json")
    p.add_argument("--runs", default="runs/evidence")
    p.add_argument("--out", default="assets/evidence/results.json")
    a = p.parse_args(argv)
    out = Path(a.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    res = collect(json.loads(Path(a.plan).read_text()), Path(a.runs), out)
    out.write_text(json.dumps(res, indent=2))
    print(f"{out}: {len(res['runs'])} runs, {len(res['missing'])} missing")


if __name__ == "__main__":
    main()
