"""Patches as escaped HTML: each patch a box coloured by its mean entropy, every byte visible.

A character whose bytes fall in two patches is marked in both: the patch holding its
lead byte shows the character, the next shows its remaining bytes as hex.

>>> html = patches_html(b"ab<c", np.array([0, 2]), np.array([1.0, 1.0, 4.0, 4.0]))
>>> "&lt;" in html and "<c" not in html
True
"""

from __future__ import annotations

import html as _html

import numpy as np

from app.views.glyphs import units
from app.views.palette import OKABE_ITO, entropy_colours, text_colour_on
from blt_core import render_bytes

_CSS = f"""
<style>
.blt-patches {{ line-height: 2.1; font-family: ui-monospace, SFMono-Regular, Menlo, monospace;
  font-size: 0.95rem; overflow-wrap: anywhere; word-break: break-all; max-width: 100%; }}
.blt-p {{ border-radius: 3px; padding: 1px 2px; margin: 0 2px 0 0; white-space: pre-wrap;
  box-decoration-break: clone; -webkit-box-decoration-break: clone; }}
.blt-sp {{ opacity: 0.6; }}
.blt-ctl {{ outline: 1px dotted currentColor; font-size: 0.8em; }}
.blt-bad {{ outline: 2px solid {OKABE_ITO["vermillion"]}; font-size: 0.8em; }}
.blt-split {{ text-decoration: underline wavy {OKABE_ITO["vermillion"]}; text-decoration-thickness: 2px; }}
.blt-cont {{ font-size: 0.8em; opacity: 0.85; white-space: nowrap; }}
.blt-ctl, .blt-bad {{ white-space: nowrap; }}
.blt-legend {{ font-size: 0.85rem; margin-bottom: 0.3rem; overflow-wrap: anywhere; }}
</style>
"""
COLOUR_MAX_NATS = 4.0  # the colour scale saturates here: most patches of real text sit below it
_KIND_CLASS = {"char": "", "space": "blt-sp", "control": "blt-ctl", "invalid": "blt-bad"}


def page_bounds(starts: np.ndarray, n_bytes: int, *, page: int, page_bytes: int) -> tuple[int, int]:
    """Byte range [lo, hi) of page `page`, cut at patch starts so no patch is torn in two.

    Page k runs from the last patch start at or before k * page_bytes to the last one at or
    before (k + 1) * page_bytes, so consecutive pages meet exactly:
    >>> page_bounds(np.array([0, 3, 5, 9]), 10, page=1, page_bytes=4)
    (3, 5)
    """
    def start_at_or_before(x: int) -> int:
        return int(starts[max(np.searchsorted(starts, x, side="right") - 1, 0)])

    lo = start_at_or_before(page * page_bytes)
    if (page + 1) * page_bytes >= n_bytes:
        return lo, n_bytes
    hi = start_at_or_before((page + 1) * page_bytes)
    if hi <= lo:  # one patch longer than a page: show it whole
        later = starts[starts > lo]
        hi = int(later[0]) if len(later) else n_bytes
    return lo, hi


def n_pages(n_bytes: int, page_bytes: int) -> int:
    """Pages needed for n_bytes: n_pages(10, 4) -> 3."""
    return max(1, -(-n_bytes // page_bytes))


def patches_html(data: bytes, starts: np.ndarray, entropies: np.ndarray, *, lo: int = 0,
                 hi: int | None = None) -> str:
    """Escaped HTML of the patches inside bytes [lo, hi) (lo and hi at patch starts or ends)."""
    n = len(data)
    hi = n if hi is None else hi
    starts = np.asarray(starts, dtype=np.int64)
    ends = np.append(starts[1:], n)
    first = int(np.searchsorted(starts, lo, side="right") - 1)
    last = int(np.searchsorted(starts, hi, side="left"))
    sel = range(max(first, 0), last)
    e = np.asarray(entropies, dtype=np.float64)
    means = [float(e[starts[i]:ends[i]].mean()) for i in sel]
    colours = entropy_colours(means, vmax=COLOUR_MAX_NATS)
    us = units(data, lo, hi)
    parts = [_CSS, '<div class="blt-patches">']
    u_idx = 0
    for j, i in enumerate(sel):
        s, t = int(starts[i]), int(ends[i])
        bg = colours[j]
        title = f"patch {i}: bytes {s}-{t - 1} ({t - s} bytes), mean entropy {means[j]:.2f} nats"
        pieces = []
        while u_idx < len(us) and us[u_idx].start < t:
            u = us[u_idx]
            if u.start < s:  # the tail of a character that began in the previous patch
                tail = render_bytes(data[s:min(u.end, t)])  # continuation bytes alone: \xNN each
                pieces.append(f'<span class="blt-split blt-cont" title="rest of a character split across '
                              f'patches">{_html.escape(tail)}</span>')
            else:
                cls = _KIND_CLASS[u.kind]
                if u.end > t:
                    cls += " blt-split"
                    hexes = " ".join(f"{b:02x}" for b in data[u.start:u.end])
                    tip = f' title="character split across patches: {_html.escape(hexes)}"'
                else:
                    tip = ""
                glyph = _html.escape(u.text)
                if u.text == "↵":
                    glyph += "<br>"
                pieces.append(f'<span class="{cls.strip()}"{tip}>{glyph}</span>' if cls or tip else glyph)
            if u.end <= t:
                u_idx += 1
            else:
                break
        parts.append(f'<span class="blt-p" style="background:{bg};color:{text_colour_on(bg)}" '
                     f'title="{_html.escape(title)}">{"".join(pieces)}</span>')
    parts.append("</div>")
    return "".join(parts)


def legend_html() -> str:
    """A one-line key to the patch view's colours and marks."""
    lo, mid, hi = entropy_colours([0.0, COLOUR_MAX_NATS / 2, COLOUR_MAX_NATS], vmax=COLOUR_MAX_NATS)
    swatch = '<span class="blt-p" style="background:{};color:{}">{}</span>'
    return (_CSS + '<div class="blt-legend">Colour = mean entropy of the patch: '
            + swatch.format(lo, text_colour_on(lo), "0 nats") + swatch.format(mid, text_colour_on(mid), f"{COLOUR_MAX_NATS / 2:g}")
            + swatch.format(hi, text_colour_on(hi), f"≥ {COLOUR_MAX_NATS:g}")
            + ' · <span class="blt-sp">·</span> space, <span class="blt-sp">↵</span> newline, '
            + '<span class="blt-ctl">\\x00</span> control byte, <span class="blt-bad">\\xff</span> invalid UTF-8, '
            + '<span class="blt-split">wavy</span> character split by a patch boundary</div>')
