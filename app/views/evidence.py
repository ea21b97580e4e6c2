"""Evidence views: this project's BLT-vs-BPE runs at matched compute, next to the paper's figures.

Everything is drawn from JSON: the collected results (blt_core.evidence.collect, default
assets/evidence/results.json, or the file BLT_EVIDENCE_RESULTS names), the paper's Table 3
figures (assets/evidence/paper_table3.json) and Table 2's pairs (blt_core.flops). No number is
typed here.

>>> r = {"runs": [{"name": "a", "arch": "bpe", "role": "main", "budget_flops": 1.0, "train_flops_spent": 1.0,
...                "bpb": {"clean": 2.0, "typo": 2.5}}]}
>>> noise_deltas(r)["typo"]["bpe"]
0.5
"""

from __future__ import annotations

import json
import math
import os
from pathlib import Path

import numpy as np
import plotly.graph_objects as go

from blt_core import flops

from app.views.palette import SERIES

ROOT = Path(__file__).resolve().parents[2]
RESULTS_ENV = "BLT_EVIDENCE_RESULTS"  # a results file to show instead of the committed one (tests, previews)
DEFAULT_RESULTS = ROOT / "assets" / "evidence" / "results.json"
PAPER_TABLE3 = ROOT / "assets" / "evidence" / "paper_table3.json"
BPB_COLUMNS = ("bpb clean", "bpb case_flip", "bpb typo", "bpb spacing")  # the runs table's bpb columns
TREND_SPAN = 10.0  # the dotted trend lines run to this many times the largest budget
LAYOUT = {"height": 360, "margin": {"l": 10, "r": 10, "t": 30, "b": 10},
          "legend": {"orientation": "h", "y": 1.02, "yanchor": "bottom", "x": 0}}

STATEMENT = """
**What this experiment can show.** Whether, on this project's ~100 MB multilingual corpus and at
budgets of a few GPU-minutes, a small BLT (the shipped generator's architecture, patched by the shipped
entropy model) reaches lower or higher bits per byte than a Llama-style BPE model that costs the same
inference FLOPs per byte and was trained with the same FLOPs, data order, optimizer and schedule; how
that gap moves as the budget grows; how much each model's bits per byte worsen on the same text with
case flips, typos and spacing noise; and how both fare per script.

**What it cannot show.** Anything about the paper's scale: these models are thousands of times smaller
and trained far from the regime where the paper's BLT overtakes BPE (past the compute-optimal point).
Bits per byte on noised text is not the paper's noise benchmark (task accuracy on noised HellaSwag).
One LR sweep and two seeds at the smallest budget bound the noise of the comparison only roughly.
At this scale the entropy model's own FLOPs are comparable to a whole model's, so counting it or not
can decide the result: both numbers are given. The corpus is repeated over several epochs at the
larger budgets, which favours neither family but is not the paper's setting.

**A likely reason for the flat BLT curve, not yet tested.** Every BLT here keeps the same small local
encoder and decoder (one layer each, 128 wide) and grows only its global model, as the plan's rules say;
the local decoder predicts every byte inside a patch, so at this size it may cap what a bigger global
model can add. A run that also grows the local models would tell.
"""


def results_path() -> Path:
    return Path(os.environ.get(RESULTS_ENV) or DEFAULT_RESULTS)


def load_json(path: Path) -> dict | None:
    """The file's JSON, or None when there is no file yet."""
    return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else None


def _main(results: dict) -> list[dict]:
    return [r for r in results["runs"] if r["role"] == "main"]


def _colours(results: dict) -> dict[str, str]:
    archs = sorted({r["arch"] for r in results["runs"]}, key=lambda a: (a != "bpe", a))
    return {a: SERIES[i % len(SERIES)] for i, a in enumerate(archs)}


def training_figure(results: dict) -> go.Figure:
    """Clean bits per byte against training FLOPs (log x): one line per architecture (seed-0 main runs),
    the LR sweep and second seeds as hollow markers at the smallest budget."""
    fig, colours = go.Figure(), _colours(results)
    for arch, colour in colours.items():
        pts = sorted((r for r in _main(results) if r["arch"] == arch), key=lambda r: r["budget_flops"])
        fig.add_trace(go.Scatter(x=[r["train_flops_spent"] for r in pts], y=[r["bpb"]["clean"] for r in pts],
                                 mode="lines+markers", name=arch, line={"color": colour},
                                 text=[r["name"] for r in pts], hovertemplate="%{text}<br>%{x:.3s}FLOP: %{y:.3f} bpb"))
        extra = [r for r in results["runs"] if r["arch"] == arch and r["role"] != "main"]
        if extra:
            fig.add_trace(go.Scatter(x=[r["train_flops_spent"] for r in extra], y=[r["bpb"]["clean"] for r in extra],
                                     mode="markers", name=f"{arch} (LR sweep, 2nd seed)", showlegend=False,
                                     marker={"color": colour, "symbol": "circle-open", "size": 9},
                                     text=[r["name"] for r in extra],
                                     hovertemplate="%{text}<br>%{x:.3s}FLOP: %{y:.3f} bpb"))
    top = max(r["train_flops_spent"] for r in _main(results))
    xs = np.geomspace(min(r["train_flops_spent"] for r in _main(results)), top * TREND_SPAN, 24)
    for arch, (a, alpha) in trends(results).items():
        fig.add_trace(go.Scatter(x=xs, y=a * (xs / 1e15) ** -alpha, mode="lines", name=f"{arch} trend",
                                 showlegend=False, line={"color": colours[arch], "dash": "dot", "width": 1},
                                 hovertemplate=f"{arch} power-law fit<br>%{{x:.3s}}FLOP: %{{y:.3f}} bpb<extra></extra>"))
    fig.update_layout(xaxis={"type": "log", "title": "training FLOPs (dotted: power-law fit, extended)"},
                      yaxis={"title": "bits per byte (clean)"}, **LAYOUT)
    return fig


def trends(results: dict) -> dict[str, tuple[float, float]]:
    """architecture -> (bpb at 1e15 training FLOPs, exponent) of a power law bpb = A * C**-alpha fitted
    to its main runs (least squares in log-log); only architectures with 3 or more budgets.

    >>> r = {"runs": [{"arch": "bpe", "role": "main", "train_flops_spent": c, "bpb": {"clean": 2 * (c / 1e15) ** -0.1}}
    ...               for c in (1e14, 1e15, 1e16)]}
    >>> [round(v, 3) for v in trends(r)["bpe"]]
    [2.0, 0.1]
    """
    out = {}
    for arch in {r["arch"] for r in _main(results)}:
        pts = [r for r in _main(results) if r["arch"] == arch]
        if len({r["train_flops_spent"] for r in pts}) >= 3:
            x = np.log10([r["train_flops_spent"] / 1e15 for r in pts])
            slope, icpt = np.polyfit(x, np.log10([r["bpb"]["clean"] for r in pts]), 1)
            out[arch] = (float(10 ** icpt), float(-slope))
    return out


def crossing(a: tuple[float, float], b: tuple[float, float]) -> float | None:
    """Training FLOPs where two fitted power laws meet, or None when they never do (equal exponents).

    >>> round(math.log10(crossing((2.0, 0.05), (1.0, 0.0))), 3)   # 2 * (C/1e15)**-0.05 = 1
    21.021
    """
    if a[1] == b[1]:
        return None
    return 1e15 * (a[0] / b[0]) ** (1 / (a[1] - b[1]))


def result_md(results: dict) -> str:
    """The result in words, from the JSON: who is lowest at each budget, the gap's direction, and where
    the fitted trends would meet (a 3-point fit: a direction, not a forecast)."""
    budgets = sorted({r["budget_flops"] for r in _main(results)})
    best = {b: min((r for r in _main(results) if r["budget_flops"] == b), key=lambda r: r["bpb"]["clean"])
            for b in budgets}
    winners = {best[b]["family"] for b in budgets}
    fits = trends(results)
    lines = []
    if winners == {"bpe"}:
        gap = {b: min(r["bpb"]["clean"] for r in _main(results) if r["budget_flops"] == b and r["family"] == "blt")
               - best[b]["bpb"]["clean"] for b in budgets}
        lines.append(f"**BPE wins at every budget here.** The best BLT is {gap[budgets[0]]:.3f} bits per byte "
                     f"behind at {budgets[0]:.0e} training FLOPs and {gap[budgets[-1]]:.3f} behind at "
                     f"{budgets[-1]:.0e}: the gap {'widens' if gap[budgets[-1]] > gap[budgets[0]] else 'narrows'} "
                     "as the budget grows.")
    else:
        lines.append("Lowest at each budget: " + ", ".join(f"{b:.0e}: {best[b]['arch']}" for b in budgets) + ".")
    lines.append(noise_md(results))
    if "bpe" in fits:
        for arch, fit in sorted(fits.items()):
            if arch == "bpe":
                continue
            c = crossing(fit, fits["bpe"])
            meets = (f"would meet BPE's near {c:.0e} training FLOPs" if c and c > budgets[-1]
                     else "would not meet BPE's at a larger budget")
            lines.append(f"- {arch}: bpb ∝ C^-{fit[1]:.3f} (BPE: C^-{fits['bpe'][1]:.3f}); at these slopes it {meets}.")
    return "\n\n".join(lines)


def noise_md(results: dict) -> str:
    """What each perturbation costs each architecture at the largest budget, in words, from the JSON."""
    deltas = noise_deltas(results)
    top = max(r["budget_flops"] for r in _main(results))
    archs = sorted({a for d in deltas.values() for a in d}, key=lambda a: (a != "bpe", a))
    kinds = ", ".join(k.replace("_", " ") for k in deltas)
    costs = "; ".join(f"{a} " + ", ".join(f"{deltas[k][a]:+.3f}" for k in deltas) for a in archs)
    line = f"Noise at {top:.0e} training FLOPs, bits per byte lost to {kinds}: {costs}."
    if "bpe" not in archs:
        return line
    blt_less = all(v < d["bpe"] for d in deltas.values() for a, v in d.items() if a != "bpe")
    noised = {a: [r["bpb"][k] for k in deltas] for r in _main(results) if r["budget_flops"] == top for a in [r["arch"]]}
    bpe_lower = all(x <= y for a, v in noised.items() if a != "bpe" for x, y in zip(noised["bpe"], v))
    return (line + (" Every BLT loses less than BPE to every kind of noise" if blt_less
                    else " BLT does not lose less than BPE to every kind of noise")
            + (", but BPE's bits per byte on noised text are still the lowest." if bpe_lower else "."))


def inference_figure(results: dict, *, with_entropy: bool) -> go.Figure:
    """Clean bits per byte against inference FLOPs per byte of each main run (entropy model counted or not)."""
    key = "inference_flops_per_byte_with_entropy" if with_entropy else "inference_flops_per_byte"
    fig = go.Figure()
    for arch, colour in _colours(results).items():
        pts = [r for r in _main(results) if r["arch"] == arch]
        fig.add_trace(go.Scatter(x=[r[key] for r in pts], y=[r["bpb"]["clean"] for r in pts], mode="markers",
                                 name=arch, marker={"color": colour, "size": 10}, text=[r["name"] for r in pts],
                                 hovertemplate="%{text}<br>%{x:.3s}FLOP/byte: %{y:.3f} bpb"))
    title = "inference FLOPs per byte" + (" (entropy model included)" if with_entropy else " (model only)")
    fig.update_layout(xaxis={"type": "log", "title": title}, yaxis={"title": "bits per byte (clean)"}, **LAYOUT)
    return fig


def noise_deltas(results: dict) -> dict[str, dict[str, float]]:
    """noise kind -> architecture -> bpb(noised) - bpb(clean), for the main runs at the largest budget."""
    top = max(r["budget_flops"] for r in _main(results))
    out: dict[str, dict[str, float]] = {}
    for r in _main(results):
        if r["budget_flops"] == top:
            for kind, v in r["bpb"].items():
                if kind != "clean":
                    out.setdefault(kind, {})[r["arch"]] = v - r["bpb"]["clean"]
    return out


def noise_figure(results: dict) -> go.Figure:
    fig, deltas = go.Figure(), noise_deltas(results)
    for arch, colour in _colours(results).items():
        kinds = [k for k in deltas if arch in deltas[k]]
        fig.add_trace(go.Bar(x=kinds, y=[deltas[k][arch] for k in kinds], name=arch, marker_color=colour,
                             hovertemplate=f"{arch}<br>%{{x}}: %{{y:+.3f}} bpb<extra></extra>"))
    fig.update_layout(barmode="group", yaxis={"title": "bpb noised − bpb clean"}, **LAYOUT)
    return fig


def runs_table(results: dict) -> list[dict]:
    """One row per run: what it is, its size and FLOPs, bytes per patch or token, bits per byte."""
    rows = []
    for r in results["runs"]:
        rows.append({
            "run": r["name"], "architecture": r["arch"], "role": r["role"], "seed": r["seed"], "lr": r["lr"],
            "parameters": r["parameters"], "training FLOPs": r["train_flops_spent"],
            "inference FLOPs/byte": r["inference_flops_per_byte"],
            "inference FLOPs/byte incl. entropy model": r["inference_flops_per_byte_with_entropy"],
            "bytes per patch or token": r["bytes_per_unit_measured"], "steps": r["steps"],
            "bpb clean": r["bpb"]["clean"], "as planned": r.get("matches_plan", True),
            **{f"bpb {k}": v for k, v in r["bpb"].items() if k != "clean"},
        })
    return rows


def script_table(results: dict) -> list[dict]:
    """Clean bits per byte per script, one row per main run."""
    return [{"run": r["name"], **{k: round(v, 3) for k, v in r["bpb_by_script"].get("clean", {}).items()}}
            for r in _main(results)]


def paper_pairs() -> list[dict]:
    """The paper's inference-FLOP-matched pairs (Table 2), as the FLOP accountant holds them."""
    return [{"FLOPs per byte": flops.PAPER_FLOPS_PER_BYTE, "BPE parameters": p["bpe_params"],
             "BLT patch size": p["patch_size"], "BLT parameters": p["blt_params"]} for p in flops.PAPER_PAIRS]


def paper_noise(path: Path = PAPER_TABLE3) -> tuple[list[dict], str]:
    """The paper's Table 3 rows (task, BPE, BLT) and their source line."""
    t = load_json(path) or {"rows": [], "source": "(paper figures missing)"}
    rows = [{"task": r["task"], "Llama 3 (BPE)": r["bpe"], "BLT": r["blt"]} for r in t["rows"]]
    return rows, f"{t['source']}. {t.get('setting', '')}. {t.get('note', '')}"


def summary_md(results: dict) -> str:
    """Which architecture has the lowest clean bits per byte at each budget, in words, from the JSON."""
    lines = []
    for b in sorted({r["budget_flops"] for r in _main(results)}):
        at = sorted((r for r in _main(results) if r["budget_flops"] == b), key=lambda r: r["bpb"]["clean"])
        ranking = ", ".join(f"{r['arch']} {r['bpb']['clean']:.3f}" for r in at)
        lines.append(f"- {b:.1e} training FLOPs: {ranking} (bits per byte, lowest first)")
    return "\n".join(lines)
