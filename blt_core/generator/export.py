"""Export the generator's three step functions (cache.py) to ONNX, caches as inputs/outputs.

    entropy_step.onnx  tokens (B,), pos (B,), k0, v0, ...          -> entropy (B,), k0_new, v0_new, ...
    local_step.onnx    token (B,), buckets (B, n), pos (B,), memory (B, G), patch_index (B,), k0, v0, ...
                                                                  -> logits (B, V), state (B, L), k0_new, ...
    global_step.onnx   patch_states (B, Lp, L), patch_mask (B, Lp), patch_pos (B,), k0, v0, ...
                                                                  -> memory (B, G), k0_new, ...

Caches are ring caches (B, H, window-1, D) (layers.py); each graph returns only the new key
and value (B, H, 1, D) of every layer, which the caller stores in slot position % (window-1).
The caller also hashes the n-grams (last_ngrams.py): local_step.onnx's metadata holds the
hash_ngram_sizes ("3,4,5,6,7,8") and hash_buckets it was trained with.

The batch is fixed at 1 (the CPU path decodes one row; static shapes let ONNX Runtime fold
all shape arithmetic, which otherwise dominates a one-token step); patch length is dynamic. Weights are stored as float16 (`half_storage`) behind a
Cast to float32, which ONNX Runtime folds at load, so files are half size and compute stays
float32; round the torch model to float16 first (`round_to_half`) and both backends hold
identical numbers.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import onnx
import torch
from onnx import TensorProto, helper, numpy_helper

from blt_core.generator.steps import (EntropyStep, GlobalStep, LocalStep, entropy_cache_shapes, global_cache_shapes,
                                local_cache_shapes)
from blt_core.generator.model import BLT
from blt_core.entropy.model import EntropyModel

STEP_FILES = {"entropy_step": "entropy_step.onnx", "local_step": "local_step.onnx", "global_step": "global_step.onnx"}


def round_to_half(module: torch.nn.Module) -> torch.nn.Module:
    """Round every parameter to the nearest float16 value, keeping float32 storage."""
    with torch.no_grad():
        for p in module.parameters():
            p.copy_(p.half().float())
    return module


def half_storage(model: onnx.ModelProto, *, min_elements: int = 256) -> onnx.ModelProto:
    """Store float32 initializers with >= min_elements values as float16 behind a Cast node."""
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


def _cache_names(n: int) -> tuple[list[str], list[str]]:
    names = [f"{kv}{i}" for i in range(n // 2) for kv in ("k", "v")]
    return names, [s + "_new" for s in names]


def _export(module, args, names_in, names_out, dynamic, out: Path, opset: int, half: bool,
            meta: dict[str, str] | None = None) -> Path:
    out.parent.mkdir(parents=True, exist_ok=True)
    with torch.no_grad(), warnings.catch_warnings():
        warnings.simplefilter("ignore")  # tracer notes about Python ints from static shapes
        torch.onnx.export(module, tuple(args), str(out), input_names=names_in, output_names=names_out,
                          dynamic_axes=dynamic, opset_version=opset, dynamo=False)
    if half or meta:
        model = onnx.load(str(out))
        if half:
            half_storage(model)
        for k, v in (meta or {}).items():
            model.metadata_props.add(key=k, value=v)
        onnx.save(model, str(out))
    return out


def export_steps(blt: BLT, entropy_model: EntropyModel, out_dir: str | Path, *, opset: int = 17,
                 half: bool | dict[str, bool] = True, prefix: str = "") -> dict[str, Path]:
    """Write the three step graphs into out_dir as <prefix><name>; returns {"entropy_step": path, ...}.

    half: float16 weight storage for every graph, or per graph name.
    """
    out_dir = Path(out_dir)
    halves = half if isinstance(half, dict) else dict.fromkeys(STEP_FILES, half)
    blt, entropy_model = blt.eval().float(), entropy_model.eval().float()
    cfg, ecfg = blt.config, entropy_model.config
    B = 1  # the CPU path decodes one row; a static batch lets ONNX Runtime fold every shape computation
    pos = torch.tensor([3])
    paths = {}

    caches = [torch.randn(s) for s in entropy_cache_shapes(ecfg, B)]
    cin, cout = _cache_names(len(caches))
    paths["entropy_step"] = _export(EntropyStep(entropy_model), [torch.tensor([69]), pos, *caches],
                                    ["tokens", "pos", *cin], ["entropy", *cout], {},
                                    out_dir / (prefix + STEP_FILES["entropy_step"]), opset, halves["entropy_step"])

    caches = [torch.randn(s) for s in local_cache_shapes(cfg, B)]
    cin, cout = _cache_names(len(caches))
    buckets = torch.randint(0, cfg.hash_buckets, (B, len(cfg.hash_ngram_sizes)))
    args = [torch.tensor([69]), buckets, pos, torch.randn(B, cfg.global_hidden_size), torch.tensor([2]), *caches]
    names_in = ["token", "buckets", "pos", "memory", "patch_index", *cin]
    names_out = ["logits", "state", *cout]
    meta = {"hash_ngram_sizes": ",".join(map(str, cfg.hash_ngram_sizes)), "hash_buckets": str(cfg.hash_buckets)}
    paths["local_step"] = _export(LocalStep(blt), args, names_in, names_out, {},
                                  out_dir / (prefix + STEP_FILES["local_step"]), opset, halves["local_step"], meta)

    caches = [torch.randn(s) for s in global_cache_shapes(cfg, B)]
    cin, cout = _cache_names(len(caches))
    Lp = 3
    mask = torch.tensor([[False, True, True]])
    args = [torch.randn(B, Lp, cfg.local_hidden_size), mask, torch.tensor([4]), *caches]
    names_in = ["patch_states", "patch_mask", "patch_pos", *cin]
    names_out = ["memory", *cout]
    dyn = {"patch_states": {1: "patch_length"}, "patch_mask": {1: "patch_length"}}
    paths["global_step"] = _export(GlobalStep(blt), args, names_in, names_out, dyn,
                                   out_dir / (prefix + STEP_FILES["global_step"]), opset, halves["global_step"])
    return paths
