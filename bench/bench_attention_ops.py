"""Is a fused attention kernel cheaper on this CPU? The entropy graph's attention tile, three ways.

    python -m bench.bench_attention_ops --out bench/results/attention_ops.json

The exported entropy model computes sliding-window attention in tiles (blt_core.nn.functional.
blocked_window_attention): 128 queries against the 640 keys that end with them, an additive
mask bias, softmax, then the values. That is several ONNX ops per layer (MatMul, Add, Softmax,
MatMul) and about a third of a 4 KB pass. This times one layer's tiles for 4 KB (32 tiles) as
(a) those ops, (b) ONNX Runtime's fused contrib op com.microsoft.MultiHeadAttention with the same
bias and (c) the ONNX opset-23 Attention op (boolean and additive masks), side by side in one run,
median of --repeats after 3 warm-up runs, 2 threads as the scorer uses. Outputs are checked equal.
"""

from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path

import numpy as np

# (heads, head_dim): the shipped 192-wide model and the 96-wide candidate
SHAPES = {"shipped 192 (3 x 64)": (3, 64), "96-wide (2 x 48)": (2, 48)}
TILES, QUERIES, WINDOW = 32, 128, 512  # 4 KB in tiles of 128 queries


def _session(model):
    import onnxruntime as ort

    opts = ort.SessionOptions()
    opts.intra_op_num_threads = 2
    opts.inter_op_num_threads = 1
    return ort.InferenceSession(model.SerializeToString(), opts, providers=["CPUExecutionProvider"])


def _graph(nodes, inputs, *, opsets, initializers=()):
    from onnx import TensorProto, helper

    return helper.make_model(
        helper.make_graph(nodes, "attention", [helper.make_tensor_value_info(n, t, s) for n, t, s in inputs],
                          [helper.make_tensor_value_info("y", TensorProto.FLOAT, None)], list(initializers)),
        opset_imports=[helper.make_opsetid(d, v) for d, v in opsets])


def variants(heads: int, dim: int, seed: int = 0) -> dict[str, tuple]:
    """name -> (ONNX model, feed, function turning its output into (tiles, heads, queries, dim))."""
    from onnx import TensorProto as TP
    from onnx import helper as h

    rng = np.random.default_rng(seed)
    keys = WINDOW + QUERIES
    q = rng.standard_normal((TILES, heads, QUERIES, dim), dtype=np.float32)
    k = rng.standard_normal((TILES, heads, keys, dim), dtype=np.float32)
    v = rng.standard_normal((TILES, heads, keys, dim), dtype=np.float32)
    qi, kj = np.arange(QUERIES)[:, None] + WINDOW, np.arange(keys)[None, :]
    mask = np.broadcast_to((kj <= qi) & (kj > qi - WINDOW), (TILES, 1, QUERIES, keys)).copy()
    bias = np.where(mask, 0.0, -np.inf).astype(np.float32)
    F = TP.FLOAT
    same = lambda y: y  # noqa: E731
    decomposed = _graph([h.make_node("Transpose", ["k"], ["kt"], perm=[0, 1, 3, 2]),
                         h.make_node("MatMul", ["q", "kt"], ["s0"]), h.make_node("Mul", ["s0", "scale"], ["s1"]),
                         h.make_node("Add", ["s1", "bias"], ["s2"]), h.make_node("Softmax", ["s2"], ["p"], axis=-1),
                         h.make_node("MatMul", ["p", "v"], ["y"])],
                        [("q", F, q.shape), ("k", F, k.shape), ("v", F, v.shape), ("bias", F, bias.shape)],
                        opsets=[("", 18)], initializers=[h.make_tensor("scale", F, [], [dim ** -0.5])])
    packed = {n: a.transpose(0, 2, 1, 3).reshape(TILES, a.shape[2], heads * dim).copy() for n, a in
              (("q", q), ("k", k), ("v", v))}
    mha = _graph([h.make_node("MultiHeadAttention", ["q", "k", "v", "", "", "bias"], ["y"], domain="com.microsoft",
                              num_heads=heads)],
                 [(n, F, a.shape) for n, a in packed.items()] + [("bias", F, bias.shape)],
                 opsets=[("", 18), ("com.microsoft", 1)])
    unpack = lambda y: y.reshape(TILES, QUERIES, heads, dim).transpose(0, 2, 1, 3)  # noqa: E731
    attn = {m: _graph([h.make_node("Attention", ["q", "k", "v", "m"], ["y"])],
                      [("q", F, q.shape), ("k", F, k.shape), ("v", F, v.shape), ("m", t, mask.shape)], opsets=[("", 23)])
            for m, t in (("bool", TP.BOOL), ("float", F))}
    return {"decomposed (as exported)": (decomposed, dict(q=q, k=k, v=v, bias=bias), same),
            "MultiHeadAttention (contrib)": (mha, {**packed, "bias": bias}, unpack),
            "Attention-23, bool mask": (attn["bool"], dict(q=q, k=k, v=v, m=mask), same),
            "Attention-23, additive mask": (attn["float"], dict(q=q, k=k, v=v, m=bias), same)}


def time_variants(heads: int, dim: int, *, repeats: int) -> dict:
    out, reference = {}, None
    for name, (model, feed, to_bhsd) in variants(heads, dim).items():
        try:
            sess = _session(model)
        except Exception as e:  # an op this ONNX Runtime lacks on CPU
            out[name] = {"error": str(e).splitlines()[0][:200]}
            continue
        for _ in range(3):
            y = sess.run(None, feed)[0]
        times = []
        for _ in range(repeats):
            t = time.perf_counter()
            sess.run(None, feed)
            times.append(time.perf_counter() - t)
        y = to_bhsd(y)
        reference = y if reference is None else reference
        out[name] = {"median_ms": round(float(np.median(times)) * 1000, 2),
                     "max_abs_diff_vs_decomposed": float(np.abs(y - reference).max())}
    return out


def main(argv=None) -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--repeats", type=int, default=30)
    p.add_argument("--out", type=Path)
    a = p.parse_args(argv)
    import onnxruntime as ort

    result = {"benchmark": "attention_ops", "cpus": os.cpu_count(), "onnxruntime": ort.__version__,
              "time": time.strftime("%Y-%m-%dT%H:%M:%S"), "repeats": a.repeats,
              "tile": {"tiles": TILES, "queries": QUERIES, "keys": WINDOW + QUERIES},
              "shapes": {name: time_variants(heads, dim, repeats=a.repeats) for name, (heads, dim) in SHAPES.items()}}
    text = json.dumps(result, indent=1)
    print(text)
    if a.out:
        a.out.write_text(text + "\n")


if __name__ == "__main__":
    main()
