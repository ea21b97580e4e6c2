"""Compute: FLOPs per patch for this text, against a BPE model at the text's own bytes per token."""

from __future__ import annotations

import streamlit as st

import blt_core
from blt_core import flops

from app import caching, state
from app.components.window import window_chart
from app.views import compute
from app.views.window_data import flops_blob
from app.views.units import fmt_entropy

opts, inp, scores = state.open_page("Compute")
try:
    a = blt_core.patch_scores(scores, **state.patch_options(scores))
except ValueError as e:
    st.error(str(e))
    st.stop()
c = st.columns(3)
blt_name = c[0].selectbox("BLT model", list(flops.BLT_CONFIGS), key="blt_cfg", bind="query-params")
bpe_name = c[1].selectbox("BPE model", list(flops.BPE_CONFIGS), key="bpe_cfg", bind="query-params")
ent_name = c[2].selectbox("Entropy model", ["official", "shipped"], key="ent_cfg", bind="query-params",
                          help="official: facebook/blt-entropy (100M); shipped: this app's small model.")
blt = flops.BLT_CONFIGS[blt_name]
if ent_name == "shipped":
    card = caching.model_card()
    blt = flops.blt_with_entropy_model(blt, flops.config_from_dict(card.config, name=card.name or "shipped"))
tokenizer = flops.BPE_TOKENIZER[bpe_name]
n_tokens = caching.segmentation(inp.data, tokenizer).n_tokens if tokenizer else None
cmp = flops.compare_text(a.patch_lengths, blt=blt, bpe=flops.BPE_CONFIGS[bpe_name], n_tokens=n_tokens)

m = st.columns([1, 0.8, 1.2, 1.5])  # room for "1.37 GFLOP" and for all the words of the share badge
m[0].metric("Patches (global steps)", f"{cmp.n_patches:,}")
m[1].metric(f"{bpe_name} tokens", f"{cmp.n_tokens:,.0f}", help=compute.bytes_per_token_md(cmp))
m[2].metric("BLT FLOPs / byte", compute.fmt(cmp.blt_flops_per_byte))
# a saving reads green and a cost red, with no arrow (an up arrow for a saving misleads)
m[3].metric(f"{bpe_name} FLOPs / byte", compute.fmt(cmp.bpe_flops_per_byte), delta=compute.share_badge(cmp),
            delta_color="normal" if cmp.blt_to_bpe <= 1 else "inverse", delta_arrow="off")
window_chart(flops_blob(a.patch_starts, cmp.per_patch, n_bytes=a.n_bytes, widths=compute.FLOPS_WIDTHS,
                        default_width=compute.FLOPS_WIDTH), key="flops")

st.subheader("Totals by component")
st.dataframe(compute.totals_rows(cmp), hide_index=True)

st.subheader("Formulas and their inputs")
st.markdown(
    "Forward FLOPs of one transformer layer at one position, width h, attended context m, SwiGLU width f, "
    "K/V width kv: **2(2h² + 2h·kv) + 2·3hf + 2·2hm**; the output head adds **2h|V|** "
    "(multiply-add = 2 FLOPs; source: `blt_core.flops`).")
st.markdown(compute.formulas_md(cmp))
st.caption(f"Configurations: {blt.source or blt.name}; {cmp.bpe.source}. Mean patch length here: "
           f"{a.mean_patch_length:.2f} bytes (mode {a.mode}, θ {fmt_entropy(a.threshold, state.unit())}).")
