"""Generate: the small BLT writes bytes live; watch patches form and global vs local steps."""

from __future__ import annotations

import time

import streamlit as st

import blt_core

from app import state, turns
from app.views import charts, compute
from app.views import generate as gv

REFRESH_S = 0.15  # redraw at most this often while streaming (drawing is slower than decoding)
MAX_OUT = 1000  # the Max bytes slider's top: with the prompt cap, one run's work is bounded

state.heading("Generate")
unit = state.unit_control()
official = state.official_weights_choice()  # an allowed folder holding the released BLT, or None
st.caption(gv.generator_caption(official.name if official else None))
st.sidebar.caption(gv.generator_entropy_caption(official.name if official else None, *state.generator_entropy_names()))
if official is None and not blt_core.DEFAULT_GENERATOR_CARD.exists():
    st.warning(f"No trained generator was found ({blt_core.DEFAULT_GENERATOR_CARD.name} is missing from "
               "assets/), so this page cannot generate. The other pages use the trained entropy model.")
    st.stop()

c = st.columns([3, 1])
prompt = c[0].text_area("Prompt", "The byte latent transformer ", key="gen_prompt", height=90)
prompt_bytes = len(prompt.encode("utf-8", errors="surrogateescape"))
c[0].caption(gv.prompt_caption(prompt_bytes, blt_core.MAX_PROMPT_BYTES, MAX_OUT))
too_long = prompt_bytes > blt_core.MAX_PROMPT_BYTES
if too_long:
    c[0].error(gv.prompt_over_cap(prompt_bytes, blt_core.MAX_PROMPT_BYTES))
with c[1]:
    max_bytes = st.slider("Max bytes", 1, MAX_OUT, 200, key="gen_max", bind="query-params")
    backend = st.selectbox("Backend", blt_core.BACKENDS, key="gen_backend", bind="query-params")
c = st.columns(3)
temperature = c[0].slider("Temperature", 0.0, 2.0, 0.7, 0.05, key="gen_temp", bind="query-params")
top_k = c[1].number_input("Top-k (0 = all)", 0, 256, 0, key="gen_topk")
seed = c[2].number_input("Seed", 0, 1_000_000, 0, key="gen_seed")
b = st.columns([1, 1, 3])
go_clicked = b[0].button("Generate", type="primary", key="gen_go", disabled=too_long)
# Clicking Stop (or any widget, or Streamlit's own stop) reruns the page, which interrupts the
# streaming loop between two bytes; the partial output stays.
b[1].button("Stop", key="gen_stop")

progress_box = st.empty()
counters = st.empty()
text_box = st.empty()
chart_box = st.empty()


def show(res: dict, *, live: bool = False) -> None:
    tr = res["trace"]
    data = bytes(tr.data)
    shown = data[:gv.complete_prefix_len(data)]
    starts = [s for s in tr.patch_starts if s < len(shown)] or [0]
    flops = res["patch_flops"](tr.patch_starts, len(data)) if data else []
    out_bytes = len(tr.output)
    if live:  # while the loop runs: output bytes so far against Max bytes
        progress_box.progress(min(out_bytes / res["max_bytes"], 1.0), text=f"{out_bytes:,} / {res['max_bytes']:,} bytes")
    else:
        progress_box.empty()
    with counters.container():
        m = st.columns(5)
        m[0].metric("Bytes out", f"{out_bytes:,}")
        m[1].metric("Global steps", f"{tr.global_steps:,}", help="one per patch")
        m[2].metric("Local steps", f"{tr.local_steps:,}", help="one per byte (BOS included)")
        per_patch, unit_name = compute.fmt(sum(flops) / len(flops) if flops else 0.0).split(" ")
        m[3].metric(f"{unit_name} / patch", per_patch, help="forward FLOPs per patch, mean over the patches so far")
        m[4].metric("Bytes / s", f"{out_bytes / max(res['seconds'], 1e-9):.0f}")
    text_box.html(gv.stream_html(shown, starts, tr.prompt_length))
    # each redraw in one run needs its own key: Streamlit refuses two charts with the same id
    draws = st.session_state["gen_draws"] = st.session_state.get("gen_draws", 0) + 1
    fig = gv.growing_entropy_figure(tr.entropies, tr.patch_starts, res["threshold"], tr.prompt_length, unit=unit)
    chart_box.plotly_chart(fig, config=charts.png_config("blt-generate-entropy"), key=f"gen_chart_{draws}")


if go_clicked:
    try:
        gen = blt_core.load_generator(backend=backend, model=official)
        res = {"trace": blt_core.GenerationTrace(prompt_bytes), "seconds": 0.0, "patch_flops": gen.patch_flops,
               "threshold": gen.config.patch_threshold, "status": "running", "max_bytes": int(max_bytes)}
        st.session_state["gen_result"] = res
        t0 = last = time.perf_counter()
        with turns.model_turn() as turn:  # one fair-pool turn per model call: other visitors' work goes between
            for ev in blt_core.generate_stream(prompt, max_bytes=int(max_bytes), temperature=float(temperature),
                                               top_k=int(top_k) or None, seed=int(seed), backend=backend,
                                               model=official):
                res["trace"].add(ev)
                res["seconds"] = time.perf_counter() - t0
                if res["seconds"] and time.perf_counter() - last > REFRESH_S:
                    show(res, live=True)
                    last = time.perf_counter()
                turn.between_chunks()
        res["status"] = "done"
    except (ValueError, blt_core.WeightsError) as e:
        st.error(str(e))
        st.stop()
    except Exception as e:  # an official folder's unexpected errors may carry server paths: only the type
        if official is None:
            raise
        st.error(f"The official generator failed ({type(e).__name__}).")
        st.stop()
res = st.session_state.get("gen_result")
if res:
    show(res)
    if res["status"] != "done":
        st.caption("Stopped.")
else:
    st.info("Press Generate: the prompt's bytes are read first (underlined), then new bytes stream in, "
            "each patch in its own colour.")
