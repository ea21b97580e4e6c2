"""Explore: paste text or upload any file; see entropies, the threshold and the patches it draws."""

from __future__ import annotations

import hashlib
import json

import numpy as np
import streamlit as st

import blt_core
from blt_core import calibrate_threshold

from app import caching, state
from app.components.explorer import explorer
from app.views import explorer as explorer_view
from app.views import export

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
st.caption("Paste text or drop any file: drag the threshold line and watch the entropy model's bytes regroup into patches.")
opts = state.scoring_options()
state.init()
samples = caching.samples()
c1, c2 = st.columns([2, 1])
c2.selectbox("Sample", list(samples), index=None, key="sample", on_change=_load_sample,
             placeholder="Pick a sample…", format_func=lambda k: f"{samples[k]['label']} ({samples[k]['script']})")
c2.file_uploader(f"Or upload any file (binary too; the first {state.MAX_BYTES // 1000} KB are analyzed)", key="upload",
                 on_change=_store_upload)
c1.text_area("Text", key="text", height=100, persist_state="session",
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
    """The patching widgets (exact values, calibration, units) -> patch_scores options (plus the unit).

    They share their keys with the explorer component, which writes them on release (_from_explorer).
    """
    ss = st.session_state
    d = scores.defaults
    data = scores.data
    state.default("mode", "entropy")
    state.default("threshold", round(min(float(d.get("threshold") or blt_core.OFFICIAL_THRESHOLD), THRESHOLD_MAX), 3))
    state.default("theta_r", round(float(d.get("theta_r") or 0.0), 4))
    state.default("patch_size", int(d.get("patch_size") or 4))
    state.default("target", 4.5)
    with st.expander("Exact values, calibration and units"):
        c = st.columns([1, 2, 1, 1])
        mode = c[0].selectbox("Mode", blt_core.PATCH_MODES, key="mode", persist_state="session")
        threshold = c[1].slider("Threshold θ (nats)", 0.0, THRESHOLD_MAX, step=0.005, format="%.4f",
                                key="threshold", persist_state="session",
                                disabled=mode not in ("entropy", "combined"),
                                help="Byte k starts a patch when its entropy exceeds θ.")
        theta_r = c[2].number_input("θ_r (nats)", step=0.01, format="%.4f", key="theta_r", persist_state="session",
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


def _from_explorer() -> None:
    """On release in the explorer: its settings become the widgets' values (and so the URL's)."""
    got = (st.session_state.get("explorer") or {}).get("settings")
    if got:
        st.session_state.update(explorer_view.released_state(got, patch_modes=blt_core.PATCH_MODES))


def _payload(scores: blt_core.Scores) -> bytes:
    """The explorer's payload, built once per scored input and kept for the session."""
    ss = st.session_state
    key = hashlib.sha1(scores.data + scores.entropies.tobytes() + scores.backend.encode()).hexdigest()
    if ss.get("_explorer_blob", (None,))[0] != key:
        ss["_explorer_blob"] = (key, explorer_view.payload(scores))
    return ss["_explorer_blob"][1]


@st.fragment
def results(scores: blt_core.Scores) -> None:
    popts = controls(scores)
    unit = popts.pop("unit")
    try:
        a = blt_core.patch_scores(scores, **popts)
    except ValueError as e:
        st.error(str(e))
        return
    blob = _payload(scores)
    theta_r = a.theta_r if a.theta_r is not None else 0.0
    settings = {"mode": a.mode, "threshold": a.threshold, "theta_r": theta_r, "patch_size": a.patch_size,
                "max_patch_length": a.max_patch_length or 0}
    explorer(blob, explorer_view.view_data(explorer_view.payload_id(blob), settings, unit=unit),
             key="explorer", on_change=_from_explorer)
    metrics(a)
    downloads(a)


def metrics(a: blt_core.Analysis) -> None:
    m = st.columns(4)
    m[0].metric("Bytes", f"{a.n_bytes:,}")
    m[1].metric("Patches", f"{a.n_patches:,}")
    m[2].metric("Mean patch length", f"{a.mean_patch_length:.2f} B")
    m[3].metric("Bits per byte", f"{a.bits_per_byte:.3f}")
    for note in a.notes:
        st.caption(note)


def downloads(a: blt_core.Analysis) -> None:
    c = st.columns(3)
    c[0].download_button("Bytes, entropies, patches, tokens (CSV)", lambda: _csv(a), "blt-bytes.csv",
                         "text/csv", key="dl_csv")
    c[1].download_button("Same as JSON", lambda: _json(a), "blt-bytes.json", "application/json", key="dl_json")
    c[2].caption(f"Model {a.model} on {a.backend}. Counts above: the settings last released in the explorer.")


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


results(scores)
