"""Newline reset against a plain pass on 4 KB texts (ONNX, all cores), measured side by side.

    python -m bench.bench_newline_reset          # writes bench/results/newline_reset.json

Issue 12's target: newline reset on any 4 KB text costs at most 1.5x a plain pass. Lines are
packed into shared rows (entropy/scoring.pack_rows); `--before` also times the unpacked path
(every line alone, padded to a window: what newline reset cost before packing), once per text
since it is slow. Each text's plain and reset runs alternate, median of --repeats. Texts: short
lines, `\\x00\\n` patterns, prose with lines longer than the 512-byte window, code, and lines of
exactly 511/512/513 bytes (the window's edges).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import time
from pathlib import Path

import numpy as np

from blt_core.checkpoints import load_card
from blt_core.entropy.onnx_scorer import OnnxEntropyModel
from blt_core.entropy.scoring import score_bytes

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench" / "results" / "newline_reset.json"
SIZE = 4096


def _cut(data: bytes) -> bytes:
    while len(data) < SIZE:
        data += data
    return data[:SIZE]


def texts() -> dict[str, bytes]:
    rng = np.random.default_rng(0)
    words = (ROOT / "assets" / "samples" / "english.txt").read_bytes().split()
    short = b"\n".join(b" ".join(rng.choice(words, int(rng.integers(1, 4)))) for _ in range(600))
    prose = _cut(b" ".join(words) + b" ")  # the sample's words with its line breaks removed
    cuts = np.cumsum([0, 700, 1300, 600])  # lines of 700, 1,300, 600 and the rest: all over the window
    long_lines = b"\n".join(prose[i:j] for i, j in zip(cuts, [*cuts[1:], SIZE]))
    edges = b"".join(bytes(rng.integers(97, 123, n - 1, dtype=np.uint8)) + b"\n" for n in (511, 512, 513) * 3)
    return {"short lines": _cut(short), "\\x00\\n patterns": _cut(b"\x00\n"),
            "prose, long lines": _cut(long_lines), "code": _cut((ROOT / "assets" / "samples" / "code.py").read_bytes()),
            "lines of 511/512/513 bytes": _cut(edges)}


def main(argv=None) -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--repeats", type=int, default=7)
    p.add_argument("--before", action="store_true", help="also time the unpacked path once per text (slow)")
    p.add_argument("--out", default=str(OUT))
    a = p.parse_args(argv)
    m = OnnxEntropyModel.from_card(load_card())
    rows = []
    for name, data in texts().items():
        kw = dict(window=m.window)
        score_bytes(m.score_chunk, data, newline_reset=True, **kw)  # warm-up
        times: dict[str, list[float]] = {"plain": [], "newline_reset": []}
        for _ in range(a.repeats):
            for key, reset in (("plain", False), ("newline_reset", True)):
                t = time.perf_counter()
                score_bytes(m.score_chunk, data, newline_reset=reset, **kw)
                times[key].append(time.perf_counter() - t)
        row = {"text": name, "bytes": len(data), "lines": data.count(b"\n") + 1,
               "plain_s": statistics.median(times["plain"]), "newline_reset_s": statistics.median(times["newline_reset"])}
        row["ratio"] = row["newline_reset_s"] / row["plain_s"]
        if a.before:
            t = time.perf_counter()
            score_bytes(m.score_chunk, data, newline_reset=True, pack=False, **kw)
            row["unpacked_newline_reset_s"] = time.perf_counter() - t
        rows.append(row)
        print(json.dumps(row))
    result = {"what": "score_bytes on the shipped entropy model (ONNX), 4 KB texts, plain vs newline_reset "
                      "(lines packed into shared rows); median of repeats, alternating",
              "target": "newline_reset <= 1.5x plain on any 4 KB text", "repeats": a.repeats,
              "max_ratio": max(r["ratio"] for r in rows), "met": all(r["ratio"] <= 1.5 for r in rows),
              "cpus": os.cpu_count(), "load_average_1min": os.getloadavg()[0], "machine": platform.machine(),
              "rows": rows}
    Path(a.out).write_text(json.dumps(result, indent=2) + "\n")
    print(Path(a.out))


if __name__ == "__main__":
    main()
