"""A chart that draws a window of a long input, with the whole input reachable: the chart, a caption
saying which bytes it shows, an overview of the whole input with the window shaded, and under them a
slider that moves the window and a choice of its width (app/views/window.py does the arithmetic).

A chart with a window keeps its axes fixed: panning inside it would make the caption wrong.
"""

from __future__ import annotations

from typing import Callable

import numpy as np
import plotly.graph_objects as go
import streamlit as st

from app.views.charts import png_config
from app.views.window import overview_figure, window_bounds, window_caption


def window_controls(n: int, *, key: str, widths: tuple[int, ...], default_width: int) -> tuple[int, int]:
    """Bytes [lo, hi) to draw, chosen with a start slider and a width selector keyed `key`_start/_width.

    Inputs no wider than the smallest width show whole, without controls.
    """
    if n <= min(widths):
        return 0, n
    ss = st.session_state
    options = [w for w in widths if w < n] + [n]
    if ss.get(f"{key}_width") not in options:  # first run, or a new input shorter than the old width
        ss[f"{key}_width"] = min(default_width, n) if min(default_width, n) in options else options[0]
    c = st.columns([4, 1], vertical_alignment="bottom")
    width = c[1].selectbox("Bytes at once", options, key=f"{key}_width", format_func=lambda w: f"{w:,}")
    last = n - width
    if last <= 0:
        return 0, n
    if ss.get(f"{key}_start", 0) > last:  # keep the slider's stored value inside its new range
        ss[f"{key}_start"] = last
    start = c[0].slider("Window: first byte shown", 0, last, help="Drag, or click and use ← → Home End.",
                        key=f"{key}_start", step=1)
    return window_bounds(n, start=start, width=width)


def windowed_chart(n: int, *, key: str, widths: tuple[int, ...], default_width: int,
                   chart: Callable[[int, int], go.Figure], overview: tuple[np.ndarray, np.ndarray, str],
                   note: Callable[[int, int], str] = lambda lo, hi: "") -> tuple[int, int]:
    """Draw `chart(lo, hi)` for the chosen window of bytes [lo, hi) of an n-byte input; returns (lo, hi).

    `overview` is (byte offsets, values, what the values are) for the whole-input strip; `note(lo, hi)`
    adds to the caption (Compute: which patches the window holds).
    """
    box = st.container()  # the controls run first, but the chart stays the first thing on the page
    lo, hi = window_controls(n, key=key, widths=widths, default_width=default_width)
    with box:
        st.plotly_chart(chart(lo, hi), config=png_config(f"blt-{key}"), key=f"{key}_chart")
        more = "" if hi - lo == n else " Move the window with the slider under the overview; totals cover every byte."
        st.caption(window_caption(lo, hi, n) + note(lo, hi) + more)
        if hi - lo < n:
            x, y, what = overview
            st.plotly_chart(overview_figure(x, y, n=n, lo=lo, hi=hi, y_title=what), config={"displayModeBar": False},
                            key=f"{key}_overview")
    return lo, hi
