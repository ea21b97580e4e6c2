"""Generate views: streamed bytes coloured per patch, never showing half a character.

>>> complete_prefix_len("aé".encode()[:2])   # b"a\\xc3": the é is not finished yet
1
>>> complete_prefix_len(b"a\\xff")           # an invalid byte is complete as it is
2
"""

from __future__ import annotations

import html as _html

import numpy as np
import plotly.graph_objects as go

from app.views.glyphs import units
from app.views.palette import OKABE_ITO, SERIES, text_colour_on
from app.views.units import fmt_entropy, to_unit


def prompt_caption(n_bytes: int, cap: int, max_out: int) -> str:
    """The caps, stated under the prompt before anything runs.

    >>> prompt_caption(27, 2048, 1000)
    'Prompt: 27 / 2,048 bytes. Output: at most 1,000 bytes. Stop interrupts a run and keeps what was written.'
    """
    return (f"Prompt: {n_bytes:,} / {cap:,} bytes. Output: at most {max_out:,} bytes. "
            "Stop interrupts a run and keeps what was written.")


def generator_caption(official_name: str | None, entropy_name: str | None = None,
                      default_entropy_name: str | None = None) -> str:
    """Which generator the page runs (the shipped one, or the official weights chosen in the sidebar)
    and which entropy model patches its bytes.

    >>> generator_caption(None, "blt-explorer-entropy-1.9m", "blt-explorer-entropy6-s192")
    'Generator: the shipped small BLT. Its patches come from its own entropy model, blt-explorer-entropy-1.9m, the one it was trained with (the analysis pages use blt-explorer-entropy6-s192).'
    >>> generator_caption("blt-1b")
    'Generator: the released BLT in official weights blt-1b, on PyTorch, patched by the entropy model in the same folder (a folder holding only an entropy model cannot generate: choose the shipped model in the sidebar). A model larger than this server can hold is refused before loading.'
    """
    if official_name is None:
        text = "Generator: the shipped small BLT."
        if entropy_name:
            text += f" Its patches come from its own entropy model, {entropy_name}, the one it was trained with"
            other = default_entropy_name and default_entropy_name != entropy_name
            text += f" (the analysis pages use {default_entropy_name})." if other else "."
        return text
    return (f"Generator: the released BLT in official weights {official_name}, on PyTorch, patched by the entropy "
            "model in the same folder (a folder holding only an entropy model cannot generate: choose the shipped "
            "model in the sidebar). A model larger than this server can hold is refused before loading.")


def prompt_over_cap(n_bytes: int, cap: int) -> str:
    """The page's error for a prompt past the cap (the library says the same in its ValueError).

    >>> prompt_over_cap(3000, 2048)
    'The prompt is 3,000 bytes; prompts are capped at 2,048 bytes. Shorten it to generate.'
    """
    return f"The prompt is {n_bytes:,} bytes; prompts are capped at {cap:,} bytes. Shorten it to generate."


def complete_prefix_len(data: bytes) -> int:
    """Length of the longest prefix that ends on a whole character (or an invalid byte)."""
    n = len(data)
    for back in range(1, min(4, n) + 1):
        b = data[n - back]
        if (b & 0xC0) == 0x80:
            continue  # a continuation byte: look further back for its lead
        need = 2 if 0xC2 <= b <= 0xDF else 3 if 0xE0 <= b <= 0xEF else 4 if 0xF0 <= b <= 0xF4 else 1
        if need > back and all((x & 0xC0) == 0x80 for x in data[n - back + 1:]):
            return n - back  # a lead byte still waiting for its continuation bytes
        return n
    return n


def stream_html(data: bytes, starts: list[int], n_prompt: int) -> str:
    """Escaped HTML: each patch in its own colour (cycling Okabe-Ito), the prompt underlined."""
    starts_arr = np.asarray(starts if starts else [0], dtype=np.int64)
    out = ['<div style="font-family:ui-monospace,monospace;line-height:2;overflow-wrap:anywhere;'
           'word-break:break-all;white-space:pre-wrap">']
    for u in units(data):
        p = int(np.searchsorted(starts_arr, u.start, side="right") - 1)
        bg = SERIES[p % len(SERIES)]
        style = f"background:{bg};color:{text_colour_on(bg)};padding:1px 0"
        if u.start < n_prompt:
            style += ";text-decoration:underline;opacity:0.75"
        glyph = _html.escape(u.text) + ("<br>" if u.text == "↵" else "")
        gap = ";margin-left:3px" if u.start in starts and u.start else ""
        out.append(f'<span style="{style}{gap}" title="patch {p}">{glyph}</span>')
    out.append("</div>")
    return "".join(out)


def growing_entropy_figure(entropies: list[float], starts: list[int], threshold: float | None,
                           n_prompt: int, *, unit: str = "nats") -> go.Figure:
    """The entropy curve so far (nats in, drawn in `unit`), prompt bytes shaded, a marker on every byte
    that opened a patch, the threshold labelled; a legend names each.

    >>> fig = growing_entropy_figure([2.0, 0.5, 3.0], [0, 2], 1.0, 1)
    >>> [t.name for t in fig.data], fig.layout.shapes[0].label.text
    (['entropy', 'patch start', 'threshold θ 1.000 nats'], 'prompt')
    """
    x = np.arange(len(entropies))
    e = to_unit(np.asarray(entropies, dtype=np.float64), unit)
    fig = go.Figure()
    fig.add_trace(go.Scatter(x=x, y=e, mode="lines", name="entropy", line={"color": OKABE_ITO["blue"]},
                             hovertemplate=f"byte %{{x}}: %{{y:.3f}} {unit}<extra></extra>"))
    s = np.asarray(starts, dtype=np.int64)
    fig.add_trace(go.Scatter(x=s, y=e[s] if len(s) else [], mode="markers", name="patch start",
                             marker={"color": OKABE_ITO["vermillion"], "symbol": "diamond", "size": 7},
                             hoverinfo="skip"))
    if threshold is not None:
        fig.add_trace(go.Scatter(x=[-0.5, max(len(e), 1) - 0.5], y=[to_unit(threshold, unit)] * 2, mode="lines",
                                 name=f"threshold θ {fmt_entropy(threshold, unit)}", hoverinfo="skip",
                                 line={"color": OKABE_ITO["orange"], "dash": "dash"}))
    if n_prompt:
        fig.add_vrect(x0=-0.5, x1=n_prompt - 0.5, fillcolor="rgba(128,128,128,0.15)", line_width=0,
                      label={"text": "prompt", "textposition": "top left"})
    fig.update_layout(height=280, margin={"l": 10, "r": 10, "t": 20, "b": 10},
                      legend={"orientation": "h", "yanchor": "top", "y": -0.3, "x": 0},
                      xaxis={"title": "byte"}, yaxis={"title": f"entropy ({unit})"})
    return fig
