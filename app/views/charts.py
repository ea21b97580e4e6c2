"""Plotly figures for Explore: the entropy curve with threshold and boundaries, the patch-length histogram.

Point k sits on byte k, the byte it predicts (DESIGN.md alignment). Figures stay light:
Scattergl above GL_POINTS points, and one trace carries all boundary lines.

>>> fig = entropy_figure(b"ab", np.array([5.0, 1.0]), np.array([2.0, 0.5]), np.array([0]), threshold=1.3)
>>> [t.name for t in fig.data]
['patch boundary', 'entropy', 'patch start']
"""

from __future__ import annotations

import html as _html

import numpy as np
import plotly.graph_objects as go

from blt_core import THRESHOLD_CEILING

from app.views.glyphs import byte_labels, visible
from app.views.palette import OKABE_ITO
from app.views.units import NATS_PER_BIT, UNIT_SCALE

GL_POINTS = 3000  # SVG scatter gets sluggish past a few thousand points; WebGL does not
PNG_CONFIG = {"displaylogo": False, "toImageButtonOptions": {"format": "png", "scale": 2}}


def png_config(filename: str) -> dict:
    """plotly.js config: the modebar's camera button downloads `filename`.png."""
    return {**PNG_CONFIG, "toImageButtonOptions": {**PNG_CONFIG["toImageButtonOptions"], "filename": filename}}


def plotly_escape(text: str) -> str:
    """Escape user text for plotly's pseudo-HTML (text, hover, annotations), exactly once.

    plotly decodes &amp; &lt; &gt; and numeric entities but shows &quot; literally, so quotes stay as they are.
    >>> plotly_escape('<b>"a" & b')
    '&lt;b&gt;"a" &amp; b'
    """
    return _html.escape(text, quote=False)


def percent(p: float) -> str:
    """A probability as a readable percentage: never '0%' for a candidate the model still considers.

    >>> percent(0.523), percent(0.004), percent(0.9996)
    ('52%', '<1%', '>99%')
    """
    if p < 0.005:
        return "<1%"
    if p > 0.995 and p < 1.0:
        return ">99%"
    return f"{p:.0%}"


def _candidate(value: int) -> str:
    """A candidate next byte on its own, with the patch view's glyphs (newline ↵, space ·)."""
    return "&lt;special&gt;" if value < 0 else plotly_escape(visible(bytes([value])))


def hover_texts(data: bytes, entropies: np.ndarray, surprisal: np.ndarray, top_bytes: np.ndarray | None,
                top_probs: np.ndarray | None, *, unit: str = "nats") -> list[str]:
    """One hover label per byte (user text escaped once): byte (glyph + hex), entropy, surprisal, top candidates.

    Candidates are bold and separated by " | ", so neither the space glyph · nor a literal "|" is ambiguous.
    >>> top_bytes, top_probs = np.array([[60, 10, 34]]), np.array([[0.5, 0.25, 0.001]])
    >>> hover_texts(b"<", np.array([1.0]), np.array([2.0]), top_bytes, top_probs)[0].split("<br>")
    ['byte 0: <b>&lt; 3c</b>', 'entropy 1.000 nats, surprisal 1.386 nats', 'next byte: <b>&lt;</b> 50% | <b>↵</b> 25% | <b>"</b> <1%']
    """
    ent = np.asarray(entropies, dtype=np.float64) * UNIT_SCALE[unit]
    sur = np.asarray(surprisal, dtype=np.float64) * NATS_PER_BIT * UNIT_SCALE[unit]  # surprisal comes in bits
    labels = byte_labels(data)
    out = []
    for k, label in enumerate(labels):
        text = f"byte {k}: <b>{plotly_escape(label)}</b><br>entropy {ent[k]:.3f} {unit}, surprisal {sur[k]:.3f} {unit}"
        if top_bytes is not None and top_probs is not None and top_bytes.shape[1]:
            cands = " | ".join(f"<b>{_candidate(int(b))}</b> {percent(float(p))}"
                               for b, p in zip(top_bytes[k], top_probs[k]))
            text += f"<br>next byte: {cands}"
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
    scale = UNIT_SCALE[unit]
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
    """Bar per patch length: how many patches have 1, 2, 3, ... bytes. Both axes count, so ticks are integers.

    >>> fig = length_histogram(np.array([1, 1, 3]))
    >>> fig.data[0].y.tolist(), fig.layout.xaxis.dtick, fig.layout.yaxis.tickformat
    ([2, 0, 1], 1, 'd')
    """
    counts = np.bincount(np.asarray(lengths, dtype=np.int64))[1:]
    fig = go.Figure(go.Bar(x=np.arange(1, len(counts) + 1), y=counts, marker_color=OKABE_ITO["bluish_green"],
                           hovertemplate="%{y} patches of %{x} bytes<extra></extra>"))
    fig.update_layout(height=240, margin={"l": 10, "r": 10, "t": 10, "b": 10}, bargap=0.1,
                      xaxis={"title": "patch length (bytes)", "tickmode": "linear", "tick0": 1,
                             "dtick": integer_step(len(counts))},
                      yaxis={"title": "patches", "tickformat": "d", "rangemode": "tozero"})
    return fig


def integer_step(span: int, *, max_ticks: int = 12) -> int:
    """A tick step of 1, 2, 5, 10, 20, 50, ... that puts at most about max_ticks ticks on `span` integers.

    >>> integer_step(1), integer_step(30), integer_step(400)
    (1, 5, 50)
    """
    step = 1
    while span / step > max_ticks:
        step = step * 5 // 2 if str(step).startswith("2") else step * 2
    return step
