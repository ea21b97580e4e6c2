"""Compute views: the components FLOPs per patch are stacked by (the window component draws the bars,
app/views/window_data.flops_blob packs them), and the formulas with their inputs.

They render a `blt_core.flops.TextComparison`; every number comes from the accountant.

>>> fmt(1.3e9), COMPONENTS["global"][0]
('1.30 GFLOP', 'global step')
"""

from __future__ import annotations

import html as _html

import numpy as np

from blt_core.flops import FormulaTerm, TextComparison

from app.views.palette import OKABE_ITO

COMPONENTS = {  # blt_core.flops key -> (label, colour)
    "global": ("global step", OKABE_ITO["blue"]),
    "local_encoder": ("local encoder", OKABE_ITO["orange"]),
    "local_decoder": ("local decoder", OKABE_ITO["bluish_green"]),
    "cross_attention": ("cross-attention", OKABE_ITO["reddish_purple"]),
    "entropy_model": ("entropy model", OKABE_ITO["sky_blue"]),
}
MAX_BARS = 400  # patches drawn at once; totals always cover every patch
FLOPS_WIDTHS = (64, 256, 1_024, 4_096)  # byte windows offered; 256 bytes hold about 60 patches of 4.5 bytes
FLOPS_WIDTH = 256


def patch_range(starts: np.ndarray, lo: int, hi: int) -> tuple[int, int]:
    """Patches [first, last) with a byte in [lo, hi), at most MAX_BARS of them (what the window component's
    flops.js draws: bwPatchRange; the browser test checks its caption against this).

    >>> patch_range(np.array([0, 4, 9, 12]), 5, 10)
    (1, 3)
    """
    first = max(0, int(np.searchsorted(starts, lo, side="right")) - 1)
    last = int(np.searchsorted(starts, hi, side="left"))
    return first, min(last, first + MAX_BARS)


_PREFIXES = [(1e15, "PFLOP"), (1e12, "TFLOP"), (1e9, "GFLOP"), (1e6, "MFLOP"), (1e3, "kFLOP")]


def fmt(x: float) -> str:
    """FLOPs with an SI prefix and three significant digits.

    >>> fmt(1.3e9), fmt(3.1e8), fmt(4.2e5), fmt(92.0)
    ('1.30 GFLOP', '310 MFLOP', '420 kFLOP', '92.0 FLOP')
    """
    for scale, unit in _PREFIXES:
        if abs(x) >= scale:
            return f"{_three_digits(x / scale)} {unit}"
    return f"{_three_digits(x)} FLOP"


def _three_digits(v: float) -> str:
    return f"{v:.0f}" if abs(v) >= 100 else f"{v:.1f}" if abs(v) >= 10 else f"{v:.2f}"


def share_badge(c: TextComparison) -> str:
    """The saving (or cost) in words, no arrow: BLT's FLOPs as a share of the BPE model's on this text.

    >>> from types import SimpleNamespace as NS
    >>> share_badge(NS(blt_to_bpe=0.4213, bpe=NS(name="llama3-8b")))
    "BLT uses 42% of llama3-8b's FLOPs"
    """
    return f"BLT uses {c.blt_to_bpe:.0%} of {c.bpe.name}'s FLOPs"


TERM_LABELS = {"global": "Global transformer", "local_encoder": "Local encoder", "local_decoder": "Local decoder",
               "entropy_model": "Entropy model"}  # "bpe": the BPE model's own name
_PLURAL = {"patch": "patches", "byte": "bytes", "token": "tokens"}


def term_md(term: FormulaTerm, *, label: str | None = None) -> str:
    """Markdown: one model's per-position FLOPs, the formula with its numbers substituted.

    >>> term_md(FormulaTerm("global", "patch", 2, 2, 4, 1.5, 1, 0, 92.0)).split(" = ")[-1]
    '**92.0 FLOP per position**'
    """
    label = label or TERM_LABELS[term.part]
    context = "the whole text" if term.part == "bpe" else "mean over the text"
    return (f"**{_html.escape(label)}, per {term.unit}** "
            f"(context {term.context:,.0f} {_PLURAL[term.unit]}, {context}): "
            f"L·[2(2h² + 2h·kv) + 2·3hf + 2·2hm] + 2h|V| with h={term.hidden_size:,}, kv={term.kv_size:,}, "
            f"f={term.intermediate_size:,}, m={term.context:,.0f}, L={term.num_hidden_layers}, "
            f"|V|={term.vocab_size:,} = **{fmt(term.flops)} per position**")


def totals_rows(c: TextComparison) -> list[dict[str, str]]:
    """The totals table: each BLT component, the BLT total and the BPE model, whole text and per byte."""
    rows = [{"component": COMPONENTS[t.part][0], "FLOPs (whole text)": fmt(t.flops), "per byte": fmt(t.per_byte),
             "share": f"{t.share:.1%}"} for t in c.component_totals()]
    rows.append({"component": f"BLT total ({c.blt.name})", "FLOPs (whole text)": fmt(c.blt_flops_total),
                 "per byte": fmt(c.blt_flops_per_byte), "share": "100%"})
    rows.append({"component": f"{c.bpe.name} (BPE)", "FLOPs (whole text)": fmt(c.bpe_flops_total),
                 "per byte": fmt(c.bpe_flops_per_byte), "share": f"{c.bpe_to_blt:.1%} of BLT"})
    return rows


def bytes_per_token_md(c: TextComparison) -> str:
    """Where the BPE model's bytes per token came from, in words."""
    if c.bpe_tokenizer is None:
        return "the paper's value (no offline tokenizer for this model)"
    return f"measured on this text with the {c.bpe_tokenizer} tokenizer ({c.n_tokens:,.0f} tokens)"


def formulas_md(c: TextComparison) -> str:
    """Markdown list: each model's formula with its inputs, then BLT and BPE per byte."""
    blt, bpe = c.blt, c.bpe.name
    lines = [term_md(t) for t in c.terms if t.part != "bpe"]
    if blt.entropy_model is None:
        lines.append("Entropy model: none")
    lines += [
        f"Cross-attention: encoder pooling with k={blt.cross_attn_k} queries per patch plus "
        f"{blt.decoder_cross_attn_layers} decoder cross-attention layers: 2h²(2q + 2k) + 2·2h·q·k each.",
        f"**BLT per byte** = Σ over patches (global + local encoder + decoder + cross-attention + entropy model) / "
        f"{c.n_bytes:,} bytes = {fmt(c.blt_flops_total)} / {c.n_bytes:,} = **{fmt(c.blt_flops_per_byte)}**",
        *(term_md(t, label=bpe) for t in c.terms if t.part == "bpe"),
        f"**{_html.escape(bpe)} per byte** = per-token FLOPs at the whole text's context / bytes per token: "
        f"{fmt(c.bpe_flops_per_token)} / {c.bpe_bytes_per_token:.2f} = **{fmt(c.bpe_flops_per_byte)}** "
        f"(bytes per token {bytes_per_token_md(c)}).",
    ]
    return "\n".join("- " + line for line in lines)
