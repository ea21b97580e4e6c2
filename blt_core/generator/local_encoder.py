"""LocalEncoder: byte embedding + hashed n-gram embeddings, a few causal layers, patch pooling.

Per byte: x = tok_embeddings(id) + hash_proj(concat over n of hash_embeddings[n](bucket_n)),
then `num_encoder_layers` windowed causal blocks give the byte states h. Pooling (k learned
queries attending to the bytes of one patch) turns each patch into one global-width vector.

>>> from blt_core.generator.config import BLTConfig
>>> enc = LocalEncoder(BLTConfig(local_hidden_size=64, local_num_attention_heads=1, global_hidden_size=128,
...                               global_num_attention_heads=2, hash_buckets=32, hash_dim=4))
>>> enc.embed(torch.tensor([[1, 76, 109]])).shape
torch.Size([1, 3, 64])
"""

from __future__ import annotations

import torch
from torch import nn

from blt_core.generator.config import BLTConfig
from blt_core.generator.hashing import ngram_hash_ids
from blt_core.nn import Block, PatchPooling


class LocalEncoder(nn.Module):
    def __init__(self, cfg: BLTConfig):
        super().__init__()
        self.config = cfg
        L = cfg.local_hidden_size
        self.tok_embeddings = nn.Embedding(cfg.vocab_size, L)
        self.hash_embeddings = nn.ModuleList(nn.Embedding(cfg.hash_buckets, cfg.hash_dim) for _ in cfg.hash_ngram_sizes)
        self.hash_proj = nn.Linear(len(cfg.hash_ngram_sizes) * cfg.hash_dim, L, bias=False)
        self.layers = nn.ModuleList(
            Block(L, cfg.local_num_attention_heads, cfg.local_intermediate_size, cfg.norm_eps)
            for _ in range(cfg.num_encoder_layers))
        self.pooling = PatchPooling(L, cfg.local_num_attention_heads, cfg.patch_k, cfg.norm_eps)

    def embed(self, ids: torch.Tensor) -> torch.Tensor:
        """ids (B, T) -> (B, T, L): byte embedding plus the projected n-gram embeddings."""
        x = self.tok_embeddings(ids)
        if self.hash_embeddings:
            buckets = ngram_hash_ids(ids, self.config.hash_ngram_sizes, self.config.hash_buckets)  # (B, T, n)
            grams = torch.cat([emb(buckets[..., i]) for i, emb in enumerate(self.hash_embeddings)], dim=-1)
            x = x + self.hash_proj(grams)
        return x

    def forward(self, ids: torch.Tensor, cos: torch.Tensor, sin: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        """ids (B, T) -> byte states h (B, T, L)."""
        x = self.embed(ids)
        for layer in self.layers:
            x = layer(x, cos, sin, mask)
        return x

    def embed_last(self, token: torch.Tensor, buckets: torch.Tensor) -> torch.Tensor:
        """token (B,), buckets (B, n) of the n-grams ending at it (last_ngrams.py) -> (B, 1, L), as `embed`."""
        x = self.tok_embeddings(token)[:, None, :]
        if self.hash_embeddings:
            grams = torch.cat([emb(buckets[:, i]) for i, emb in enumerate(self.hash_embeddings)], dim=-1)
            x = x + self.hash_proj(grams)[:, None, :]
        return x

    def step(self, token, buckets, cos, sin, caches, valid):
        """token (B,) and its n-gram buckets (B, n) -> h (B, 1, L), new keys/values.

        caches is a flat tuple (k_0, v_0, k_1, v_1, ...) of ring caches (B, H, local_window-1, D)
        with valid (B, S) (layers.py); the result holds each layer's new (k, v) of this position.
        """
        x = self.embed_last(token, buckets)
        out = []
        for i, layer in enumerate(self.layers):
            x, k, v = layer.step(x, cos, sin, caches[2 * i], caches[2 * i + 1], valid)
            out += [k, v]
        return x, tuple(out)
