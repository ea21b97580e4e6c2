"""GlobalTransformer: a causal Llama-style transformer over patch vectors, one position per patch.

Its input at patch p is the pooled vector of patch p's bytes; its output at p (after the
final norm) is what the bytes of patch p+1 read through the decoder's cross-attention.

>>> from blt_core.generator.config import BLTConfig
>>> cfg = BLTConfig(local_hidden_size=64, local_num_attention_heads=1, global_hidden_size=128,
...                 global_num_attention_heads=2, num_global_layers=1)
>>> g = GlobalTransformer(cfg)
>>> from blt_core.generator.masks import local_causal_mask
>>> cos, sin = g.rope(torch.arange(3))
>>> g(torch.zeros(1, 3, 128), cos, sin, local_causal_mask(3, 8)).shape
torch.Size([1, 3, 128])
"""

from __future__ import annotations

import torch
from torch import nn

from blt_core.generator.config import BLTConfig
from blt_core.nn import Block, RMSNorm, rope_tables


class GlobalTransformer(nn.Module):
    def __init__(self, cfg: BLTConfig):
        super().__init__()
        self.config = cfg
        G = cfg.global_hidden_size
        self.layers = nn.ModuleList(
            Block(G, cfg.global_num_attention_heads, cfg.global_intermediate_size, cfg.norm_eps)
            for _ in range(cfg.num_global_layers))
        self.norm = RMSNorm(G, cfg.norm_eps)

    def rope(self, positions: torch.Tensor):
        cos, sin = rope_tables(self.config.global_head_dim, positions, self.config.rope_theta)
        return cos.to(positions.device), sin.to(positions.device)

    def forward(self, x: torch.Tensor, cos: torch.Tensor, sin: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        """patch vectors (B, P, G) -> global outputs (B, P, G)."""
        for layer in self.layers:
            x = layer(x, cos, sin, mask)
        return self.norm(x)

    def step(self, x, cos, sin, caches, valid):
        """x (B, 1, G) -> (B, 1, G) and each layer's new (k, v); ring caches as in layers.py."""
        out = []
        for i, layer in enumerate(self.layers):
            x, k, v = layer.step(x, cos, sin, caches[2 * i], caches[2 * i + 1], valid)
            out += [k, v]
        return self.norm(x), tuple(out)
