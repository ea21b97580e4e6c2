"""Bits per byte of one trained run on the evaluation set: clean, each noise variant, per script.

    python -m blt_core.evidence.evaluate --run runs/evidence/<name> --evalset data/evidence/evalset.json

Each document is read as BOS + its units (bytes, or BPE tokens), in consecutive windows of the
run's training context (`seq_len` units; no state carried between windows, the same for both
families), and every unit is a target: bits per byte = the summed negative log2-likelihood of
the document's units / its UTF-8 bytes. Writes `<run>/results.json`.
"""

from __future__ import annotations

import argparse
import json
import math
from pathlib import Path

import torch
import torch.nn.functional as F

from blt_core.backends import load_weights
from blt_core.checkpoints import sha256_file
from blt_core.constants import BOS_ID, OFFSET
from blt_core.evidence.evalset import SCRIPTS
from blt_core.evidence.patch_rules import starts_function
from blt_core.evidence.train import WEIGHTS, build_model
from blt_core.train.common import autocast


def unit_ids(spec: dict, variant: dict) -> list[int]:
    """BOS + the document's units: BPE token ids, or bytes + OFFSET.

    >>> unit_ids({"family": "blt"}, {"text": "ab", "tokens": None})
    [1, 101, 102]
    """
    if spec["family"] == "bpe":
        return [BOS_ID, *variant["tokens"]]
    return [BOS_ID, *(b + OFFSET for b in variant["text"].encode("utf-8"))]


@torch.no_grad()
def document_bits(forward, model, ids: list[int], seq_len: int, device: torch.device) -> tuple[float, int]:
    """(summed bits over every unit after BOS, patches or tokens read) in windows of seq_len inputs."""
    t = torch.tensor([ids], device=device)
    bits, steps = 0.0, 0
    for a in range(0, len(ids) - 1, seq_len):
        x, y = t[:, a:a + seq_len], t[:, a + 1:a + seq_len + 1]
        x = x[:, :y.shape[1]]
        with autocast(device):
            logits, units = forward(model, x)
        bits += F.cross_entropy(logits[0].float(), y[0], reduction="sum").item() / math.log(2)
        steps += units
    return bits, steps


def counting_forward(spec: dict, device: torch.device):
    """forward(model, x) -> (logits, global steps over x's units): patches for a BLT, tokens for BPE."""
    if spec["family"] == "bpe":
        return lambda m, x: (m(x), int((x != BOS_ID).sum()))
    starts = starts_function(spec["patching"], device)

    def fwd(m, x):
        s = starts(x)
        return m(x, s), int((s & (x != BOS_ID)).sum())  # BOS's own patch carries no byte
    return fwd


def evaluate(run_dir: Path, evalset: dict, *, device: torch.device | None = None) -> dict:
    """The run's results (see module docstring)."""
    device = device or torch.device("cuda" if torch.cuda.is_available() else "cpu")
    summary = json.loads((run_dir / "config.json").read_text())
    spec = summary["run"]
    model = load_weights(build_model(spec), run_dir / WEIGHTS).to(device).eval()
    forward = counting_forward(spec, device)
    totals: dict[str, dict[str, list[float]]] = {}
    for doc in evalset["docs"]:
        for name, variant in doc["variants"].items():
            n_bytes = len(variant["text"].encode("utf-8"))
            if not n_bytes:
                continue
            bits, units = document_bits(forward, model, unit_ids(spec, variant), spec["seq_len"], device)
            for key in ("all", doc["script"]):
                acc = totals.setdefault(name, {}).setdefault(key, [0.0, 0, 0])
                acc[0], acc[1], acc[2] = acc[0] + bits, acc[1] + n_bytes, acc[2] + units
    clean = totals["clean"]["all"]
    return {
        "name": spec["name"], "arch": spec["arch"], "family": spec["family"],
        "bpb": {v: t["all"][0] / t["all"][1] for v, t in totals.items()},
        "bpb_by_script": {v: {s: t[s][0] / t[s][1] for s in SCRIPTS if s in t} for v, t in totals.items()},
        "bytes": {v: t["all"][1] for v, t in totals.items()},
        "bytes_per_unit": clean[1] / max(1, clean[2]),  # bytes per patch (BLT) or per token (BPE), clean text
        "documents": len(evalset["docs"]), "evalset_source_sha256": evalset["source_sha256"],
        "evalset_noise": evalset["noise"], "steps": summary["steps"], "done": summary["done"],
    }


def main(argv=None) -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--run", required=True, help="a blt_core.evidence.train --out folder")
    p.add_argument("--evalset", default="data/evidence/evalset.json")
    a = p.parse_args(argv)
    run = Path(a.run)
    res = evaluate(run, json.loads(Path(a.evalset).read_text()))
    res["evalset_sha256"] = sha256_file(a.evalset)
    (run / "results.json").write_text(json.dumps(res, indent=2))
    print(json.dumps({k: res[k] for k in ("name", "bpb", "bytes_per_unit")}, indent=2))


if __name__ == "__main__":
    main()
