"""Torch module -> ONNX file through the `torch.export`-based exporter: the one place that calls it.

Both exports (entropy/export.py, generator/export.py) go through `export_graph`, so they share
the exporter's options: inference mode, named inputs and outputs, `torch.export.Dim` dynamic
shapes (every other dimension is fixed at the sample's size, which lets ONNX Runtime fold shape
arithmetic), weights inside the file, optional float16 weight storage and metadata.

>>> w = numpy_helper.from_array(np.ones((16, 16), np.float32), "w")  # 256 values: stored as float16
>>> x, y = (helper.make_tensor_value_info(n, TensorProto.FLOAT, [1, 16]) for n in "xy")
>>> m = half_storage(helper.make_model(helper.make_graph([helper.make_node("MatMul", ["x", "w"], ["y"])],
...                                                     "g", [x], [y], [w])))
>>> [(i.name, i.data_type == TensorProto.FLOAT16) for i in m.graph.initializer], [n.op_type for n in m.graph.node]
([('w__f16', True)], ['Cast', 'MatMul'])
"""

from __future__ import annotations

import inspect
import re
import warnings
from pathlib import Path

import numpy as np
import onnx
import torch
from onnx import TensorProto, helper, numpy_helper


def half_storage(model: onnx.ModelProto, *, min_elements: int = 256) -> onnx.ModelProto:
    """Store float32 initializers with >= min_elements values as float16 behind a Cast node.

    ONNX Runtime folds the Cast at load, so the file is about half size and compute stays float32.
    """
    casts = []
    for init in model.graph.initializer:
        if init.data_type != TensorProto.FLOAT:
            continue
        arr = numpy_helper.to_array(init)
        if arr.size < min_elements:
            continue
        name = init.name
        init.CopyFrom(numpy_helper.from_array(arr.astype(np.float16), name + "__f16"))
        casts.append(helper.make_node("Cast", [name + "__f16"], [name], to=TensorProto.FLOAT, name=name + "__cast"))
    nodes = list(model.graph.node)
    del model.graph.node[:]
    model.graph.node.extend(casts + nodes)
    return model


def _name_dynamic_axes(model: onnx.ModelProto, dynamic_shapes: dict) -> onnx.ModelProto:
    """Rename the exporter's symbols ("s19", "512*s0") after the Dims they stand for
    ("patch_length", "512*blocks") in every input and output, as the graph's readers see them."""
    inputs = {i.name: i for i in model.graph.input}
    names = {}
    for name, axes in dynamic_shapes.items():
        for axis, dim in axes.items():
            symbols = re.findall(r"\bs\d+\b", inputs[name].type.tensor_type.shape.dim[axis].dim_param)
            if len(symbols) == 1:  # a Dim or one derived from it (window * blocks): name its root
                names[symbols[0]] = getattr(dim, "root", dim).__name__
    for value in [*model.graph.input, *model.graph.output]:
        for d in value.type.tensor_type.shape.dim:
            if d.dim_param:
                d.dim_param = re.sub(r"\bs\d+\b", lambda m: names.get(m.group(0), m.group(0)), d.dim_param)
    return model


def export_graph(module: torch.nn.Module, args: tuple[torch.Tensor, ...], out: str | Path, *,
                 input_names: list[str], output_names: list[str], dynamic_shapes: dict | None = None,
                 opset: int = 18, half: bool = False, meta: dict[str, str] | None = None,
                 strip_node_metadata: bool = False) -> Path:
    """Write `module` called on `args` to `out` and return its path.

    dynamic_shapes: {input name: {axis: torch.export.Dim}}, as `torch.export.export` takes them
    (inputs not named there are fully static). half: float16 weight storage (`half_storage`).
    strip_node_metadata: drop the exporter's per-node notes (stack traces, FX nodes), which are
    most of a graph without weights.
    """
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    specs = [(dynamic_shapes or {}).get(name) for name in input_names]
    # torch.export takes them by forward's parameters, `*caches` as one tuple
    by_param = dict(inspect.signature(module.forward).bind(*specs).arguments)
    with torch.no_grad(), warnings.catch_warnings():
        # torch 2.13's own decomposition pass deep-copies a pytree LeafSpec, which torch itself
        # deprecated; the warning is about torch's internals, not about this call
        warnings.filterwarnings("ignore", message=r"`isinstance\(treespec, LeafSpec\)` is deprecated",
                                category=FutureWarning)
        exported = torch.export.export(module.eval(), tuple(args), dynamic_shapes=by_param)
        program = torch.onnx.export(exported, input_names=input_names, output_names=output_names,
                                    opset_version=opset, dynamo=True, verbose=False)
    model = _name_dynamic_axes(program.model_proto, dynamic_shapes or {})
    if half:
        half_storage(model)
    if strip_node_metadata:
        for node in model.graph.node:
            del node.metadata_props[:]
    for k, v in (meta or {}).items():
        model.metadata_props.add(key=k, value=v)
    onnx.save(model, str(out))
    return out
