"""Inference-FLOP-matched sizes: how big a BLT global model the BPE model's per-byte budget buys.

>>> rows = matched_flops_table(LLAMA2_7B, 3.7, (8,))
>>> rows[0]["blt_global_params"] > LLAMA2_7B.non_embedding_params
True
"""

from __future__ import annotations

from typing import Any

from blt_core.flops.formula import blt_local_flops_per_byte, bpe_flops_per_byte
from blt_core.flops.shapes import BLT_1B, LLAMA2_7B, PAPER_BYTES_PER_TOKEN, BLTShape, TransformerConfig

# The paper's inference-FLOP-matched pairs (about 3.1e8 FLOPs per byte): a Llama 2 style
# BPE model of 470M parameters against BLT models of 610M (patch 6) and 760M (patch 8).
PAPER_PAIRS = ({"bpe_params": 470e6, "patch_size": 6.0, "blt_params": 610e6},
               {"bpe_params": 470e6, "patch_size": 8.0, "blt_params": 760e6})
PAPER_FLOPS_PER_BYTE = 3.1e8


def matched_flops_table(
    bpe_cfg: TransformerConfig,
    bytes_per_token: float,
    patch_sizes: tuple[float, ...] = (4.5, 6, 8),
    *,
    blt_template: BLTShape = BLT_1B,
    context_bytes: int = 8192,
    include_entropy_model: bool = False,
) -> list[dict[str, Any]]:
    """BLT global-model size that costs the BPE model's inference FLOPs per byte.

    Budget per byte = BPE FLOPs per byte (context_bytes / bytes_per_token tokens). The BLT
    local models (template's shapes) take their share; the rest, times the patch size, is
    the global model's FLOPs per patch, and a global model of N non-embedding parameters
    costs about 2N per patch (attention over the patch context is small at these sizes
    and is left out, so N is slightly overestimated). Sizes: `bpe_params` counts the BPE
    model's non-embedding + embedding parameters; `blt_global_params` the global model
    only; `blt_total_params` adds the template's local encoder and decoder.

    >>> [r["patch_size"] for r in matched_flops_table(LLAMA2_7B, 3.7)]
    [4.5, 6.0, 8.0]
    """
    budget = bpe_flops_per_byte(bpe_cfg, bytes_per_token, context=round(context_bytes / bytes_per_token))
    rows = []
    for ps in patch_sizes:
        local = blt_local_flops_per_byte(
            blt_template, ps, context_bytes=context_bytes, include_entropy_model=include_entropy_model
        )
        global_params = max(budget - local, 0.0) * ps / 2
        rows.append({
            "patch_size": float(ps),
            "bpe_model": bpe_cfg.name,
            "bpe_params": bpe_cfg.non_embedding_params + bpe_cfg.embedding_params,
            "bytes_per_token": float(bytes_per_token),
            "flops_per_byte": budget,
            "blt_local_flops_per_byte": local,
            "blt_global_params": global_params,
            "blt_total_params": global_params + blt_template.local_params,
            "formula": "N_global = (F_bpe/byte - F_local/byte) * patch_size / 2",
        })
    return rows


_PAIR_NOTE = (
    "At 3.1e8 FLOPs/byte the BLT-1B local models alone (about 3.3e8 FLOPs/byte with a 9-layer "
    "1024-wide decoder) exceed the budget, so with that template no global model fits; the "
    "paper's small BLTs use smaller local models and count them in their totals. With local "
    "models free the global model could reach 930M (patch 6) / 1.24B (patch 8); the simple "
    "ratio 470M * P / 3.7 gives 760M / 1.02B. The paper's 610M / 760M lie between: they pay "
    "for smaller local models out of the same budget."
)


def paper_pairs_check(*, blt_template: BLTShape = BLT_1B, context_bytes: int = 8192) -> list[dict[str, Any]]:
    """Our matched sizes at the paper's 3.1e8 FLOPs per byte, next to the paper's own.

    Differences come from what each side counts: the paper's 470M/610M/760M are total
    parameter counts of its own model shapes (embeddings and local models included, at
    its context), while here the budget is split with the BLT-1B local shapes and the
    global model is sized by the 2N rule. No constant is tuned to close the gap.

    >>> [r["blt_params"] for r in paper_pairs_check()]
    [610000000.0, 760000000.0]
    """
    rows = []
    for pair in PAPER_PAIRS:
        ps = pair["patch_size"]
        local = blt_local_flops_per_byte(blt_template, ps, context_bytes=context_bytes)
        ours = max(PAPER_FLOPS_PER_BYTE - local, 0.0) * ps / 2
        rows.append({
            **pair,
            "flops_per_byte": PAPER_FLOPS_PER_BYTE,
            # Upper bound: the whole budget to the global model, local models free.
            "our_blt_global_params_local_free": PAPER_FLOPS_PER_BYTE * ps / 2,
            # Ratio argument: a BPE model of N params over bytes_per_token bytes per step
            # matches a global model of N * patch_size / bytes_per_token.
            "ratio_blt_params": pair["bpe_params"] * ps / PAPER_BYTES_PER_TOKEN["llama2-7b"],
            "note": _PAIR_NOTE,
            "our_bpe_params_2n_rule": PAPER_FLOPS_PER_BYTE * PAPER_BYTES_PER_TOKEN["llama2-7b"] / 2,
            "our_blt_global_params": ours,
            "our_blt_local_flops_per_byte": local,
        })
    return rows
