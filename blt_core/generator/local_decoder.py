"""LocalDecoder: byte states + the previous patch's global output -> next-byte logits.

Each layer first cross-attends to k memory vectors (the previous patch's global output,
global_hidden = k * local_hidden, split into k pieces), then runs a windowed causal block.
Bytes of patch 0 have no previous patch and read a learned start state instead, so no byte
ever reads the global state of its own or a later patch.

>>> from blt_core.generator.config import BLTConfig
>>> cfg = BLTConfig(local_hidden_size=64, local_num_attention_heads=1, global_hidden_size=128,
...                 global_num_attention_heads=2)
>>> LocalDecoder(cfg).memory_for(torch.zeros(1, 2, 128), torch.tensor([[0, 1, 1]])).shape
torch.Size([1, 3, 2, 64])
"""

from __future__ import annotations

import torch
from torch import nn

from blt_core.generator.config import BLTConfig
from blt_core.nn import DecoderBlock, RMSNorm


class LocalDecoder(nn.Module):
    def __init__(self, cfg: BLTConfig):
        super().__init__()
        self.config = cfg
        L = cfg.local_hidden_size
        self.memory_start = nn.Parameter(torch.zeros(cfg.global_hidden_size))
        self.layers = nn.ModuleList(
            DecoderBlock(L, cfg.local_num_attention_heads, cfg.local_intermediate_size, cfg.norm_eps)
            for _ in range(cfg.num_decoder_layers))
        self.norm = RMSNorm(L, cfg.norm_eps)
        self.output = nn.Linear(L, cfg.vocab_size, bias=False)

    def memory_for(self, global_out: torch.Tensor, ids_of_patch: torch.Tensor) -> torch.Tensor:
        """global_out (B, P, G), patch ids (B, T) -> (B, T, k, L): byte t reads patch id - 1."""
        B, P, G = global_out.shape
        shifted = torch.cat([self.memory_start.expand(B, 1, G).to(global_out.dtype), global_out[:, :-1]], dim=1)
        mem = torch.gather(shifted, 1, ids_of_patch[..., None].expand(-1, -1, G))  # (B, T, G)
        return mem.view(B, ids_of_patch.shape[1], self.config.patch_k, self.config.local_hidden_size)

    def forward(self, h, global_out, ids_of_patch, cos, sin, mask) -> torch.Tensor:
        """h (B, T, L) encoder states -> logits (B, T, V)."""
        memory = self.memory_for(global_out, ids_of_patch)
        x = h
        for layer in self.layers:
            x = layer(x, cos, sin, mask, memory)
        return self.output(self.norm(x))

    def step(self, h, memory, patch_index, cos, sin, caches, valid):
        """h (B, 1, L), memory (B, G) of the previous patch, patch_index (B,) -> logits (B, V), new keys/values."""
        B = h.shape[0]
        memory = torch.where((patch_index == 0)[:, None], self.memory_start[None, :].to(memory.dtype), memory)
        memory = memory.view(B, 1, self.config.patch_k, self.config.local_hidden_size)
        x, out = h, []
        for i, layer in enumerate(self.layers):
            x, k, v = layer.step(x, cos, sin, caches[2 * i], caches[2 * i + 1], valid, memory)
            out += [k, v]
        return self.output(self.norm(x))[:, 0], tuple(out)
