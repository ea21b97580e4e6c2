"""Host work of score_bytes alone (issue 14): what a GPU waits for between its batches.

    python -m bench.bench_score_host --out bench/results/score_host.json

The shape of bench_gpu's end-to-end row (8 MB in 128 newline-separated streams, chunks of 8,192
bytes, every stream in one batch) with a scorer that returns zeros at once, so the seconds are the
host's: segment inputs, batches, targets, carried pasts (zeros, host-side) and results. With --compare
FILE it also times another copy of scoring.py (e.g. an older commit's, `git show REV:blt_core/entropy/
scoring.py > FILE`) in the same run, alternating, median of --repeats each.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import statistics
import time
from pathlib import Path

import numpy as np

from bench.bench_gpu import corpus, streams_of
from blt_core.entropy import scoring


def _zeros_scorer(layers: int = 4, heads: int = 3, window: int = 512, head_dim: int = 64):
    def score_chunk(ids, targets, start_pos, past_kv, has_past, top_k, **_):
        B, L = ids.shape
        return (np.zeros((B, L), np.float32), np.zeros((B, L), np.float32), None,
                np.zeros((layers, 2, B, heads, window, head_dim), np.float32))
    return score_chunk


def _stack(pasts, axis):
    return np.zeros((4, 2, len(pasts), 3, 512, 64), np.float32)


def seconds(module, data: bytes) -> float:
    t = time.perf_counter()
    module.score_bytes(_zeros_scorer(), data, window=512, chunk_tokens=8192, batch_tokens=8192 * 128,
                       newline_reset=True, stack=_stack)
    return time.perf_counter() - t


def main(argv=None) -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--mb", type=float, default=8.0)
    p.add_argument("--repeats", type=int, default=7)
    p.add_argument("--compare", help="another scoring.py to time beside the current one")
    p.add_argument("--out")
    a = p.parse_args(argv)
    data = streams_of(corpus(int(a.mb * 1e6)), 128)
    variants = {"current": scoring}
    if a.compare:
        spec = importlib.util.spec_from_file_location("scoring_compare", a.compare)
        other = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(other)
        variants["compare"] = other
    times = {k: [] for k in variants}
    for m in variants.values():
        seconds(m, data)  # warm-up
    for _ in range(a.repeats):
        for k, m in variants.items():
            times[k].append(seconds(m, data))
    out = {"benchmark": "score_host", "bytes": len(data), "streams": 128, "chunk_tokens": 8192,
           "cpus": os.cpu_count(), "load_average_1min": os.getloadavg()[0], "repeats": a.repeats,
           "compare": a.compare,
           "median_seconds": {k: round(statistics.median(v), 4) for k, v in times.items()},
           "runs": {k: [round(x, 4) for x in v] for k, v in times.items()}}
    print(json.dumps(out, indent=1))
    if a.out:
        Path(a.out).write_text(json.dumps(out, indent=1) + "\n")


if __name__ == "__main__":
    main()
