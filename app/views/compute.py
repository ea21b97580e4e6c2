"""Compute views: FLOPs per patch stacked by component, and the formulas with their inputs.

>>> fig = flops_figure({"global": np.array([4.0, 2.0]), "local_encoder": np.array([1.0, 1.0])})
>>> [t.name for t in fig.data]
['global step', 'local encoder']
"""

from __future__ import annotations

import html as _html

import numpy as np
import plotly.graph_objects as go

from app.views.palette import OKABE_ITO

COMPONENTS = {  # blt_core.flops key -> (label, colour)
    "global": ("global step", OKABE_ITO["blue"]),
    "local_encoder": ("local encoder", OKABE_ITO["orange"]),
    "local_decoder": ("local decoder", OKABE_ITO["bluish_green"]),
    "cross_attention": ("cross-attention", OKABE_ITO["reddish_purple"]),
    "entropy_model": ("entropy model", OKABE_ITO["sky_blue"]),
}
MAX_BARS = 400  # patches drawn; totals always cover every patch


def flops_figure(per_patch: dict[str, np.ndarray], *, labels: list[str] | None = None) -> go.Figure:
    """One stacked bar per patch (first MAX_BARS), one colour per component."""
    fig = go.Figure()
    for key, (label, colour) in COMPONENTS.items():
        if key not in per_patch:
            continue
        y = np.asarray(per_patch[key])[:MAX_BARS]
        x = np.arange(len(y))
        fig.add_trace(go.Bar(x=x, y=y, name=label, marker_color=colour,
                             text=None if labels is None else labels[:MAX_BARS],
                             hovertemplate=f"patch %{{x}} %{{text}}<br>{label}: %{{y:.3s}} FLOPs<extra></extra>"))
    fig.update_layout(barmode="stack", height=340, margin={"l": 10, "r": 10, "t": 30, "b": 10}, bargap=0.05,
                      legend={"orientation": "h", "y": 1.15}, dragmode="pan",
                      xaxis={"title": "patch", "range": [-0.5, min(60, MAX_BARS) - 0.5]},
                      yaxis={"title": "forward FLOPs"})
    fig.update_traces(textposition="none")
    return fig


def fmt(x: float) -> str:
    """Engineering notation: fmt(3.1e8) -> '3.10e+08'."""
    return f"{x:.2e}"


def layer_formula_md(name: str, h: int, m: float, f: int, L: int, vocab: int, kv: int | None) -> str:
    """Markdown: one model's per-position FLOPs, the formula with its numbers substituted."""
    kv = h if kv is None else kv
    per_layer = 2 * (2 * h * h + 2 * h * kv) + 2 * 3 * h * f + 2 * 2 * h * m
    total = L * per_layer + 2 * h * vocab
    return (f"**{_html.escape(name)}**: L·[2(2h² + 2h·kv) + 2·3hf + 2·2hm] + 2h|V| with h={h:,}, kv={kv:,}, f={f:,}, "
            f"m={m:,.0f}, L={L}, |V|={vocab:,} = **{fmt(total)} FLOPs per position**")
