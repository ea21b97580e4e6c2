"""Two entropy-model cards on the committed held-out subset: how often their patch starts agree.

    python -m bench.bench_card_agreement REFERENCE.json OTHER.json --out RESULT.json

Meant for one model stored two ways (entropy10: c_n112_lr2 with float16 n-gram tables against the
same weights with int8 tables, `EntropyModel.quantize_tables`): every document of
assets/eval/heldout_eval.jsonl (text and binary) is scored by both with ONNX, and a byte counts as
agreeing when both put a patch start there, or both do not, at the reference card's calibrated
threshold. Reports that share (issue 13 asks >= 99% of a quantized path), the largest entropy
difference and the text bits per byte of each.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np

import blt_core
from blt_core.train.finalize_entropy import load_eval

ROOT = Path(__file__).resolve().parents[1]
EVAL = ROOT / "assets" / "eval" / "heldout_eval.jsonl"


def agreement(reference: str, other: str, docs: list[dict]) -> dict:
    """Patch-start agreement at the reference's threshold, max |entropy difference|, text bits/byte;
    docs as finalize_entropy.load_eval gives them (each with its bytes in "data")."""
    threshold = json.loads(Path(reference).read_text())["defaults"]["threshold"]
    same = total = 0
    max_diff = 0.0
    bits = {reference: 0.0, other: 0.0}
    text_bytes = 0
    for d in docs:
        data = d["data"]
        a, b = (blt_core.score(data, model=c, backend="onnx") for c in (reference, other))
        same += int(((a.entropies > threshold) == (b.entropies > threshold)).sum())
        total += len(data)
        max_diff = max(max_diff, float(np.abs(a.entropies - b.entropies).max()))
        if d.get("kind") != "binary":
            bits[reference] += float(a.surprisal.sum())
            bits[other] += float(b.surprisal.sum())
            text_bytes += len(data)
    return {"threshold": threshold, "bytes": total, "patch_starts_agree": round(same / total, 6),
            "max_entropy_diff_nats": round(max_diff, 5),
            "text_bpb": {c: round(v / text_bytes, 4) for c, v in bits.items()}}


def main(argv=None) -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("reference")
    p.add_argument("other")
    p.add_argument("--out", type=Path)
    a = p.parse_args(argv)
    docs = load_eval(EVAL)
    r = {"benchmark": "card_agreement", "reference": a.reference, "other": a.other,
         "time": time.strftime("%Y-%m-%dT%H:%M:%S"), **agreement(a.reference, a.other, docs)}
    print(json.dumps(r, indent=1))
    if a.out:
        a.out.write_text(json.dumps(r, indent=1) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
