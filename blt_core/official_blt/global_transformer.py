"""The released global transformer: one position per patch, causal over all patches (torch only).

Its input is the encoder's k*C-wide patch vector, projected to the global width only where the
two differ (`token_embedding_projection`, present in BLT-7B, absent in BLT-1B). No final norm:
the decoder's own projection reads the last layer's output, as in the released model.

>>> from blt_core.official_blt.config import OfficialBLTConfig
>>> cfg = OfficialBLTConfig(encoder_hidden_size=8, decoder_hidden_size=8, cross_attn_heads=2, global_hidden_size=12,
...                         global_heads=3, global_layers=1, global_intermediate_size=32)
>>> g = GlobalTransformer(cfg)
>>> g(torch.randn(1, 5, 16)).shape, type(g.token_embedding_projection).__name__
(torch.Size([1, 5, 12]), 'Linear')
"""

from __future__ import annotations

import torch
from torch import nn

from blt_core.nn import Block, rope_for_positions, rope_tables
from blt_core.official_blt.config import OfficialBLTConfig
from blt_core.official_blt.layers import block_kv


class GlobalTransformer(nn.Module):
    def __init__(self, cfg: OfficialBLTConfig):
        super().__init__()
        self.config = cfg
        G = cfg.global_hidden_size
        self.token_embedding_projection = (nn.Linear(cfg.global_input_size, G, bias=False)
                                           if cfg.needs_global_projection else None)
        self.layers = nn.ModuleList(Block(G, cfg.global_heads, cfg.global_intermediate_size, cfg.norm_eps)
                                    for _ in range(cfg.global_layers))

    @property
    def head_dim(self) -> int:
        return self.config.global_hidden_size // self.config.global_heads

    def _project(self, x: torch.Tensor) -> torch.Tensor:
        return x if self.token_embedding_projection is None else self.token_embedding_projection(x)

    def forward(self, x: torch.Tensor, *, kv: list | None = None) -> torch.Tensor:
        """Patch vectors (B, P, k*C) -> global outputs (B, P, G). kv: a list that receives each
        layer's keys and values (a prompt's prefill fills the step cache with them)."""
        P = x.shape[1]
        x = self._project(x)
        cos, sin = rope_tables(self.head_dim, torch.arange(P, device=x.device), self.config.global_rope_theta)
        mask = torch.ones(P, P, dtype=torch.bool, device=x.device).tril()
        for layer in self.layers:
            if kv is not None:
                kv.append(block_kv(layer, x, cos, sin))
            x = layer(x, cos, sin, mask)
        return x

    def step(self, x: torch.Tensor, pos: int, cache: list[tuple[torch.Tensor, torch.Tensor]]) -> torch.Tensor:
        """One patch vector (B, 1, k*C) at global position pos; cache: per layer (keys, values) of the
        earlier patches (B, H, pos, D), extended in place -> its global output (B, 1, G)."""
        x = self._project(x)
        B = x.shape[0]
        cos, sin = rope_for_positions(self.head_dim, torch.full((B,), pos, device=x.device), self.config.global_rope_theta)
        valid = torch.ones(B, pos, dtype=torch.bool, device=x.device)
        for i, layer in enumerate(self.layers):
            k_old, v_old = cache[i]
            x, k, v = layer.step(x, cos, sin, k_old, v_old, valid)
            cache[i] = (torch.cat([k_old, k], dim=2), torch.cat([v_old, v], dim=2))
        return x
