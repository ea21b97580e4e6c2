"""Several entropy-model ONNX graphs of one architecture, timed side by side on 4 KB (2 cores).

    python -m bench.bench_onnx_ab assets/entropy_model.onnx assets/blt_generator_entropy.onnx OLD.onnx \
        --out bench/results/onnx_ab.json

Each graph runs `score_bytes` over the same 4 KB of text in turn, --repeats rounds, the first two
dropped as warm-up; the medians tell a graph's cost apart from the machine's speed that day (a shared
2-core machine varied by 1.5x between sessions). E.g. the shipped model against the previous one
(same shape) and against a graph from before weights moved to ONNX external data
(`git show 028a14c~1:assets/entropy_model.onnx > OLD.onnx`).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import time
from pathlib import Path

from blt_core.backends import onnx_session
from blt_core.checkpoints import load_card
from blt_core.entropy.onnx_scorer import OnnxEntropyModel
from blt_core.entropy.scoring import score_bytes

ROOT = Path(__file__).resolve().parents[1]


def main(argv=None) -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("graphs", nargs="+")
    p.add_argument("--repeats", type=int, default=17)
    p.add_argument("--out")
    a = p.parse_args(argv)
    m = OnnxEntropyModel.from_card(load_card(ROOT / "assets" / "entropy_model.json"))  # the scorer; sessions swap
    sessions = {g: onnx_session(g) for g in a.graphs}
    data = ((ROOT / "README.md").read_bytes() * 3)[:4096]
    times = {g: [] for g in a.graphs}
    for _ in range(a.repeats):
        for g, s in sessions.items():
            m.session = s
            t = time.perf_counter()
            score_bytes(m.score_chunk, data, window=m.window)
            times[g].append(round(time.perf_counter() - t, 4))
    result = {"benchmark": "onnx_ab", "bytes": len(data), "cpus": os.cpu_count(), "repeats": a.repeats,
              "load_average_1min": os.getloadavg()[0], "time": time.strftime("%Y-%m-%dT%H:%M:%S"),
              "median_ms": {g: round(statistics.median(v[2:]) * 1000, 1) for g, v in times.items()}, "runs": times}
    print(json.dumps(result["median_ms"], indent=1))
    if a.out:
        Path(a.out).write_text(json.dumps(result, indent=1) + "\n")


if __name__ == "__main__":
    main()
