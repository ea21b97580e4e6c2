"""Several entropy-model ONNX graphs (any shapes and windows), timed side by side on 4 KB (2 cores;
--bytes 102400 for 100 KB).

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

from blt_core.entropy.onnx_scorer import OnnxEntropyModel
from blt_core.entropy.scoring import score_bytes

ROOT = Path(__file__).resolve().parents[1]


def _window(graph: str) -> int:
    """The attention window a graph was exported with: past_kv's fifth axis."""
    import onnx

    past = next(i for i in onnx.load(graph, load_external_data=False).graph.input if i.name == "past_kv")
    return past.type.tensor_type.shape.dim[4].dim_value


def time_graphs(graphs: list[str], data: bytes, *, repeats: int) -> dict[str, list[float]]:
    """Seconds of score_bytes over `data` per graph, graphs taking turns each round (any shapes:
    each graph gets its own scorer, n-gram graphs their context)."""
    models = {g: OnnxEntropyModel(g, window=_window(g)) for g in graphs}
    times = {g: [] for g in graphs}
    for _ in range(repeats):
        for g, m in models.items():
            t = time.perf_counter()
            score_bytes(m.score_chunk, data, window=m.window, context=m.context)
            times[g].append(round(time.perf_counter() - t, 4))
    return times


def medians_ms(times: dict[str, list[float]]) -> dict[str, float]:
    """Median per graph without the first two rounds (warm-up)."""
    return {g: round(statistics.median(v[2:]) * 1000, 1) for g, v in times.items()}


def main(argv=None) -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("graphs", nargs="+")
    p.add_argument("--repeats", type=int, default=17)
    p.add_argument("--bytes", type=int, default=4096, help="text length scored (README.md repeated)")
    p.add_argument("--out")
    a = p.parse_args(argv)
    readme = (ROOT / "README.md").read_bytes()
    data = (readme * (a.bytes // len(readme) + 1))[:a.bytes]
    times = time_graphs(a.graphs, data, repeats=a.repeats)
    result = {"benchmark": "onnx_ab", "bytes": len(data), "cpus": os.cpu_count(), "repeats": a.repeats,
              "load_average_1min": os.getloadavg()[0], "time": time.strftime("%Y-%m-%dT%H:%M:%S"),
              "median_ms": medians_ms(times), "runs": times}
    print(json.dumps(result["median_ms"], indent=1))
    if a.out:
        Path(a.out).write_text(json.dumps(result, indent=1) + "\n")


if __name__ == "__main__":
    main()
