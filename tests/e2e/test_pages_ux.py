"""Issue 11 in a real browser, on Compare, Tune, Compute, Learn and Generate: deep links, links that
reproduce θ, one Units switch, labelled charts, tooltips escaped once, ten seconds to understand
(one sentence under the title, the first result on a phone's first screen), and screenshots of every
page in both themes and at 390 px (saved to `shots`, a temporary folder unless refreshing)."""

from __future__ import annotations

import re
import time
from urllib.parse import parse_qs, urlparse

import pytest

from tests.e2e.conftest import DEFAULT_TIMEOUT_MS, url
from tests.e2e.test_browser import TIMEOUT, wait_idle

PAGES = ["compare", "tune", "compute", "learn", "generate"]
PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True}
# The first result of each page: what a phone user must see without scrolling.
FIRST_RESULT = {
    "compare": ".st-key-lanes .bw-bar",  # the window component's lanes (app/components/window.py)
    "tune": '[data-testid="stMetric"]',
    "compute": '[data-testid="stMetric"]',
    "learn": '[data-testid="stHtml"], [data-testid="stHtml"] *',
    "generate": 'button:has-text("Generate")',
}


def open_page(page, server: str, path: str, **params) -> None:
    """Open a page and wait for its first result and every chart to be drawn, then for a quiet app."""
    page.context.set_default_timeout(DEFAULT_TIMEOUT_MS)
    page.goto(url(server, path, **params))
    page.wait_for_selector("h1", timeout=TIMEOUT)
    if path in FIRST_RESULT:
        page.wait_for_selector(FIRST_RESULT[path], timeout=TIMEOUT)
    wait_idle(page)
    page.wait_for_function("""() => [...document.querySelectorAll('[data-testid="stPlotlyChart"]')]
        .every(c => c.querySelector('.main-svg'))""", timeout=TIMEOUT)


def settled_top(page, selector: str, *, below: float, timeout_s: float = 15.0) -> float:
    """The first match's top in px, once it is under `below` or `timeout_s` has passed.

    A loaded server can still be laying the page out when it first looks idle (a chart's space
    arriving after its text); the layout that stays is what a reader sees, so the test waits for it.
    """
    deadline = time.monotonic() + timeout_s
    while True:
        box = page.locator(selector).first.bounding_box()
        top = box["y"] if box else float("inf")
        if top < below or time.monotonic() > deadline:
            return top
        page.wait_for_timeout(250)


def metric(page, label: str) -> str:
    box = page.locator('[data-testid="stMetric"]').filter(has_text=label).first
    return box.locator('[data-testid="stMetricValue"]').inner_text(timeout=TIMEOUT)


@pytest.mark.parametrize("path", ["explore", *PAGES])
def test_deep_link_opens_the_page(page, server, path):
    """A ?text= link opens its page on that text, with the page's one sentence under the title
    (one page load checks both: each load costs CI seconds)."""
    from app.state import ABOUT

    page.goto(f"{server}/{path}?text=deep%20link%20test")
    page.wait_for_selector("h1", timeout=TIMEOUT)
    wait_idle(page)
    title = page.locator("h1").first.inner_text().strip()
    assert title.lower() == path
    assert "page not found" not in page.inner_text("body").lower()
    if path in ("compare", "tune", "compute", "learn"):  # the text travels with the link
        assert "text box: 14 bytes" in page.inner_text("body")
    if path in PAGES:
        assert page.get_by_text(ABOUT[title], exact=True).count() == 1


def test_shared_link_reproduces_theta_and_patch_count(browser, server):
    """A θ with more than four decimals survives the round trip: the reopened link shows the same count."""
    theta = 1.2345678901234567
    sender = browser.new_context()
    page = sender.new_page()
    open_page(page, server, "compute", threshold=repr(theta), text="Shared links keep every digit of θ.")
    sent = metric(page, "Patches (global steps)")
    link = page.url
    assert parse_qs(urlparse(link).query)["threshold"] == [repr(theta)]
    sender.close()
    receiver = browser.new_context()
    page = receiver.new_page()
    page.goto(link)
    page.wait_for_selector("h1", timeout=TIMEOUT)
    wait_idle(page)
    assert metric(page, "Patches (global steps)") == sent
    receiver.close()


def test_units_switch_everywhere(page, server):
    open_page(page, server, "tune")
    page.locator('[data-testid="stSidebar"]').get_by_role("radio", name="bits").click()
    # the rerun may start a moment after the click: wait for the chart it draws, not just a quiet app
    page.wait_for_function("() => (document.querySelector('.xtitle') || {}).textContent === 'threshold θ (bits)'",
                           timeout=TIMEOUT)
    wait_idle(page)
    assert page.locator(".xtitle").first.text_content() == "threshold θ (bits)"
    assert metric(page, "Threshold for the target").endswith(" bits")
    page.get_by_role("link", name=re.compile("Learn")).first.click()
    page.wait_for_selector('h1:has-text("Learn")', timeout=TIMEOUT)
    wait_idle(page)
    assert page.locator(".ytitle").first.text_content() == "entropy (bits)"
    assert "unit=bits" in page.url


def test_tooltip_escaped_once_with_readable_top_k(page, server):
    open_page(page, server, "learn", text='He said "hi" & <left>\n')
    # under load a rerun can still be replacing the chart: wait for its entropy trace
    page.wait_for_function("() => (document.querySelector('.js-plotly-plot')?.data || []).some(t => t.name === 'entropy')")
    hover = page.evaluate("""() => {
        const gd = document.querySelector('.js-plotly-plot');
        const i = gd.data.findIndex(t => t.name === 'entropy');
        Plotly.Fx.hover(gd, [{curveNumber: i, pointNumber: 8}]);
        return document.querySelector('.hoverlayer').textContent; }""")
    assert hover.startswith('byte 8: " 22'), hover  # the quote itself, not &quot;
    assert "&quot;" not in hover and "&amp;" not in hover and "&lt;" not in hover
    top = hover.split("next byte:")[1]
    assert re.fullmatch(r"( \S+ (<1%|>99%|\d+%)( \|)?)+", top), top
    assert "0%" not in re.sub(r"\d0%", "", top)


def test_tune_lines_labelled_and_clear_of_the_legend(page, server, shots):
    open_page(page, server, "tune")
    chart = page.locator('[data-testid="stPlotlyChart"]').first
    chart.locator(".legend").wait_for()
    labels = chart.locator(".annotation-text")
    assert sorted(labels.evaluate_all("els => els.map(e => e.textContent)")) == ["target 4.5", "θ now"]
    plot = chart.locator(".nsewdrag").first.bounding_box()  # the plotting area: labels sit inside it
    legend = chart.locator(".legend").bounding_box()
    for box in (labels.nth(i).bounding_box() for i in range(labels.count())):
        apart = box["y"] + box["height"] <= legend["y"] or legend["y"] + legend["height"] <= box["y"]
        assert apart, (box, legend)
        assert plot["y"] - 1 <= box["y"] and box["y"] + box["height"] <= plot["y"] + plot["height"] + 1, (box, plot)
    legend_text = chart.locator(".legend").evaluate("e => e.textContent")
    assert "θ now: " in legend_text and "target: 4.5 bytes/patch" in legend_text
    cost = page.locator('[data-testid="stPlotlyChart"]').nth(1)
    assert "GFLOP/byte" in cost.locator(".legend").evaluate("e => e.textContent")
    bpe_label = cost.locator(".annotation-text").evaluate_all("els => els.map(e => e.textContent)")
    assert len(bpe_label) == 1 and bpe_label[0].startswith("llama3-8b at "), bpe_label
    chart.screenshot(path=str(shots / "tune-curve.png"))


def test_compare_and_compute_say_it_in_words(page, server):
    open_page(page, server, "compare", text="Last spring the river rose over the old stone bridge.")
    body = page.inner_text("body")
    assert "BPE tokens begin with it" in body
    # read the headers in the same call that waits for them: the table can redraw in between. Wait for the
    # lanes table's own header: the across-scripts table below it also has a "whitespace attached" column
    # and, on a loaded machine, can show its headers before the lanes table does
    headers = page.wait_for_function("""() => {
        const hs = [...document.querySelectorAll('[data-testid="stDataFrame"] [role=columnheader]')]
            .map(h => h.textContent.trim());
        return hs.includes('F1 vs BLT (entropy), whitespace attached') ? hs : null; }""", timeout=TIMEOUT).json_value()
    assert "F1 vs BLT (entropy), exact" in headers and "F1 vs BLT (entropy), whitespace attached" in headers
    page.get_by_role("link", name=re.compile("Compute")).first.click()
    page.wait_for_selector('h1:has-text("Compute")', timeout=TIMEOUT)
    wait_idle(page)
    badge = page.locator('[data-testid="stMetricDelta"]').first
    assert re.fullmatch(r"BLT uses \d+% of llama3-8b's FLOPs", badge.inner_text().strip())
    assert badge.locator("svg").count() == 0  # no arrow
    assert not re.search(r"\de[+-]\d", page.inner_text("body"))


@pytest.mark.parametrize("path", PAGES)
def test_phone_first_screen(browser, server, shots, path):
    """At 390 px: the first result starts on the first screen, nothing but tables scrolls sideways,
    and lane labels read horizontally."""
    ctx = browser.new_context(**PHONE)
    page = ctx.new_page()
    open_page(page, server, path)
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    top = settled_top(page, FIRST_RESULT[path], below=844)
    if top >= 844:  # keep what the page showed: the one CI failure here (learn at 1316 px) left no picture
        page.screenshot(path=str(shots / f"{path}-phone-first-screen-FAILED.png"), full_page=True)
    assert top < 844, f"{path}: first result at {top:.0f} px"
    for frame in page.locator('[data-testid="stDataFrame"], [data-testid="stTable"]').all():
        assert frame.bounding_box()["x"] + frame.bounding_box()["width"] <= 391  # scrolls inside its box
    if path == "compare":  # lane names: one horizontal line each, not rotated
        names = page.locator(".st-key-lanes .bw-row:not(.bw-axis) .bw-name")
        assert names.count() >= 4
        for name in names.all():
            b = name.bounding_box()
            assert name.evaluate("el => getComputedStyle(el).transform") == "none" and b["width"] > b["height"], b
    page.screenshot(path=str(shots / f"{path}-phone-first-screen.png"))
    ctx.close()


@pytest.mark.parametrize("path", PAGES)
def test_dark_theme_every_page(browser, server, shots, path):
    ctx = browser.new_context(viewport={"width": 1400, "height": 900}, color_scheme="dark")
    page = ctx.new_page()
    open_page(page, server, path)
    assert page.locator('[data-testid="stException"]').count() == 0
    page.screenshot(path=str(shots / f"{path}-dark.png"), full_page=True)
    ctx.close()
