"""Building blocks shared by the generator's parts: attention with a ring-buffer KV cache.

Every attention has two entry points that compute the same function:
`forward` over a whole sequence with a boolean mask (training, teacher forcing), and
`step` for one new position against a KV cache (generation).

The step cache is a ring of S = window - 1 slots per layer, (B, H, S, D): the key of position
p lives in slot p % S, so the slots always hold the previous min(p, S) positions, exactly the
rest of the window. A step attends to the valid slots plus its own new key and returns that
new key and value; the stepper writes them into slot p % S itself (one row of H x D numbers).
Nothing else moves: a step graph that returned whole updated caches spent about a third of
its time copying them (and a masked select for rows that did not advance). Keys are stored
already rotated (RoPE), so slot order does not matter to attention.

>>> slot_valid(torch.tensor([0, 2, 9]), 4).int().tolist()  # 4 slots after 0, 2 and 9 positions
[[0, 0, 0, 0], [1, 1, 0, 0], [1, 1, 1, 1]]
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

from blt_core.entropy.model import RMSNorm, apply_rope, rope_tables


def slot_valid(pos: torch.Tensor, slots: int) -> torch.Tensor:
    """(B,) position of each row's new token -> (B, S) bool: slots holding an earlier position.

    Slot s is filled once s < pos (every slot index is below S, so no clamp to S is needed).
    """
    return torch.arange(slots, device=pos.device)[None, :] < pos[:, None]


def rope_for_positions(head_dim: int, pos: torch.Tensor, theta: float) -> tuple[torch.Tensor, torch.Tensor]:
    """(B,) positions -> cos, sin of shape (B, 1, 1, D/2), to rotate one new position per row."""
    cos, sin = rope_tables(head_dim, pos, theta)
    B = pos.shape[0]
    return cos.view(B, 1, 1, -1).to(pos.device), sin.view(B, 1, 1, -1).to(pos.device)


def no_empty_rows(allowed: torch.Tensor) -> torch.Tensor:
    """Let a query that may see nothing (a padding patch) see key 0 instead.

    CPU attention returns zeros for an all-masked row but CUDA kernels return NaN, and a NaN
    in a padding row poisons every gradient. Real queries always see something, so they are
    unchanged: [[T, F], [F, F]] -> [[T, F], [T, F]].
    """
    first = torch.zeros_like(allowed)
    first[..., 0] = True
    return allowed | (first & ~allowed.any(-1, keepdim=True))


def attend(q: torch.Tensor, k: torch.Tensor, v: torch.Tensor, allowed: torch.Tensor | None) -> torch.Tensor:
    """Plain softmax attention; q (B, H, Q, D), k/v (B, H, K, D), allowed broadcastable to (B, H, Q, K)."""
    scores = torch.matmul(q, k.transpose(-1, -2)).float() / math.sqrt(q.shape[-1])
    if allowed is not None:
        scores = scores.masked_fill(~allowed, float("-inf"))
    return torch.matmul(torch.softmax(scores, dim=-1).type_as(v), v)


def attend_step(q, k, v, cache_k, cache_v, valid) -> torch.Tensor:
    """One new position: q, k, v (B, H, 1, D) attend to the valid cache slots and to k itself.

    cache_k, cache_v (B, H, S, D), valid (B, S) -> (B, H, 1, D); the same softmax as `attend`
    over the slots plus the new key, without copying the cache to append k.
    """
    scale = 1.0 / math.sqrt(q.shape[-1])
    old = (torch.matmul(q, cache_k.transpose(-1, -2)).float() * scale).masked_fill(~valid[:, None, None, :],
                                                                                   float("-inf"))
    new = (q * k).sum(-1, keepdim=True).float() * scale  # (B, H, 1, 1)
    p = torch.softmax(torch.cat([old, new], dim=-1), dim=-1).type_as(v)
    return torch.matmul(p[..., :-1], cache_v) + p[..., -1:] * v


class FeedForward(nn.Module):
    def __init__(self, hidden: int, intermediate: int):
        super().__init__()
        self.w1 = nn.Linear(hidden, intermediate, bias=False)  # gate
        self.w3 = nn.Linear(hidden, intermediate, bias=False)  # up
        self.w2 = nn.Linear(intermediate, hidden, bias=False)  # down

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.w2(F.silu(self.w1(x)) * self.w3(x))


class _Projections(nn.Module):
    """The four bias-free projections of multi-head attention (names as in Llama: wq, wk, wv, wo)."""

    def __init__(self, hidden: int, heads: int):
        super().__init__()
        self.n_heads, self.head_dim = heads, hidden // heads
        self.wq = nn.Linear(hidden, hidden, bias=False)
        self.wk = nn.Linear(hidden, hidden, bias=False)
        self.wv = nn.Linear(hidden, hidden, bias=False)
        self.wo = nn.Linear(hidden, hidden, bias=False)


class SelfAttention(_Projections):
    """Causal self-attention with RoPE; the window lives in the mask (forward) or cache size (step)."""

    def _qkv(self, x, cos, sin):
        B, T, _ = x.shape
        q, k, v = (w(x).view(B, T, self.n_heads, self.head_dim).transpose(1, 2) for w in (self.wq, self.wk, self.wv))
        return apply_rope(q, cos, sin), apply_rope(k, cos, sin), v  # (B, H, T, D)

    def forward(self, x: torch.Tensor, cos: torch.Tensor, sin: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        """x (B, T, C), mask (T, T) bool (True = may attend) -> (B, T, C)."""
        B, T, _ = x.shape
        q, k, v = self._qkv(x, cos, sin)
        y = F.scaled_dot_product_attention(q, k, v, attn_mask=mask)
        return self.wo(y.transpose(1, 2).reshape(B, T, -1))

    def step(self, x, cos, sin, cache_k, cache_v, valid):
        """x (B, 1, C) at one new position per row -> y (B, 1, C) and its new key and value (B, H, 1, D)."""
        B = x.shape[0]
        q, k, v = self._qkv(x, cos, sin)
        y = attend_step(q, k, v, cache_k, cache_v, valid)
        return self.wo(y.transpose(1, 2).reshape(B, 1, -1)), k, v


class MemoryAttention(_Projections):
    """Each position attends to its own small set of k memory vectors (no mask needed).

    The decoder uses it: byte t reads the k vectors of the previous patch's global output.
    x (B, T, C), memory (B, T, k, C) -> (B, T, C).
    """

    def forward(self, x: torch.Tensor, memory: torch.Tensor) -> torch.Tensor:
        B, T, K, _ = memory.shape
        H, D = self.n_heads, self.head_dim
        q = self.wq(x).view(B, T, H, 1, D)
        k = self.wk(memory).view(B, T, K, H, D).transpose(2, 3)  # (B, T, H, K, D)
        v = self.wv(memory).view(B, T, K, H, D).transpose(2, 3)
        scores = torch.matmul(q, k.transpose(-1, -2)).float() / math.sqrt(D)  # (B, T, H, 1, K)
        y = torch.matmul(torch.softmax(scores, dim=-1).type_as(v), v)  # (B, T, H, 1, D)
        return self.wo(y.reshape(B, T, H * D))


class PatchPooling(nn.Module):
    """k learned queries per patch cross-attend to the encoder states of that patch's bytes.

    The k outputs (each local_hidden wide) are concatenated into one global-width patch vector.
    """

    def __init__(self, hidden: int, heads: int, k: int, eps: float):
        super().__init__()
        self.k, self.n_heads, self.head_dim = k, heads, hidden // heads
        self.queries = nn.Parameter(torch.zeros(k, hidden))
        self.norm = RMSNorm(hidden, eps)
        self.wq = nn.Linear(hidden, hidden, bias=False)
        self.wk = nn.Linear(hidden, hidden, bias=False)
        self.wv = nn.Linear(hidden, hidden, bias=False)
        self.wo = nn.Linear(hidden, hidden, bias=False)

    def _heads(self, x):  # (B, N, C) -> (B, H, N, D)
        return x.view(x.shape[0], x.shape[1], self.n_heads, self.head_dim).transpose(1, 2)

    def forward(self, h: torch.Tensor, allowed: torch.Tensor, num_patches: int, *, fused: bool = True) -> torch.Tensor:
        """h (B, T, C) byte states, allowed (B, P*k, T) bool -> patch vectors (B, P, k*C).

        Query row p*k + j is query j of patch p. `fused` picks SDPA (training) over the
        plain softmax the exported step uses; both compute the same function.
        """
        B, T, C = h.shape
        hn = self.norm(h)
        q = self._heads(self.wq(self.queries).unsqueeze(0).repeat(B, num_patches, 1))  # (B, H, P*k, D)
        k, v = self._heads(self.wk(hn)), self._heads(self.wv(hn))
        if fused:
            y = F.scaled_dot_product_attention(q, k, v, attn_mask=no_empty_rows(allowed)[:, None])
        else:
            y = attend(q, k, v, allowed[:, None])
        y = self.wo(y.transpose(1, 2).reshape(B, num_patches * self.k, C))
        return y.reshape(B, num_patches, self.k * C)


class Block(nn.Module):
    """Pre-norm transformer block: self-attention then SwiGLU."""

    def __init__(self, hidden: int, heads: int, intermediate: int, eps: float):
        super().__init__()
        self.attention = SelfAttention(hidden, heads)
        self.feed_forward = FeedForward(hidden, intermediate)
        self.attention_norm = RMSNorm(hidden, eps)
        self.ffn_norm = RMSNorm(hidden, eps)

    def forward(self, x, cos, sin, mask):
        x = x + self.attention(self.attention_norm(x), cos, sin, mask)
        return x + self.feed_forward(self.ffn_norm(x))

    def step(self, x, cos, sin, cache_k, cache_v, valid):
        """-> x (B, 1, C), the new key and value of this position."""
        a, k, v = self.attention.step(self.attention_norm(x), cos, sin, cache_k, cache_v, valid)
        x = x + a
        return x + self.feed_forward(self.ffn_norm(x)), k, v


class DecoderBlock(Block):
    """A Block preceded by cross-attention to the previous patch's global output."""

    def __init__(self, hidden: int, heads: int, intermediate: int, eps: float):
        super().__init__(hidden, heads, intermediate, eps)
        self.cross_attention = MemoryAttention(hidden, heads)
        self.cross_norm = RMSNorm(hidden, eps)

    def forward(self, x, cos, sin, mask, memory):
        x = x + self.cross_attention(self.cross_norm(x), memory)
        return super().forward(x, cos, sin, mask)

    def step(self, x, cos, sin, cache_k, cache_v, valid, memory):
        x = x + self.cross_attention(self.cross_norm(x), memory)
        return super().step(x, cos, sin, cache_k, cache_v, valid)
