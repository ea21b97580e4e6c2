"""int8 dynamic quantization of the shipped entropy model's ONNX graph: patch-start agreement and speed.

    python -m bench.bench_int8 --out bench/results/int8.json

The graph reads its weights through Transposes of external data (blt_core/onnx_weights.py), which
ONNX Runtime's quantizer does not see as constant weights, so the graph is first saved by ONNX
Runtime with its constants folded. Then each variant makes an int8 graph: `quantize_dynamic` (int8
weights per channel, dynamic uint8 activations) of every MatMul with a weight but the output layer,
of the feed-forward ones alone, and of all with reduce_range (this AVX2 CPU has no VNNI); and
`MatMulNBits` (8-bit weights in blocks of 32) with float compute (level 0) and int8 compute (4); and on the shipped samples (each cut to 8 KB) the share of
bytes whose "starts a patch" decision at the card's threshold equals fp32's, the largest entropy
difference, and 4 KB through score_bytes beside fp32 (alternating, median of 7). The model issue
asks for at least 99% agreement.
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np

from blt_core.backends import onnx_session
from blt_core.checkpoints import load_card
from blt_core.entropy.onnx_scorer import OnnxEntropyModel
from blt_core.entropy.scoring import score_bytes
from blt_core.segments import SAMPLES_DIR

ROOT = Path(__file__).resolve().parents[1]


def folded(src: Path, dst: Path) -> list[tuple[str, tuple]]:
    """Save src with its constants folded (weights as plain initializers) at dst; (MatMul node, weight shape)."""
    import onnx
    import onnxruntime as ort

    so = ort.SessionOptions()
    so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_BASIC
    so.optimized_model_filepath = str(dst)
    # every initializer inside the saved graph (the source's live in the card's safetensors, beside it only)
    so.add_session_config_entry("session.optimized_model_external_initializers_file_name", dst.name + ".data")
    so.add_session_config_entry("session.optimized_model_external_initializers_min_size_in_bytes", str(2**40))
    ort.InferenceSession(str(src), so, providers=["CPUExecutionProvider"])
    m = onnx.load(str(dst))
    shapes = {i.name: tuple(i.dims) for i in m.graph.initializer}
    return [(n.name, shapes[n.input[1]]) for n in m.graph.node if n.op_type == "MatMul" and n.input[1] in shapes]


def nbits(src: Path, dst: Path, *, exclude: list[str], level: int) -> None:
    """MatMulNBits: symmetric 8-bit weights in blocks of 32 (ONNX Runtime's weight-only quantizer)."""
    import onnx
    from onnxruntime.quantization.matmul_nbits_quantizer import MatMulNBitsQuantizer

    q = MatMulNBitsQuantizer(onnx.load(str(src)), bits=8, block_size=32, is_symmetric=True, accuracy_level=level,
                             nodes_to_exclude=exclude)
    q.process()
    q.model.save_model_to_file(str(dst), use_external_data_format=False)


def main(argv=None) -> None:
    from onnxruntime.quantization import QuantType, quantize_dynamic

    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--out")
    a = p.parse_args(argv)
    card = load_card(ROOT / "assets" / "entropy_model.json")
    threshold, ffn = card.defaults["threshold"], {(card.config["hidden_size"], card.config["intermediate_size"]),
                                                  (card.config["intermediate_size"], card.config["hidden_size"])}
    m = OnnxEntropyModel.from_card(card)
    fp32 = m.session
    work = Path(tempfile.mkdtemp())
    weights = folded(ROOT / "assets" / "entropy_model.onnx", work / "folded.onnx")
    sets = {"every MatMul but the output layer": [n for n, s in weights if s[-1] != card.config["vocab_size"]],
            "feed-forward MatMuls only": [n for n, s in weights if s in ffn]}
    texts = [f.read_bytes()[:8192] for f in sorted(Path(SAMPLES_DIR).glob("*")) if f.is_file() and f.suffix != ".json"]
    data = b"".join(texts)[:4096]
    every = sets["every MatMul but the output layer"]
    output = [n for n, s in weights if s[-1] == card.config["vocab_size"]]
    variants = [(name, nodes, dict(weight_type=QuantType.QInt8)) for name, nodes in sets.items()]
    # AVX2 without VNNI: signed int8 weights can saturate ONNX Runtime's u8s8 kernel unless reduce_range
    variants.append(("every MatMul but the output layer, reduce_range", every,
                     dict(weight_type=QuantType.QInt8, reduce_range=True)))
    variants += [(f"MatMulNBits 8-bit, blocks of 32, accuracy level {lvl}", every, {"nbits_level": lvl}) for lvl in (0, 4)]
    rows = []
    for name, nodes, kw in variants:
        path = work / f"int8-{len(rows)}.onnx"
        if "nbits_level" in kw:  # weight-only int8; level 4 also quantizes activations per block for int8 compute
            nbits(work / "folded.onnx", path, exclude=output, level=kw["nbits_level"])
        else:
            quantize_dynamic(str(work / "folded.onnx"), str(path), nodes_to_quantize=nodes, per_channel=True, **kw)
        q = onnx_session(path)
        same = total = 0
        largest = 0.0
        for t in texts:
            m.session = fp32
            e32 = score_bytes(m.score_chunk, t, window=m.window).entropies
            m.session = q
            e8 = score_bytes(m.score_chunk, t, window=m.window).entropies
            same += int(((e32 > threshold) == (e8 > threshold))[1:].sum())
            total += len(t) - 1
            largest = max(largest, float(np.abs(e32 - e8).max()))
        times = {"fp32": [], "int8": []}
        for _ in range(9):
            for k, s in (("fp32", fp32), ("int8", q)):
                m.session = s
                t0 = time.perf_counter()
                score_bytes(m.score_chunk, data, window=m.window)
                times[k].append(time.perf_counter() - t0)
        ms = {k: round(statistics.median(v[2:]) * 1000, 1) for k, v in times.items()}
        rows.append({"quantized": name, "nodes": len(nodes), "patch_start_agreement": round(same / total, 4),
                     "largest_entropy_difference_nats": round(largest, 3), "fp32_ms_4kb": ms["fp32"],
                     "int8_ms_4kb": ms["int8"]})
        print(json.dumps(rows[-1]), flush=True)
    result = {"benchmark": "int8", "model": card.name, "threshold": threshold, "texts": len(texts),
              "bytes": sum(map(len, texts)), "time": time.strftime("%Y-%m-%dT%H:%M:%S"), "rows": rows,
              "required_agreement": 0.99}
    if a.out:
        Path(a.out).write_text(json.dumps(result, indent=1) + "\n")


if __name__ == "__main__":
    main()
