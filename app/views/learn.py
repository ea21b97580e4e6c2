"""Learn views: the walk-through's byte chips, the paper's results, and the boundary-method card.

>>> "&lt;b&gt;" in byte_chips_html(b"<b>")
False
>>> "&lt;" in byte_chips_html(b"<b>")
True
"""

from __future__ import annotations

import html as _html

from app.views.glyphs import units

PAPER = "Pagnoni et al., “Byte Latent Transformer: Patches Scale Better Than Tokens”, arXiv:2412.09871 (2024)"
PAPER_URL = "https://arxiv.org/abs/2412.09871"

# (result, BLT, Llama 3 / BPE, which study of the paper) — DESIGN.md "Paper figures worth showing".
PAPER_RESULTS = [
    ("8B models at the same training FLOPs: average over the paper's task set", "61.1", "60.0",
     "BLT-Entropy 8B vs Llama 3 8B, FLOP-controlled training"),
    ("Bytes per patch / bytes per token in that comparison", "4.5", "4.4", "same 8B comparison"),
    ("CUTE (character manipulation)", "54.1", "27.5", "robustness evaluation, Llama 3 trained on 1T tokens"),
    ("Spelling (CUTE subtask)", "99.9", "1.1", "robustness evaluation"),
    ("Noisy HellaSwag (average over noise types)", "64.3", "56.9", "robustness evaluation"),
    ("Inference FLOPs at equal quality, patches of 6–8 bytes", "up to 50% fewer", "baseline",
     "inference-FLOP-controlled scaling study"),
]

# name -> (how it decides boundaries, what the app computes for it)
METHODS = {
    "BLT (entropy)": ("A small byte LM predicts the next byte; where its entropy exceeds a threshold θ, a new patch "
                      "starts. Patches are long where text is predictable and short where it is not.",
                      "computed: entropy mode"),
    "MegaByte (static)": ("Fixed-size patches of P bytes, regardless of content.", "computed: static mode"),
    "SpaceByte (space)": ("A patch starts after each run of space-like bytes (spaces, punctuation, UTF-8 lead "
                          "bytes): roughly one patch per word.", "computed: space mode"),
    "ByT5 (bytes)": ("No patches: the model steps over every byte, so every byte is a unit.", "computed: byte mode"),
    "BPE (Llama 3)": ("A fixed vocabulary learned by merging frequent byte pairs; a regex pre-splits text, then "
                      "merges are applied. Boundaries never depend on context beyond the pre-split.",
                      "computed: Llama 3 tokenizer"),
    "H-Net (learned chunker)": ("A routing module learned end to end scores the similarity of neighbouring "
                                "hidden states and starts a chunk where they differ (dynamic chunking, 2025).",
                                "described, not computed: needs trained H-Net weights"),
}


def byte_chips_html(data: bytes) -> str:
    """Each unit as a chip: its glyph above its bytes in hex, all escaped."""
    chips = []
    for u in units(data):
        hexes = " ".join(f"{b:02x}" for b in data[u.start:u.end])
        chips.append('<span style="display:inline-block;margin:2px;padding:2px 4px;border:1px solid rgba(128,128,128,.5);'
                     'border-radius:4px;text-align:center;font-family:monospace">'
                     f'{_html.escape(u.text)}<br><small style="opacity:.7">{_html.escape(hexes)}</small></span>')
    return '<div style="overflow-wrap:anywhere;line-height:1.2">' + "".join(chips) + "</div>"


def methods_rows() -> list[dict]:
    return [{"method": k, "how it decides boundaries": v[0], "here": v[1]} for k, v in METHODS.items()]


def results_rows() -> list[dict]:
    return [{"result": r, "BLT": b, "Llama 3 (BPE)": l, "source": f"{src}; {PAPER}"} for r, b, l, src in PAPER_RESULTS]
