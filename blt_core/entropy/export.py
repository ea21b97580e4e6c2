"""Export the entropy model to one ONNX file with a dynamic batch and sequence length.

    python -m blt_core.entropy.export --weights runs/entropy/entropy_model.safetensors \
        --config runs/entropy/config.json --out assets/entropy_model.onnx

The graph is `EntropyModel.forward_chunk` on the block-wise sliding-window path, so the
input length must be a multiple of the window (scoring pads on the right, which never
changes earlier outputs). Inputs: `ids` (B, T) int64, `positions` (B, T) int64 (each token's
RoPE position: start_pos + t for a plain chunk, from 0 in each segment of a packed row),
`segments` (B, T) int64 (a token sees only earlier tokens of its own segment: the
block-diagonal mask of packed rows; all zero for a plain chunk), `past_kv` (layers, 2, B,
heads, window, head_dim) float32, `has_past` (B,) bool. Outputs: `logits` (B, T, 260)
float32 and `present_kv` (the past of the next chunk).

A retrained model (same architecture, new weights) is re-exported with the command above;
then its card's onnx entry gets the new file's sha256 (checkpoints.file_entry).
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import torch
from torch.export import Dim

from blt_core.entropy.model import EntropyModel, EntropyModelConfig
from blt_core.onnx_export import export_graph


class _Blocked(torch.nn.Module):
    def __init__(self, model: EntropyModel):
        super().__init__()
        self.model = model

    def forward(self, ids, positions, segments, past_kv, has_past, context=None):
        return self.model.forward_chunk(ids, blocked=True, past_kv=past_kv, has_past=has_past, positions=positions,
                                        segments=segments, context=context)


def export(model: EntropyModel, out: str | Path, *, opset: int = 18) -> Path:
    """Write `out` and return its path.

    Batch and length are dynamic (`torch.export.Dim`); the length is declared as window x blocks,
    which is what the block-wise path needs. The sample (2 rows, 3 windows, one row with a past)
    only has to be general: no dynamic size of 0 or 1 that the export could specialise on.
    """
    half_tables = any(t.weight.dtype == torch.float16 for t in model.ngram_embeddings)
    model = model.eval().float()
    if half_tables:  # float16 n-gram tables stay so: the graph then reads them from the safetensors as stored
        model.half_tables()
    c = model.config
    W = c.window
    positions = torch.arange(3 * W).repeat(2, 1) + W * 3
    segments = (torch.arange(3 * W) >= W).long().repeat(2, 1)
    sample = (torch.randint(4, 260, (2, 3 * W)), positions, segments,
              torch.randn(c.num_hidden_layers, 2, 2, c.num_attention_heads, W, c.head_dim), torch.tensor([True, False]))
    batch, blocks = Dim("batch", min=1), Dim("blocks", min=1)
    tokens = {0: batch, 1: W * blocks}
    dynamic = {"ids": tokens, "positions": tokens, "segments": tokens, "past_kv": {2: batch}, "has_past": {0: batch}}
    names = ["ids", "positions", "segments", "past_kv", "has_past"]
    if c.context:  # the ids before each row's chunk (B, config.context): only n-gram and match graphs have it
        sample = (*sample, torch.randint(0, 260, (2, c.context)))
        dynamic["context"] = {0: batch}
        names.append("context")
    return export_graph(_Blocked(model), sample, out, input_names=names,
                        output_names=["logits", "present_kv"], dynamic_shapes=dynamic, opset=opset,
                        strip_node_metadata=True)  # the exporter's notes were most of a match graph's bytes


def load_trained(weights: str | Path, config: dict) -> EntropyModel:
    from safetensors.torch import load_file

    model = EntropyModel(EntropyModelConfig.from_dict(config))
    model.load_state_dict(load_file(str(weights)))
    return model.eval()


def main(argv=None) -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--weights", required=True)
    p.add_argument("--config", required=True, help="JSON with a 'config' object (training summary or card)")
    p.add_argument("--out", required=True)
    a = p.parse_args(argv)
    cfg = json.loads(Path(a.config).read_text())["config"]
    print(export(load_trained(a.weights, cfg), a.out))


if __name__ == "__main__":
    main()
