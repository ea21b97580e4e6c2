"""Transformer modules shared by the entropy model and the generator (torch only, no I/O).

Names follow Llama and the official BLT checkpoints (`attention.wq`, `feed_forward.w1`,
`attention_norm`, `ffn_norm`), so official weights load unchanged. Every attention has up to
three entry points computing the same function: `forward` over a whole sequence with a
boolean mask (training), `forward_chunk` over a long input in windowed blocks with the past
window's keys and values (the entropy model's scoring), `step` for one new position
against a ring KV cache (generation), and `prefill` for a whole prompt at once, returning
every position's key and value for those caches.

>>> blk = Block(8, 2, 16, 1e-5)
>>> cos, sin = rope_tables(4, torch.arange(3), 10000.0)
>>> blk(torch.zeros(1, 3, 8), cos, sin, torch.ones(3, 3, dtype=torch.bool)).shape
torch.Size([1, 3, 8])
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

from blt_core.nn.functional import apply_rope, attend, attend_step, blocked_window_attention, no_empty_rows, rope_tables


class RMSNorm(nn.Module):
    def __init__(self, dim: int, eps: float):
        super().__init__()
        self.eps = eps
        self.weight = nn.Parameter(torch.ones(dim))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        xf = x.float()  # norm in float32 even under bf16 autocast, as Llama does
        xf = xf * torch.rsqrt(xf.pow(2).mean(-1, keepdim=True) + self.eps)
        return xf.type_as(x) * self.weight


class FeedForward(nn.Module):
    """SwiGLU: w2(silu(w1 x) * w3 x)."""

    def __init__(self, hidden: int, intermediate: int):
        super().__init__()
        self.w1 = nn.Linear(hidden, intermediate, bias=False)  # gate
        self.w3 = nn.Linear(hidden, intermediate, bias=False)  # up
        self.w2 = nn.Linear(intermediate, hidden, bias=False)  # down

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.w2(F.silu(self.w1(x)) * self.w3(x))


class Projections(nn.Module):
    """The four bias-free projections of multi-head attention (names as in Llama: wq, wk, wv, wo)."""

    def __init__(self, hidden: int, heads: int):
        super().__init__()
        self.n_heads, self.head_dim = heads, hidden // heads
        self.wq = nn.Linear(hidden, hidden, bias=False)
        self.wk = nn.Linear(hidden, hidden, bias=False)
        self.wv = nn.Linear(hidden, hidden, bias=False)
        self.wo = nn.Linear(hidden, hidden, bias=False)

    def heads(self, x: torch.Tensor) -> torch.Tensor:
        """(B, N, C) -> (B, H, N, D)."""
        return x.view(x.shape[0], x.shape[1], self.n_heads, self.head_dim).transpose(1, 2)

    def merge(self, y: torch.Tensor) -> torch.Tensor:
        """(B, H, N, D) -> wo applied to (B, N, C)."""
        return self.wo(y.transpose(1, 2).reshape(y.shape[0], y.shape[2], -1))


class SelfAttention(Projections):
    """Causal self-attention with RoPE; the window lives in the mask (forward), the blocks
    (forward_chunk) or the cache size (step)."""

    def _qkv(self, x, cos, sin):
        q, k, v = (self.heads(w(x)) for w in (self.wq, self.wk, self.wv))
        return apply_rope(q, cos, sin), apply_rope(k, cos, sin), v  # (B, H, T, D)

    def forward(self, x: torch.Tensor, cos: torch.Tensor, sin: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        """x (B, T, C), mask (T, T) bool (True = may attend) -> (B, T, C)."""
        q, k, v = self._qkv(x, cos, sin)
        return self.merge(F.scaled_dot_product_attention(q, k, v, attn_mask=mask))

    def forward_chunk(self, x: torch.Tensor, cos: torch.Tensor, sin: torch.Tensor, *, window: int, blocked: bool,
                      past: tuple | None = None,
                      segments: torch.Tensor | None = None) -> tuple[torch.Tensor, tuple[torch.Tensor, torch.Tensor]]:
        """x (B, T, C) -> (y (B, T, C), (k, v) of the last `window` positions, for the next chunk).

        blocked: exact sliding window in blocks (T a multiple of the window), with the past
        chunk's keys and values `past` = (k, v, has_past); otherwise T <= window and the window
        is the whole causal prefix, so fused causal attention applies. segments (B, T): packed
        independent segments, blocked only (functional.blocked_window_attention).
        """
        q, k, v = self._qkv(x, cos, sin)
        if blocked:
            pk, pv, has = past if past is not None else (None, None, None)
            y = blocked_window_attention(q, k, v, window, pk, pv, has, segments=segments)
        else:
            if segments is not None:
                raise ValueError("packed segments need the blocked path")
            y = F.scaled_dot_product_attention(q, k, v, is_causal=True)
        return self.merge(y), (k[:, :, -window:], v[:, :, -window:])

    def step(self, x, cos, sin, cache_k, cache_v, valid):
        """x (B, 1, C) at one new position per row -> y (B, 1, C) and its new key and value (B, H, 1, D)."""
        q, k, v = self._qkv(x, cos, sin)
        return self.merge(attend_step(q, k, v, cache_k, cache_v, valid)), k, v

    def prefill(self, x, cos, sin, *, window: int):
        """x (B, T, C) from position 0, T a multiple of the window -> y (B, T, C) and every position's
        key and value (B, H, T, D): what `step` would have stored, position by position."""
        q, k, v = self._qkv(x, cos, sin)
        return self.merge(blocked_window_attention(q, k, v, window)), k, v


class MemoryAttention(Projections):
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


class PatchPooling(Projections):
    """k learned queries per patch cross-attend to the encoder states of that patch's bytes.

    The k outputs (each local_hidden wide) are concatenated into one global-width patch vector.
    """

    def __init__(self, hidden: int, heads: int, k: int, eps: float):
        super().__init__(hidden, heads)
        self.k = k
        self.queries = nn.Parameter(torch.zeros(k, hidden))
        self.norm = RMSNorm(hidden, eps)

    def forward(self, h: torch.Tensor, allowed: torch.Tensor, num_patches: int, *, fused: bool = True) -> torch.Tensor:
        """h (B, T, C) byte states, allowed (B, P*k, T) bool -> patch vectors (B, P, k*C).

        Query row p*k + j is query j of patch p. `fused` picks SDPA (training) over the
        plain softmax the exported step uses; both compute the same function.
        """
        B, T, C = h.shape
        hn = self.norm(h)
        q = self.heads(self.wq(self.queries).unsqueeze(0).repeat(B, num_patches, 1))  # (B, H, P*k, D)
        k, v = self.heads(self.wk(hn)), self.heads(self.wv(hn))
        if fused:
            y = F.scaled_dot_product_attention(q, k, v, attn_mask=no_empty_rows(allowed)[:, None])
        else:
            y = attend(q, k, v, allowed[:, None])
        return self.merge(y).reshape(B, num_patches, self.k * C)

    def pool_segments(self, h: torch.Tensor, patch_ids: torch.Tensor, num_patches: int) -> torch.Tensor:
        """h (B, T, C), patch_ids (B, T) -> (B, P, k*C): `forward` with pooling_mask(patch_ids, P, k)
        for every patch that has bytes, in O(T * k) instead of O(P * k * T); a patch with no bytes
        (padding) gives wo(0) = 0 instead of a mean over every byte.

        Why it can: the k queries are the same learned vectors for every patch, so a byte's scores
        do not depend on its patch, and each patch's softmax is a segment softmax over its bytes
        (max, sum and weighted sum by scatter over patch ids). The prompt's prefill used the masked
        form, a (P*k, T) score matrix that took a fifth of its time (issue 12).
        """
        B, T, C = h.shape
        H, D, K = self.n_heads, self.head_dim, self.k
        hn = self.norm(h)
        q = self.wq(self.queries).view(K, H, D).transpose(0, 1)  # (H, K, D), shared by every patch
        k, v = self.heads(self.wk(hn)), self.heads(self.wv(hn))  # (B, H, T, D)
        s = torch.matmul(q, k.transpose(-1, -2)).float() / math.sqrt(D)  # (B, H, K, T)
        ids = patch_ids[:, None, None, :].expand(B, H, K, T)
        top = torch.full((B, H, K, num_patches), float("-inf"), dtype=s.dtype, device=s.device)
        top = top.scatter_reduce(-1, ids, s, reduce="amax", include_self=True)
        e = torch.exp(s - top.gather(-1, ids))  # (B, H, K, T), at most 1
        den = torch.zeros_like(top).scatter_add(-1, ids, e)
        num = torch.zeros(B, H, K, num_patches, D, dtype=s.dtype, device=s.device)
        num = num.scatter_add(3, ids[..., None].expand(B, H, K, T, D), e[..., None] * v[:, :, None].float())
        y = (num / den.clamp_min(torch.finfo(den.dtype).tiny)[..., None]).type_as(v)  # (B, H, K, P, D)
        y = y.permute(0, 3, 2, 1, 4).reshape(B, num_patches * K, H * D)  # row p*k + j: query j of patch p
        return self.wo(y).reshape(B, num_patches, K * C)


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

    def forward_chunk(self, x, cos, sin, *, window: int, blocked: bool, past=None, segments=None):
        """-> x, (k, v) of the last window positions (SelfAttention.forward_chunk)."""
        a, present = self.attention.forward_chunk(self.attention_norm(x), cos, sin, window=window, blocked=blocked,
                                                  past=past, segments=segments)
        x = x + a
        return x + self.feed_forward(self.ffn_norm(x)), present

    def step(self, x, cos, sin, cache_k, cache_v, valid):
        """-> x (B, 1, C), the new key and value of this position."""
        a, k, v = self.attention.step(self.attention_norm(x), cos, sin, cache_k, cache_v, valid)
        x = x + a
        return x + self.feed_forward(self.ffn_norm(x)), k, v

    def prefill(self, x, cos, sin, *, window: int):
        """-> x (B, T, C), every position's key and value (SelfAttention.prefill)."""
        a, k, v = self.attention.prefill(self.attention_norm(x), cos, sin, window=window)
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

    def prefill(self, x, cos, sin, *, window: int, memory):
        x = x + self.cross_attention(self.cross_norm(x), memory)
        return super().prefill(x, cos, sin, window=window)
