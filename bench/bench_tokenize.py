"""Tokenize 1 MB of mixed multilingual text with all four BPE tokenizers.

Median of 5 runs each (after one warm-up that also loads the rank files); prints a
table and writes bench/results/tokenize.json. Target: all four under 1 s in total.

    python -m bench.bench_tokenize    (from the repository root)
"""

from __future__ import annotations

import json
import os
import platform
import statistics
import time
from pathlib import Path

from blt_core import bpe
from blt_core.segments import load_samples

TARGET_BYTES = 1_000_000
RUNS = 5
OUT = Path(__file__).resolve().parent / "results" / "tokenize.json"


def build_corpus(target: int = TARGET_BYTES) -> bytes:
    """The shipped samples, cycled in index order, cut to `target` bytes at a sample end."""
    pieces = [data for data, _ in load_samples().values()]
    out, i = [], 0
    size = 0
    while size < target:
        out.append(pieces[i % len(pieces)])
        size += len(pieces[i % len(pieces)]) + 1
        i += 1
    return b"\n".join(out)


def main() -> None:
    data = build_corpus()
    rows = []
    for name in bpe.TOKENIZERS:
        t0 = time.perf_counter()
        seg = bpe.tokenize(data, tokenizer=name)  # warm-up: loads and caches the encoder
        load_s = time.perf_counter() - t0
        times = []
        for _ in range(RUNS):
            t0 = time.perf_counter()
            bpe.tokenize(data, tokenizer=name)
            times.append(time.perf_counter() - t0)
        rows.append({"tokenizer": name, "median_s": statistics.median(times),
                     "first_call_s": load_s, "n_tokens": seg.n_tokens,
                     "bytes_per_token": seg.bytes_per_token})
    total = sum(r["median_s"] for r in rows)
    print(f"{len(data):,} bytes, median of {RUNS} runs, cpus={os.cpu_count()}")
    print(f"{'tokenizer':<10}{'median s':>10}{'first s':>10}{'tokens':>10}{'B/token':>9}")
    for r in rows:
        print(f"{r['tokenizer']:<10}{r['median_s']:>10.3f}{r['first_call_s']:>10.3f}"
              f"{r['n_tokens']:>10,}{r['bytes_per_token']:>9.2f}")
    print(f"{'total':<10}{total:>10.3f}   (target < 1 s)")
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps({
        "n_bytes": len(data), "runs": RUNS, "cpu_count": os.cpu_count(),
        "machine": platform.machine(), "python": platform.python_version(),
        "rows": rows, "total_median_s": total, "target_s": 1.0,
    }, indent=2) + "\n")


if __name__ == "__main__":
    main()
