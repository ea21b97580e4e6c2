"""Threshold -> mean patch length curves (global entropy rule), for one text and for a pooled set.

With no maximum length, a text of n bytes has 1 + #{k > 0 : e[k] > theta} patches:

>>> mean_lengths([np.array([3.0, 0.2, 0.1, 2.5])], np.array([0.0, 1.0, 3.0])).tolist()
[1.0, 2.0, 4.0]
"""

from __future__ import annotations

import math

import numpy as np
import plotly.graph_objects as go

from blt_core.flops import PatchSizeComparison

from app.views.compute import fmt as fmt_flops
from app.views.palette import OKABE_ITO
from app.views.units import fmt_entropy, to_unit


def mean_lengths(entropies: list[np.ndarray], thresholds: np.ndarray) -> np.ndarray:
    """Pooled mean patch length (total bytes / total patches) at each threshold."""
    n_bytes = sum(len(e) for e in entropies)
    patches = np.zeros(len(thresholds))
    for e in entropies:
        tail = np.sort(np.asarray(e[1:], dtype=np.float64))
        patches += 1 + len(tail) - np.searchsorted(tail, thresholds, side="right")
    return n_bytes / patches


def pooled_threshold(entropies: list[np.ndarray], target: float) -> tuple[float, float]:
    """The candidate threshold whose pooled mean patch length is nearest `target` -> (theta, mean).

    >>> pooled_threshold([np.array([3.0, 0.2, 0.1, 2.5])], 2.0)
    (0.2, 2.0)
    """
    cands = np.unique(np.concatenate([np.asarray(e[1:], dtype=np.float64) for e in entropies] + [[0.0]]))
    means = mean_lengths(entropies, cands)
    i = int(np.argmin(np.abs(means - target)))
    return float(cands[i]), float(means[i])


LINE_COLOURS = [OKABE_ITO["blue"], OKABE_ITO["bluish_green"], OKABE_ITO["reddish_purple"]]
# Below the plot: a legend above it collides with labels at the top of vertical lines.
LEGEND_BELOW = {"orientation": "h", "yanchor": "top", "y": -0.25, "x": 0}


def _threshold_lines(x: np.ndarray, series: dict[str, np.ndarray], hover: str) -> go.Figure:
    """A figure with one line per named series over the threshold axis."""
    fig = go.Figure()
    for i, (name, ys) in enumerate(series.items()):
        fig.add_trace(go.Scatter(x=x, y=ys, name=name, mode="lines",
                                 line={"color": LINE_COLOURS[i % len(LINE_COLOURS)], "width": 2},
                                 hovertemplate=hover + "<extra>" + name + "</extra>"))
    return fig


def _reference(fig: go.Figure, x, y, *, name: str, label: str, colour: str, dash: str, at: int,
               side: str = "above") -> None:
    """A reference line as a legend entry and a label at end `at` (0 start, 1 end), inside the plot:
    "above" a horizontal line, or "beside" the top of a vertical one.

    Both figures draw y on a log axis, where plotly places annotations at log10(y).
    """
    fig.add_trace(go.Scatter(x=x, y=y, name=name, mode="lines", hoverinfo="skip",
                             line={"color": colour, "dash": dash, "width": 2}))
    beside = side == "beside"
    fig.add_annotation(x=x[at], y=math.log10(y[at]), text=label, showarrow=False, font={"color": colour},
                       xanchor="left" if beside or not at else "right", yanchor="top" if beside else "bottom",
                       xshift=-4 if at and not beside else 4)


def _series_span(series: dict[str, np.ndarray]) -> list[float]:
    ys = np.concatenate([np.asarray(v, dtype=np.float64) for v in series.values()])
    return [float(ys.min()), float(ys.max())]


def curve_figure(thresholds: np.ndarray, curves: dict[str, np.ndarray], *, current: float | None,
                 target: float | None, unit: str = "nats") -> go.Figure:
    """Mean patch length against threshold (nats in, drawn in `unit`), one line per curve, with the
    current θ and the target as labelled lines.

    >>> fig = curve_figure(np.array([0.0, 1.0]), {"text": np.array([1.0, 3.0])}, current=0.5, target=2.0)
    >>> [t.name for t in fig.data], [a.text for a in fig.layout.annotations]
    (['text', 'θ now: 0.500 nats', 'target: 2 bytes/patch'], ['θ now', 'target 2'])
    """
    x = to_unit(np.asarray(thresholds, dtype=np.float64), unit)
    fig = _threshold_lines(x, curves, f"θ %{{x:.3f}} {unit} → %{{y:.2f}} bytes/patch")
    if current is not None:
        _reference(fig, [to_unit(current, unit)] * 2, _series_span(curves),
                   name=f"θ now: {fmt_entropy(current, unit)}", label="θ now", colour=OKABE_ITO["orange"], dash="dash",
                   at=1, side="beside")
    if target is not None:
        _reference(fig, [x[0], x[-1]], [target, target], name=f"target: {target:g} bytes/patch",
                   label=f"target {target:g}", colour=OKABE_ITO["vermillion"], dash="dot", at=1)
    fig.update_layout(height=380, margin={"l": 10, "r": 10, "t": 10, "b": 10}, legend=LEGEND_BELOW,
                      xaxis={"title": f"threshold θ ({unit})"},
                      yaxis={"title": "mean patch length (bytes)", "type": "log",  # whole numbers, not "2 5" minor labels
                             "tickvals": [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000], "tickformat": ",d"})
    return fig


def compute_figure(thresholds: np.ndarray, flops_per_byte: dict[str, np.ndarray], *, bpe_line: float | None,
                   bpe_name: str = "BPE", unit: str = "nats") -> go.Figure:
    """FLOPs per byte implied by each threshold (a BLT whose patches follow the curve), with the BPE
    model as a labelled line.

    >>> fig = compute_figure(np.array([0.0, 1.0]), {"text": np.array([2e9, 1e9])}, bpe_line=1.5e9, bpe_name="Llama")
    >>> [t.name for t in fig.data]
    ['text', 'Llama: 1.50 GFLOP/byte']
    """
    x = to_unit(np.asarray(thresholds, dtype=np.float64), unit)
    fig = _threshold_lines(x, flops_per_byte, f"θ %{{x:.3f}} {unit} → %{{y:.3s}}FLOP/byte")
    if bpe_line is not None:
        _reference(fig, [x[0], x[-1]], [bpe_line, bpe_line], name=f"{bpe_name}: {fmt_flops(bpe_line)}/byte",
                   label=bpe_name, colour=OKABE_ITO["vermillion"], dash="dot", at=0)
    fig.update_layout(height=340, margin={"l": 10, "r": 10, "t": 10, "b": 10}, legend=LEGEND_BELOW,
                      xaxis={"title": f"threshold θ ({unit})"},
                      yaxis={"title": "inference FLOP per byte (M, G = 10⁶, 10⁹)", "type": "log",
                             "tickformat": "~s"})
    return fig


def compute_caption(c: PatchSizeComparison) -> str:
    """What the compute curve assumes: the BLT's shapes, the context, and the BPE model's bytes per token."""
    g, enc = c.blt.global_model, c.blt.local_encoder
    entropy = f"entropy model {c.blt.entropy_model.name}" if c.blt.entropy_model else "no entropy model"
    return (f"{c.blt.name} shapes (global {g.hidden_size}×{g.num_hidden_layers}, local {enc.hidden_size}) with "
            f"{entropy}, context {c.context_bytes:,} bytes. FLOPs/byte = global FLOPs per patch / mean patch length "
            "+ local encoder, decoder, cross-attention and entropy model per byte. Larger patches mean fewer global "
            "steps: that budget can buy a bigger global model. "
            f"{c.bpe.name} per byte = per-token FLOPs / {c.bytes_per_token:.2f} bytes per token "
            "(measured on this text).")
