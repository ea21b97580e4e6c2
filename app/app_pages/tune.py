"""Tune: how the threshold sets the mean patch length (this text and the multilingual samples), and the compute."""

from __future__ import annotations

import numpy as np
import streamlit as st

import blt_core
from blt_core import flops

from app import caching, state
from app.views import charts, corpus_summary, tune
from app.views.units import fmt_entropy


def _carry(theta: float, target: float, unit: str) -> None:
    ss = st.session_state
    ss["threshold"] = min(max(theta, 0.0), blt_core.THRESHOLD_CEILING)
    ss["mode"] = "entropy"
    ss["target"] = float(target)
    ss["_tune_msg"] = f"θ = {fmt_entropy(theta, unit, 4)} is now used on every page (mode entropy)."


opts, inp, scores = state.open_page("Tune")
unit = state.unit()
sample_e = [state.score_or_stop(s["data"], opts).entropies for s in caching.samples().values()]
popts = state.patch_options(scores)
thresholds = np.linspace(0.0, blt_core.THRESHOLD_CEILING, 225)
curves = {"this text": tune.mean_lengths([scores.entropies], thresholds),
          f"shipped samples ({len(sample_e)}, many scripts)": tune.mean_lengths(sample_e, thresholds)}
c = st.columns([1, 1, 2])
target = c[0].number_input("Target mean patch length (bytes)", 1.0, 64.0, float(st.session_state.get("target", 4.5)),
                           0.5, key="tune_target", help="The paper compares 4.5, 6 and 8 bytes per patch.")
basis = c[1].radio("Calibrate on", ["this text", "shipped samples"], key="tune_basis", horizontal=True)
theta, achieved = tune.pooled_threshold([scores.entropies] if basis == "this text" else sample_e, target)
c[2].metric("Threshold for the target", fmt_entropy(theta, unit, 4), help=f"achieves {achieved:.2f} bytes per patch")
st.button(f"Use θ = {fmt_entropy(theta, unit, 4)} on every page", on_click=_carry, args=(theta, target, unit),
          type="primary")
if st.session_state.get("_tune_msg"):
    st.success(st.session_state.pop("_tune_msg"))
current = popts["threshold"] if popts["mode"] in ("entropy", "combined") else None
st.plotly_chart(tune.curve_figure(thresholds, curves, current=current, target=target, unit=unit),
                config=charts.png_config("blt-threshold-curve"), key="curve")

st.subheader("The compute it implies")
llama3 = flops.LLAMA3_8B
bpt = caching.segmentation(inp.data, flops.BPE_TOKENIZER[llama3.name]).bytes_per_token
cost = flops.compare_patch_sizes(curves, bytes_per_token=bpt, blt=flops.BLT_1B, bpe=llama3)
st.plotly_chart(tune.compute_figure(thresholds, cost.blt_flops_per_byte, bpe_line=cost.bpe_flops_per_byte,
                                    bpe_name=f"{llama3.name} at {bpt:.2f} bytes/token", unit=unit),
                config=charts.png_config("blt-threshold-compute"), key="compute_curve")
st.caption(tune.compute_caption(cost))

st.subheader("Corpus summary")
roots = blt_core.corpus_roots()
offered = blt_core.offered_corpora(roots)
if not offered:
    st.info(corpus_summary.HOW_TO_CONFIGURE if not roots else
            "The configured corpus folders hold no score-corpus output (a folder with manifest.json) yet.")
else:
    name = st.selectbox("Scored corpus", sorted(offered), key="tune_corpus")
    try:
        summ = caching.corpus_summary(name, tuple(roots))
    except ValueError as e:  # its messages name the corpus, never a server path
        st.error(str(e))
    else:
        for col, (label, value) in zip(st.columns(4), corpus_summary.metrics(summ.manifest, unit)):
            col.metric(label, value)
        st.plotly_chart(corpus_summary.histogram_figure(summ.histogram), config=charts.png_config("blt-corpus-patches"),
                        key="corpus_hist")
        st.caption(corpus_summary.caption(summ.manifest, summ.documents_read, summ.complete))
