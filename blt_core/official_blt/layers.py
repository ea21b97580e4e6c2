"""Cross-attention between bytes and patches, as the released BLT has it (torch only).

Pre-norm on both sides (`cross_attn_norm_q` on the queries, `cross_attn_norm_kv` on the keys
and values), no RoPE, and the block returns its input plus the attention output, to which the
callers add their input once more (facebookresearch/blt and transformers both do: the released
weights were trained that way). Names match the official checkpoints.

>>> ca = CrossAttention(8, 2, 1e-5)
>>> x, kv = torch.randn(1, 3, 8), torch.randn(1, 5, 8)
>>> only_first = torch.zeros(1, 3, 5, dtype=torch.bool); only_first[..., 0] = True
>>> v0 = ca.wv(ca.cross_attn_norm_kv(kv[:, :1]))  # one visible key: its value, through wo
>>> torch.allclose(ca(x, kv, only_first), x + ca.wo(v0).expand(1, 3, 8), atol=1e-6)
True
"""

from __future__ import annotations

import torch

from blt_core.nn import RMSNorm
from blt_core.nn.functional import attend
from blt_core.nn.layers import Projections


class CrossAttention(Projections):
    def __init__(self, hidden: int, heads: int, eps: float):
        super().__init__(hidden, heads)
        self.cross_attn_norm_q = RMSNorm(hidden, eps)
        self.cross_attn_norm_kv = RMSNorm(hidden, eps)

    def forward(self, x: torch.Tensor, kv: torch.Tensor, allowed: torch.Tensor | None = None) -> torch.Tensor:
        """x (B, Q, C) queries, kv (B, K, C), allowed (B, Q, K) bool or None (all) -> x + attention (B, Q, C)."""
        kvn = self.cross_attn_norm_kv(kv)
        q = self.heads(self.wq(self.cross_attn_norm_q(x)))
        k, v = self.heads(self.wk(kvn)), self.heads(self.wv(kvn))
        return x + self.merge(attend(q, k, v, None if allowed is None else allowed[:, None]))


def block_kv(layer, x: torch.Tensor, cos: torch.Tensor, sin: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """The keys (rotated) and values (B, H, T, D) a shared Block computes from its input x (B, T, C):
    what its `step` would have cached, position by position (a prompt's prefill keeps them)."""
    _, k, v = layer.attention._qkv(layer.attention_norm(x), cos, sin)
    return k, v
