"""Compare: BLT patches against space, static and BPE segmentations on one byte axis, plus noise."""

from __future__ import annotations

import numpy as np
import streamlit as st

import blt_core
from blt_core import (PERTURBATIONS, TOKENIZERS, byte_patch_starts, noise_report, perturb, space_patch_starts,
                      static_patch_starts)

from app import caching, state
from app.components.window import window_chart
from app.views import lanes as lanes_view
from app.views.window_data import lanes_blob
from app.views.glyphs import visible
from app.views.units import fmt_entropy, to_unit

NOISE_MAX_BYTES = 2_000  # the noise panel perturbs the first 2 KB (each variant is scored by the model)
TOKENIZER_LABELS = {"llama3": "Llama 3", "o200k": "GPT-4o (o200k)", "cl100k": "GPT-4 (cl100k)", "gpt2": "GPT-2"}



def _blt_settings(a: blt_core.Analysis, unit: str) -> str:
    """'mode entropy, θ 1.335 nats': the mode and the thresholds it uses, in the chosen unit."""
    parts = [f"mode {a.mode}"]
    if a.mode in ("entropy", "combined"):
        parts.append(f"θ {fmt_entropy(a.threshold, unit)}")
    if a.mode in ("monotonic", "combined"):
        parts.append(f"θ_r {fmt_entropy(a.theta_r, unit, 4)}")
    return ", ".join(parts)


opts, inp, scores = state.open_page("Compare")
popts = state.patch_options(scores)
try:
    blt = blt_core.patch_scores(scores, **popts)
except ValueError as e:
    st.error(str(e))
    st.stop()
state.default("tokenizers", ["llama3", "o200k"])
toks = st.multiselect("Tokenizers", TOKENIZERS, key="tokenizers", persist_state="session",
                      format_func=TOKENIZER_LABELS.get)
state.sync_url()
data = inp.data
n = len(data)
lanes = {"bytes": byte_patch_starts(n), f"BLT ({blt.mode})": blt.patch_starts,
         "space": space_patch_starts(data), f"static {popts['patch_size']}": static_patch_starts(n, patch_size=popts["patch_size"])}
marks = {}
for t in toks:
    seg = caching.segmentation(data, t)
    lanes[TOKENIZER_LABELS[t]] = seg.token_byte_starts
    marks[TOKENIZER_LABELS[t]] = seg.partial_char
blt_name = f"BLT ({blt.mode})"
st.caption(f"BLT lane: {_blt_settings(blt, state.unit())}, mean patch {blt.mean_patch_length:.2f} bytes (set on "
           "Explore). Red outline: a token that splits a character.")
window_chart(lanes_blob(data, lanes, marks=marks, tokens=frozenset(marks), widths=lanes_view.LANE_WIDTHS,
                        default_width=lanes_view.LANE_WIDTH,
                        overview=(np.arange(n), to_unit(scores.entropies, state.unit()), f"entropy ({state.unit()})")),
             key="lanes")
st.dataframe(lanes_view.lane_rows(data, lanes, reference=blt_name), hide_index=True)
st.caption(lanes_view.WHY_THEY_DIFFER)

st.subheader("Across scripts (shipped samples)")
st.caption("Bytes per BLT patch vs bytes per token, and how often patch boundaries fall on token boundaries (F1, "
           "exact and with whitespace attached to the following unit).")
if toks:
    table = caching.script_table(tuple(sorted(popts.items())), tuple(toks), opts["newline_reset"], opts["backend"],
                               opts["model"])
    st.dataframe(lanes_view.script_rows(table, {t: TOKENIZER_LABELS[t] for t in toks}), hide_index=True,
                 row_height=30, height=38 + 30 * len(table) * len(toks))  # every row on show: no inner scroll
    st.caption("Samples: " + "; ".join(f"{row['script']}: {', '.join(row['samples'])}" for row in table) + ".")
else:
    st.info("Choose at least one tokenizer.")

st.subheader("Noise")
c = st.columns(3)
kind = c[0].selectbox("Perturbation", sorted(PERTURBATIONS), key="noise_kind", bind="query-params")
rate = c[1].slider("Rate", 0.0, 1.0, 0.1, 0.05, key="noise_rate", bind="query-params")
seed = c[2].number_input("Seed", 0, 10_000, 0, key="noise_seed")
text = data[:NOISE_MAX_BYTES].decode("utf-8", errors="replace")
if n > NOISE_MAX_BYTES:
    st.caption(f"The noise panel uses the first {NOISE_MAX_BYTES:,} bytes.")
tok0 = toks[0] if toks else "llama3"


def count_patches(b: bytes) -> int:
    return blt_core.patch_scores(state.score_or_stop(b, opts), **popts).n_patches


noisy = perturb(text, kind=kind, rate=rate, seed=int(seed)).encode("utf-8")
st.markdown("**Perturbed text**")
st.code(visible(noisy), language=None, wrap_lines=True)
rows = noise_report(text, count_tokens=lambda b: caching.segmentation(b, tok0).n_tokens, count_patches=count_patches,
                    rate=rate, seed=int(seed))
st.dataframe([{"perturbation": r["kind"], f"{TOKENIZER_LABELS[tok0]} tokens": f"{r['tokens_before']} → {r['tokens_after']}",
               "token change": f"{r['token_change']:+.1%}", "BLT patches": f"{r['patches_before']} → {r['patches_after']}",
               "patch change": f"{r['patch_change']:+.1%}"} for r in rows], hide_index=True)
ns = state.score_or_stop(noisy, opts) if noisy else None
if ns is not None:
    nb = blt_core.patch_scores(ns, **popts)
    nl = {f"BLT ({blt.mode})": nb.patch_starts, TOKENIZER_LABELS[tok0]: caching.segmentation(noisy, tok0).token_byte_starts}
    st.markdown("**Perturbed text, segmented** (a window of its own)")
    window_chart(lanes_blob(noisy, nl, tokens=frozenset({TOKENIZER_LABELS[tok0]}), widths=lanes_view.LANE_WIDTHS,
                            default_width=lanes_view.LANE_WIDTH,
                            overview=(np.arange(len(noisy)), to_unit(ns.entropies, state.unit()), f"entropy ({state.unit()})")),
                 key="noise_lanes")
