"""Building blocks shared by the generator's parts: attention with a ring-buffer KV cache.

Every attention has two entry points that compute the same function:
`forward` over a whole sequence with a boolean mask (training, teacher forcing), and
`step` for one new position against a KV cache (generation), in one of two forms:

- growing (entropy model, local models): the cache holds the previous min(t, W-1) positions;
  the step appends the new key, attends to all of them (exactly the sliding window of W) and
  returns the last W-1. Rows of a batch advance together, so they share one length.
- fixed (global model): W slots (B, H, W, D) shifted left by one per step, the new key last,
  with a per-row validity mask (slots before position 0) and an `update` flag, because in a
  batch each row closes its patches at its own times.

Keys are stored already rotated (RoPE). Shifting and appending are plain copies, which ONNX
Runtime does at memory speed (an indexed scatter into a ring buffer was several times slower).

>>> valid_slots(torch.tensor([0, 2, 9]), 4).int().tolist()
[[0, 0, 0, 1], [0, 1, 1, 1], [1, 1, 1, 1]]
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

from blt_core.entropy_model import RMSNorm, apply_rope, rope_tables


def valid_slots(pos: torch.Tensor, window: int) -> torch.Tensor:
    """(B,) positions just written -> (B, W) bool: which slots hold a position of the window."""
    filled = torch.clamp(pos + 1, max=window)
    return torch.arange(window, device=pos.device)[None, :] >= (window - filled)[:, None]


def rope_for_positions(head_dim: int, pos: torch.Tensor, theta: float) -> tuple[torch.Tensor, torch.Tensor]:
    """(B,) positions -> cos, sin of shape (B, 1, 1, D/2), to rotate one new position per row."""
    cos, sin = rope_tables(head_dim, pos, theta)
    B = pos.shape[0]
    return cos.view(B, 1, 1, -1).to(pos.device), sin.view(B, 1, 1, -1).to(pos.device)


def shift_in(cache: torch.Tensor, new: torch.Tensor, update: torch.Tensor | None) -> torch.Tensor:
    """cache (B, H, W, D), new (B, H, 1, D) -> oldest slot dropped, `new` last; rows with update False unchanged."""
    out = torch.cat([cache[:, :, 1:], new], dim=2)
    if update is not None:
        out = torch.where(update.view(-1, 1, 1, 1), out, cache)
    return out


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

    def step(self, x, cos, sin, cache_k, cache_v, window, valid=None, update=None):
        """x (B, 1, C) at one new position per row -> y (B, 1, C), updated (cache_k, cache_v).

        valid None: growing cache (B, H, <= W-1, D); else fixed cache (B, H, W, D) with valid (B, W).
        """
        B = x.shape[0]
        q, k, v = self._qkv(x, cos, sin)
        if valid is None:
            keys, values = torch.cat([cache_k, k], dim=2), torch.cat([cache_v, v], dim=2)
            y = attend(q, keys, values, None)
            cache_k, cache_v = keys[:, :, 1 - window:], values[:, :, 1 - window:]
        else:
            cache_k, cache_v = shift_in(cache_k, k, update), shift_in(cache_v, v, update)
            y = attend(q, cache_k, cache_v, valid[:, None, None, :])
        return self.wo(y.transpose(1, 2).reshape(B, 1, -1)), cache_k, cache_v


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

    def step(self, x, cos, sin, cache_k, cache_v, window, valid=None, update=None):
        a, cache_k, cache_v = self.attention.step(self.attention_norm(x), cos, sin, cache_k, cache_v, window, valid, update)
        x = x + a
        return x + self.feed_forward(self.ffn_norm(x)), cache_k, cache_v


class DecoderBlock(Block):
    """A Block preceded by cross-attention to the previous patch's global output."""

    def __init__(self, hidden: int, heads: int, intermediate: int, eps: float):
        super().__init__(hidden, heads, intermediate, eps)
        self.cross_attention = MemoryAttention(hidden, heads)
        self.cross_norm = RMSNorm(hidden, eps)

    def forward(self, x, cos, sin, mask, memory):
        x = x + self.cross_attention(self.cross_norm(x), memory)
        return super().forward(x, cos, sin, mask)

    def step(self, x, cos, sin, cache_k, cache_v, window, memory):
        x = x + self.cross_attention(self.cross_norm(x), memory)
        return super().step(x, cos, sin, cache_k, cache_v, window)
