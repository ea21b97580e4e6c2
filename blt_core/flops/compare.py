"""Per-text and per-patch-size comparisons of a BLT with a BPE model: every number and its inputs.

The compute CLI and the Compute and Tune pages only render these results.

>>> c = compare_text(np.array([4, 4, 2]), blt=BLT_1B, bpe=LLAMA2_7B, n_tokens=None)
>>> c.n_patches, c.bpe_bytes_per_token, c.bpe_context  # Llama 2: the paper's 3.7 bytes per token
(3, 3.7, 3)
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from blt_core.flops.formula import (COMPONENTS, attended_context, blt_flops_per_byte, blt_flops_per_patch,
                                    bpe_flops_per_byte, transformer_flops_per_position)
from blt_core.flops.shapes import (BLT_1B, BPE_TOKENIZER, LLAMA2_7B, LLAMA3_8B, PAPER_BYTES_PER_TOKEN, BLTShape,
                                   TransformerConfig)

CONTEXT_BYTES = 8_192  # context over which per-byte compute is averaged at a mean patch size
MEASURED, PAPER = "measured", "paper (no tokenizer ships offline)"  # where bytes per token came from


@dataclass(frozen=True)
class FormulaTerm:
    """One model's FLOPs per position, L * layer(h, kv, f, m) + 2h|V|, with its inputs."""

    part: str  # "global", "local_encoder", "local_decoder", "entropy_model" or "bpe"
    unit: str  # what one position is: "patch", "byte" or "token"
    hidden_size: int  # h
    kv_size: int  # K/V width (h without grouped-query attention)
    intermediate_size: int  # f
    context: float  # m: the attended context, averaged over the text's positions
    num_hidden_layers: int  # L
    vocab_size: int  # |V|, 0 without an output head
    flops: float  # per position at that mean context (the formula is linear in m)


@dataclass(frozen=True)
class ComponentTotal:
    """One BLT component's FLOPs over the whole text."""

    part: str  # a key of blt_flops_per_patch
    flops: float
    per_byte: float
    share: float  # fraction of the BLT total


@dataclass(frozen=True)
class TextComparison:
    """BLT FLOPs per patch of one text next to a BPE model at the text's bytes per token."""

    blt: BLTShape
    bpe: TransformerConfig
    n_bytes: int
    mean_patch_length: float
    per_patch: dict[str, np.ndarray]  # component -> FLOPs per patch, and "total"
    blt_flops_total: float
    n_tokens: float  # measured tokens, or bytes / the paper's bytes per token
    bpe_tokenizer: str | None  # the tokenizer that measured bytes per token; None: the paper's value
    bpe_bytes_per_token: float
    bpe_bytes_per_token_source: str  # MEASURED or PAPER
    bpe_context: int  # tokens the BPE model's per-token cost attends to: the whole text
    bpe_flops_per_token: float
    bpe_flops_per_byte: float
    bpe_flops_total: float
    terms: tuple[FormulaTerm, ...]  # the formula's inputs, one per model

    @property
    def n_patches(self) -> int:
        return len(self.per_patch["total"])

    @property
    def blt_flops_per_byte(self) -> float:
        return self.blt_flops_total / self.n_bytes

    @property
    def blt_to_bpe(self) -> float:
        """BLT FLOPs as a multiple of the BPE model's on this text."""
        return self.blt_flops_total / self.bpe_flops_total

    @property
    def bpe_to_blt(self) -> float:
        """The BPE model's FLOPs as a fraction of the BLT's on this text."""
        return self.bpe_flops_total / self.blt_flops_total

    def component_totals(self) -> list[ComponentTotal]:
        """Whole-text FLOPs of each BLT component, in COMPONENTS order."""
        return [ComponentTotal(k, float(self.per_patch[k].sum()), float(self.per_patch[k].sum()) / self.n_bytes,
                               float(self.per_patch[k].sum()) / self.blt_flops_total) for k in COMPONENTS]

    def to_json(self) -> dict[str, Any]:
        """The compute CLI's JSON (its keys are a contract)."""
        return {
            "blt": self.blt.name,
            "bpe": self.bpe.name,
            "n_bytes": self.n_bytes,
            "n_patches": self.n_patches,
            "mean_patch_length": self.mean_patch_length,
            "per_patch_flops": self.per_patch["total"].tolist(),
            "per_patch_components": {k: v.tolist() for k, v in self.per_patch.items() if k != "total"},
            "blt_flops_total": self.blt_flops_total,
            "bpe_flops_total": self.bpe_flops_total,
            "bpe_tokenizer": self.bpe_tokenizer,
            "bpe_bytes_per_token": self.bpe_bytes_per_token,
            "bpe_bytes_per_token_source": self.bpe_bytes_per_token_source,
        }


def _term(part: str, unit: str, cfg: TransformerConfig, n_positions: int) -> FormulaTerm:
    """The formula's inputs for `cfg` over positions 1..n_positions (causal, window-capped)."""
    m = float(np.mean(attended_context(cfg, np.arange(1, n_positions + 1))))
    return FormulaTerm(part, unit, cfg.hidden_size, cfg.kv_size or cfg.hidden_size, cfg.intermediate_size, m,
                       cfg.num_hidden_layers, cfg.vocab_size, float(transformer_flops_per_position(cfg, context=m)))


def compare_text(patch_lengths: np.ndarray, *, blt: BLTShape, bpe: TransformerConfig,
                 n_tokens: int | None) -> TextComparison:
    """Compare a BLT reading the text in these patches with a BPE model reading it in `n_tokens` tokens.

    `n_tokens` is the count BPE_TOKENIZER[bpe.name] measured on the same bytes; None takes the
    paper's bytes per token. BLT FLOPs are causal, per patch (blt_flops_per_patch); the BPE
    model pays its per-token cost at the whole text's context for every token.
    """
    per_patch = blt_flops_per_patch(blt, patch_lengths)
    n_bytes, n_patches = int(np.sum(patch_lengths)), len(per_patch["total"])
    if n_tokens is None:
        if bpe.name not in PAPER_BYTES_PER_TOKEN:
            raise ValueError(f"no bytes-per-token figure for {bpe.name!r}: measure n_tokens on the text")
        bpt, tokenizer, source = PAPER_BYTES_PER_TOKEN[bpe.name], None, PAPER
    elif n_tokens < 1:
        raise ValueError(f"n_tokens must be >= 1, got {n_tokens!r}")
    else:
        bpt, tokenizer, source = n_bytes / n_tokens, BPE_TOKENIZER.get(bpe.name), MEASURED
    context = max(1, round(n_bytes / bpt))
    per_byte = bpe_flops_per_byte(bpe, bpt, context=context)
    terms = [_term("global", "patch", blt.global_model, n_patches),
             _term("local_encoder", "byte", blt.local_encoder, n_bytes),
             _term("local_decoder", "byte", blt.local_decoder, n_bytes)]
    if blt.entropy_model is not None:
        terms.append(_term("entropy_model", "byte", blt.entropy_model, n_bytes))
    bpe_term = FormulaTerm("bpe", "token", bpe.hidden_size, bpe.kv_size or bpe.hidden_size, bpe.intermediate_size,
                           float(context), bpe.num_hidden_layers, bpe.vocab_size,
                           float(transformer_flops_per_position(bpe, context=context)))
    return TextComparison(
        blt=blt, bpe=bpe, n_bytes=n_bytes, mean_patch_length=n_bytes / n_patches, per_patch=per_patch,
        blt_flops_total=float(per_patch["total"].sum()), n_tokens=n_bytes / bpt, bpe_tokenizer=tokenizer,
        bpe_bytes_per_token=bpt, bpe_bytes_per_token_source=source, bpe_context=context,
        bpe_flops_per_token=bpe_term.flops, bpe_flops_per_byte=per_byte, bpe_flops_total=per_byte * n_bytes,
        terms=(*terms, bpe_term))


@dataclass(frozen=True)
class PatchSizeComparison:
    """Per-byte FLOPs of a BLT at given mean patch lengths, next to a BPE model's."""

    blt: BLTShape
    bpe: TransformerConfig
    context_bytes: int
    bytes_per_token: float
    blt_flops_per_byte: dict[str, np.ndarray]  # series name -> one value per mean patch length
    bpe_flops_per_byte: float


def compare_patch_sizes(mean_patch_lengths: dict[str, np.ndarray], *, bytes_per_token: float,
                        blt: BLTShape = BLT_1B, bpe: TransformerConfig = LLAMA3_8B,
                        context_bytes: int = CONTEXT_BYTES) -> PatchSizeComparison:
    """What each mean patch length costs per byte (blt_flops_per_byte), and the BPE model's line.

    >>> c = compare_patch_sizes({"text": np.array([4.0, 8.0])}, bytes_per_token=4.4)
    >>> bool(c.blt_flops_per_byte["text"][1] < c.blt_flops_per_byte["text"][0] < c.bpe_flops_per_byte)
    True
    """
    curves = {name: np.array([blt_flops_per_byte(blt, float(L), context_bytes=context_bytes) for L in lengths])
              for name, lengths in mean_patch_lengths.items()}
    bpe_line = bpe_flops_per_byte(bpe, bytes_per_token, context=round(context_bytes / bytes_per_token))
    return PatchSizeComparison(blt, bpe, context_bytes, bytes_per_token, curves, bpe_line)
