"""Incremental step functions with ring KV caches (torch only; exported to ONNX as they are).

Three steps cover generation, each a module whose forward takes flat tensors (caches as a
tuple `k0, v0, k1, v1, ...`) and returns its outputs plus each layer's new key and value,
so the same code runs in torch and exports to ONNX; the caller stores those into slot
position % S of its caches (decoding.write_slots, layers.py explains the ring):

- `EntropyStep`: one token through the entropy model -> entropy (nats) of the next token's
  prediction. Its cache holds the last window-1 positions, so the step sees exactly the
  model's sliding window, as the full forward does.
- `LocalStep`: one token through the local encoder and decoder -> next-token logits and the
  token's encoder state (kept by the caller until its patch closes).
- `GlobalStep`: one closed patch (its bytes' encoder states) -> pooled vector -> one global
  position -> the memory that the next patch's bytes read. In a batch, patches close at
  different times: the caller stores new keys only for the rows that closed one.

Each byte costs one EntropyStep and one LocalStep; each patch one GlobalStep.

Every cache has window - 1 slots, zero at the start (no slot is valid before position 1):
>>> cache_shapes(2, 4, 512, 16, batch=1)
[(1, 4, 511, 16), (1, 4, 511, 16), (1, 4, 511, 16), (1, 4, 511, 16)]
"""

from __future__ import annotations

import torch
from torch import nn

from blt_core.generator.model import BLT
from blt_core.entropy.model import EntropyModel
from blt_core.nn import entropy_nats, rope_for_positions, slot_valid


def cache_shapes(layers: int, heads: int, window: int, head_dim: int, *, batch: int) -> list[tuple[int, ...]]:
    """Shapes of the flat cache tuple (k, v per layer) of one step function: window - 1 slots."""
    return [(batch, heads, window - 1, head_dim)] * (2 * layers)


def entropy_cache_shapes(cfg, batch: int):
    return cache_shapes(cfg.num_hidden_layers, cfg.num_attention_heads, cfg.window, cfg.head_dim, batch=batch)


def local_cache_shapes(cfg, batch: int):
    return cache_shapes(cfg.num_encoder_layers + cfg.num_decoder_layers, cfg.local_num_attention_heads,
                        cfg.local_window, cfg.local_head_dim, batch=batch)


def global_cache_shapes(cfg, batch: int):
    return cache_shapes(cfg.num_global_layers, cfg.global_num_attention_heads, cfg.global_window,
                        cfg.global_head_dim, batch=batch)


class EntropyStep(nn.Module):
    """tokens (B,), pos (B,), *caches -> entropy (B,), *new keys/values; reuses the EntropyModel's weights."""

    def __init__(self, model: EntropyModel):
        super().__init__()
        self.model = model

    def forward(self, tokens: torch.Tensor, pos: torch.Tensor, *caches: torch.Tensor):
        cfg = self.model.config
        cos, sin = rope_for_positions(cfg.head_dim, pos, cfg.rope_theta)
        valid = slot_valid(pos, caches[0].shape[2])
        x = self.model.tok_embeddings(tokens)[:, None, :]  # (B, 1, C)
        out = []
        for i, layer in enumerate(self.model.layers):  # each attends over its whole window (ring cache)
            x, k, v = layer.step(x, cos, sin, caches[2 * i], caches[2 * i + 1], valid)
            out += [k, v]
        logits = self.model.output(self.model.norm(x))[:, 0]  # (B, V)
        return (entropy_nats(logits), *out)


class LocalStep(nn.Module):
    """token (B,), buckets (B, n), pos (B,), memory (B, G), patch_index (B,), *caches
    -> logits (B, V), h (B, L), *new keys/values.

    buckets: the hashed n-grams ending at token (last_ngrams.last_ngram_buckets), computed by
    the stepper, so the graph holds no hashing.

    caches: the encoder layers' (k, v) first, then the decoder layers'.
    """

    def __init__(self, model: BLT):
        super().__init__()
        self.model = model

    def forward(self, token, buckets, pos, memory, patch_index, *caches):
        cfg = self.model.config
        cos, sin = rope_for_positions(cfg.local_head_dim, pos, cfg.rope_theta)
        valid = slot_valid(pos, caches[0].shape[2])
        n_enc = 2 * cfg.num_encoder_layers
        h, enc = self.model.local_encoder.step(token, buckets, cos, sin, caches[:n_enc], valid)
        logits, dec = self.model.local_decoder.step(h, memory, patch_index, cos, sin, caches[n_enc:], valid)
        return (logits, h[:, 0], *enc, *dec)


class GlobalStep(nn.Module):
    """patch_states (B, Lp, L), patch_mask (B, Lp) bool, patch_pos (B,), *caches
    -> memory (B, G) for the next patch, *new keys/values."""

    def __init__(self, model: BLT):
        super().__init__()
        self.model = model

    def forward(self, patch_states, patch_mask, patch_pos, *caches):
        cfg = self.model.config
        allowed = patch_mask[:, None, :].expand(-1, cfg.patch_k, -1)  # (B, k, Lp)
        vec = self.model.local_encoder.pooling(patch_states, allowed, 1, fused=False)  # (B, 1, G)
        cos, sin = rope_for_positions(cfg.global_head_dim, patch_pos, cfg.rope_theta)
        g, out = self.model.global_transformer.step(vec, cos, sin, caches, slot_valid(patch_pos, caches[0].shape[2]))
        return (g[:, 0], *out)
