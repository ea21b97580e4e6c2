"""Export the generator's three step functions (steps.py) to ONNX, caches as inputs/outputs.

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
all shape arithmetic, which otherwise dominates a one-token step); patch length is dynamic.
Weights are stored as float16 (onnx_export.half_storage) behind a Cast to float32, which ONNX
Runtime folds at load, so files are half size and compute stays float32; round the torch
model to float16 first (`round_to_half`) and both backends hold identical numbers.
"""

from __future__ import annotations

from pathlib import Path

import torch
from torch.export import Dim

from blt_core.generator.steps import (EntropyStep, GlobalStep, LocalStep, entropy_cache_shapes, global_cache_shapes,
                                local_cache_shapes)
from blt_core.generator.model import BLT
from blt_core.generator.prefill import Prefill
from blt_core.generator.prefill_caches import prefill_block
from blt_core.entropy.model import EntropyModel
from blt_core.onnx_export import export_graph

STEP_FILES = {"entropy_step": "entropy_step.onnx", "local_step": "local_step.onnx", "global_step": "global_step.onnx"}
PREFILL_FILE = "prefill.onnx"
PREFILL_INPUTS = ["tokens", "patch_ids", "token_pos", "patch_pos"]


def round_to_half(module: torch.nn.Module) -> torch.nn.Module:
    """Round every parameter to the nearest float16 value, keeping float32 storage."""
    with torch.no_grad():
        for p in module.parameters():
            p.copy_(p.half().float())
    return module


def _cache_names(n: int) -> tuple[list[str], list[str]]:
    names = [f"{kv}{i}" for i in range(n // 2) for kv in ("k", "v")]
    return names, [s + "_new" for s in names]


def _graphs(blt: BLT, entropy_model: EntropyModel) -> dict[str, tuple]:
    """{name: (module, sample args, input names, output names, dynamic shapes)} of the three steps."""
    cfg, ecfg = blt.config, entropy_model.config
    B = 1  # the CPU path decodes one row; a static batch lets ONNX Runtime fold every shape computation
    pos = torch.tensor([3])
    graphs = {}

    caches = [torch.randn(s) for s in entropy_cache_shapes(ecfg, B)]
    cin, cout = _cache_names(len(caches))
    graphs["entropy_step"] = (EntropyStep(entropy_model), [torch.tensor([69]), pos, *caches],
                              ["tokens", "pos", *cin], ["entropy", *cout], None)

    caches = [torch.randn(s) for s in local_cache_shapes(cfg, B)]
    cin, cout = _cache_names(len(caches))
    buckets = torch.randint(0, cfg.hash_buckets, (B, len(cfg.hash_ngram_sizes)))
    args = [torch.tensor([69]), buckets, pos, torch.randn(B, cfg.global_hidden_size), torch.tensor([2]), *caches]
    graphs["local_step"] = (LocalStep(blt), args, ["token", "buckets", "pos", "memory", "patch_index", *cin],
                            ["logits", "state", *cout], None)

    caches = [torch.randn(s) for s in global_cache_shapes(cfg, B)]
    cin, cout = _cache_names(len(caches))
    mask = torch.tensor([[False, True, True]])  # 3 positions: a sample length of 1 would be specialised
    args = [torch.randn(B, mask.shape[1], cfg.local_hidden_size), mask, torch.tensor([4]), *caches]
    length = Dim("patch_length", min=1)
    graphs["global_step"] = (GlobalStep(blt), args, ["patch_states", "patch_mask", "patch_pos", *cin],
                             ["memory", *cout], {"patch_states": {1: length}, "patch_mask": {1: length}})
    return graphs


def export_steps(blt: BLT, entropy_model: EntropyModel, out_dir: str | Path, *, opset: int = 18,
                 half: bool | dict[str, bool] = True, prefix: str = "") -> dict[str, Path]:
    """Write the three step graphs into out_dir as <prefix><name>; returns {"entropy_step": path, ...}.

    half: float16 weight storage for every graph, or per graph name.
    """
    halves = half if isinstance(half, dict) else dict.fromkeys(STEP_FILES, half)
    blt, entropy_model = blt.eval().float(), entropy_model.eval().float()
    cfg = blt.config
    metas = {"local_step": {"hash_ngram_sizes": ",".join(map(str, cfg.hash_ngram_sizes)),
                            "hash_buckets": str(cfg.hash_buckets)}}
    paths = {}
    for name, (module, args, names_in, names_out, dynamic) in _graphs(blt, entropy_model).items():
        paths[name] = export_graph(module, tuple(args), Path(out_dir) / (prefix + STEP_FILES[name]),
                                   input_names=names_in, output_names=names_out, dynamic_shapes=dynamic,
                                   opset=opset, half=halves[name], meta=metas.get(name))
    return paths


class _WeightsAsInputs(torch.nn.Module):
    """Prefill with the BLT's parameters as graph inputs (named as in its state dict), so the
    graph file holds no weights: the stepper feeds those of the card's safetensors."""

    def __init__(self, blt: BLT):
        super().__init__()
        self.prefill = Prefill(blt)
        self.names = list(dict(blt.named_parameters()))

    def forward(self, tokens, patch_ids, token_pos, patch_pos, *weights):
        params = {"model." + n: w for n, w in zip(self.names, weights)}
        return torch.func.functional_call(self.prefill, params, (tokens, patch_ids, token_pos, patch_pos))


def export_prefill(blt: BLT, out: str | Path, *, opset: int = 18) -> Path:
    """Write the Prefill graph (prefill.py) to `out`: inputs tokens, patch_ids (B, T), token_pos (T,),
    patch_pos (P,) and every BLT parameter by name; outputs h, g and the keys and values
    (enc_k0, enc_v0, ..., dec_k0, ..., glob_k0, ...). T and P are dynamic multiples of a quarter of
    the local and global windows (prefill_caches.prefill_block), the batch is dynamic; the file is
    small (no weights in it)."""
    blt = blt.eval().float()
    cfg = blt.config
    module = _WeightsAsInputs(blt)
    weights = [p.detach() for p in blt.parameters()]
    T, P = 2 * cfg.local_window, 2 * cfg.global_window  # two windows each: no size the export could specialise
    patch_ids = torch.clamp(torch.arange(T) // 3, max=P - 1).repeat(2, 1)
    args = (torch.randint(4, 260, (2, T)), patch_ids, torch.arange(T), torch.arange(P), *weights)
    batch, tb, pb = Dim("batch", min=1), Dim("token_blocks", min=1), Dim("patch_blocks", min=1)
    tokens = {0: batch, 1: prefill_block(cfg.local_window) * tb}
    dynamic = {"tokens": tokens, "patch_ids": tokens, "token_pos": {0: prefill_block(cfg.local_window) * tb},
               "patch_pos": {0: prefill_block(cfg.global_window) * pb}}
    kv = lambda part, n: [f"{part}_{kv}{i}" for i in range(n) for kv in "kv"]  # noqa: E731
    outputs = ["h", "g", *kv("enc", cfg.num_encoder_layers), *kv("dec", cfg.num_decoder_layers),
               *kv("glob", cfg.num_global_layers)]
    return export_graph(module, args, out, input_names=[*PREFILL_INPUTS, *module.names], output_names=outputs,
                        dynamic_shapes=dynamic, opset=opset, strip_node_metadata=True)


def add_prefill(card_path: str | Path) -> dict:
    """Export the prefill graph of a finalized generator card beside it and list both prefill graphs
    in the card (sha256-checked), for cards finalized before prefill existed or after new weights."""
    from blt_core.backends import load_card_weights
    from blt_core.checkpoints import Card, file_entry, write_card
    from blt_core.generator.config import BLTConfig

    card = Card.load(card_path)
    folder = Path(card_path).parent
    blt = load_card_weights(BLT(BLTConfig.from_dict(card.config)), card, "safetensors")
    ent_card = Card.load(folder / "entropy_model.json")
    if ent_card.files["safetensors"].sha256 != card.files["entropy_safetensors"].sha256:
        raise SystemExit("the entropy card's weights are not the generator's entropy model: re-finalize instead")
    data = card.to_json()
    data["files"]["onnx_prefill"] = file_entry(export_prefill(blt, folder / ("blt_" + PREFILL_FILE)), relative_to=folder)
    data["files"]["onnx_entropy_prefill"] = file_entry(ent_card.verified("onnx"), relative_to=folder)
    write_card(card_path, data)
    return {k: data["files"][k] for k in ("onnx_prefill", "onnx_entropy_prefill")}


if __name__ == "__main__":
    import argparse
    import json

    ap = argparse.ArgumentParser(description="Export the prompt prefill graph of a generator card: "
                                             "python -m blt_core.generator.export --card assets/blt_generator.json")
    ap.add_argument("--card", required=True)
    print(json.dumps(add_prefill(ap.parse_args().card), indent=2))
