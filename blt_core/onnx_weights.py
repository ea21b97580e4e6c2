"""Store each weight once: point an ONNX graph's initializers into the card's safetensors file.

An exported graph holds its own copy of every weight (often transposed, sometimes float16),
so assets/ held the entropy model three times and the generator twice. `link_weights` finds,
for every large initializer, the safetensors tensor with the same bytes (as stored, or its
transpose) and replaces the initializer with an ONNX external-data reference to that tensor's
offset in the safetensors file (header: 8-byte length + JSON; then the raw little-endian data),
behind a Transpose node where the graph wanted the transpose. ONNX Runtime reads external data
from the graph's own folder and folds the Transpose at load, so sessions compute bit for bit what
the self-contained graph computed (tests/test_onnx_weights.py). The card's entry for the graph
gains "weights": the kind of the file it reads, and `Card.verified` checks that file's sha256 too.

Export time only (needs the `onnx` package, a dev dependency); serving needs only onnxruntime.

    python -m blt_core.onnx_weights --card assets/entropy_model.json --graph onnx --weights safetensors
"""

from __future__ import annotations

import argparse
import json
import os
from pathlib import Path

import numpy as np

DTYPES = {"F16": "<f2", "F32": "<f4", "I8": "|i1"}  # int8: quantized n-gram tables
MIN_ELEMENTS = 1024  # smaller tensors (norm weights, shape constants) stay in the graph


def tensor_index(safetensors_path: str | os.PathLike) -> dict[tuple[str, bytes], tuple[int, int, list[int]]]:
    """{(dtype, raw bytes): (offset, length, shape)} of every float or int8 tensor in the file."""
    raw = Path(safetensors_path).read_bytes()
    n = int.from_bytes(raw[:8], "little")
    index = {}
    for name, e in json.loads(raw[8:8 + n]).items():
        if name == "__metadata__" or e["dtype"] not in DTYPES:
            continue
        a, b = e["data_offsets"]
        arr = np.frombuffer(raw, dtype=DTYPES[e["dtype"]], count=(b - a) // int(DTYPES[e["dtype"]][-1]),
                            offset=8 + n + a)
        index.setdefault((arr.dtype.str, arr.tobytes()), (8 + n + a, b - a, e["shape"]))
    return index


def link_weights(graph_path: str | os.PathLike, safetensors_path: str | os.PathLike) -> int:
    """Rewrite the graph at `graph_path` (in place) so that its large initializers read their data
    from `safetensors_path`, which must sit in the same folder; -> how many were linked."""
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    graph_path, safetensors_path = Path(graph_path), Path(safetensors_path)
    if graph_path.parent.resolve() != safetensors_path.parent.resolve():
        raise ValueError("ONNX Runtime reads external data from the graph's own folder: put both files together")
    model = onnx.load(str(graph_path))
    index = tensor_index(safetensors_path)
    kept, transposes, linked = [], [], 0
    for init in model.graph.initializer:
        a = numpy_helper.to_array(init)
        hit, transposed = None, False
        if a.size >= MIN_ELEMENTS:
            hit = index.get((a.dtype.str, a.tobytes()))
            if hit is None and a.ndim == 2:
                hit = index.get((a.dtype.str, np.ascontiguousarray(a.T).tobytes()))
                transposed = hit is not None
        if hit is None:
            kept.append(init)
            continue
        offset, length, shape = hit
        ref = TensorProto(name=init.name + ("__stored" if transposed else ""), data_type=init.data_type, dims=shape,
                          data_location=TensorProto.EXTERNAL)
        for key, value in (("location", safetensors_path.name), ("offset", str(offset)), ("length", str(length))):
            ref.external_data.add(key=key, value=value)
        kept.append(ref)
        if transposed:
            transposes.append(helper.make_node("Transpose", [ref.name], [init.name], perm=[1, 0]))
        linked += 1
    del model.graph.initializer[:]
    model.graph.initializer.extend(kept)
    for node in reversed(transposes):  # before every use: a graph's nodes are in topological order
        model.graph.node.insert(0, node)
    onnx.save(model, str(graph_path))
    return linked


def link_card_graph(card_path: str | os.PathLike, graph: str, weights: str) -> int:
    """link_weights for the card's files `graph` and `weights` (kinds), then record the new sha256
    and the link in the card; -> how many initializers were linked."""
    from blt_core.checkpoints import Card, file_entry, write_card

    card = Card.load(card_path)
    graph_path, weights_path = card.verified(graph), card.verified(weights)
    linked = link_weights(graph_path, weights_path)
    data = card.to_json()
    data["files"][graph] = {**file_entry(graph_path, relative_to=Path(card_path).parent), "weights": weights}
    write_card(card_path, data)
    return linked


def main(argv=None) -> None:
    p = argparse.ArgumentParser(description="Make a card's ONNX graph read its weights from the card's safetensors.")
    p.add_argument("--card", required=True)
    p.add_argument("--graph", required=True, help="the card's file kind of the graph, e.g. onnx")
    p.add_argument("--weights", required=True, help="the card's file kind of the safetensors, e.g. safetensors")
    a = p.parse_args(argv)
    print(f"{a.graph}: {link_card_graph(a.card, a.graph, a.weights)} initializers now read from {a.weights}")


if __name__ == "__main__":
    main()
