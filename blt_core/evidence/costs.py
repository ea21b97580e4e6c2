"""Inference FLOPs per byte of both families, from the one accountant (`blt_core.flops`), and the
BLT global model that a BPE model's per-byte budget buys.

Each number is averaged over the positions of one training context (`seq_bytes` bytes): the BPE
model pays `transformer_flops_per_position` at contexts 1..T tokens, divided by bytes per token;
the BLT pays its local models per byte (`generator_byte_flops`) and one global step per patch
(`generator_global_step_flops`, patches of the mean length), and, when counted, the entropy
model per byte (`entropy_byte_flops`). Training FLOPs = 3 x these x training bytes (forward
plus a backward of twice the forward); the frozen entropy model's forward is reported apart.

>>> tiny = token_lm_config(vocab_size=300, hidden_size=64, num_hidden_layers=1, seq_tokens=8)
>>> round(bpe_flops_per_byte(tiny, bytes_per_token=4.0))  # (8*64^2 + 6*64*192 + 4*64*4.5 + 2*64*300) / 4
36512
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import numpy as np

from blt_core import flops
from blt_core.entropy.model import EntropyModelConfig
from blt_core.generator.config import BLTConfig

TRAIN_FLOPS_PER_FORWARD = 3  # forward + backward (about twice the forward)
HEAD_DIM = 64  # attention head width, as everywhere in the project


def swiglu_width(hidden: int, *, multiple: int = 32) -> int:
    """Llama's SwiGLU width: 8h/3 rounded up to a multiple of `multiple`: 256 -> 704.

    >>> swiglu_width(256), swiglu_width(384)
    (704, 1024)
    """
    return -(-int(8 * hidden / 3) // multiple) * multiple


def token_lm_config(*, vocab_size: int, hidden_size: int, num_hidden_layers: int, seq_tokens: int) -> EntropyModelConfig:
    """The BPE baseline's shape. It is the entropy model's class (a Llama-style decoder from blt_core.nn:
    RMSNorm, SwiGLU, RoPE, untied embeddings) at the BPE vocabulary, its window the whole context."""
    return EntropyModelConfig(vocab_size=vocab_size, hidden_size=hidden_size, num_hidden_layers=num_hidden_layers,
                              num_attention_heads=max(1, hidden_size // HEAD_DIM),
                              intermediate_size=swiglu_width(hidden_size), window=seq_tokens)


def as_transformer(cfg: EntropyModelConfig, name: str = "bpe") -> flops.TransformerConfig:
    return flops.TransformerConfig(name, cfg.hidden_size, cfg.num_hidden_layers, cfg.intermediate_size,
                                   cfg.vocab_size, window=cfg.window)


def bpe_flops_per_byte(cfg: EntropyModelConfig, *, bytes_per_token: float) -> float:
    """Mean over a context of cfg.window tokens of the per-token FLOPs, per byte."""
    per_token = flops.transformer_flops_per_position(as_transformer(cfg), context=np.arange(1, cfg.window + 1))
    return float(np.mean(per_token)) / bytes_per_token


def blt_flops_per_byte(cfg: BLTConfig, *, patch_length: float, seq_bytes: int) -> float:
    """Local models per byte + one global step per patch of `patch_length` bytes, over `seq_bytes` bytes.

    >>> from blt_core.generator.config import BLTConfig
    >>> a, b = (blt_flops_per_byte(BLTConfig(), patch_length=p, seq_bytes=512) for p in (4.5, 8.0))
    >>> a > b  # longer patches: fewer global steps per byte
    True
    """
    local = np.mean([flops.generator_byte_flops(cfg, k) for k in range(seq_bytes)])
    n_patches = max(1, int(round(seq_bytes / patch_length)))
    glob = sum(flops.generator_global_step_flops(cfg, p, patch_length) for p in range(n_patches))
    return float(local + glob / seq_bytes)


def entropy_flops_per_byte(entropy_cfg: dict[str, Any], *, seq_bytes: int) -> float:
    """The entropy model's FLOPs per byte over a context of `seq_bytes` (its window caps it)."""
    return float(np.mean([flops.entropy_byte_flops(entropy_cfg, k) for k in range(seq_bytes)]))


def match_global(template: BLTConfig, *, budget: float, patch_length: float, seq_bytes: int,
                 depth: int, patch_ks: tuple[int, ...] = (2, 3, 4, 6, 8)) -> BLTConfig:
    """The template with a global model sized so the BLT's FLOPs per byte hit `budget`.

    Rule: for each patch_k (global width = patch_k x local width, heads of HEAD_DIM), the SwiGLU
    width 8G/3 and the layer count that fits the budget; keep the patch_k whose layer count is
    nearest `depth` (the BPE model's), then tune the SwiGLU width (multiples of 8) so the total
    lands on the budget. ValueError when the local models alone cost more than the budget.

    >>> t = BLTConfig(local_hidden_size=64, local_num_attention_heads=1, global_hidden_size=128,
    ...               global_num_attention_heads=2, local_intermediate_size=192, hash_dim=4)
    >>> m = match_global(t, budget=2e6, patch_length=4.5, seq_bytes=256, depth=4)
    >>> abs(blt_flops_per_byte(m, patch_length=4.5, seq_bytes=256) / 2e6 - 1) < 0.01
    True
    """
    def cost(cfg: BLTConfig) -> float:
        return blt_flops_per_byte(cfg, patch_length=patch_length, seq_bytes=seq_bytes)

    best = None
    for k in patch_ks:
        G = k * template.local_hidden_size
        base = replace(template, patch_k=k, global_hidden_size=G, global_num_attention_heads=max(1, G // HEAD_DIM),
                       global_intermediate_size=swiglu_width(G), num_global_layers=0)
        per_layer = cost(replace(base, num_global_layers=1)) - cost(base)
        layers = (budget - cost(base)) / per_layer
        if layers < 0.5:
            continue
        n = max(1, round(layers))
        if best is None or abs(np.log(n / depth)) < abs(np.log(best.num_global_layers / depth)):
            best = replace(base, num_global_layers=n)
    if best is None:
        raise ValueError(f"the local models alone cost more than {budget:.3g} FLOPs per byte: shrink the template")
    # cost is linear in the SwiGLU width: solve for the width that meets the budget exactly
    f0, f1 = best.global_intermediate_size, best.global_intermediate_size + 64
    c0, c1 = cost(best), cost(replace(best, global_intermediate_size=f1))
    f = f0 + (budget - c0) * (f1 - f0) / (c1 - c0)
    return replace(best, global_intermediate_size=max(8, int(round(f / 8)) * 8))
