"""Colours shared by every view: Okabe-Ito (colour-blind safe) and a sequential entropy scale.

>>> OKABE_ITO["vermillion"]
'#D55E00'
>>> text_colour_on("#000000")
'#FFFFFF'
"""

from __future__ import annotations

from plotly.colors import sample_colorscale

from blt_core import MAX_ENTROPY_NATS

# Okabe & Ito (2008): eight colours distinguishable under the common colour-vision deficiencies.
OKABE_ITO = {
    "black": "#000000",
    "orange": "#E69F00",
    "sky_blue": "#56B4E9",
    "bluish_green": "#009E73",
    "yellow": "#F0E442",
    "blue": "#0072B2",
    "vermillion": "#D55E00",
    "reddish_purple": "#CC79A7",
}
# Lanes and series take colours in this order (black left out: it vanishes in the dark theme).
SERIES = [OKABE_ITO[k] for k in ("blue", "orange", "bluish_green", "vermillion", "sky_blue",
                                 "reddish_purple", "yellow")]
# Cividis is perceptually uniform and readable with deuteranopia and protanopia.
ENTROPY_SCALE = "cividis"
MAX_NATS = MAX_ENTROPY_NATS  # ln(260): entropy of a uniform next-byte distribution over 260 outputs


def entropy_colours(values, *, vmax: float = MAX_NATS) -> list[str]:
    """Entropies (nats) -> '#rrggbb' strings on the cividis scale, 0 dark blue .. vmax yellow."""
    ts = [min(max(float(v) / vmax, 0.0), 1.0) for v in values]
    if not ts:
        return []
    return [_to_hex(c) for c in sample_colorscale(ENTROPY_SCALE, ts)]


def _to_hex(colour: str) -> str:
    if colour.startswith("#"):
        return colour.upper()
    r, g, b = (round(float(x)) for x in colour[colour.index("(") + 1:colour.index(")")].split(",")[:3])
    return f"#{r:02X}{g:02X}{b:02X}"


def text_colour_on(background: str) -> str:
    """Black or white, whichever reads better on `background` ('#rrggbb')."""
    r, g, b = (int(background[i:i + 2], 16) / 255 for i in (1, 3, 5))
    luminance = 0.2126 * r + 0.7152 * g + 0.0722 * b
    return "#000000" if luminance > 0.5 else "#FFFFFF"
