"""Patches as escaped HTML: each patch a box coloured by its mean entropy, every byte visible.

A character whose bytes fall in two patches is drawn once, as the character, between the two
boxes and in both their colours, with a tick at the boundary byte (hex only for invalid UTF-8
and control bytes). The browser explorer (app/components) draws the same, by grapheme cluster.

>>> html = patches_html(b"ab<c", np.array([0, 2]), np.array([1.0, 1.0, 4.0, 4.0]))
>>> "&lt;" in html and "<c" not in html
True
"""

from __future__ import annotations

import html as _html

import numpy as np

from app.views.glyphs import units
from app.views.palette import OKABE_ITO, entropy_colours, text_colour_on

_CSS = f"""
<style>
.blt-patches {{ line-height: 2.1; font-family: ui-monospace, SFMono-Regular, Menlo, monospace;
  font-size: 0.95rem; overflow-wrap: anywhere; word-break: break-all; max-width: 100%; }}
.blt-p {{ border-radius: 3px; padding: 1px 2px; margin: 0 2px 0 0; white-space: pre-wrap;
  box-decoration-break: clone; -webkit-box-decoration-break: clone; }}
.blt-sp {{ opacity: 0.6; }}
.blt-ctl {{ outline: 1px dotted currentColor; font-size: 0.8em; }}
.blt-bad {{ outline: 2px solid {OKABE_ITO["vermillion"]}; font-size: 0.8em; }}
.blt-split {{ padding: 1px 0 3px; color: #111; text-shadow: 0 0 2px #fff, 0 0 3px #fff; }}
.blt-p.blt-cont {{ padding-left: 0; border-top-left-radius: 0; border-bottom-left-radius: 0; }}
.blt-p.blt-to-split {{ padding-right: 0; margin-right: 0; border-top-right-radius: 0; border-bottom-right-radius: 0; }}
.blt-ctl, .blt-bad {{ white-space: nowrap; }}
.blt-legend {{ font-size: 0.85rem; margin-bottom: 0.3rem; overflow-wrap: anywhere; }}
</style>
"""
COLOUR_MAX_NATS = 4.0  # the colour scale saturates here: most patches of real text sit below it
_KIND_CLASS = {"char": "", "space": "blt-sp", "control": "blt-ctl", "invalid": "blt-bad"}


def _split_glyph(data: bytes, u, starts: np.ndarray, first: int, colours: dict[int, str]) -> str:
    """A character whose bytes fall in several patches: drawn once, in all their colours, with a
    short tick under each boundary byte; its tooltip spells the byte split."""
    bands, ticks, tips, i, b = [], [], [], first, u.start
    while b < u.end:
        nxt = min(u.end, int(starts[i + 1]) if i + 1 < len(starts) else u.end)
        a, z = 100 * (b - u.start) / u.length, 100 * (nxt - u.start) / u.length
        bands.append(f"{colours[i]} {a:g}%, {colours[i]} {z:g}%")
        if b > u.start:
            ticks.append(f"transparent calc({a:g}% - 1.5px), #202020 calc({a:g}% - 1.5px), "
                         f"#202020 calc({a:g}% + 1.5px), transparent calc({a:g}% + 1.5px)")
        tips.append(f"{' '.join(f'{x:02x}' for x in data[b:nxt])} (patch {i})")
        b, i = nxt, i + 1
    tip = "character split across patches: " + " | ".join(tips)
    bg = (f"linear-gradient(to right, {', '.join(ticks)}) bottom / 100% 35% no-repeat, "
          f"linear-gradient(to right, {', '.join(bands)})")
    return f'<span class="blt-split" style="background:{bg}" title="{_html.escape(tip)}">{_html.escape(u.text)}</span>'


def patches_html(data: bytes, starts: np.ndarray, entropies: np.ndarray, *, lo: int = 0,
                 hi: int | None = None) -> str:
    """Escaped HTML of the patches inside bytes [lo, hi) (lo and hi at patch starts or ends).

    A split character is drawn once, between the boxes of its patches, never as hex:
    >>> html = patches_html("é".encode(), np.array([0, 1]), np.array([1.0, 1.0]))
    >>> "é" in html and "\\xa9" not in html and "c3 (patch 0) | a9 (patch 1)" in html
    True
    """
    n = len(data)
    hi = n if hi is None else hi
    starts = np.asarray(starts, dtype=np.int64)
    ends = np.append(starts[1:], n)
    first = int(np.searchsorted(starts, lo, side="right") - 1)
    last = int(np.searchsorted(starts, hi, side="left"))
    sel = range(max(first, 0), last)
    e = np.asarray(entropies, dtype=np.float64)
    means = {i: float(e[starts[i]:ends[i]].mean()) for i in sel}
    colours = dict(zip(sel, entropy_colours(list(means.values()), vmax=COLOUR_MAX_NATS)))
    out, box = [_CSS, '<div class="blt-patches">'], []

    def close(i: int, cont: bool, to_split: bool) -> None:
        if not box:
            return
        s, t = int(starts[i]), int(ends[i])
        cls = "blt-p" + (" blt-cont" if cont else "") + (" blt-to-split" if to_split else "")
        title = f"patch {i}: bytes {s}-{t - 1} ({t - s} bytes), mean entropy {means[i]:.2f} nats"
        out.append(f'<span class="{cls}" style="background:{colours[i]};color:{text_colour_on(colours[i])}" '
                   f'title="{_html.escape(title)}">{"".join(box)}</span>')
        box.clear()

    i, cont = max(first, 0), False
    for u in units(data, starts[i] if len(starts) else lo, hi):
        while i + 1 < len(starts) and starts[i + 1] <= u.start and i + 1 in colours:
            close(i, cont, False)
            i, cont = i + 1, False
        if u.end > ends[i] and i + 1 in colours:  # split: the glyph sits between the boxes
            close(i, cont, True)
            out.append(_split_glyph(data, u, starts, i, colours))
            i = min(int(np.searchsorted(starts, u.end - 1, side="right") - 1), last - 1)
            cont = True
            continue
        cls = _KIND_CLASS[u.kind]
        glyph = _html.escape(u.text) + ("\n" if u.text == "↵" else "")
        box.append(f'<span class="{cls}">{glyph}</span>' if cls else glyph)
    close(i, cont, False)
    out.append("</div>")
    return "".join(out)


def legend_html() -> str:
    """A one-line key to the patch view's colours and marks."""
    lo, mid, hi = entropy_colours([0.0, COLOUR_MAX_NATS / 2, COLOUR_MAX_NATS], vmax=COLOUR_MAX_NATS)
    swatch = '<span class="blt-p" style="background:{};color:{}">{}</span>'
    return (_CSS + '<div class="blt-legend">Colour = mean entropy of the patch: '
            + swatch.format(lo, text_colour_on(lo), "0 nats") + swatch.format(mid, text_colour_on(mid), f"{COLOUR_MAX_NATS / 2:g}")
            + swatch.format(hi, text_colour_on(hi), f"≥ {COLOUR_MAX_NATS:g}")
            + ' · <span class="blt-sp">·</span> space, <span class="blt-sp">↵</span> newline, '
            + '<span class="blt-ctl">\\x00</span> control byte, <span class="blt-bad">\\xff</span> invalid UTF-8, '
            + 'a character in two colours with a tick: split by a patch boundary</div>')
