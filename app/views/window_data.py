"""What the window component (app/components/window.py) draws, packed once per input: the whole input's
segmentations (Compare's lanes) or FLOPs per patch (Compute's bars), and an overview of the whole input.

The browser windows them itself, so moving the window never reruns the page. Lane texts are spelt in
the browser from the bytes and their unit codes (views/explorer.unit_codes), as views/glyphs.visible
spells a slice: a unit wholly inside a bar is its text, the bytes of a cut unit are \\xNN each.

>>> head = header(lanes_blob(b"ab cd", {"bytes": np.arange(5), "space": np.array([0, 3])}, widths=(2, 4),
...                          default_width=2, overview=(np.arange(5), np.ones(5), "entropy (nats)")))
>>> head["kind"], head["n"], [lane["name"] for lane in head["lanes"]], head["arrays"]["lane1"]  # after 5 + 5 floats, 5 ints
('lanes', 5, ['bytes', 'space'], [60, 2])
"""

from __future__ import annotations

import numpy as np

from app.views.blob import header, pack
from app.views.compute import COMPONENTS, MAX_BARS
from app.views.explorer import unit_codes
from app.views.lanes import tint
from app.views.palette import SERIES, text_colour_on
from app.views.window import column_peaks


def _overview(x: np.ndarray, y: np.ndarray, n: int) -> dict[str, np.ndarray]:
    px, py = column_peaks(x, y, n)
    return {"ov_x": px.astype("<f4"), "ov_y": py.astype("<f4")}


def lanes_blob(data: bytes, lanes: dict[str, np.ndarray], *, widths: tuple[int, ...], default_width: int,
               overview: tuple[np.ndarray, np.ndarray, str], marks: dict[str, np.ndarray] | None = None,
               tokens: frozenset[str] = frozenset()) -> bytes:
    """One lane per segmentation (starts arrays, top to bottom in dict order); `marks` (lane -> bool per
    unit) outlines units that split a character; `overview` is (byte offsets, values, what they are);
    `tokens` names the lanes whose units are tokens (the others: patches), for the tooltips' words."""
    n = len(data)
    meta, ints, flags = [], {}, {}
    for i, (name, starts) in enumerate(lanes.items()):
        colour = SERIES[i % len(SERIES)]
        fills = [tint(colour, 0.0), tint(colour, 0.5)]  # neighbouring units alternate two shades
        meta.append({"name": name, "fills": fills, "ink": [text_colour_on(_hex(f)) for f in fills],
                     "marked": bool(marks and name in marks), "unit": "token" if name in tokens else "patch"})
        ints[f"lane{i}"] = np.asarray(starts, dtype="<i4")
        if marks and name in marks:
            flags[f"mark{i}"] = np.asarray(marks[name], dtype=np.uint8)
    x, y, what = overview
    arrays = {**_overview(np.asarray(x), np.asarray(y), n), **ints,
              "data": np.frombuffer(data, dtype=np.uint8), "units": unit_codes(data), **flags}
    return pack({"kind": "lanes", "n": n, "widths": list(widths), "width": default_width, "what": what,
                 "lanes": meta}, arrays)


def flops_blob(starts: np.ndarray, per_patch: dict[str, np.ndarray], *, n_bytes: int, widths: tuple[int, ...],
               default_width: int) -> bytes:
    """FLOPs per patch, one array per component (views/compute.COMPONENTS order), for bars stacked per patch
    over a window of bytes; the overview shows each patch's total at its first byte."""
    parts = [(key, label, colour) for key, (label, colour) in COMPONENTS.items() if key in per_patch]
    totals = sum(np.asarray(per_patch[key], dtype=np.float64) for key, _, _ in parts)
    arrays = {**_overview(np.asarray(starts), totals, n_bytes),
              **{f"part{i}": np.asarray(per_patch[key], dtype="<f4") for i, (key, _, _) in enumerate(parts)},
              "starts": np.asarray(starts, dtype="<i4")}
    return pack({"kind": "flops", "n": n_bytes, "widths": list(widths), "width": default_width,
                 "what": "FLOP per patch", "max_bars": MAX_BARS,
                 "parts": [{"label": label, "colour": colour} for _, label, colour in parts]}, arrays)


def _hex(rgb: str) -> str:
    """'rgb(r,g,b)' -> '#RRGGBB'.

    >>> _hex("rgb(0,114,178)")
    '#0072B2'
    """
    return "#" + "".join(f"{int(v):02X}" for v in rgb[rgb.index("(") + 1:-1].split(","))
