"""BLT: the small Byte Latent Transformer, assembled for teacher-forced training.

    ids (B, T) ──► LocalEncoder ──► h (B, T, L) ──pool by patch──► (B, P, G) ──► GlobalTransformer
                                       │                                             │ (B, P, G)
                                       ▼                                             ▼
                                  LocalDecoder ◄── byte t reads global output of (its patch - 1)
                                       │
                                       ▼
                                 logits (B, T, V): position t predicts token t+1

Patch starts come from the frozen entropy model (masks.patch_starts); the number of patches
P is the largest patch id + 1, rounded up so compiled graphs see few distinct shapes.

>>> from blt_core.generator.config import BLTConfig
>>> cfg = BLTConfig(local_hidden_size=64, local_num_attention_heads=1, global_hidden_size=128,
...                 global_num_attention_heads=2, num_global_layers=1, hash_buckets=64, hash_dim=4)
>>> ids = torch.tensor([[1, 76, 109, 36]])
>>> starts = torch.tensor([[True, True, False, True]])
>>> BLT(cfg).init_weights()(ids, starts).shape
torch.Size([1, 4, 260])
"""

from __future__ import annotations

import math

import torch
from torch import nn

from blt_core.generator.config import BLTConfig
from blt_core.generator.global_transformer import GlobalTransformer
from blt_core.generator.local_decoder import LocalDecoder
from blt_core.generator.local_encoder import LocalEncoder
from blt_core.generator.masks import local_causal_mask, patch_ids, pooling_mask
from blt_core.nn import rope_tables

PATCH_ROUND = 32  # pad the patch count to a multiple of this (fewer shapes for torch.compile)


class BLT(nn.Module):
    def __init__(self, cfg: BLTConfig):
        super().__init__()
        self.config = cfg
        self.local_encoder = LocalEncoder(cfg)
        self.global_transformer = GlobalTransformer(cfg)
        self.local_decoder = LocalDecoder(cfg)

    def init_weights(self, *, seed: int = 0) -> "BLT":
        """Normal(0, 0.02) init; residual output projections scaled down by their stack's depth."""
        g = torch.Generator().manual_seed(seed)
        depth = {"local_encoder": self.config.num_encoder_layers, "global_transformer": self.config.num_global_layers,
                 "local_decoder": self.config.num_decoder_layers}
        for name, p in self.named_parameters():
            if name.endswith("norm.weight"):
                continue
            std = 0.02
            if name.endswith(("wo.weight", "w2.weight")):
                std /= math.sqrt(2 * max(1, depth[name.split(".")[0]]))
            with torch.no_grad():
                p.copy_(torch.randn(p.shape, generator=g) * std)
        return self

    def local_rope(self, T: int, device):
        cos, sin = rope_tables(self.config.local_head_dim, torch.arange(T, device=device), self.config.rope_theta)
        return cos.to(device), sin.to(device)

    def forward(self, ids: torch.Tensor, starts: torch.Tensor, *, num_patches: int | None = None) -> torch.Tensor:
        """ids (B, T) int64, starts (B, T) bool -> logits (B, T, V)."""
        cfg = self.config
        B, T = ids.shape
        pids = patch_ids(starts)  # (B, T)
        if num_patches is None:
            num_patches = -(-(int(pids.max()) + 1) // PATCH_ROUND) * PATCH_ROUND
        cos, sin = self.local_rope(T, ids.device)
        local_mask = local_causal_mask(T, cfg.local_window, ids.device)
        h = self.local_encoder(ids, cos, sin, local_mask)  # (B, T, L)
        patches = self.local_encoder.pooling(h, pooling_mask(pids, num_patches, cfg.patch_k), num_patches)  # (B, P, G)
        gcos, gsin = self.global_transformer.rope(torch.arange(num_patches, device=ids.device))
        g = self.global_transformer(patches, gcos, gsin, local_causal_mask(num_patches, cfg.global_window, ids.device))
        return self.local_decoder(h, g, pids, cos, sin, local_mask)  # (B, T, V)

    def num_parameters(self) -> int:
        return sum(p.numel() for p in self.parameters())
