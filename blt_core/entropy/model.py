"""The entropy model: a Llama-style causal byte LM (torch only, no I/O).

RMSNorm pre-norm blocks, SwiGLU feed-forward, RoPE on interleaved pairs, untied input
and output embeddings, vocabulary 260, sliding-window attention. Parameter names match
the official `facebook/blt-entropy` original layout (`tok_embeddings`, `layers.N.attention.wq`,
`layers.N.feed_forward.w1`, `norm`, `output`) so its `consolidated.pth` loads unchanged.

Sliding window W: position i attends to positions i-W+1 .. i (W keys, itself included).
For sequences longer than W the attention is computed block-wise: queries in block b
(W positions) see only blocks b-1 and b, so a pass over n bytes costs O(n * W), not O(n^2),
and a single pass over a long input equals the official sliding-window mask exactly.

>>> cfg = EntropyModelConfig(hidden_size=32, num_hidden_layers=1, num_attention_heads=2,
...                          intermediate_size=64, window=8)
>>> EntropyModel(cfg)(torch.ones(1, 20, dtype=torch.long)).shape
torch.Size([1, 20, 260])
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import torch
import torch.nn.functional as F
from torch import nn


@dataclass(frozen=True)
class EntropyModelConfig:
    vocab_size: int = 260  # 256 byte values + 4 special ids (constants.py)
    hidden_size: int = 256  # small enough to score ~30 KB/s on two CPU cores
    num_hidden_layers: int = 4
    num_attention_heads: int = 4  # head dim 64, as in the official model
    intermediate_size: int = 768  # SwiGLU width (3x hidden)
    window: int = 512  # sliding attention window, as the official entropy model
    rope_theta: float = 10000.0  # official value
    norm_eps: float = 1e-5  # official value

    @property
    def head_dim(self) -> int:
        return self.hidden_size // self.num_attention_heads

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict) -> "EntropyModelConfig":
        return cls(**{k: d[k] for k in cls.__dataclass_fields__ if k in d})


def official_ffn_width(dim: int, *, multiple_of: int = 256, ffn_dim_multiplier: float | None = None) -> int:
    """Llama's SwiGLU width rule, used by the official params.json: 768 -> 2048."""
    hidden = int(2 * 4 * dim / 3)
    if ffn_dim_multiplier is not None:
        hidden = int(ffn_dim_multiplier * hidden)
    return multiple_of * ((hidden + multiple_of - 1) // multiple_of)


class RMSNorm(nn.Module):
    def __init__(self, dim: int, eps: float):
        super().__init__()
        self.eps = eps
        self.weight = nn.Parameter(torch.ones(dim))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        xf = x.float()  # norm in float32 even under bf16 autocast, as Llama does
        xf = xf * torch.rsqrt(xf.pow(2).mean(-1, keepdim=True) + self.eps)
        return xf.type_as(x) * self.weight


def rope_tables(head_dim: int, positions: torch.Tensor, theta: float) -> tuple[torch.Tensor, torch.Tensor]:
    """cos, sin of shape (T, head_dim/2) for rotating interleaved pairs (x0,x1), (x2,x3), ..."""
    inv = 1.0 / (theta ** (torch.arange(0, head_dim, 2, dtype=torch.float32, device=positions.device) / head_dim))
    ang = positions.float()[:, None] * inv[None, :]
    return torch.cos(ang), torch.sin(ang)


def apply_rope(x: torch.Tensor, cos: torch.Tensor, sin: torch.Tensor) -> torch.Tensor:
    """Rotate interleaved pairs of x (B, H, T, D) by the angles in cos/sin (T, D/2)."""
    shape = x.shape
    xp = x.float().reshape(*shape[:-1], shape[-1] // 2, 2)
    x0, x1 = xp[..., 0], xp[..., 1]
    out = torch.stack((x0 * cos - x1 * sin, x0 * sin + x1 * cos), dim=-1)
    return out.reshape(shape).type_as(x)


def blocked_window_attention(q: torch.Tensor, k: torch.Tensor, v: torch.Tensor, window: int,
                             past_k: torch.Tensor | None = None, past_v: torch.Tensor | None = None,
                             has_past: torch.Tensor | None = None, block: int | None = None) -> torch.Tensor:
    """Exact sliding-window causal attention in O(T * (window + block)); T a multiple of `block`.

    q, k, v: (B, H, T, D). Queries go in blocks of `block` positions (default window / 4);
    a query block reads the `window + block` keys that end with it, so each query computes
    scores for window + block keys instead of all T (or 2 * window with window-sized blocks).
    With window=2, block=1 and T=4, query 3 sees keys 2 and 3, query 2 sees 1 and 2.
    past_k / past_v (B, H, window, D): keys and values of the window positions before this
    chunk (previous call), used where has_past (B,) is true, so a long input scored chunk by
    chunk equals one full pass while each byte is computed once.
    """
    B, H, T, D = q.shape
    S = block or max(1, window // 4)
    if past_k is None:
        past_k = torch.zeros_like(k[:, :, :1]).expand(B, H, window, D)
        past_v = torch.zeros_like(v[:, :, :1]).expand(B, H, window, D)
    kf = torch.cat([past_k.to(k.dtype), k], dim=2)  # (B, H, W + T, D): key t of the chunk at W + t
    vf = torch.cat([past_v.to(v.dtype), v], dim=2)
    starts = torch.arange(0, T, S, device=q.device)  # (nb,) first position of each query block
    idx = starts[:, None] + torch.arange(window + S, device=q.device)[None, :]  # (nb, W + S) into kf
    kb = kf[:, :, idx]  # (B, H, nb, W + S, D)
    vb = vf[:, :, idx]
    qb = q.reshape(B, H, -1, S, D)  # -1: the block count stays dynamic in ONNX
    scores = torch.matmul(qb, kb.transpose(-1, -2)) * (1.0 / math.sqrt(D))  # (B, H, nb, S, W + S)
    i = torch.arange(S, device=q.device)[:, None]
    j = torch.arange(window + S, device=q.device)[None, :]
    allowed = (j > i) & (j <= i + window)  # distance i + W - j within 0 .. W-1
    in_chunk = (starts[:, None, None] + j[None]) >= window  # (nb, 1, W + S): not a past key
    ok = allowed[None, None, None] & in_chunk[None, None]
    if has_past is not None:  # past keys count only for rows that have a past
        ok = ok | (allowed[None, None, None] & ~in_chunk[None, None] & has_past[:, None, None, None, None])
    # an additive bias over (B, 1, nb, S, W + S), broadcast over heads: cheaper than masking scores
    bias = torch.zeros(ok.shape, dtype=torch.float32, device=q.device).masked_fill(~ok, float("-inf"))
    probs = torch.softmax(scores.float() + bias, dim=-1).type_as(vb)
    return torch.matmul(probs, vb).reshape(B, H, T, D)


class Attention(nn.Module):
    def __init__(self, cfg: EntropyModelConfig):
        super().__init__()
        h, d = cfg.hidden_size, cfg.head_dim * cfg.num_attention_heads
        self.n_heads, self.head_dim, self.window = cfg.num_attention_heads, cfg.head_dim, cfg.window
        self.wq = nn.Linear(h, d, bias=False)
        self.wk = nn.Linear(h, d, bias=False)
        self.wv = nn.Linear(h, d, bias=False)
        self.wo = nn.Linear(d, h, bias=False)

    def forward(self, x: torch.Tensor, cos: torch.Tensor, sin: torch.Tensor, blocked: bool,
                past: tuple | None = None) -> tuple[torch.Tensor, tuple[torch.Tensor, torch.Tensor]]:
        """x (B, T, C) -> (y (B, T, C), (k, v) of the last window positions, for the next chunk)."""
        B, T, _ = x.shape
        q, k, v = (w(x).view(B, T, self.n_heads, self.head_dim).transpose(1, 2) for w in (self.wq, self.wk, self.wv))
        q, k = apply_rope(q, cos, sin), apply_rope(k, cos, sin)
        if blocked:
            pk, pv, has = past if past is not None else (None, None, None)
            y = blocked_window_attention(q, k, v, self.window, pk, pv, has)
        else:  # T <= window: the window is the whole causal prefix, flash attention applies
            y = F.scaled_dot_product_attention(q, k, v, is_causal=True)
        return self.wo(y.transpose(1, 2).reshape(B, T, -1)), (k[:, :, -self.window:], v[:, :, -self.window:])


class FeedForward(nn.Module):
    def __init__(self, cfg: EntropyModelConfig):
        super().__init__()
        self.w1 = nn.Linear(cfg.hidden_size, cfg.intermediate_size, bias=False)  # gate
        self.w3 = nn.Linear(cfg.hidden_size, cfg.intermediate_size, bias=False)  # up
        self.w2 = nn.Linear(cfg.intermediate_size, cfg.hidden_size, bias=False)  # down

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.w2(F.silu(self.w1(x)) * self.w3(x))


class TransformerBlock(nn.Module):
    def __init__(self, cfg: EntropyModelConfig):
        super().__init__()
        self.attention = Attention(cfg)
        self.feed_forward = FeedForward(cfg)
        self.attention_norm = RMSNorm(cfg.hidden_size, cfg.norm_eps)
        self.ffn_norm = RMSNorm(cfg.hidden_size, cfg.norm_eps)

    def forward(self, x, cos, sin, blocked, past=None):
        a, present = self.attention(self.attention_norm(x), cos, sin, blocked, past)
        x = x + a
        return x + self.feed_forward(self.ffn_norm(x)), present


class EntropyModel(nn.Module):
    def __init__(self, cfg: EntropyModelConfig):
        super().__init__()
        self.config = cfg
        self.tok_embeddings = nn.Embedding(cfg.vocab_size, cfg.hidden_size)
        self.layers = nn.ModuleList(TransformerBlock(cfg) for _ in range(cfg.num_hidden_layers))
        self.norm = RMSNorm(cfg.hidden_size, cfg.norm_eps)
        self.output = nn.Linear(cfg.hidden_size, cfg.vocab_size, bias=False)

    def init_weights(self, *, seed: int = 0) -> "EntropyModel":
        """Small-normal init (std 0.02, residual outputs scaled by depth) for training from scratch."""
        g = torch.Generator().manual_seed(seed)
        for name, p in self.named_parameters():
            if p.dim() == 1:
                continue
            std = 0.02 / math.sqrt(2 * self.config.num_hidden_layers) if name.endswith(("wo.weight", "w2.weight")) else 0.02
            with torch.no_grad():
                p.copy_(torch.randn(p.shape, generator=g) * std)
        return self

    def forward(self, ids: torch.Tensor, *, blocked: bool | None = None) -> torch.Tensor:
        """ids (B, T) -> logits (B, T, vocab). Output t predicts the token after input t.

        `blocked` defaults to T > window (pads T up to a multiple of the window on the right,
        which never changes earlier, causal outputs).
        """
        B, T = ids.shape
        W = self.config.window
        blocked = T > W if blocked is None else blocked
        pad = (-T) % W if blocked else 0
        if pad:
            ids = F.pad(ids, (0, pad))
        logits, _ = self.forward_chunk(ids, blocked=blocked)
        return logits[:, :T] if pad else logits

    def forward_chunk(self, ids: torch.Tensor, *, blocked: bool = True, start_pos: torch.Tensor | int = 0,
                      past_kv: torch.Tensor | None = None, has_past: torch.Tensor | None = None):
        """One chunk of a long input: (logits, present_kv).

        past_kv / present_kv: (layers, 2, B, H, window, D), keys and values of the last window
        positions before / of this chunk; has_past (B,) bool says which rows have a past.
        start_pos is the chunk's first position (RoPE is relative, so it only has to be
        consistent with the past). With blocked=True, T must be a multiple of the window.
        """
        x = self.tok_embeddings(ids)  # (B, T, C)
        pos = torch.arange(ids.shape[1], device=ids.device) + start_pos
        cos, sin = rope_tables(self.config.head_dim, pos, self.config.rope_theta)
        presents = []
        for i, layer in enumerate(self.layers):
            past = None if past_kv is None else (past_kv[i, 0], past_kv[i, 1], has_past)
            x, present = layer(x, cos, sin, blocked, past)
            presents.append(torch.stack(present))
        return self.output(self.norm(x)), torch.stack(presents)

    def num_parameters(self) -> int:
        return sum(p.numel() for p in self.parameters())
