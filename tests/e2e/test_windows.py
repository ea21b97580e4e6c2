"""Issue 11, point 1 on Compare and Compute: the charts draw a window of the input, a caption says which
bytes, an overview shades the window, and moving the window (slider End, a drag on the overview) redraws
in the browser with no message to the server, so no rerun (one page load each).

The input is the injection corpus (tests/data/injection_payloads.json, joined): the component spells user
bytes with textContent in its own shadow DOM, which test_injection_corpus's probe does not reach, so this
test checks there that nothing runs, no payload element exists, and every lane spells the window's
characters as views/glyphs does: each character once, whole, also where a boundary or the window's edge
cuts it (never \\xNN for valid UTF-8).

Point 2 on Compare: every script reads as itself in the lanes; a character split by a boundary is one
glyph over both bars, with a tick at the boundary and its byte split in the bars' tooltips."""

from __future__ import annotations

import re

import numpy as np
import pytest

import blt_core
from blt_core import SAMPLES_DIR
from app.views.glyphs import units
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


def spelt(data: bytes, lo: int, hi: int) -> str:
    """The characters (whole units, as views/glyphs spells them) overlapping bytes [lo, hi)."""
    return "".join(u.text for u in units(data, lo, hi))


def lane_text(box, row: int = 0) -> str:
    """What a lane draws over its bars, in byte order (pieces too narrow for their text included)."""
    return "".join(box.locator(".bw-row").nth(row).locator(".bw-text").evaluate_all("els => els.map(e => e.textContent)"))


def lane_tips(box, row: int = 0) -> list[str]:
    """The text line of each bar's tooltip: the characters it holds, whole."""
    tips = box.locator(".bw-row").nth(row).locator(".bw-bar").evaluate_all("bars => bars.map(b => b.dataset.tip)")
    return [t.split("\n")[1] for t in tips]


def expected_tips(data: bytes, starts: np.ndarray, lo: int, hi: int) -> list[str]:
    ends = np.append(starts[1:], len(data))
    return [spelt(data, max(s, lo), min(e, hi)) for s, e in zip(starts.tolist(), ends.tolist()) if e > lo and s < hi]


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
    llama = blt_core.tokenize(DATA, tokenizer="llama3").token_byte_starts
    if path == "compare":  # every lane spells the window's characters; every byte and Llama 3 token tells its own
        assert box.locator(".bw-row .bw-name").nth(4).inner_text() == "Llama 3"
        assert all(lane_text(box, r) == spelt(DATA, 0, width) for r in range(5))
        assert lane_tips(box) == [spelt(DATA, k, k + 1) for k in range(width)]
        assert lane_tips(box, 4) == expected_tips(DATA, llama, 0, width)
    page.wait_for_timeout(500)
    quiet = len(sent)
    draws = page.evaluate("() => globalThis.__bltWindows.draws")

    box.locator("[data-w=start]").first.focus()
    page.keyboard.press("End")  # a range input's End: its maximum, the window's last place
    text = wait_caption(page, key, window_caption(N - width, N, N))
    if path == "compare":  # the bars follow: the lanes spell the last `width` bytes
        assert all(lane_text(box, r) == spelt(DATA, N - width, N) for r in range(5))
        assert lane_tips(box) == [spelt(DATA, k, k + 1) for k in range(N - width, N)]
        assert lane_tips(box, 4) == expected_tips(DATA, llama, N - width, N)
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
    # the slider holds this chart's window start (Compare has a second window, the perturbed text's, also 80 wide)
    assert abs(int(box.locator("[data-w=start]").first.input_value()) - lo) <= 1
    assert page.evaluate("() => globalThis.__bltWindows.draws") >= draws + 2
    page.wait_for_timeout(500)
    assert len(sent) == quiet, "moving the window must not send the server anything (no rerun)"
    assert box.locator(".pwn, script, img, iframe, a[href]").count() == 0
    assert page.evaluate("typeof window.__pwned") == "undefined"
    page.screenshot(path=str(shots / f"{path}-window.png"), full_page=True)


SCRIPTS = ["chinese.txt", "japanese.txt", "arabic.txt", "hindi.txt", "emoji.txt", "code.py"]
HEX = re.compile(r"\\x[0-9a-f]{2}")


@pytest.mark.parametrize("name", SCRIPTS)
def test_lanes_read_in_every_script(page, server, shots, name):
    text = (SAMPLES_DIR / name).read_text(encoding="utf-8")
    data = text.encode("utf-8")
    open_page(page, server, "compare", text=text)
    box = page.locator(".st-key-lanes")
    lo, hi = 0, min(80, len(data))
    wait_caption(page, "lanes", "All" if hi == len(data) else "Bytes 0–")
    want, whole = spelt(data, lo, hi), spelt(data, 0, len(data))
    for r in range(5):  # bytes, BLT, space, static, Llama 3: each draws the window's characters once, whole
        shown = lane_text(box, r)  # an emoji ZWJ sequence the window's edge cuts is drawn whole: a longer prefix
        assert shown.startswith(want) and whole.startswith(shown), box.locator(".bw-row .bw-name").nth(r).inner_text()
    assert not HEX.search(whole)  # valid UTF-8: no hex, in the spelling the lanes must match
    split = box.locator(".bw-row").nth(1).locator(".bw-split")  # the BLT lane at the default threshold
    if name in ("chinese.txt", "japanese.txt", "hindi.txt", "arabic.txt"):
        assert split.count() > 0
        glyph = split.first.text_content()
        assert len(glyph) <= 8 and not HEX.search(glyph)  # one grapheme, not a run of hex
        assert box.locator(".bw-row").nth(1).locator(".bw-tick").count() >= split.count()
        tips = box.locator(".bw-row").nth(1).locator(".bw-bar").evaluate_all("bars => bars.map(b => b.dataset.tip)")
        assert any(re.search(rf"{re.escape(glyph)} character split across patches: [0-9a-f ]+ \\(patch \\d+\\) \\| ", t)
                   for t in tips), tips[:4]
    bars = box.locator(".bw-row").nth(1).locator(".bw-bar")
    first, second = bars.nth(0).bounding_box(), bars.nth(1).bounding_box()
    if name == "arabic.txt":  # right-to-left text: the lanes run right to left, units in reading order
        assert "Right-to-left text" in caption(page, "lanes")
        assert first["x"] > second["x"]
    else:
        assert first["x"] < second["x"]
    page.screenshot(path=str(shots / f"compare-lanes-{name}.png"), full_page=True)
