"""The released local decoder: byte states + patch outputs -> next-byte logits (torch only).

It starts from the encoder's byte states. Each patch's global output becomes k local-wide
vectors (`patch_embedding_projection`, G -> k*C), and before its first layer (or every layer,
as the released `cross_attn_all_layers_decoder` says) each byte cross-attends to the k vectors
of one patch: the last patch complete at that byte (patch_layout.decoder_ids). Then a norm and
the output projection over the 260 ids.

>>> from blt_core.nn import rope_tables
>>> from blt_core.official_blt.config import OfficialBLTConfig
>>> cfg = OfficialBLTConfig(encoder_hidden_size=8, decoder_hidden_size=8, decoder_heads=2, decoder_layers=2,
...                         decoder_intermediate_size=16, cross_attn_heads=2, global_hidden_size=12)
>>> dec = LocalDecoder(cfg)
>>> cos, sin = rope_tables(4, torch.arange(3), 1e4)
>>> dec(torch.randn(1, 3, 8), torch.randn(1, 2, 12), torch.tensor([[0, 0, 1]]), cos, sin, None).shape
torch.Size([1, 3, 260])
"""

from __future__ import annotations

import torch
from torch import nn

from blt_core.nn import Block, RMSNorm
from blt_core.official_blt.config import OfficialBLTConfig
from blt_core.official_blt.layers import CrossAttention, block_kv


class LocalDecoder(nn.Module):
    def __init__(self, cfg: OfficialBLTConfig):
        super().__init__()
        self.config = cfg
        C = cfg.decoder_hidden_size
        self.patch_embedding_projection = nn.Linear(cfg.global_hidden_size, C * cfg.cross_attn_k, bias=False)
        n_cross = cfg.decoder_layers if cfg.cross_attn_all_layers_decoder else 1
        self.cross_attn_layers = nn.ModuleList(CrossAttention(C, cfg.cross_attn_heads, cfg.norm_eps)
                                               for _ in range(n_cross))
        self.layers = nn.ModuleList(Block(C, cfg.decoder_heads, cfg.decoder_intermediate_size, cfg.norm_eps)
                                    for _ in range(cfg.decoder_layers))
        self.norm = RMSNorm(C, cfg.norm_eps)
        self.output = nn.Linear(C, cfg.vocab_size, bias=False)

    def memory(self, g: torch.Tensor) -> torch.Tensor:
        """Global outputs (B, P, G) -> the k vectors of each patch, (B, P*k, C)."""
        B, P, _ = g.shape
        return self.patch_embedding_projection(g).reshape(B, P * self.config.cross_attn_k, self.config.decoder_hidden_size)

    def _cross(self, i: int, h: torch.Tensor, memory: torch.Tensor, allowed) -> torch.Tensor:
        if i < len(self.cross_attn_layers):
            h = h + self.cross_attn_layers[i](h, memory, allowed)
        return h

    def forward(self, h: torch.Tensor, g: torch.Tensor, decoder_ids: torch.Tensor, cos, sin, mask, *,
                kv: list | None = None) -> torch.Tensor:
        """Byte states (B, T, C), global outputs (B, P, G), decoder_ids (B, T) -> logits (B, T, V).
        kv: a list that receives each layer's keys and values (prefill)."""
        memory = self.memory(g)
        P = g.shape[1]
        allowed = decoder_ids[:, :, None] == torch.arange(P, device=g.device)[None, None, :]
        allowed = allowed.repeat_interleave(self.config.cross_attn_k, dim=-1)  # (B, T, P*k)
        for i, layer in enumerate(self.layers):
            h = self._cross(i, h, memory, allowed)
            if kv is not None:
                kv.append(block_kv(layer, h, cos, sin))
            h = layer(h, cos, sin, mask)
        return self.output(self.norm(h))

    def step(self, h: torch.Tensor, memory: torch.Tensor, cos, sin, caches, valid) -> tuple[torch.Tensor, list]:
        """One byte state (B, 1, C), its patch's k vectors (B, k, C), per-layer (keys, values) caches
        -> logits (B, 1, V) and each layer's new (key, value)."""
        new = []
        for i, layer in enumerate(self.layers):
            h, k, v = layer.step(self._cross(i, h, memory, None), cos, sin, *caches[i], valid)
            new.append((k, v))
        return self.output(self.norm(h)), new
