"""Issue 11, point 1 on Compare and Compute: the charts draw a window of the input, a caption says which
bytes, an overview shades the window, and the slider reaches the last byte (one page load each)."""

from __future__ import annotations

import re

import pytest

from tests.e2e.test_pages_ux import TIMEOUT, open_page, wait_idle

TEXT = ("Every byte of a long input must stay reachable, even when a chart can only show a window of it. "
        "Ce texte continue en français, puis en русском, 日本語でも続きます。 ") * 4 + "The very last word: END."
N = len(TEXT.encode())
# page -> (the windowed chart's key, the window's default width in bytes)
WINDOWED = {"compare": ("lanes", 80), "compute": ("flops", 256)}

CHART_END_JS = """(key) => {  // the chart's x range, and the right edge of its last bar (byte or patch)
  const gd = document.querySelector(`.st-key-${key}_chart .js-plotly-plot`);
  const ends = gd._fullData.flatMap(t => Array.from(t.x, (x, i) => t.base ? t.base[i] + x : x + 0.5));
  return {range: gd.layout.xaxis.range, end: Math.max(...ends)};
}"""


def caption(page) -> str:
    return page.locator('[data-testid="stCaptionContainer"]').filter(has_text=re.compile(r"^Bytes [\d,]+–")).first \
        .inner_text(timeout=TIMEOUT)


@pytest.mark.parametrize("path", list(WINDOWED))
def test_window_reaches_the_last_byte(page, server, path):
    key, width = WINDOWED[path]
    open_page(page, server, path, text=TEXT)
    assert caption(page).startswith(f"Bytes 0–{width - 1} of {N:,} shown")
    assert page.locator(f".st-key-{key}_overview .js-plotly-plot").count() == 1  # the whole input, window shaded
    thumb = page.locator(f".st-key-{key}_start input[type=range]").first
    thumb.focus()
    thumb.press("End")
    page.wait_for_function("(t) => [...document.querySelectorAll('[data-testid=stCaptionContainer]')]"
                           ".some(c => c.innerText.startsWith(t))", arg=f"Bytes {N - width:,}–{N - 1:,} of {N:,} shown",
                           timeout=TIMEOUT)
    wait_idle(page)
    drawn = page.evaluate(CHART_END_JS, key)
    if path == "compare":  # lanes are drawn in bytes: the last bar ends on the last byte
        assert drawn["end"] == N - 0.5 and drawn["range"] == [N - width - 0.5, N - 0.5], drawn
    else:  # bars are patches: the last one drawn is the text's last patch
        patches = int(page.locator('[data-testid="stMetric"]').filter(has_text="Patches (global steps)")
                      .locator('[data-testid="stMetricValue"]').inner_text().replace(",", ""))
        assert drawn["end"] == patches - 0.5 and drawn["range"][1] == patches - 0.5, drawn
        assert f"of {patches:,}." in caption(page)
