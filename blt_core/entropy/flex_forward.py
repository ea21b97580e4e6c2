"""EntropyModel's scoring forward with one fused sliding-window attention kernel (issue 14, GPU speed).

`FlexForward(model)(ids, ...)` returns what `EntropyModel.forward_chunk(ids, blocked=True, ...)`
returns, (logits, present_kv), from the same modules and weights, but each layer attends with
`flex_attention` over the keys [past window, chunk] under a block-sparse mask, instead of
gathering every query block's window of keys (functional.blocked_window_attention: index_select,
float32 scores, softmax; on an H200 those kernels, not the matmuls, took most of the time).
flex_attention is only fused when compiled, so on CUDA the whole forward is torch.compile'd;
on CPU it runs eagerly (the reference kernel materializes every score: tests only). Each layer's
q, k, v projections run as one matmul, and so do the feed-forward's gate and up projections
(their weights concatenated per call, inside the compiled graph, where autocast copies every
weight to bf16 anyway): on an H200 that made the shipped model's forward 7% faster.

The mask is blocked_window_attention's. Keys are indexed [0, P) for the past (P = window when
there is one, else 0) and [P, P + T) for the chunk; the query at chunk position t sits at P + t.
It sees key j when P + t - window < j <= P + t (window keys, itself included), a past key only in
rows whose has_past is set, and, for packed rows, a chunk key only of its own segment.

>>> from blt_core.entropy.model import EntropyModelConfig
>>> cfg = EntropyModelConfig(hidden_size=32, num_hidden_layers=1, num_attention_heads=2,
...                          intermediate_size=64, window=8)
>>> model, ids = EntropyModel(cfg), torch.randint(4, 260, (2, 16))
>>> logits, present = FlexForward(model)(ids)
>>> bool((logits - model.forward_chunk(ids)[0]).abs().max() < 1e-4), tuple(present.shape)
(True, (1, 2, 2, 2, 8, 16))
"""

from __future__ import annotations

import copy
import warnings

import torch
import torch.nn.functional as F
from torch.nn.attention.flex_attention import BlockMask, flex_attention

from blt_core.entropy.model import EntropyModel
from blt_core.nn import apply_rope, rope_tables

BLOCK = 128  # flex_attention's default sparse block: the compiled kernel's tiles divide it
# compiled graphs kept for one FlexForward's forward: one per chunk-length bucket (bucket_length, 8 up to
# 8,192 tokens), with or without a past, packed or not, per dtype, each with a static and a dynamic batch
# size. Past the limit Dynamo would run flex_attention eagerly, materializing every score (tens of GB on a batch)
RECOMPILE_LIMIT = 128
# the fused kernel's tiles for heads of at most 64 dims (the shipped and official entropy models): on an H200
# 128 queries by 64 keys ran the official-size forward 4% and the shipped one up to 9% faster than
# flex_attention's own choice (bench/results/flex_tiles/: both, one session)
TILES_HEAD_DIM_64 = {"BLOCK_M": 128, "BLOCK_N": 64}


def bucket_length(T: int, window: int) -> int:
    """The chunk length a compiled forward runs at: T padded up to window * m, m a power of two or
    three quarters of one (1, 2, 3, 4, 6, 8, 12, 16, ...), so that score_bytes' many chunk lengths
    (every multiple of the window up to chunk_tokens) share a few compiled graphs while a padded
    chunk computes at most a third more than it needs (powers of two alone: up to twice; a
    corpus's last chunks lost 5% of an H200's time to it). Right padding never changes earlier,
    causal outputs. Other lengths run as they are.
    >>> [bucket_length(T, 512) for T in (512, 1024, 1536, 2560, 3584, 5120, 8192, 100)]
    [512, 1024, 1536, 3072, 4096, 6144, 8192, 100]
    """
    if T % window:
        return T
    m = T // window
    p = 1 << (m - 1).bit_length()  # the power of two at or above m
    return window * (3 * p // 4 if p >= 4 and m <= 3 * p // 4 else p)


def window_blocks(q_len: int, *, past_len: int, window: int, block: int) -> tuple[torch.Tensor, torch.Tensor]:
    """(partial, full) (nq, nk) bool grids of blocks of the sliding-window mask over [past, chunk] keys.

    A block is full when every query in it sees every key in it by the window rule alone, so
    the kernel may skip the mask there; partial when some pairs are seen; else it is skipped.
    Blocks holding past keys are never full: whether a row has a past varies row by row.
    Chunk of 4 after a past of 4, window 4, blocks of 2 (query blocks at keys 4-5 and 6-7):
    >>> partial, full = window_blocks(4, past_len=4, window=4, block=2)
    >>> partial.int().tolist(), full.int().tolist()
    ([[1, 1, 1, 0], [0, 1, 0, 1]], [[0, 0, 0, 0], [0, 0, 1, 0]])
    """
    kv_len = past_len + q_len
    q_lo = torch.arange(0, q_len, block) + past_len  # first and last key index of each query block's queries
    q_hi = torch.clamp(q_lo + block, max=kv_len) - 1
    k_lo = torch.arange(0, kv_len, block)
    k_hi = torch.clamp(k_lo + block, max=kv_len) - 1
    q_lo, q_hi, k_lo, k_hi = q_lo[:, None], q_hi[:, None], k_lo[None, :], k_hi[None, :]
    # query i sees keys (i - window, i]; over a block of queries that is the band (q_lo - window, q_hi]
    seen = (k_hi > q_lo - window) & (k_lo <= q_hi)
    full = (k_lo > q_hi - window) & (k_hi <= q_lo) & (k_lo >= past_len)
    return seen & ~full, full


def _ordered(dense: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """(nq, nk) bool -> BlockMask's (1, 1, nq) block counts and (1, 1, nq, nk) block indices, set ones first."""
    num = dense.sum(-1, dtype=torch.int32)
    idx = torch.argsort((~dense).to(torch.int8), dim=-1, stable=True).to(torch.int32)
    return num[None, None].contiguous(), idx[None, None].contiguous()


def window_mask_mod(window: int, past_len: int, has_past: torch.Tensor | None, segments: torch.Tensor | None):
    """flex_attention's mask_mod(b, h, q, kv) for the module docstring's mask; has_past (B,) bool
    (needed when past_len > 0), segments (B, T) int or None."""

    def mask_mod(b, h, q, kv):
        t = q + past_len  # the query's own key index
        ok = (kv <= t) & (kv > t - window)
        if segments is not None:  # clamp: a past key's index would be negative (its segment is not read)
            own = segments[b, q] == segments[b, (kv - past_len).clamp(min=0)]
            ok = ok & (own | (kv < past_len))
        if past_len:
            ok = ok & ((kv >= past_len) | has_past[b])
        return ok

    return mask_mod


def _layers(model: EntropyModel, ids, cos, sin, past_kv, block_mask, last, kernel_options=None, **ngram):
    """The body of EntropyModel.forward_chunk with flex_attention in place of the blocked kernel;
    last (window,) indexes the chunk positions whose keys and values are returned (present_kv);
    kernel_options go to flex_attention (its compiled kernel's tiles); ngram: an n-gram model's
    context and segments (EntropyModel.embed)."""
    x, preds = model.embed_and_match(ids, **ngram)  # (B, T, C)
    B, T, _ = x.shape
    presents = []
    for i, layer in enumerate(model.layers):
        att, ff = layer.attention, layer.feed_forward
        qkv = F.linear(layer.attention_norm(x), torch.cat([att.wq.weight, att.wk.weight, att.wv.weight]))
        q, k, v = (t.reshape(B, T, att.n_heads, att.head_dim).transpose(1, 2) for t in qkv.chunk(3, dim=-1))
        q, k = apply_rope(q, cos, sin), apply_rope(k, cos, sin)  # (B, H, T, D), as SelfAttention._qkv
        kf, vf = k, v
        if past_kv is not None:  # (B, H, W + T, D): the past window's keys first
            kf = torch.cat([past_kv[i, 0].to(k.dtype), k], dim=2)
            vf = torch.cat([past_kv[i, 1].to(v.dtype), v], dim=2)
        x = x + att.merge(flex_attention(q, kf, vf, block_mask=block_mask,
                                                  kernel_options=kernel_options))
        gate, up = F.linear(layer.ffn_norm(x), torch.cat([ff.w1.weight, ff.w3.weight])).chunk(2, dim=-1)
        x = x + ff.w2(F.silu(gate) * up)  # FeedForward
        presents.append(torch.stack((k.index_select(2, last), v.index_select(2, last))))
    return model.head(x, preds, ids), torch.stack(presents)


def _static(t: torch.Tensor | None, *dims: int) -> None:
    """Keep these dims of t out of Dynamo's automatic dynamic shapes: a second chunk length would
    otherwise turn the length symbolic in every later graph, and a symbolic length ran the shipped
    model's 8,192-token chunks about 10% slower on an H200 than the static graph did."""
    if t is not None:
        for d in dims:
            torch._dynamo.mark_static(t, d % t.dim())


class FlexForward:
    """EntropyModel.forward_chunk(blocked=True) through flex_attention (module docstring).

    compiled: torch.compile the forward (None: when the model is on CUDA, the only place where
    flex_attention becomes one fused kernel); compiled chunks are padded to bucket_length. The
    block layout depends only on the chunk length and on whether a past is given, so it is built
    once per pair and shared by every batch size; has_past and segments enter through the mask_mod,
    evaluated inside the partial blocks. kernel_options (compiled only) choose the fused kernel's
    tiles: "auto" takes TILES_HEAD_DIM_64 for heads of at most 64 dims, None flex_attention's own choice.
    """

    def __init__(self, model: EntropyModel, *, compiled: bool | None = None, block: int = BLOCK,
                 kernel_options: dict | str | None = "auto"):
        self.model = model
        self.block = block
        if kernel_options == "auto":
            kernel_options = dict(TILES_HEAD_DIM_64) if model.config.head_dim <= 64 else None
        self.kernel_options = kernel_options
        self.compiled = next(model.parameters()).device.type == "cuda" if compiled is None else compiled
        self.pad_to_bucket = self.compiled  # a test may set it to check the padding on CPU
        self._layers = torch.compile(_layers) if self.compiled else _layers
        self._layouts: dict[tuple, BlockMask] = {}

    def block_mask(self, T: int, *, past_len: int, has_past: torch.Tensor | None, segments: torch.Tensor | None,
                   device: torch.device) -> BlockMask:
        """The BlockMask of one call: the cached layout for (T, past_len) with this call's mask_mod."""
        key = (T, past_len, segments is not None, str(device))
        if key not in self._layouts:
            partial, full = window_blocks(T, past_len=past_len, window=self.model.config.window, block=self.block)
            if segments is not None:  # packed segments may split any block, so none can skip the mask
                partial, full = partial | full, torch.zeros_like(full)
            layout = [t.to(device) for t in (*_ordered(partial), *_ordered(full))]
            if self.compiled:  # sized by the chunk length: static, as the ids' length (_static)
                for t in layout:
                    _static(t, *range(t.dim()))
            self._layouts[key] = BlockMask.from_kv_blocks(*layout, BLOCK_SIZE=self.block,
                                                          seq_lengths=(T, past_len + T))
        # a shallow copy shares the layout tensors; only the mask_mod (its captured has_past and segments) is new
        mask = copy.copy(self._layouts[key])
        mask.mask_mod = window_mask_mod(self.model.config.window, past_len, has_past, segments)
        return mask

    @torch.no_grad()
    def __call__(self, ids: torch.Tensor, *, start_pos: torch.Tensor | int = 0, past_kv: torch.Tensor | None = None,
                 has_past: torch.Tensor | None = None, positions: torch.Tensor | None = None,
                 segments: torch.Tensor | None = None,
                 context: torch.Tensor | None = None) -> tuple[torch.Tensor, torch.Tensor]:
        """ids (B, T) -> (logits (B, T, vocab), present_kv (layers, 2, B, H, window, D)), as forward_chunk."""
        cfg, T = self.model.config, ids.shape[1]
        pad = bucket_length(T, cfg.window) - T if self.pad_to_bucket else 0
        if pad:  # padded keys come after every real query, so no real output sees them
            ids, positions, segments = (None if t is None else F.pad(t, (0, pad)) for t in (ids, positions, segments))
        if positions is None:
            pos = torch.arange(ids.shape[1], device=ids.device) + start_pos
            cos, sin = rope_tables(cfg.head_dim, pos, cfg.rope_theta)  # (T, D/2)
        else:
            cos, sin = (t[:, None] for t in rope_tables(cfg.head_dim, positions, cfg.rope_theta))  # (B, 1, T, D/2)
        # forward_chunk ignores a past without has_past (no row may read it), so it is dropped here
        past = past_kv if past_kv is not None and has_past is not None else None
        mask = self.block_mask(ids.shape[1], past_len=0 if past is None else cfg.window, has_past=has_past,
                               segments=segments, device=ids.device)
        last = torch.arange(max(0, T - cfg.window), T, device=ids.device)  # a tensor: T stays out of the graph
        # only an n-gram model's graphs take these (a plain model's compiled graphs stay as they were)
        ngram = {"context": context, "segments": segments} if cfg.context else {}
        if self.compiled:  # one graph per bucketed length, each static in it; the batch size may vary
            for t in (ids, segments):
                _static(t, 1)
            _static(cos, -2)
            _static(sin, -2)
            with torch._dynamo.config.patch(recompile_limit=RECOMPILE_LIMIT):
                logits, present = self._layers(self.model, ids, cos, sin, past, mask, last, self.kernel_options,
                                               **ngram)
        else:
            with warnings.catch_warnings():  # eager is this path's purpose (CPU tests), not an oversight
                warnings.filterwarnings("ignore", message="flex_attention called without torch.compile")
                logits, present = self._layers(self.model, ids, cos, sin, past, mask, last, **ngram)
        return logits[:, :T], present
