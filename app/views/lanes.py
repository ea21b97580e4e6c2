"""Segmentations side by side on one byte axis: bytes, BLT patches, space, static, BPE tokens.

Each lane is a row of bars, one bar per unit (patch or token) from its first byte to its
last, alternating two shades so neighbours stay apart. Hovering shows the unit's bytes.

>>> fig = lanes_figure(b"ab cd", {"bytes": np.arange(5), "space": np.array([0, 3])})
>>> [t.name for t in fig.data]
['bytes', 'space']
"""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

from blt_core import boundary_prf

from app.views.charts import plotly_escape
from app.views.glyphs import visible
from app.views.palette import SERIES

LANE_WIDTHS = (40, 80, 160, 400, 1_000)  # window widths offered (bytes); counts and scores cover the whole input
LANE_WIDTH = 80  # bytes at once by default: about the most whose bar texts stay readable at 1400 px


def tint(hex_colour: str, white: float) -> str:
    """`hex_colour` mixed with a share of white, opaque: it reads the same on light and dark themes, and
    plotly picks a legible text colour for it (with transparency it judges the colour, not what shows).

    >>> tint("#0072B2", 0.0), tint("#0072B2", 0.5)
    ('rgb(0,114,178)', 'rgb(128,184,216)')
    """
    r, g, b = (round(int(hex_colour[i:i + 2], 16) * (1 - white) + 255 * white) for i in (1, 3, 5))
    return f"rgb({r},{g},{b})"


def lanes_figure(data: bytes, lanes: dict[str, np.ndarray], *, lo: int = 0, hi: int | None = None,
                 marks: dict[str, np.ndarray] | None = None) -> go.Figure:
    """One bar lane per segmentation (starts arrays), top to bottom in dict order, over bytes [lo, hi)
    exactly: the x axis is fixed, so the window caption (app/views/window.py) always tells the truth.

    `marks` (lane -> bool per unit) outlines units that split a character (BPE partial tokens).
    """
    n = len(data)
    hi = n if hi is None else min(hi, n)
    fig = go.Figure()
    names = list(lanes)
    for i, name in enumerate(names):
        starts = np.asarray(lanes[name], dtype=np.int64)
        ends = np.append(starts[1:], n)
        sel = np.flatnonzero((ends > lo) & (starts < hi))
        s, e = np.maximum(starts[sel], lo), np.minimum(ends[sel], hi)
        colour = SERIES[i % len(SERIES)]
        fills = [tint(colour, 0.0 if j % 2 == 0 else 0.5) for j in sel]
        texts = [plotly_escape(visible(data[a:b])) for a, b in zip(s.tolist(), e.tolist())]
        line_w = [2.5 if marks and name in marks and marks[name][j] else 0.5 for j in sel]
        fig.add_trace(go.Bar(
            name=name, orientation="h", y=[name] * len(sel), x=e - s, base=s - 0.5,
            marker={"color": fills, "line": {"color": "#D55E00", "width": line_w}},
            text=texts, textposition="inside", insidetextanchor="middle", textangle=0, textfont={"size": 11},
            customdata=np.stack([sel, starts[sel], ends[sel] - 1], axis=1) if len(sel) else None,
            hovertemplate=f"{plotly_escape(name)} #%{{customdata[0]}}: bytes %{{customdata[1]}}-%{{customdata[2]}}"
                          "<br>%{text}<extra></extra>",
        ))
    fig.update_layout(barmode="overlay", showlegend=False, height=70 + 42 * len(names), dragmode=False,
                      margin={"l": 10, "r": 10, "t": 10, "b": 10}, uniformtext={"minsize": 8, "mode": "hide"},
                      xaxis={"title": "byte offset", "range": [lo - 0.5, hi - 0.5], "fixedrange": True},
                      yaxis={"autorange": "reversed", "fixedrange": True, "tickangle": 0, "automargin": True})
    return fig


WHY_THEY_DIFFER = ("Exact: a boundary counts only at the same byte. BLT patches end after a space (\"Last·|spring\") "
                   "while BPE tokens begin with it (\"Last|·spring\"), so exact scores miss most word boundaries; "
                   "\"whitespace attached\" moves every boundary that follows whitespace to the start of that "
                   "whitespace on both sides before comparing.")


def lane_rows(data: bytes, lanes: dict[str, np.ndarray], *, reference: str) -> list[dict]:
    """Table rows: units, bytes per unit, and boundary agreement with `reference`, exact and with whitespace
    attached to the following unit (blt_core.boundary_prf with and without the bytes).

    >>> rows = lane_rows(b"Last spring", {"BLT": np.array([0, 5]), "BPE": np.array([0, 4])}, reference="BLT")
    >>> rows[1]["segmentation"], rows[1]["F1 vs BLT, exact"], rows[1]["F1 vs BLT, whitespace attached"]
    ('BPE', 0.0, 1.0)
    """
    ref, n = lanes[reference], len(data)
    rows = []
    for name, starts in lanes.items():
        m = boundary_prf(ref, starts, n_bytes=n)
        ws = boundary_prf(ref, starts, n_bytes=n, data=data)
        rows.append({"segmentation": name, "units": len(starts), "bytes per unit": round(n / len(starts), 2),
                     f"F1 vs {reference}, exact": round(m["f1"], 3),
                     f"F1 vs {reference}, whitespace attached": round(ws["f1"], 3),
                     "precision, exact": round(m["precision"], 3), "recall, exact": round(m["recall"], 3)})
    return rows


def script_rows(table: list[dict], tokenizers: dict[str, str]) -> list[dict]:
    """The across-scripts table in long form, one row per script and tokenizer (`tokenizers`: key -> label), so
    its columns stay few and narrow however many tokenizers are chosen.

    >>> row = {"script": "Latin", "n_bytes": 9, "n_patches": 3, "bytes_per_patch": 3.0, "n_tokens_gpt2": 2,
    ...        "bytes_per_token_gpt2": 4.5, "patch_token_f1_gpt2": 0.5, "patch_token_f1_ws_gpt2": 1.0}
    >>> script_rows([row], {"gpt2": "GPT-2"})[0]["tokenizer"], script_rows([row], {"gpt2": "GPT-2"})[0]["boundary F1, exact"]
    ('GPT-2', 0.5)
    """
    return [{"script": row["script"], "tokenizer": label, "bytes": row["n_bytes"], "BLT patches": row["n_patches"],
             "bytes/patch": round(row["bytes_per_patch"], 2), "tokens": row[f"n_tokens_{t}"],
             "bytes/token": round(row[f"bytes_per_token_{t}"], 2), "boundary F1, exact": round(row[f"patch_token_f1_{t}"], 3),
             "boundary F1, whitespace attached": round(row[f"patch_token_f1_ws_{t}"], 3)}
            for row in table for t, label in tokenizers.items()]
