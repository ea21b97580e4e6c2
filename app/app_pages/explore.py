"""Explore: paste text or upload any file; see entropies, the threshold and the patches it draws."""

from __future__ import annotations

import json

import numpy as np
import streamlit as st

import blt_core
from blt_core import calibrate_threshold

from app import caching, state
from app.views import charts, export, patches

CHART_WINDOW = 20_000  # bytes drawn in the entropy chart at once (pan and zoom inside)
PATCH_PAGE = 2_000  # bytes of patch view per page
THRESHOLD_MAX = blt_core.THRESHOLD_CEILING  # nats, just above ln(260), the entropy of a uniform distribution


def _load_sample() -> None:
    name = st.session_state.get("sample")
    if name:
        st.session_state["text"] = caching.samples()[name]["data"].decode("utf-8", errors="replace")
        st.session_state["uploaded"] = None


def _store_upload() -> None:
    f = st.session_state.get("upload")
    st.session_state["uploaded"] = None if f is None else (f.name, f.getvalue())


def _calibrate(entropies: np.ndarray, data: bytes, mode: str, max_len: int | None) -> None:
    ss = st.session_state
    ss["_cal_msg"] = None
    try:
        cal = calibrate_threshold(entropies, data, target=float(ss["target"]), mode=mode,
                                  theta_r=ss.get("theta_r"), threshold=ss.get("threshold"), max_patch_length=max_len)
    except ValueError as e:
        ss["_cal_msg"] = ("error", str(e))
        return
    # exact, not rounded to the slider's step: the calibrated value is what reaches the target
    ss["theta_r" if mode == "monotonic" else "threshold"] = cal.threshold if mode == "monotonic" \
        else min(max(cal.threshold, 0.0), THRESHOLD_MAX)
    ss["_cal_msg"] = ("ok", f"Threshold set to {cal.threshold:.4f} nats: mean patch length "
                            f"{cal.mean_patch_length:.2f} bytes (target {cal.target:g}).")


st.title("Explore")
opts = state.scoring_options()
state.init()
samples = caching.samples()
c1, c2 = st.columns([2, 1])
c2.selectbox("Sample", list(samples), index=None, key="sample", on_change=_load_sample,
             placeholder="Pick a sample…", format_func=lambda k: f"{samples[k]['label']} ({samples[k]['script']})")
c2.file_uploader("Or upload any file (binary too)", key="upload", on_change=_store_upload)
c1.text_area("Text", key="text", height=140, persist_state="session",
             help=f"Inputs over {state.MAX_BYTES // 1000} KB are cut to their first {state.MAX_BYTES // 1000} KB.")
inp = state.current_input()
state.sync_url()
if st.session_state.get("uploaded"):
    st.caption(f"Analyzing the uploaded {inp.source} ({len(inp.data):,} bytes); remove it to use the text box.")
if inp.note:
    st.warning(inp.note)
if not inp.data:
    st.info(state.EMPTY_HINT)
    st.stop()

scores = state.score_or_stop(inp.data, opts)


def controls(scores: blt_core.Scores) -> dict:
    """The patching widgets -> patch_scores options (plus the chart unit)."""
    ss = st.session_state
    d = scores.defaults
    data = scores.data
    c = st.columns([1, 2, 1, 1])
    state.default("mode", "entropy")
    state.default("threshold", round(min(float(d.get("threshold") or blt_core.OFFICIAL_THRESHOLD), THRESHOLD_MAX), 3))
    state.default("theta_r", round(float(d.get("theta_r") or 0.0), 4))
    state.default("patch_size", int(d.get("patch_size") or 4))
    state.default("target", 4.5)
    mode = c[0].selectbox("Mode", blt_core.PATCH_MODES, key="mode", persist_state="session")
    threshold = c[1].slider("Threshold θ (nats)", 0.0, THRESHOLD_MAX, step=0.005, format="%.3f",
                            key="threshold", persist_state="session",
                            disabled=mode not in ("entropy", "combined"),
                            help="Byte k starts a patch when its entropy exceeds θ.")
    theta_r = c[2].number_input("θ_r (nats)", step=0.01,
                                format="%.4f", key="theta_r", persist_state="session",
                                disabled=mode not in ("monotonic", "combined"),
                                help="Monotonic rule: byte k starts a patch when e[k] − e[k−1] > θ_r.")
    max_len = c[3].number_input("Max patch length", 0, 4096, 0, key="max_len", persist_state="session",
                                help="0: no maximum. Longer patches are split.") or None
    c = st.columns([1, 1, 1, 1])
    patch_size = c[0].number_input("Static patch size", 1, 64, key="patch_size",
                                   persist_state="session", disabled=mode != "static")
    c[1].number_input("Target mean patch length", 1.0, 512.0, step=0.5, key="target",
                      persist_state="session", help="The paper compares 4.5, 6 and 8 bytes per patch.")
    c[2].button("Calibrate θ to target", on_click=_calibrate, args=(scores.entropies, data, mode, max_len),
                disabled=mode not in ("entropy", "monotonic", "combined"), width="stretch")
    unit = c[3].segmented_control("Units", ["nats", "bits"], default="nats", key="unit", required=True,
                                  persist_state="session")
    if ss.get("_cal_msg"):
        kind, msg = ss["_cal_msg"]
        (st.success if kind == "ok" else st.error)(msg)
    state.sync_url()
    return {"mode": mode, "threshold": threshold, "theta_r": theta_r, "patch_size": int(patch_size),
            "max_patch_length": None if not max_len else int(max_len), "unit": unit}


@st.fragment
def results(scores: blt_core.Scores, opts: dict) -> None:
    popts = controls(scores)
    unit = popts.pop("unit")
    try:
        a = blt_core.patch_scores(scores, **popts)
    except ValueError as e:
        st.error(str(e))
        return
    metrics(a)
    entropy_chart(a, scores, opts, unit)
    patch_view(a)


def metrics(a: blt_core.Analysis) -> None:
    m = st.columns(4)
    m[0].metric("Bytes", f"{a.n_bytes:,}")
    m[1].metric("Patches", f"{a.n_patches:,}")
    m[2].metric("Mean patch length", f"{a.mean_patch_length:.2f} B")
    m[3].metric("Bits per byte", f"{a.bits_per_byte:.3f}")
    for note in a.notes:
        st.caption(note)


def entropy_chart(a: blt_core.Analysis, scores: blt_core.Scores, opts: dict, unit: str) -> None:
    data = a.data
    lo, hi = 0, a.n_bytes
    if a.n_bytes > CHART_WINDOW:
        n_win = -(-a.n_bytes // CHART_WINDOW)
        w = st.number_input(f"Chart window ({CHART_WINDOW // 1000} KB each)", 1, n_win, 1, key="chart_win")
        lo, hi = (w - 1) * CHART_WINDOW, min(w * CHART_WINDOW, a.n_bytes)
    hov = caching.hover(data, opts["newline_reset"], opts["backend"], opts["model"], unit, scores)
    fig = charts.entropy_figure(data, a.entropies, a.surprisal, a.patch_starts,
                                threshold=a.threshold if a.mode in ("entropy", "combined") else None,
                                unit=unit, lo=lo, hi=hi, hover=hov)
    st.plotly_chart(fig, config=charts.png_config("blt-entropy"), key="entropy_chart")


def patch_view(a: blt_core.Analysis) -> None:
    data = a.data
    st.subheader("Patches")
    st.html(patches.legend_html())
    pages_n = patches.n_pages(a.n_bytes, PATCH_PAGE)
    page = 1
    if pages_n > 1:
        page = st.number_input(f"Page (of {pages_n}, {PATCH_PAGE:,} bytes each)", 1, pages_n, 1, key="patch_page")
    plo, phi = patches.page_bounds(a.patch_starts, a.n_bytes, page=page - 1, page_bytes=PATCH_PAGE)
    st.html(patches.patches_html(data, a.patch_starts, a.entropies, lo=plo, hi=phi))

    c = st.columns([2, 1])
    c[0].plotly_chart(charts.length_histogram(a.patch_lengths), config=charts.png_config("blt-patch-lengths"),
                      key="hist_chart")
    with c[1]:
        st.markdown("**Download**")
        st.download_button("Bytes, entropies, patches, tokens (CSV)", lambda: _csv(a), "blt-bytes.csv",
                           "text/csv", key="dl_csv")
        st.download_button("Same as JSON", lambda: _json(a), "blt-bytes.json", "application/json", key="dl_json")
        st.caption(f"Model {a.model} on {a.backend}. Chart PNG: camera icon in the chart's toolbar.")


def _rows(a: blt_core.Analysis) -> list[dict]:
    ids = {}
    for tok in ("llama3", "o200k"):
        seg = caching.segmentation(a.data, tok)
        ids[tok] = export.token_id_per_byte(seg.token_ids, seg.token_byte_starts, seg.token_byte_lengths)
    return export.byte_rows(a.data, a.entropies, a.surprisal, a.patch_starts, ids)


def _csv(a: blt_core.Analysis) -> str:
    return export.to_csv(_rows(a))


def _json(a: blt_core.Analysis) -> str:
    meta = {k: v for k, v in a.to_dict().items() if k not in ("entropies", "surprisal", "top_k_bytes",
                                                              "top_k_probs", "patch_starts", "patch_lengths")}
    return json.dumps({**meta, **json.loads(export.to_json({}, _rows(a)))}, ensure_ascii=False)


results(scores, opts)
