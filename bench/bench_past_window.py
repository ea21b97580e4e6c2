"""Does an entropy model still work past its first window? Held-out bytes scored inside a long
document against the same bytes scored fresh (issue 13, entropy8).

    python -m bench.bench_past_window assets/entropy_model.json CANDIDATE.json --out RESULT.json

For every held-out text document of at least START + SPAN bytes (the committed subset), the bytes
START + SKIP .. START + SPAN are scored twice with the served chunked scoring: inside the whole
document (their window holds 511 bytes of it and no document start), and as a fresh document
that starts at START (the same bytes now sit within the first window, after a BOS, with only
SKIP bytes of context). A model that reads its sliding window well does better inside the
document, which gives it more context; one that leans on the row's first byte (it trained only
on rows as long as its window) does far worse there. entropy8's t3n112d: 2.36 bits per byte
inside, 1.61 fresh; the shipped entropy6-s192: 1.55 and 1.66.
"""

from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path

import numpy as np

import blt_core
from bench.bench_model import eval_docs

ROOT = Path(__file__).resolve().parents[1]
START, SKIP, SPAN = 2000, 100, 511


def spans(docs: list[dict], *, every: int = 3) -> list[bytes]:
    """Every `every`-th held-out text document long enough for the span."""
    long = [d["data"] for d in docs if d.get("kind") != "binary" and len(d["data"]) >= START + SPAN]
    return long[::every]


def past_window(card: str, docs: list[bytes], *, backend: str = "onnx") -> dict:
    """Mean bits per byte of the span inside each document and scored fresh from START."""
    inside = fresh = 0.0
    for data in docs:
        inside += float(blt_core.score(data, model=card, backend=backend).surprisal[START + SKIP:START + SPAN].sum())
        fresh += float(blt_core.score(data[START:START + SPAN], model=card, backend=backend).surprisal[SKIP:].sum())
    n = len(docs) * (SPAN - SKIP)
    return {"card": card, "inside_bpb": round(inside / n, 4), "fresh_bpb": round(fresh / n, 4)}


def main(argv=None) -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("cards", nargs="+", help="model card JSON files")
    p.add_argument("--backend", default="onnx", choices=("onnx", "torch"))
    p.add_argument("--out", type=Path)
    a = p.parse_args(argv)
    docs = spans(eval_docs())
    r = {"benchmark": "past_window", "documents": len(docs), "start": START, "skip": SKIP, "span": SPAN,
         "cpus": os.cpu_count(), "time": time.strftime("%Y-%m-%dT%H:%M:%S"),
         "models": [past_window(c, docs, backend=a.backend) for c in a.cards]}
    print(json.dumps(r["models"], indent=1))
    if a.out:
        a.out.write_text(json.dumps(r, indent=1) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
