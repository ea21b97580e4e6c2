"""How fast would an entropy-model shape score on this CPU? Random weights of each candidate shape,
exported to ONNX, timed side by side with the shipped graph (issue 13: 4 KB <= 150 ms, 100 KB <= 3 s).

    python -m bench.bench_candidate_speed --out bench/results/candidate_speed.json

Speed does not depend on the weights, so a shape can be timed before a GPU trains it: this is what
decides which shapes are worth the GPU time. Each size runs every graph in turn, --repeats rounds,
the first two dropped (bench_onnx_ab.time_graphs).
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
# name -> EntropyModelConfig fields; n128 and n192 are bench/results/entropy7/run.sh's candidates
SHAPES = {
    "n128 (128x4, 2 heads, MLP 384, n-grams 2-6 x 16381)": dict(hidden_size=128, num_hidden_layers=4,
                                                                num_attention_heads=2, intermediate_size=384,
                                                                ngram_sizes=(2, 3, 4, 5, 6), ngram_buckets=16381),
    "n192 (the shipped 192x4 plus n-grams 2-6 x 16381)": dict(hidden_size=192, num_hidden_layers=4,
                                                              num_attention_heads=3, intermediate_size=512,
                                                              ngram_sizes=(2, 3, 4, 5, 6), ngram_buckets=16381),
    "n128-w256 (n128 with a 256-byte window)": dict(hidden_size=128, num_hidden_layers=4, num_attention_heads=2,
                                                   intermediate_size=384, window=256, ngram_sizes=(2, 3, 4, 5, 6),
                                                   ngram_buckets=16381),
    "n96 (96x4, 2 heads, MLP 256, n-grams 2-6 x 16381)": dict(hidden_size=96, num_hidden_layers=4,
                                                               num_attention_heads=2, intermediate_size=256,
                                                               ngram_sizes=(2, 3, 4, 5, 6), ngram_buckets=16381),
}


def export_shape(fields: dict, out: Path) -> Path:
    from blt_core.entropy.export import export
    from blt_core.entropy.model import EntropyModel, EntropyModelConfig

    return export(EntropyModel(EntropyModelConfig(**{"window": 512, **fields})).init_weights(seed=0), out)


def main(argv=None) -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--repeats", type=int, default=9)
    p.add_argument("--sizes", default="4096,102400", help="input sizes in bytes")
    p.add_argument("--out")
    a = p.parse_args(argv)
    work = Path(tempfile.mkdtemp())
    graphs = {"shipped": str(ROOT / "assets" / "entropy_model.onnx")}
    for i, (name, fields) in enumerate(SHAPES.items()):
        graphs[name] = str(export_shape(fields, work / f"shape{i}.onnx"))
    text = (ROOT / "README.md").read_bytes()
    rows = []
    for n in (int(x) for x in a.sizes.split(",")):
        data = (text * (n // len(text) + 1))[:n]
        med = medians_ms(time_graphs(list(graphs.values()), data, repeats=a.repeats))
        rows.append({"bytes": n, "median_ms": {k: med[g] for k, g in graphs.items()}})
        print(json.dumps(rows[-1]), flush=True)
    result = {"benchmark": "candidate_speed", "cpus": os.cpu_count(), "repeats": a.repeats,
              "load_average_1min": os.getloadavg()[0], "time": time.strftime("%Y-%m-%dT%H:%M:%S"),
              "targets_ms": {"4096": 150, "102400": 3000}, "shapes": {k: v for k, v in SHAPES.items()}, "rows": rows}
    if a.out:
        Path(a.out).write_text(json.dumps(result, indent=1) + "\n")


if __name__ == "__main__":
    main()
