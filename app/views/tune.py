"""Threshold -> mean patch length curves (global entropy rule), for one text and for a pooled set.

With no maximum length, a text of n bytes has 1 + #{k > 0 : e[k] > theta} patches:

>>> mean_lengths([np.array([3.0, 0.2, 0.1, 2.5])], np.array([0.0, 1.0, 3.0])).tolist()
[1.0, 2.0, 4.0]
"""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

from blt_core.flops import PatchSizeComparison

from app.views.palette import OKABE_ITO


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


def _threshold_lines(thresholds: np.ndarray, series: dict[str, np.ndarray], hover: str) -> go.Figure:
    """A figure with one line per named series over the threshold axis."""
    fig = go.Figure()
    for i, (name, ys) in enumerate(series.items()):
        fig.add_trace(go.Scatter(x=thresholds, y=ys, name=name, mode="lines",
                                 line={"color": LINE_COLOURS[i % len(LINE_COLOURS)], "width": 2},
                                 hovertemplate=hover + "<extra>" + name + "</extra>"))
    return fig


def curve_figure(thresholds: np.ndarray, curves: dict[str, np.ndarray], *, current: float | None,
                 target: float | None) -> go.Figure:
    """Mean patch length against threshold, one line per curve, with the current theta and target."""
    fig = _threshold_lines(thresholds, curves, "θ %{x:.3f} nats → %{y:.2f} bytes/patch")
    if current is not None:
        fig.add_vline(x=current, line={"color": OKABE_ITO["orange"], "dash": "dash"},
                      annotation_text=f"θ {current:.3f}", annotation_position="top")
    if target is not None:
        fig.add_hline(y=target, line={"color": OKABE_ITO["vermillion"], "dash": "dot"},
                      annotation_text=f"target {target:g}", annotation_position="bottom right")
    fig.update_layout(height=360, margin={"l": 10, "r": 10, "t": 30, "b": 10}, legend={"orientation": "h", "y": 1.12},
                      xaxis={"title": "threshold θ (nats)"}, yaxis={"title": "mean patch length (bytes)", "type": "log"})
    return fig


def compute_figure(thresholds: np.ndarray, flops_per_byte: dict[str, np.ndarray], *, bpe_line: float | None,
                   bpe_name: str = "BPE") -> go.Figure:
    """FLOPs per byte implied by each threshold (a BLT whose patches follow the curve)."""
    fig = _threshold_lines(thresholds, flops_per_byte, "θ %{x:.3f} → %{y:.3s} FLOPs/byte")
    if bpe_line is not None:
        fig.add_hline(y=bpe_line, line={"color": OKABE_ITO["vermillion"], "dash": "dot"},
                      annotation_text=f"{bpe_name}: {bpe_line:.3g} FLOPs/byte", annotation_position="top left")
    fig.update_layout(height=320, margin={"l": 10, "r": 10, "t": 30, "b": 10}, legend={"orientation": "h", "y": 1.15},
                      xaxis={"title": "threshold θ (nats)"}, yaxis={"title": "inference FLOPs per byte", "type": "log"})
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
