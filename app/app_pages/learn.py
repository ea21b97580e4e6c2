"""Learn: a guided walk through BLT on the user's own text, the paper's results, and other boundary methods."""

from __future__ import annotations

import numpy as np
import streamlit as st

import blt_core
from blt_core import byte_patch_starts, space_patch_starts, static_patch_starts

from app import caching, state
from app.views import charts, lanes as lanes_view, learn, patches
from app.views.units import fmt_entropy

SNIPPET_BYTES = 64  # the walk-through follows the first bytes of the text, cut at a character boundary

opts, inp, scores = state.open_page("Learn")
unit = state.unit()
popts = {**state.patch_options(scores), "mode": "entropy"}
a = blt_core.patch_scores(scores, **popts)
cut = min(SNIPPET_BYTES, a.n_bytes)
while cut < a.n_bytes and (inp.data[cut] & 0xC0) == 0x80:  # never end the snippet inside a character
    cut += 1
snip = inp.data[:cut]
starts = a.patch_starts[a.patch_starts < cut]
n_tok = int(np.sum(caching.segmentation(inp.data, "llama3").token_byte_starts < cut))

st.subheader("1 · Bytes")
st.markdown(f"BLT reads raw bytes: no vocabulary, no tokenizer. Your text starts with these **{cut} bytes** "
            "(UTF-8: ASCII is one byte, accented letters two, CJK three, emoji four).")
st.html(learn.byte_chips_html(snip))
st.subheader("2 · Entropy")
st.markdown("A small byte-level language model reads the bytes left to right and, before each byte, predicts the "
            "next one. Its uncertainty is the **entropy** H = −Σ p ln p (in nats; in bits with log₂). Each point sits "
            "on the byte it predicts: a high point means the byte was hard to guess.")
fig = charts.entropy_figure(inp.data, scores.entropies, scores.surprisal, a.patch_starts, threshold=a.threshold,
                            top_bytes=scores.top_k_bytes, top_probs=scores.top_k_probs, unit=unit, lo=0, hi=cut)
st.plotly_chart(fig, config=charts.png_config("blt-learn-entropy"), key="learn_entropy")
st.subheader("3 · Threshold")
over = int(np.sum(scores.entropies[1:cut] > a.threshold))
st.markdown(f"With θ = **{fmt_entropy(a.threshold, unit)}**, {over} of the {cut - 1} bytes after the first exceed it. "
            "Each of them starts a new patch; byte 0 always does.")
st.subheader("4 · Patches")
later = a.patch_starts[a.patch_starts >= cut]
st.html(patches.patches_html(inp.data, a.patch_starts, a.entropies, lo=0, hi=int(later[0]) if len(later) else a.n_bytes))
st.subheader("5 · Global steps")
st.markdown(f"Each patch becomes one vector (pooled from its bytes by the local encoder) and costs **one step** of "
            f"the large global transformer: **{len(starts)} global steps** for these {cut} bytes, where Llama 3's "
            f"tokenizer would take about **{n_tok} steps**. Fewer, longer patches leave compute for a bigger model.")
st.subheader("6 · Bytes out")
st.markdown("The local decoder turns each global output back into bytes, one at a time, attending to the patch "
            "vector. While generating, the entropy model decides on the fly when the next patch (and global step) "
            f"begins. On this text the mean patch holds **{a.mean_patch_length:.2f} bytes**.")

st.subheader("What the paper found")
st.table(learn.results_rows(), border="horizontal")
st.caption(f"Source: [{learn.PAPER}]({learn.PAPER_URL}).")

st.subheader("How models decide boundaries")
st.table(learn.methods_rows(), border="horizontal")
seg = caching.segmentation(snip, "llama3")
lanes = {"BLT (entropy)": starts, f"MegaByte (static {popts['patch_size']})": static_patch_starts(cut, patch_size=popts["patch_size"]),
         "SpaceByte (space)": space_patch_starts(snip), "ByT5 (bytes)": byte_patch_starts(cut),
         "BPE (Llama 3)": seg.token_byte_starts}
st.plotly_chart(lanes_view.lanes_figure(snip, lanes, marks={"BPE (Llama 3)": seg.partial_char}),
                config=charts.png_config("blt-methods"), key="learn_lanes")
st.caption("H-Net (learned chunker): described, not computed — its boundaries come from trained weights that "
           "do not ship here.")
