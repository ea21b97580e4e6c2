"""The explorer renders user bytes itself, so it escapes them itself: markup in the input is text."""

from __future__ import annotations

import pytest

from tests.e2e.explorer_helpers import open_explore, strip_text

PAYLOADS = [
    "<img src=x onerror=\"window.__pwned=1\"><script>window.__pwned=1</script>",
    "<svg onload=window.__pwned=1></svg><iframe srcdoc=\"<script>parent.__pwned=1</script>\"></iframe>",
    "\"><b onmouseover=window.__pwned=1>bold</b>&lt;&amp;",
]


@pytest.mark.parametrize("evil", PAYLOADS)
def test_markup_in_the_input_is_shown_not_run(page, server, evil):
    dialogs = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    open_explore(page, server, evil)
    strip = page.locator(".blt-patches").first
    strip.hover()
    page.wait_for_timeout(500)
    assert page.evaluate("typeof window.__pwned") == "undefined" and dialogs == []
    assert strip.evaluate("el => el.querySelectorAll('img, script, svg, iframe, b').length") == 0
    assert strip_text(page).replace("·", " ") == evil
    # tooltips are attributes set as text: hover the chart and read its tip
    chart = page.locator('[data-c="chart"]').first
    box = chart.bounding_box()
    page.mouse.move(box["x"] + 60, box["y"] + 60)
    tip = page.locator('[data-c="tip"]').first
    assert tip.evaluate("el => el.children.length") == 0
