"""The prompt in one pass (torch only; exported to ONNX as it is): what the steps would have
stored, position by position, computed for every position at once.

`Prefill` runs the local encoder over all prompt tokens, pools every patch, runs the global
transformer over the patches and the local decoder over the tokens, each with the blocked
sliding-window attention of the entropy model (O(T * window)), and returns every position's
keys and values; the stepper keeps the last window - 1 of them in its ring caches
(prefill_caches.py). The entropy model's part is its own scoring pass (EntropyModel.forward_chunk
on a left-padded row, prefill_caches.left_padded), so no extra entropy graph is needed.

Lengths: T tokens and P patches are multiples of the local and global attention blocks (a
quarter window, prefill_caches.prefill_block; the caller pads on the right, which never changes
earlier, causal outputs). patch_ids (B, T) gives each
token's patch; every patch below a row's open patch is closed and pooled.

>>> from blt_core.generator.config import BLTConfig
>>> cfg = BLTConfig(local_hidden_size=64, local_num_attention_heads=1, global_hidden_size=128,
...                 global_num_attention_heads=2, num_global_layers=1, hash_buckets=64, hash_dim=4,
...                 local_window=8, global_window=4)
>>> h, g, *kv = Prefill(BLT(cfg).init_weights())(torch.ones(1, 8, dtype=torch.long), torch.zeros(1, 8, dtype=torch.long),
...                                              torch.arange(8), torch.arange(4))
>>> h.shape, g.shape, len(kv), kv[0].shape, kv[-1].shape
(torch.Size([1, 8, 64]), torch.Size([1, 4, 128]), 8, torch.Size([1, 1, 8, 64]), torch.Size([1, 2, 4, 64]))
"""

from __future__ import annotations

import torch
from torch import nn

from blt_core.generator.model import BLT
from blt_core.nn import rope_tables


class Prefill(nn.Module):
    """tokens (B, T), patch_ids (B, T), token_pos (T,) = 0..T-1, patch_pos (P,) = 0..P-1
    -> h (B, T, L) encoder states, g (B, P, G) global outputs, then the keys and values
    (B, H, T or P, D) of the encoder layers, the decoder layers and the global layers."""

    def __init__(self, model: BLT):
        super().__init__()
        self.model = model

    def forward(self, tokens, patch_ids, token_pos, patch_pos):
        cfg = self.model.config
        enc, glob, dec = self.model.local_encoder, self.model.global_transformer, self.model.local_decoder
        cos, sin = rope_tables(cfg.local_head_dim, token_pos, cfg.rope_theta)
        h, kv_enc = enc.embed(tokens), []  # hashed n-grams over the row, as the steps' buckets
        for layer in enc.layers:
            h, k, v = layer.prefill(h, cos, sin, window=cfg.local_window)
            kv_enc += [k, v]
        P = patch_pos.shape[0]
        g = enc.pooling.pool_segments(h, patch_ids, P)  # (B, P, G)
        gcos, gsin = glob.rope(patch_pos)
        kv_glob = []
        for layer in glob.layers:
            g, k, v = layer.prefill(g, gcos, gsin, window=cfg.global_window)
            kv_glob += [k, v]
        g = glob.norm(g)
        x, kv_dec, memory = h, [], dec.memory_for(g, patch_ids)  # token t reads patch (its patch - 1)
        for layer in dec.layers:
            x, k, v = layer.prefill(x, cos, sin, window=cfg.local_window, memory=memory)
            kv_dec += [k, v]
        return (h, g, *kv_enc, *kv_dec, *kv_glob)
