"""FLOPs of the small BLT generator (blt_core.generator), per byte, per global step and per patch.

Exact integers from the generator's own config (not a BLTShape): the local models run once per
byte with hashed n-gram embeddings, the global model once per patch after pooling it. Contexts
are causal and capped by each model's window; the per-layer term is `formula.layer_flops`.

>>> entropy_byte_flops({"hidden_size": 1, "intermediate_size": 1, "num_hidden_layers": 1,
...                     "window": 4, "vocab_size": 3}, 0)  # 8 + 6 + 4*1 + head 2*1*3
24
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from blt_core.flops.formula import layer_flops

if TYPE_CHECKING:  # the generator imports this module, never the other way round
    from blt_core.generator.config import BLTConfig


def generator_byte_flops(cfg: BLTConfig, context: int) -> int:
    """Local encoder + decoder forward FLOPs for one byte with `context` earlier bytes in the window."""
    m = min(context + 1, cfg.local_window)
    L = cfg.local_hidden_size
    enc = cfg.num_encoder_layers * layer_flops(L, m, cfg.local_intermediate_size)
    enc += 2 * len(cfg.hash_ngram_sizes) * cfg.hash_dim * L  # project each n-gram table up to L
    cross = 2 * 4 * L * L + 2 * 2 * L * cfg.patch_k  # decoder cross-attention over k memory slots
    dec = cfg.num_decoder_layers * (layer_flops(L, m, cfg.local_intermediate_size) + cross)
    return enc + dec + 2 * L * cfg.vocab_size


def generator_global_step_flops(cfg: BLTConfig, patch_index: int, patch_length: int) -> int:
    """One global step: pooling a patch of `patch_length` bytes, then one global position."""
    L, G = cfg.local_hidden_size, cfg.global_hidden_size
    pool = 2 * 4 * L * L * cfg.patch_k + 2 * 2 * L * patch_length * cfg.patch_k + 2 * 2 * L * L * patch_length
    m = min(patch_index + 1, cfg.global_window)
    return pool + cfg.num_global_layers * layer_flops(G, m, cfg.global_intermediate_size)


def entropy_byte_flops(entropy_cfg: dict[str, Any], context: int) -> int:
    """The entropy model's FLOPs for one byte (its config as a dict, e.g. from its card)."""
    h, f = entropy_cfg["hidden_size"], entropy_cfg["intermediate_size"]
    m = min(context + 1, entropy_cfg["window"])
    return entropy_cfg["num_hidden_layers"] * layer_flops(h, m, f) + 2 * h * entropy_cfg["vocab_size"]


def generator_patch_flops(blt_config: BLTConfig, entropy_config: dict[str, Any], starts: list[int],
                          n_bytes: int) -> list[int]:
    """FLOPs of each patch [starts[i], starts[i+1]) of `n_bytes` bytes, as exact integers.

    Per byte: entropy model + local models; per patch: one global step, patch p at global
    position p + 1 (a BOS patch comes first). The shipped generator's shapes, patches of 1, 3, 5:
    >>> from blt_core.generator.config import BLTConfig
    >>> ent = {"hidden_size": 192, "intermediate_size": 512, "num_hidden_layers": 4, "window": 512,
    ...        "vocab_size": 260}
    >>> generator_patch_flops(BLTConfig(), ent, [0, 1, 4], 9)
    [17221632, 31624704, 46124544]
    """
    bounds = list(starts) + [n_bytes]
    out = []
    for p, (a, b) in enumerate(zip(bounds[:-1], bounds[1:])):
        per_byte = sum(generator_byte_flops(blt_config, k + 1) + entropy_byte_flops(entropy_config, k + 1)
                       for k in range(a, b))
        out.append(per_byte + generator_global_step_flops(blt_config, p + 1, b - a))
    return out
