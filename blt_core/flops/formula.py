"""Forward FLOPs (pure arithmetic): one layer, one transformer position, a BLT's patches, a BPE byte.

One transformer layer, one position, width h, attended context m, feed-forward width f:

    2 * 4h^2            Q, K, V, O projections (multiply-add = 2 FLOPs)
  + 2 * 3hf (SwiGLU) or 2 * 2hf (plain MLP)
  + 2 * 2hm            scores q.k and the weighted sum of values

and the output head adds 2 h |V| per position. A BPE model per byte is its per-token
cost / bytes per token. BLT per patch is one global step plus, for each byte in the
patch, the local encoder, local decoder, the cross-attentions that join them and the
entropy model that drew the boundary.

>>> layer_flops(4, 8, 16)  # 2*4*16 + 2*3*4*16 + 2*2*4*8
640
"""

from __future__ import annotations

from typing import Any

import numpy as np

from blt_core.flops.shapes import BLTShape, TransformerConfig

COMPONENTS = ("global", "local_encoder", "local_decoder", "cross_attention", "entropy_model")


def layer_flops(h: int, m: float, f: int, *, swiglu: bool = True, kv: int | None = None) -> float:
    """Forward FLOPs of one layer at one position (see module docstring).

    `kv` is the K/V width under grouped-query attention (Llama 3 8B: 1024 of 4096);
    it shrinks two of the four projections. Attention itself still costs 2*2*h*m.
    >>> layer_flops(1, 1, 1, swiglu=False)  # 8 + 4 + 4
    16
    """
    kv = h if kv is None else kv
    return 2 * (2 * h * h + 2 * h * kv) + 2 * (3 if swiglu else 2) * h * f + 2 * 2 * h * m


def attended_context(cfg: TransformerConfig, context: Any) -> Any:
    """The context a position really attends to: `context`, capped by a sliding window.

    >>> attended_context(TransformerConfig("t", 1, 1, 1, 0, window=3), np.array([1, 5])).tolist()
    [1, 3]
    """
    return np.minimum(context, cfg.window) if cfg.window else context


def transformer_flops_per_position(cfg: TransformerConfig, *, context: Any) -> Any:
    """L layers + the output head at one position that attends to `context` positions.

    `context` may be an array (one entry per position); a sliding window caps it.
    >>> transformer_flops_per_position(TransformerConfig("t", 1, 2, 1, 3), context=1)  # 2*(8+6+4) + 2*1*3
    42
    """
    m = attended_context(cfg, context)
    per_layer = layer_flops(
        cfg.hidden_size, m, cfg.intermediate_size, swiglu=cfg.swiglu, kv=cfg.kv_size
    )
    return cfg.num_hidden_layers * per_layer + 2 * cfg.hidden_size * cfg.vocab_size


def cross_attention_flops(n_queries: Any, n_keys: Any, h: int) -> Any:
    """One cross-attention layer: Q,O on queries, K,V on keys, then scores and sum.

    >>> cross_attention_flops(2, 3, 1)  # 2*2*2 + 2*2*3 + 2*2*2*3
    44
    """
    return 2 * h * h * (2 * n_queries + 2 * n_keys) + 2 * 2 * h * n_queries * n_keys


def _cross_attention_per_patch(blt_cfg: BLTShape, lengths: Any) -> Any:
    """Encoder pooling + the k*h_E -> h_G -> k*h_D projections + decoder cross-attention, per patch."""
    k, enc, dec, g = blt_cfg.cross_attn_k, blt_cfg.local_encoder, blt_cfg.local_decoder, blt_cfg.global_model
    # Encoder: k patch queries pool the patch's bytes, then k*h_E -> h_G. Decoder: each byte
    # queries the k vectors the global output (h_G -> k*h_D) is split into, in every layer.
    enc_pool = cross_attention_flops(k, lengths, enc.hidden_size)
    projections = 2 * k * enc.hidden_size * g.hidden_size + 2 * g.hidden_size * k * dec.hidden_size
    dec_cross = blt_cfg.decoder_cross_attn_layers * cross_attention_flops(lengths, k, dec.hidden_size)
    return enc_pool + projections + dec_cross


def blt_flops_per_patch(
    blt_cfg: BLTShape, patch_lengths: np.ndarray, *, include_entropy_model: bool = True
) -> dict[str, np.ndarray]:
    """FLOPs spent on each patch of a text, by component (float64 arrays, one per patch).

    Contexts are the causal ones a real pass sees: patch j attends to j + 1 patches,
    byte k to k + 1 bytes, both capped by their model's window.

    >>> from blt_core.flops.shapes import BLT_1B
    >>> d = blt_flops_per_patch(BLT_1B, np.array([4, 2]))
    >>> sorted(d), d["global"].shape
    (['cross_attention', 'entropy_model', 'global', 'local_decoder', 'local_encoder', 'total'], (2,))
    """
    lengths = np.asarray(patch_lengths, dtype=np.int64)
    if lengths.ndim != 1 or len(lengths) == 0 or (lengths < 1).any():
        raise ValueError("patch_lengths must be a non-empty 1-D array of positive lengths")
    n_patches = len(lengths)
    byte_patch = np.repeat(np.arange(n_patches), lengths)  # patch index of each byte
    byte_context = np.arange(1, len(byte_patch) + 1, dtype=np.float64)

    def per_patch(model: TransformerConfig) -> np.ndarray:
        per_byte = transformer_flops_per_position(model, context=byte_context)
        return np.bincount(byte_patch, weights=per_byte, minlength=n_patches)

    g, ent = blt_cfg.global_model, blt_cfg.entropy_model
    out = {
        "global": np.asarray(
            transformer_flops_per_position(g, context=np.arange(1, n_patches + 1.0)), np.float64
        ),
        "local_encoder": per_patch(blt_cfg.local_encoder),
        "local_decoder": per_patch(blt_cfg.local_decoder),
        "cross_attention": _cross_attention_per_patch(blt_cfg, lengths).astype(np.float64),
        "entropy_model": per_patch(ent) if include_entropy_model and ent is not None else np.zeros(n_patches),
    }
    out["total"] = sum(out[c] for c in COMPONENTS)
    return out


def bpe_flops_per_byte(cfg: TransformerConfig, bytes_per_token: float, *, context: int = 4096) -> float:
    """Per-token cost at a fixed context, spread over the bytes a token covers.

    >>> bpe_flops_per_byte(TransformerConfig("t", 1, 2, 1, 3), 2.0, context=1)
    21.0
    """
    if bytes_per_token <= 0:
        raise ValueError("bytes_per_token must be positive")
    return float(transformer_flops_per_position(cfg, context=context)) / bytes_per_token


def blt_local_flops_per_byte(
    blt_cfg: BLTShape, patch_size: float, *, context_bytes: int = 8192,
    include_entropy_model: bool = False,
) -> float:
    """Average per-byte cost of everything except the global model, at a mean patch size.

    >>> from blt_core.flops.shapes import BLT_1B
    >>> f"{blt_local_flops_per_byte(BLT_1B, 6.0):.3e}"
    '3.372e+08'
    """
    enc, dec = blt_cfg.local_encoder, blt_cfg.local_decoder
    per_byte = float(transformer_flops_per_position(enc, context=context_bytes))
    per_byte += float(transformer_flops_per_position(dec, context=context_bytes))
    k = blt_cfg.cross_attn_k
    per_patch = cross_attention_flops(k, patch_size, enc.hidden_size)
    per_patch += 2 * k * (enc.hidden_size + dec.hidden_size) * blt_cfg.global_model.hidden_size
    per_patch += blt_cfg.decoder_cross_attn_layers * cross_attention_flops(patch_size, k, dec.hidden_size)
    per_byte += per_patch / patch_size
    if include_entropy_model and blt_cfg.entropy_model is not None:
        per_byte += float(transformer_flops_per_position(blt_cfg.entropy_model, context=context_bytes))
    return per_byte


def blt_flops_per_byte(blt_cfg: BLTShape, patch_size: float, *, context_bytes: int = 8192) -> float:
    """Whole-BLT cost per byte at a mean patch size: global step / patch size + local + entropy model.

    The global model attends to the patches that fit in `context_bytes`.
    >>> from blt_core.flops.shapes import BLT_1B
    >>> blt_flops_per_byte(BLT_1B, 8.0) < blt_flops_per_byte(BLT_1B, 4.0)
    True
    """
    glob = float(transformer_flops_per_position(blt_cfg.global_model, context=context_bytes / patch_size))
    local = blt_local_flops_per_byte(blt_cfg, float(patch_size), context_bytes=context_bytes,
                                     include_entropy_model=True)
    return glob / patch_size + local
