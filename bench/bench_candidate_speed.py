"""How fast would an entropy-model shape score on this CPU? Random weights of each candidate shape,
exported to ONNX, timed side by side with the shipped graph (issue 13: 4 KB <= 150 ms, 100 KB <= 3 s).

    python -m bench.bench_candidate_speed --out bench/results/candidate_speed.json

Speed does not depend on the weights, so a shape can be timed before a GPU trains it: this is what
decides which shapes are worth the GPU time. Each size runs every graph in turn, --repeats rounds,
the first two dropped (bench_onnx_ab.time_graphs). Each time is also given as a share of this
machine's fp32 matmul peak, measured in the same run through ONNX Runtime (model FLOPs per byte
from blt_core.flops at a full window, over the time; attention's masked half-block not counted).
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
from pathlib import Path

from bench.bench_onnx_ab import medians_ms, time_graphs

ROOT = Path(__file__).resolve().parents[1]


def ngram_shape(hidden: int, heads: int, mlp: int, **extra) -> dict:
    """EntropyModelConfig fields of a 4-layer shape with entropy7's 2..6-gram tables of 8,191 rows.

    >>> ngram_shape(96, 2, 256)["ngram_buckets"], ngram_shape(96, 2, 256, window=256)["window"]
    (8191, 256)
    """
    return dict(hidden_size=hidden, num_hidden_layers=4, num_attention_heads=heads, intermediate_size=mlp,
                ngram_sizes=(2, 3, 4, 5, 6), ngram_buckets=8191, **extra)


# name -> EntropyModelConfig fields; n112 and n96 were trained by bench/results/entropy7/run.sh
SHAPES = {
    "n128 (128x4, 2 heads, MLP 384, n-grams 2-6 x 8191)": ngram_shape(128, 2, 384),
    "n112 (112x4, 2 heads, MLP 320, n-grams 2-6 x 8191)": ngram_shape(112, 2, 320),
    "n96 (96x4, 2 heads, MLP 256, n-grams 2-6 x 8191)": ngram_shape(96, 2, 256),
    "n192 (the shipped 192x4 plus n-grams 2-6 x 8191)": ngram_shape(192, 3, 512),
    "n128-w256 (n128 with a 256-byte window)": ngram_shape(128, 2, 384, window=256),
    "m112 (n112 with match inputs of orders 6, 12, 24)": ngram_shape(112, 2, 320, match_orders=(6, 12, 24)),
    "m112-4 (n112 with match inputs of orders 4, 8, 16, 32)": ngram_shape(112, 2, 320, match_orders=(4, 8, 16, 32)),
}


def export_shape(fields: dict, out: Path) -> Path:
    from blt_core.entropy.export import export
    from blt_core.entropy.model import EntropyModel, EntropyModelConfig

    return export(EntropyModel(EntropyModelConfig(**{"window": 512, **fields})).init_weights(seed=0), out)


def matmul_peak_gflops(n: int = 1024, repeats: int = 20) -> float:
    """This machine's fp32 matmul rate through ONNX Runtime's own kernels (2 threads as the scorer):
    the best of `repeats` (n x n) @ (n x n) products, in GFLOP/s."""
    import numpy as np
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    from blt_core.backends import onnx_session

    b = numpy_helper.from_array(np.random.default_rng(0).standard_normal((n, n)).astype(np.float32), "b")
    graph = helper.make_graph([helper.make_node("MatMul", ["a", "b"], ["y"])], "peak",
                              [helper.make_tensor_value_info("a", TensorProto.FLOAT, [n, n])],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, [n, n])], [b])
    path = Path(tempfile.mkdtemp()) / "peak.onnx"
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 18)]), str(path))
    session, a = onnx_session(path), np.ones((n, n), dtype=np.float32)
    best = float("inf")
    for _ in range(repeats):
        t = time.perf_counter()
        session.run(["y"], {"a": a})
        best = min(best, time.perf_counter() - t)
    return 2 * n ** 3 / best / 1e9


def flops_per_byte(fields: dict) -> float:
    """Model FLOPs per byte once the window is full (blt_core.flops; n-gram lookups cost none)."""
    from blt_core.entropy.model import EntropyModelConfig
    from blt_core.flops.generator import entropy_byte_flops

    cfg = EntropyModelConfig(**{"window": 512, **fields}).to_dict()
    return float(entropy_byte_flops(cfg, cfg["window"]))


def main(argv=None) -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--repeats", type=int, default=9)
    p.add_argument("--sizes", default="4096,102400", help="input sizes in bytes")
    p.add_argument("--shapes", default="", help="comma-separated short names to time (e.g. n112,m112); default all")
    p.add_argument("--out")
    a = p.parse_args(argv)
    work = Path(tempfile.mkdtemp())
    graphs = {"shipped": str(ROOT / "assets" / "entropy_model.onnx")}
    wanted = set(filter(None, a.shapes.split(",")))
    shapes = {k: v for k, v in SHAPES.items() if not wanted or k.split()[0] in wanted}
    for i, (name, fields) in enumerate(shapes.items()):
        graphs[name] = str(export_shape(fields, work / f"shape{i}.onnx"))
    shipped = json.loads((ROOT / "assets" / "entropy_model.json").read_text())["config"]
    flops = {"shipped": flops_per_byte(shipped), **{k: flops_per_byte(v) for k, v in shapes.items()}}
    peak = matmul_peak_gflops()
    print(f"fp32 matmul peak {peak:.1f} GFLOP/s", flush=True)
    text = (ROOT / "README.md").read_bytes()
    rows = []
    for n in (int(x) for x in a.sizes.split(",")):
        data = (text * (n // len(text) + 1))[:n]
        med = medians_ms(time_graphs(list(graphs.values()), data, repeats=a.repeats))
        ms = {k: med[g] for k, g in graphs.items()}
        rows.append({"bytes": n, "median_ms": ms,
                     "share_of_matmul_peak": {k: round(n * flops[k] / (ms[k] / 1000) / 1e9 / peak, 3) for k in ms}})
        print(json.dumps(rows[-1]), flush=True)
    result = {"benchmark": "candidate_speed", "cpus": os.cpu_count(), "repeats": a.repeats,
              "load_average_1min": os.getloadavg()[0], "time": time.strftime("%Y-%m-%dT%H:%M:%S"),
              "targets_ms": {"4096": 150, "102400": 3000}, "fp32_matmul_peak_gflops": round(peak, 1),
              "model_flops_per_byte": flops, "shapes": shapes, "rows": rows}
    if a.out:
        Path(a.out).write_text(json.dumps(result, indent=1) + "\n")


if __name__ == "__main__":
    main()
