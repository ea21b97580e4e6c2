"""Compute: FLOPs per patch for this text, against a BPE model at the text's own bytes per token."""

from __future__ import annotations

import numpy as np
import streamlit as st

import blt_core
from blt_core import flops

from app import caching, state
from app.views import charts, compute

BPE_TOKENIZER = {"llama3-8b": "llama3", "llama2-7b": None}  # no Llama 2 tokenizer ships offline

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
cfg = flops.BLT_CONFIGS[blt_name]
if ent_name == "shipped":
    card = caching.model_card()
    cfg = flops.blt_with_entropy_model(cfg, flops.config_from_dict(card["config"], name=card.get("name", "shipped")))
per_patch = flops.blt_flops_per_patch(cfg, a.patch_lengths)
bpe_cfg = flops.BPE_CONFIGS[bpe_name]
tok = BPE_TOKENIZER.get(bpe_name)
if tok:
    seg = caching.segmentation(inp.data, tok)
    bpt, bpt_src = seg.bytes_per_token, f"measured on this text with the {tok} tokenizer ({seg.n_tokens:,} tokens)"
else:
    bpt, bpt_src = flops.PAPER_BYTES_PER_TOKEN[bpe_name], "the paper's value (no offline tokenizer for this model)"
n_tokens = a.n_bytes / bpt
bpe_per_token = np.asarray(flops.transformer_flops_per_position(bpe_cfg, context=np.arange(1, int(np.ceil(n_tokens)) + 1)))
bpe_total = float(bpe_per_token.sum()) * (n_tokens / max(len(bpe_per_token), 1))
blt_total = float(per_patch["total"].sum())

m = st.columns(4)
m[0].metric("Patches (global steps)", f"{a.n_patches:,}")
m[1].metric(f"{bpe_name} tokens", f"{n_tokens:,.0f}", help=bpt_src)
m[2].metric("BLT FLOPs / byte", compute.fmt(blt_total / a.n_bytes))
m[3].metric(f"{bpe_name} FLOPs / byte", compute.fmt(bpe_total / a.n_bytes),
            delta=f"BLT {blt_total / bpe_total:.2f}× of BPE", delta_color="off")
labels = [f"({L} bytes)" for L in a.patch_lengths[:compute.MAX_BARS].tolist()]
st.plotly_chart(compute.flops_figure(per_patch, labels=labels), config=charts.png_config("blt-flops-per-patch"),
                key="flops_chart")
if a.n_patches > compute.MAX_BARS:
    st.caption(f"First {compute.MAX_BARS} of {a.n_patches:,} patches drawn; totals cover all.")

st.subheader("Totals by component")
rows = [{"component": compute.COMPONENTS[k][0], "FLOPs (whole text)": compute.fmt(float(v.sum())),
         "per byte": compute.fmt(float(v.sum()) / a.n_bytes), "share": f"{float(v.sum()) / blt_total:.1%}"}
        for k, v in per_patch.items() if k in compute.COMPONENTS]
rows.append({"component": f"BLT total ({cfg.name})", "FLOPs (whole text)": compute.fmt(blt_total),
             "per byte": compute.fmt(blt_total / a.n_bytes), "share": "100%"})
rows.append({"component": f"{bpe_name} (BPE)", "FLOPs (whole text)": compute.fmt(bpe_total),
             "per byte": compute.fmt(bpe_total / a.n_bytes), "share": f"{bpe_total / blt_total:.1%} of BLT"})
st.dataframe(rows, hide_index=True)

st.subheader("Formulas and their inputs")
g, enc, dec = cfg.global_model, cfg.local_encoder, cfg.local_decoder
st.markdown(
    "Forward FLOPs of one transformer layer at one position, width h, attended context m, SwiGLU width f, "
    "K/V width kv: **2(2h² + 2h·kv) + 2·3hf + 2·2hm**; the output head adds **2h|V|** "
    "(multiply-add = 2 FLOPs; source: `blt_core.flops`).")
mean_ctx = float(np.mean(np.arange(1, a.n_patches + 1)))
byte_ctx = float(np.mean(np.minimum(np.arange(1, a.n_bytes + 1), enc.window or a.n_bytes)))
st.markdown("\n".join([
    "- " + compute.layer_formula_md(f"Global transformer, per patch (mean context {mean_ctx:,.0f} patches)",
                                    g.hidden_size, mean_ctx, g.intermediate_size, g.num_hidden_layers, 0, g.kv_size),
    "- " + compute.layer_formula_md(f"Local encoder, per byte (mean context {byte_ctx:,.0f} bytes)",
                                    enc.hidden_size, byte_ctx, enc.intermediate_size, enc.num_hidden_layers, 0, enc.kv_size),
    "- " + compute.layer_formula_md("Local decoder, per byte", dec.hidden_size, byte_ctx, dec.intermediate_size,
                                    dec.num_hidden_layers, dec.vocab_size, dec.kv_size),
    "- " + (compute.layer_formula_md("Entropy model, per byte", cfg.entropy_model.hidden_size,
                                     float(np.mean(np.minimum(np.arange(1, a.n_bytes + 1), cfg.entropy_model.window or a.n_bytes))),
                                     cfg.entropy_model.intermediate_size, cfg.entropy_model.num_hidden_layers,
                                     cfg.entropy_model.vocab_size, cfg.entropy_model.kv_size)
            if cfg.entropy_model else "Entropy model: none"),
    f"- Cross-attention: encoder pooling with k={cfg.cross_attn_k} queries per patch plus "
    f"{cfg.decoder_cross_attn_layers} decoder cross-attention layers: 2h²(2q + 2k) + 2·2h·q·k each.",
    f"- **BLT per byte** = Σ over patches (global + local encoder + decoder + cross-attention + entropy model) / "
    f"{a.n_bytes:,} bytes = {compute.fmt(blt_total)} / {a.n_bytes:,} = **{compute.fmt(blt_total / a.n_bytes)}**",
    f"- **{bpe_name} per byte** = per-token FLOPs / bytes per token: mean per-token "
    f"{compute.fmt(bpe_total / n_tokens)} / {bpt:.2f} = **{compute.fmt(bpe_total / a.n_bytes)}** "
    f"(bytes per token {bpt_src}).",
]))
st.caption(f"Configurations: {cfg.source or cfg.name}; {bpe_cfg.source}. Mean patch length here: "
           f"{a.mean_patch_length:.2f} bytes (mode {a.mode}, θ {a.threshold:.3f}).")
