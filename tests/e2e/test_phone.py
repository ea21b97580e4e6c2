"""Issue 11, point 4 on a 390 x 844 touch screen: Explore's patch strip starts on the first screen, its
extra controls fold behind "More", tooltips open on a tap (strip and chart), and a wide table scrolls
inside its own box while the page does not scroll sideways. One page load per test."""

from __future__ import annotations

import pytest

from tests.e2e.explorer_helpers import TIMEOUT, ctl, open_explore
from tests.e2e.test_browser import wait_idle
from tests.e2e.test_pages_ux import PHONE, open_page

TEXT = "Tap a patch to read it: 日本語のテキストも、English words too."
SCREEN_HEIGHT = PHONE["viewport"]["height"]


@pytest.fixture
def phone(browser):
    ctx = browser.new_context(**PHONE)
    ctx.set_default_timeout(TIMEOUT)
    yield ctx.new_page()
    ctx.close()


def tip_text(page) -> str:
    tip = ctl(page, "tip")
    tip.wait_for(state="visible")
    return tip.inner_text()


def test_explore_strip_on_the_first_screen_and_tooltips_on_tap(phone, server, shots):
    page = phone
    open_explore(page, server, TEXT)
    strip = ctl(page, "strip").bounding_box()
    first_row = page.locator(".blt-patches .blt-u").first.bounding_box()
    assert first_row["y"] + first_row["height"] <= SCREEN_HEIGHT, f"strip at {strip['y']:.0f} px"
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["viewport"]["width"]
    wait_idle(page)
    page.screenshot(path=str(shots / "explore-phone.png"))  # the README's phone picture: the first screen
    # the extra controls fold away and come back on a tap
    assert not ctl(page, "theta_r").is_visible()
    ctl(page, "more").tap()
    assert ctl(page, "theta_r").is_visible() and ctl(page, "mode").is_visible()
    # tap a character of the strip: a tooltip box names its patch
    glyph = page.locator(".blt-patches .blt-u").filter(has_text="本").first
    glyph.tap()
    assert tip_text(page).startswith("patch ") or tip_text(page).startswith("character split across patches")
    # tap the chart away from the threshold line: a byte's tooltip, and the threshold stays where it was
    chart = ctl(page, "chart")
    chart.scroll_into_view_if_needed()
    theta = page.evaluate("() => globalThis.__bltExplorer.lastFrame.threshold")
    box = chart.bounding_box()
    line_y = page.evaluate("() => [...globalThis.__bltExplorer.views.values()].at(-1).geom.y("
                           "globalThis.__bltExplorer.lastFrame.threshold)")
    y = 40 if line_y > 100 else box["height"] - 40  # far from the line
    chart.tap(position={"x": box["width"] / 3, "y": y})
    assert tip_text(page).startswith("byte ")
    assert page.evaluate("() => globalThis.__bltExplorer.lastFrame.threshold") == theta


def test_compare_table_scrolls_inside_its_box(phone, server):
    page = phone
    open_page(page, server, "compare")
    frames = page.locator('[data-testid="stDataFrame"]')
    index = page.wait_for_function("""() => {  // the across-scripts table, found by a column header
        const i = [...document.querySelectorAll('[data-testid="stDataFrame"]')].findIndex(f =>
            [...f.querySelectorAll('[role=columnheader]')].some(h => h.textContent.trim() === 'tokenizer'));
        return i >= 0 ? i + 1 : 0; }""", timeout=TIMEOUT).json_value() - 1
    table = frames.nth(index)
    table.scroll_into_view_if_needed()
    box = table.bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= PHONE["viewport"]["width"] + 1
    scroller = table.locator(".dvn-scroller").first
    wide = scroller.evaluate("s => ({sw: s.scrollWidth, cw: s.clientWidth})")
    assert wide["sw"] > wide["cw"], wide  # more columns than fit: the box scrolls, not the page
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.mouse.wheel(300, 0)
    page.wait_for_function("(s) => s.scrollLeft > 0", arg=scroller.element_handle(), timeout=10_000)
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["viewport"]["width"]
    assert page.evaluate("window.scrollX") == 0
