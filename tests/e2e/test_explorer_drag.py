"""The threshold moves in the browser by mouse, keyboard and touch; every frame re-patches; the
server hears the value on release; the overview's window reaches every byte of a long input."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.e2e.explorer_helpers import TIMEOUT, ctl, last_frame, open_explore, server_patches

TEXT = "The quick brown fox jumps over the lazy dog. Patches form where bytes surprise the model. " * 3
UI = "[...globalThis.__bltExplorer.views.values()].at(-1)"


def line_point(page) -> tuple[float, float]:
    """Page coordinates of the threshold line's middle."""
    box = ctl(page, "chart").bounding_box()
    y = page.evaluate(f"() => {{ const ui = {UI}; return ui.geom.y(ui.s.threshold); }}")
    return box["x"] + box["width"] / 2, box["y"] + y


def wait_server_agrees(page) -> None:
    """After a release the server re-patches with the released value: its count equals the browser's."""
    page.wait_for_function(
        """() => { const f = globalThis.__bltExplorer.lastFrame;
                   const m = [...document.querySelectorAll('[data-testid="stMetric"]')].find(x => x.innerText.includes('Patches'));
                   return m && m.querySelector('[data-testid="stMetricValue"]').innerText.replace(/,/g, '') === String(f.patches); }""",
        timeout=TIMEOUT)


def test_mouse_drag_repatches_every_frame_and_releases_to_the_server(page, server):
    open_explore(page, server, TEXT)
    before = last_frame(page)
    x, y = line_point(page)
    page.mouse.move(x, y)
    page.mouse.down()
    seen = set()
    for dy in range(0, 160, 8):  # downwards: a lower threshold, more patches
        page.mouse.move(x, y + dy)
        page.wait_for_timeout(20)
        seen.add(last_frame(page)["patches"])
    mid = last_frame(page)
    assert mid["threshold"] < before["threshold"] and mid["patches"] > before["patches"]
    assert len(seen) > 3, "the patch count must follow the drag, not jump at the end"
    assert server_patches(page) == str(before["patches"]), "nothing is sent before release"
    page.mouse.up()
    wait_server_agrees(page)
    assert re.search(r"threshold=\d", page.url)  # the URL follows (state.sync_url)


def test_keyboard_fine_and_coarse_steps(page, server):
    open_explore(page, server, TEXT)
    t0 = last_frame(page)["threshold"]
    ctl(page, "chart").focus()
    page.keyboard.press("ArrowUp")
    page.wait_for_function("(t) => Math.abs(globalThis.__bltExplorer.lastFrame.threshold - t) > 1e-9", arg=t0)
    assert last_frame(page)["threshold"] == pytest.approx(t0 + 0.005, abs=1e-4)
    page.keyboard.press("Shift+ArrowDown")
    page.keyboard.press("PageDown")
    page.wait_for_function("(t) => globalThis.__bltExplorer.lastFrame.threshold < t - 0.19", arg=t0)
    assert last_frame(page)["threshold"] == pytest.approx(t0 + 0.005 - 0.2, abs=1e-4)
    wait_server_agrees(page)


def test_touch_drag_moves_the_threshold(browser, server):
    ctx = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
    page = ctx.new_page()
    open_explore(page, server, TEXT)
    ctl(page, "chart").scroll_into_view_if_needed()
    before = last_frame(page)
    x, y = line_point(page)
    cdp = ctx.new_cdp_session(page)

    def touch(kind: str, yy: float) -> None:
        points = [] if kind == "touchEnd" else [{"x": x, "y": yy}]
        cdp.send("Input.dispatchTouchEvent", {"type": kind, "touchPoints": points})

    touch("touchStart", y)
    for dy in range(0, 100, 10):
        touch("touchMove", y + dy)
        page.wait_for_timeout(20)
    touch("touchEnd", y + 100)
    page.wait_for_function("(t) => globalThis.__bltExplorer.lastFrame.threshold < t - 0.5", arg=before["threshold"])
    wait_server_agrees(page)
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    ctx.close()


def test_controls_switch_mode_and_lengths_live(page, server):
    open_explore(page, server, TEXT)
    n = len(TEXT.encode())
    ctl(page, "mode").select_option("static")
    ctl(page, "patch_size").fill("7")
    page.wait_for_function("(p) => globalThis.__bltExplorer.lastFrame.patches === p", arg=-(-n // 7))
    ctl(page, "mode").select_option("byte")
    page.wait_for_function("(n) => globalThis.__bltExplorer.lastFrame.patches === n", arg=n)
    ctl(page, "mode").select_option("entropy")
    ctl(page, "threshold").fill("5.6")
    ctl(page, "threshold").dispatch_event("input")
    ctl(page, "max_patch_length").fill("10")
    page.wait_for_function("(p) => globalThis.__bltExplorer.lastFrame.patches === p", arg=-(-n // 10))
    ctl(page, "max_patch_length").dispatch_event("change")
    wait_server_agrees(page)


def test_overview_window_reaches_the_whole_input(page, server):
    text = "".join(f"line {i}: the quick brown fox.\n" for i in range(200))
    n = len(text.encode())
    open_explore(page, server, text)
    caption = ctl(page, "caption")
    assert re.search(rf"Showing bytes 0–1,\d\d\d of {n:,}", caption.text_content())
    ctl(page, "overview").focus()
    for _ in range(30):
        page.keyboard.press("PageDown")
    expect(caption).to_contain_text(re.compile(rf"–{n - 1:,} of {n:,}"))
    assert page.locator(".blt-patches").first.text_content().rstrip().endswith("line·199:·the·quick·brown·fox.↵")
    box = ctl(page, "overview").bounding_box()
    page.mouse.click(box["x"] + 2, box["y"] + box["height"] / 2)
    expect(caption).to_contain_text("Showing bytes 0–")


def test_chart_downloads_as_png(page, server):
    open_explore(page, server, TEXT)
    with page.expect_download(timeout=TIMEOUT) as dl:
        ctl(page, "png").click()
    with open(dl.value.path(), "rb") as f:
        assert f.read(8) == b"\x89PNG\r\n\x1a\n"
    assert dl.value.suggested_filename == "blt-entropy.png"
