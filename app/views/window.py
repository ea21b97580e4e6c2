"""A window over a long input: its bounds, the caption that says which bytes are shown, and the peaks
an overview of the whole input draws.

Compare's lanes and Compute's bars draw only a window of the input (a readable lane holds about
80 bytes); the window component (app/components/window.py) moves it in the browser, with the same
arithmetic in window_assets/window.js (the browser test checks its caption against window_caption).

>>> window_bounds(231, start=200, width=80), window_caption(151, 231, 231)
((151, 231), 'Bytes 151–230 of 231 shown (35%).')
"""

from __future__ import annotations

import numpy as np

OVERVIEW_COLUMNS = 600  # points drawn in an overview, whatever the input's length


def window_bounds(n: int, *, start: int, width: int) -> tuple[int, int]:
    """Bytes [lo, hi) of a window of `width` bytes starting at `start`, kept inside [0, n).

    >>> window_bounds(1000, start=990, width=80), window_bounds(50, start=7, width=80)
    ((920, 1000), (0, 50))
    """
    width = max(1, min(width, n))
    lo = max(0, min(start, n - width))
    return lo, lo + width


def window_caption(lo: int, hi: int, n: int) -> str:
    """What a window shows, in words (byte offsets inclusive, as the charts label them).

    >>> window_caption(0, 50, 50)
    'All 50 bytes shown.'
    """
    if lo == 0 and hi >= n:
        return f"All {n:,} bytes shown."
    return f"Bytes {lo:,}–{hi - 1:,} of {n:,} shown ({(hi - lo) / n:.0%})."


def column_peaks(x: np.ndarray, y: np.ndarray, n: int, *, columns: int = OVERVIEW_COLUMNS) -> tuple[np.ndarray, np.ndarray]:
    """The largest y in each of `columns` equal slices of [0, n) (x: positions in [0, n), sorted): a long
    input's overview keeps its peaks with a bounded number of points.

    >>> column_peaks(np.arange(6), np.array([1., 5., 2., 2., 9., 0.]), 6, columns=3)
    (array([0., 2., 4.]), array([5., 2., 9.]))
    """
    x, y = np.asarray(x), np.asarray(y, dtype=np.float64)
    if len(x) <= columns:
        return x.astype(np.float64), y
    col = np.minimum((x * columns) // max(n, 1), columns - 1).astype(np.int64)
    peaks = np.full(columns, -np.inf)
    np.maximum.at(peaks, col, y)
    keep = np.isfinite(peaks)
    return (np.arange(columns, dtype=np.float64) * n / columns)[keep], peaks[keep]
