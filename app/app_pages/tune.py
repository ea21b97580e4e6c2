"""Tune: how the threshold sets the mean patch length (this text and the multilingual samples), and the compute."""

from __future__ import annotations

import numpy as np
import streamlit as st

from blt_core import flops

from app import caching, state
from app.views import charts, tune

CONTEXT_BYTES = 8_192  # context over which compute per byte is averaged (as in blt_core.flops)


def _blt_flops_per_byte(mean_len: np.ndarray) -> np.ndarray:
    cfg = flops.BLT_1B
    out = []
    for L in mean_len:
        glob = float(flops.transformer_flops_per_position(cfg.global_model, context=CONTEXT_BYTES / L)) / L
        out.append(glob + flops.blt_local_flops_per_byte(cfg, float(L), context_bytes=CONTEXT_BYTES,
                                                         include_entropy_model=True))
    return np.array(out)


def _carry(theta: float, target: float) -> None:
    ss = st.session_state
    ss["threshold"] = min(max(theta, 0.0), 5.6)
    ss["mode"] = "entropy"
    ss["target"] = float(target)
    ss["_tune_msg"] = f"θ = {theta:.4f} nats is now used on every page (mode entropy)."


opts, inp, scores = state.open_page("Tune")
sample_e = [state.score_or_stop(s["data"], opts).entropies for s in caching.samples().values()]
popts = state.patch_options(scores)
thresholds = np.linspace(0.0, 5.6, 225)
curves = {"this text": tune.mean_lengths([scores.entropies], thresholds),
          f"shipped samples ({len(sample_e)}, many scripts)": tune.mean_lengths(sample_e, thresholds)}
c = st.columns([1, 1, 2])
target = c[0].number_input("Target mean patch length (bytes)", 1.0, 64.0, float(st.session_state.get("target", 4.5)),
                           0.5, key="tune_target", help="The paper compares 4.5, 6 and 8 bytes per patch.")
basis = c[1].radio("Calibrate on", ["this text", "shipped samples"], key="tune_basis", horizontal=True)
theta, achieved = tune.pooled_threshold([scores.entropies] if basis == "this text" else sample_e, target)
c[2].metric("Threshold for the target", f"{theta:.4f} nats", help=f"achieves {achieved:.2f} bytes per patch")
st.button(f"Use θ = {theta:.4f} on every page", on_click=_carry, args=(theta, target), type="primary")
if st.session_state.get("_tune_msg"):
    st.success(st.session_state.pop("_tune_msg"))
current = popts["threshold"] if popts["mode"] in ("entropy", "combined") else None
st.plotly_chart(tune.curve_figure(thresholds, curves, current=current, target=target),
                config=charts.png_config("blt-threshold-curve"), key="curve")

st.subheader("The compute it implies")
seg = caching.segmentation(inp.data, "llama3")
bpt = seg.bytes_per_token
bpe = flops.bpe_flops_per_byte(flops.LLAMA3_8B, bpt, context=round(CONTEXT_BYTES / bpt))
st.plotly_chart(tune.compute_figure(thresholds, {k: _blt_flops_per_byte(v) for k, v in curves.items()},
                                    bpe_line=bpe, bpe_name=f"Llama 3 8B at {bpt:.2f} bytes/token"),
                config=charts.png_config("blt-threshold-compute"), key="compute_curve")
st.caption(
    f"BLT-1B shapes (global {flops.BLT_1B.global_model.hidden_size}×{flops.BLT_1B.global_model.num_hidden_layers}, "
    f"local {flops.BLT_1B.local_encoder.hidden_size}) with the official entropy model, context {CONTEXT_BYTES:,} bytes. "
    "FLOPs/byte = global FLOPs per patch / mean patch length + local encoder, decoder, cross-attention and entropy "
    "model per byte. Larger patches mean fewer global steps: that budget can buy a bigger global model. "
    f"Llama 3 8B per byte = per-token FLOPs / {bpt:.2f} bytes per token (measured on this text).")
