"""Plotly figures for Explore: the entropy curve with threshold and boundaries, the patch-length histogram.

Point k sits on byte k, the byte it predicts (DESIGN.md alignment). Figures stay light:
Scattergl above GL_POINTS points, and one trace carries all boundary lines.

>>> fig = entropy_figure(b"ab", np.array([5.0, 1.0]), np.array([2.0, 0.5]), np.array([0]), threshold=1.3)
>>> [t.name for t in fig.data]
['patch boundary', 'entropy', 'patch start']
"""

from __future__ import annotations

import html as _html
import math

import numpy as np
import plotly.graph_objects as go

from blt_core import THRESHOLD_CEILING

from app.views.glyphs import byte_glyph, byte_labels
from app.views.palette import OKABE_ITO

GL_POINTS = 3000  # SVG scatter gets sluggish past a few thousand points; WebGL does not
NATS_PER_BIT = math.log(2)
PNG_CONFIG = {"displaylogo": False, "toImageButtonOptions": {"format": "png", "scale": 2}}


def png_config(filename: str) -> dict:
    """plotly.js config: the modebar's camera button downloads `filename`.png."""
    return {**PNG_CONFIG, "toImageButtonOptions": {**PNG_CONFIG["toImageButtonOptions"], "filename": filename}}


def hover_texts(data: bytes, entropies: np.ndarray, surprisal: np.ndarray, top_bytes: np.ndarray | None,
                top_probs: np.ndarray | None, *, unit: str = "nats") -> list[str]:
    """One escaped hover label per byte: byte (glyph + hex), entropy, surprisal, top candidates.

    >>> hover_texts(b"<", np.array([1.0]), np.array([2.0]), np.array([[60, 62]]), np.array([[0.5, 0.25]]))[0]
    'byte 0: <b>&lt; 3c</b><br>entropy 1.000 nats · surprisal 1.386 nats<br>top: &lt; 50% · &gt; 25%'
    """
    ent = np.asarray(entropies, dtype=np.float64) / (NATS_PER_BIT if unit == "bits" else 1.0)
    sur = np.asarray(surprisal, dtype=np.float64) * (NATS_PER_BIT if unit == "nats" else 1.0)
    labels = byte_labels(data)
    out = []
    for k, label in enumerate(labels):
        text = f"byte {k}: <b>{_html.escape(label)}</b><br>entropy {ent[k]:.3f} {unit} · surprisal {sur[k]:.3f} {unit}"
        if top_bytes is not None and top_probs is not None and top_bytes.shape[1]:
            cands = " · ".join(f"{_html.escape(byte_glyph(int(b)))} {p:.0%}"
                               for b, p in zip(top_bytes[k], top_probs[k]))
            text += f"<br>top: {cands}"
        out.append(text)
    return out


def entropy_figure(data: bytes, entropies: np.ndarray, surprisal: np.ndarray, starts: np.ndarray, *,
                   threshold: float | None, top_bytes: np.ndarray | None = None,
                   top_probs: np.ndarray | None = None, unit: str = "nats", lo: int = 0,
                   hi: int | None = None, hover: list[str] | None = None) -> go.Figure:
    """Entropy per byte over bytes [lo, hi), the threshold line, and a line at every patch start.

    `hover` (from hover_texts over the whole input) saves rebuilding labels on every rerun.
    """
    n = len(data)
    hi = n if hi is None else hi
    scale = 1.0 / NATS_PER_BIT if unit == "bits" else 1.0
    x = np.arange(lo, hi)
    y = np.asarray(entropies[lo:hi], dtype=np.float64) * scale
    if hover is None:
        hover = hover_texts(data[lo:hi], entropies[lo:hi], surprisal[lo:hi],
                            None if top_bytes is None else top_bytes[lo:hi],
                            None if top_probs is None else top_probs[lo:hi], unit=unit)
    else:
        hover = hover[lo:hi]
    scatter = go.Scattergl if hi - lo > GL_POINTS else go.Scatter
    ymax = max(float(y.max()) if len(y) else 1.0, THRESHOLD_CEILING * scale) * 1.05
    in_view = starts[(starts >= lo) & (starts < hi)]
    xs = np.repeat(in_view.astype(np.float64) - 0.5, 3)
    xs[2::3] = np.nan
    ys = np.tile([0.0, ymax, np.nan], len(in_view))
    fig = go.Figure()
    fig.add_trace(scatter(x=xs, y=ys, mode="lines", name="patch boundary", hoverinfo="skip",
                          line={"color": "rgba(128,128,128,0.45)", "width": 1}))
    fig.add_trace(scatter(x=x, y=y, mode="lines+markers" if hi - lo <= GL_POINTS else "lines",
                          name="entropy", text=hover, hovertemplate="%{text}<extra></extra>",
                          line={"color": OKABE_ITO["blue"], "width": 1.5}, marker={"size": 4}))
    sx = in_view
    fig.add_trace(scatter(x=sx, y=np.asarray(entropies, dtype=np.float64)[sx] * scale, mode="markers",
                          name="patch start", hoverinfo="skip",
                          marker={"color": OKABE_ITO["vermillion"], "size": 7, "symbol": "diamond"}))
    if threshold is not None:
        fig.add_hline(y=threshold * scale, line={"color": OKABE_ITO["orange"], "dash": "dash", "width": 2},
                      annotation_text=f"threshold {threshold * scale:.3f} {unit}", annotation_position="top left")
    fig.update_layout(height=330, margin={"l": 10, "r": 10, "t": 30, "b": 10}, hovermode="closest",
                      legend={"orientation": "h", "y": 1.12, "x": 0}, dragmode="pan",
                      xaxis={"title": "byte offset (each point sits on the byte it predicts)",
                             "range": [lo - 0.5, min(hi, lo + 400) - 0.5]},
                      yaxis={"title": f"entropy ({unit})", "range": [0, ymax], "fixedrange": True})
    return fig


def length_histogram(lengths: np.ndarray) -> go.Figure:
    """Bar per patch length: how many patches have 1, 2, 3, ... bytes.

    >>> length_histogram(np.array([1, 1, 3])).data[0].y.tolist()
    [2, 0, 1]
    """
    counts = np.bincount(np.asarray(lengths, dtype=np.int64))[1:]
    fig = go.Figure(go.Bar(x=np.arange(1, len(counts) + 1), y=counts, marker_color=OKABE_ITO["bluish_green"],
                           hovertemplate="%{y} patches of %{x} bytes<extra></extra>"))
    fig.update_layout(height=240, margin={"l": 10, "r": 10, "t": 10, "b": 10},
                      xaxis={"title": "patch length (bytes)"}, yaxis={"title": "patches"}, bargap=0.1)
    return fig
