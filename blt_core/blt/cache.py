"""Incremental step functions with sliding KV caches (torch only; traced for ONNX as is).

Three steps cover generation, each a module whose forward takes and returns flat tensors
(caches as a tuple `k0, v0, k1, v1, ...`), so the same code runs in torch and exports to ONNX:

- `EntropyStep`: one token through the entropy model -> entropy (nats) of the next token's
  prediction. Its cache keeps the last window-1 positions, so the step sees exactly the
  model's sliding window, as the full forward does.
- `LocalStep`: one token through the local encoder and decoder -> next-token logits and the
  token's encoder state (kept by the caller until its patch closes).
- `GlobalStep`: one closed patch (its bytes' encoder states) -> pooled vector -> one global
  position -> the memory that the next patch's bytes read. Rows with `update` False keep
  their caches (in a batch, patches close at different times).

Each byte costs one EntropyStep and one LocalStep; each patch one GlobalStep.

Entropy and local caches start empty and grow to window-1 positions; the global cache has
global_window fixed slots:
>>> cache_shapes(2, 4, 0, 16, batch=1)
[(1, 4, 0, 16), (1, 4, 0, 16), (1, 4, 0, 16), (1, 4, 0, 16)]
"""

from __future__ import annotations

import torch
from torch import nn

from blt_core.blt.layers import attend, rope_for_positions, valid_slots
from blt_core.blt.model import BLT
from blt_core.entropy_model import EntropyModel, apply_rope


def cache_shapes(layers: int, heads: int, window: int, head_dim: int, *, batch: int) -> list[tuple[int, ...]]:
    """Initial shapes of the flat cache tuple (k, v per layer) of one step function."""
    return [(batch, heads, window, head_dim)] * (2 * layers)


def entropy_cache_shapes(cfg, batch: int):
    return cache_shapes(cfg.num_hidden_layers, cfg.num_attention_heads, 0, cfg.head_dim, batch=batch)


def local_cache_shapes(cfg, batch: int):
    return cache_shapes(cfg.num_encoder_layers + cfg.num_decoder_layers, cfg.local_num_attention_heads,
                        0, cfg.local_head_dim, batch=batch)


def global_cache_shapes(cfg, batch: int):
    return cache_shapes(cfg.num_global_layers, cfg.global_num_attention_heads, cfg.global_window,
                        cfg.global_head_dim, batch=batch)


def entropy_nats(logits: torch.Tensor) -> torch.Tensor:
    """(..., V) logits -> (...) entropy in nats over all V outputs."""
    logp = torch.log_softmax(logits.float(), dim=-1)
    return -(logp.exp() * logp).sum(-1)


class EntropyStep(nn.Module):
    """tokens (B,), pos (B,), *caches -> entropy (B,), *caches; reuses the EntropyModel's weights."""

    def __init__(self, model: EntropyModel):
        super().__init__()
        self.model = model

    def forward(self, tokens: torch.Tensor, pos: torch.Tensor, *caches: torch.Tensor):
        cfg = self.model.config
        B = tokens.shape[0]
        cos, sin = rope_for_positions(cfg.head_dim, pos, cfg.rope_theta)
        x = self.model.tok_embeddings(tokens)[:, None, :]  # (B, 1, C)
        out = []
        for i, layer in enumerate(self.model.layers):
            att = layer.attention
            xn = layer.attention_norm(x)
            q, k, v = (w(xn).view(B, 1, att.n_heads, att.head_dim).transpose(1, 2) for w in (att.wq, att.wk, att.wv))
            q, k = apply_rope(q, cos, sin), apply_rope(k, cos, sin)
            keys, values = torch.cat([caches[2 * i], k], dim=2), torch.cat([caches[2 * i + 1], v], dim=2)
            y = attend(q, keys, values, None)  # (B, H, 1, D): the whole window
            ck, cv = keys[:, :, 1 - cfg.window:], values[:, :, 1 - cfg.window:]
            x = x + att.wo(y.transpose(1, 2).reshape(B, 1, -1))
            x = x + layer.feed_forward(layer.ffn_norm(x))
            out += [ck, cv]
        logits = self.model.output(self.model.norm(x))[:, 0]  # (B, V)
        return (entropy_nats(logits), *out)


class LocalStep(nn.Module):
    """window_ids (B, N), pos (B,), memory (B, G), patch_index (B,), *caches -> logits (B, V), h (B, L), *caches.

    caches: the encoder layers' (k, v) first, then the decoder layers'.
    """

    def __init__(self, model: BLT):
        super().__init__()
        self.model = model

    def forward(self, window_ids, pos, memory, patch_index, *caches):
        cfg = self.model.config
        cos, sin = rope_for_positions(cfg.local_head_dim, pos, cfg.rope_theta)
        n_enc = 2 * cfg.num_encoder_layers
        h, enc = self.model.local_encoder.step(window_ids, cos, sin, caches[:n_enc])
        logits, dec = self.model.local_decoder.step(h, memory, patch_index, cos, sin, caches[n_enc:])
        return (logits, h[:, 0], *enc, *dec)


class GlobalStep(nn.Module):
    """patch_states (B, Lp, L), patch_mask (B, Lp) bool, patch_pos (B,), update (B,) bool, *caches
    -> memory (B, G) for the next patch, *caches."""

    def __init__(self, model: BLT):
        super().__init__()
        self.model = model

    def forward(self, patch_states, patch_mask, patch_pos, update, *caches):
        cfg = self.model.config
        allowed = patch_mask[:, None, :].expand(-1, cfg.patch_k, -1)  # (B, k, Lp)
        vec = self.model.local_encoder.pooling(patch_states, allowed, 1, fused=False)  # (B, 1, G)
        cos, sin = rope_for_positions(cfg.global_head_dim, patch_pos, cfg.rope_theta)
        valid = valid_slots(patch_pos, cfg.global_window)
        g, out = self.model.global_transformer.step(vec, cos, sin, caches, valid, update)
        return (g[:, 0], *out)
