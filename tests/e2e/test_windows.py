"""Issue 11, point 1 on Compare and Compute: the charts draw a window of the input, a caption says which
bytes, an overview shades the window, and moving the window (slider End, a drag on the overview) redraws
in the browser with no message to the server, so no rerun (one page load each).

The input is the injection corpus (tests/data/injection_payloads.json, joined): the component spells user
bytes with textContent in its own shadow DOM, which test_injection_corpus's probe does not reach, so this
test checks there that nothing runs, no payload element exists, and the bytes lane spells each byte as
views/glyphs.visible does."""

from __future__ import annotations

import re

import numpy as np
import pytest

import blt_core
from app.views.glyphs import visible
from app.views.window import window_caption
from tests.e2e.injection_helpers import LITERAL, joined
from tests.e2e.test_pages_ux import TIMEOUT, open_page

TEXT = joined()[0]
DATA = TEXT.encode("utf-8", errors="surrogateescape")
N = len(DATA)
# page -> (the window component's key, the window's default width in bytes)
WINDOWED = {"compare": ("lanes", 80), "compute": ("flops", 256)}


def caption(page, key: str) -> str:
    return page.locator(f".st-key-{key} [data-w=caption]").first.inner_text(timeout=TIMEOUT)


def wait_caption(page, key: str, start: str) -> str:
    page.locator(f".st-key-{key} [data-w=caption]").filter(has_text=re.compile("^" + re.escape(start))) \
        .first.wait_for(timeout=TIMEOUT)
    return caption(page, key)


def lane(box, row: int = 0) -> list[str]:
    """The text of each bar of a lane (from its tooltip: a bar too narrow for its text shows none)."""
    tips = box.locator(".bw-row").nth(row).locator(".bw-bar").evaluate_all("bars => bars.map(b => b.dataset.tip)")
    return [t.split("\n", 1)[1] for t in tips]


def expected_lane(starts: np.ndarray, lo: int, hi: int) -> list[str]:
    """views/glyphs.visible of each unit's bytes inside [lo, hi): what the lane's bars must spell."""
    ends = np.append(starts[1:], N)
    return [visible(DATA[max(s, lo):min(e, hi)]) for s, e in zip(starts.tolist(), ends.tolist()) if e > lo and s < hi]


@pytest.mark.parametrize("path", list(WINDOWED))
def test_window_moves_in_the_browser_and_reaches_the_last_byte(page, server, shots, path):
    key, width = WINDOWED[path]
    assert LITERAL in TEXT and N > width
    sent: list[int] = []  # messages the browser sends the server (a rerun is one)
    page.on("websocket", lambda ws: ws.on("framesent", lambda payload: sent.append(len(payload))))
    page.on("dialog", lambda d: d.dismiss())
    open_page(page, server, path, text=TEXT)
    box = page.locator(f".st-key-{key}")
    assert wait_caption(page, key, f"Bytes 0–{width - 1} of {N:,} shown").startswith(window_caption(0, width, N))
    overview = box.locator("[data-w=overview]").first
    assert overview.is_visible()  # the whole input, window shaded
    if path == "compare":  # every byte and every Llama 3 token (multi-byte, cut at the edge) spelt as the server would
        assert lane(box) == [visible(DATA[k:k + 1]) for k in range(width)]
        assert box.locator(".bw-row .bw-name").nth(4).inner_text() == "Llama 3"
        assert lane(box, 4) == expected_lane(blt_core.tokenize(DATA, tokenizer="llama3").token_byte_starts, 0, width)
    page.wait_for_timeout(500)
    quiet = len(sent)
    draws = page.evaluate("() => globalThis.__bltWindows.draws")

    box.locator("[data-w=start]").first.focus()
    page.keyboard.press("End")  # a range input's End: its maximum, the window's last place
    text = wait_caption(page, key, window_caption(N - width, N, N))
    if path == "compare":  # the bars follow: the bytes lane spells the last `width` bytes
        assert lane(box) == [visible(DATA[k:k + 1]) for k in range(N - width, N)]
        assert lane(box, 4) == expected_lane(blt_core.tokenize(DATA, tokenizer="llama3").token_byte_starts, N - width, N)
    else:  # the bars are the last patches, numbered as in the whole text
        patches = int(page.locator('[data-testid="stMetric"]').filter(has_text="Patches (global steps)")
                      .locator('[data-testid="stMetricValue"]').inner_text().replace(",", ""))
        assert re.search(rf"Patches [\d,]+–{patches - 1:,} of {patches:,}\.", text), text

    ov = overview.bounding_box()  # a drag on the overview to its middle centres the window there
    page.mouse.move(ov["x"] + ov["width"] / 2, ov["y"] + ov["height"] / 2)
    page.mouse.down()
    page.mouse.up()
    lo = round(N / 2 - width / 2)
    wait_caption(page, key, f"Bytes {lo:,}–")
    assert abs(page.evaluate(f"() => [...globalThis.__bltWindows.state.values()].find(s => s.width === {width}).lo") - lo) <= 1
    assert page.evaluate("() => globalThis.__bltWindows.draws") >= draws + 2
    page.wait_for_timeout(500)
    assert len(sent) == quiet, "moving the window must not send the server anything (no rerun)"
    assert box.locator(".pwn, script, img, iframe, a[href]").count() == 0
    assert page.evaluate("typeof window.__pwned") == "undefined"
    page.screenshot(path=str(shots / f"{path}-window.png"), full_page=True)
