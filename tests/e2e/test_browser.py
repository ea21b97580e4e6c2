"""The app in a real browser: sharing URLs, the slider, uploads, every page, PNG export, phone width, escaping.

Screenshots go to the `shots` folder (temporary unless bench/refresh_screenshots.py sets it)."""

from __future__ import annotations

import re

import pytest

from tests.e2e.conftest import url
from tests.e2e.explorer_helpers import open_explore, strip_text

TIMEOUT = 90_000  # ms: the first model run of a fresh server loads the model


def metric(page, label: str) -> str:
    box = page.locator('[data-testid="stMetric"]').filter(has_text=label).first
    return box.locator('[data-testid="stMetricValue"]').inner_text(timeout=TIMEOUT)


def wait_ready(page) -> None:
    page.wait_for_selector('[data-testid="stMetricValue"]', timeout=TIMEOUT)
    page.wait_for_function("() => !document.querySelector('[data-testid=\"stStatusWidget\"]')", timeout=TIMEOUT)


def wait_idle(page, *, quiet_ms: int = 1500) -> None:
    """Wait until the app has shown no "running" status for quiet_ms: a page can start a second
    run (or its first) a moment after its title appears, and screenshots must show the result."""
    page.wait_for_function(
        """(quiet) => {
             const busy = !!document.querySelector('[data-testid="stStatusWidget"]');
             const now = performance.now();
             if (busy || window.__idleSince === undefined) window.__idleSince = busy ? undefined : now;
             return !busy && window.__idleSince !== undefined && now - window.__idleSince >= quiet;
           }""", arg=quiet_ms, timeout=TIMEOUT, polling=200)


def wait_metric_change(page, label: str, old: str) -> str:
    page.wait_for_function(
        """([label, old]) => [...document.querySelectorAll('[data-testid="stMetric"]')]
             .some(m => m.innerText.includes(label) &&
                        m.querySelector('[data-testid="stMetricValue"]').innerText !== old)""",
        arg=[label, old], timeout=TIMEOUT)
    return metric(page, label)


def test_query_text_opens_explore(page, server, shots):
    """A shared ?text= link opens Explore on that text (dragging: tests/e2e/test_explorer_drag.py)."""
    text = "The quick brown fox jumps over the lazy dog. 0123456789 !?"
    open_explore(page, server, text)
    assert metric(page, "Bytes") == str(len(text))
    assert strip_text(page).replace("·", " ") == text
    wait_idle(page)
    page.screenshot(path=str(shots / "explore.png"))


def test_upload_binary_file(page, server, shots):
    page.goto(url(server))
    wait_ready(page)
    data = bytes(range(256))
    page.locator('[data-testid="stFileUploaderDropzoneInput"]').set_input_files(
        files=[{"name": "all-bytes.bin", "mimeType": "application/octet-stream", "buffer": data}])
    page.wait_for_function("() => globalThis.__bltExplorer && globalThis.__bltExplorer.lastFrame"
                           " && globalThis.__bltExplorer.lastFrame.n === 256", timeout=TIMEOUT)
    patches_text = strip_text(page)
    for glyph in ("\\x00", "\\x1f", "\\x7f", "\\xff", "\\x80"):
        assert glyph in patches_text
    # an escape is one glyph: the strip may wrap between units, never inside one ("\" | "x87")
    split = page.locator(".blt-patches").first.evaluate(
        "el => [...el.querySelectorAll('.blt-ctl, .blt-bad')].filter(u => u.getClientRects().length > 1)"
        ".map(u => u.textContent)")
    assert split == []
    wait_idle(page)
    page.screenshot(path=str(shots / "explore-binary.png"))


@pytest.mark.parametrize("name", ["Compare", "Tune", "Compute", "Learn", "Generate", "Explore"])
def test_switch_every_page(page, server, shots, name):
    page.goto(url(server))
    wait_ready(page)
    page.get_by_role("link", name=re.compile(name)).first.click()
    page.wait_for_selector(f'h1:has-text("{name}")', timeout=TIMEOUT)
    wait_idle(page)
    charts = {"Tune": 2, "Learn": 2}.get(name, 0)  # the screenshot shows them drawn
    if name in ("Compare", "Compute"):  # their windowed charts are the window component (app/components/window.py)
        page.locator(".bw-caption").filter(has_text="shown").first.wait_for(timeout=TIMEOUT)
    page.wait_for_function("""(n) => { const cs = [...document.querySelectorAll('[data-testid="stPlotlyChart"]')];
        return cs.length >= n && cs.every(c => c.querySelector('.main-svg')); }""", arg=charts, timeout=TIMEOUT)
    assert page.locator('[data-testid="stException"]').count() == 0
    page.screenshot(path=str(shots / f"{name.lower()}.png"))


def test_csv_download_neutralises_formulas(page, server):
    page.goto(url(server, text="=1+1 @x"))
    wait_ready(page)
    with page.expect_download(timeout=TIMEOUT) as dl:
        page.get_by_role("button", name=re.compile("CSV")).click()
    text = open(dl.value.path(), encoding="utf-8").read()
    assert "\n0,61,3d,'= 3d," in text  # a cell starting with "=" gets a quote


@pytest.mark.parametrize("path", ["", "compare", "tune", "compute", "learn", "generate"])
def test_phone_width_has_no_horizontal_overflow(browser, server, shots, path):
    ctx = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
    page = ctx.new_page()
    page.goto(url(server, path))
    page.wait_for_selector("h1", timeout=TIMEOUT)
    page.wait_for_function("() => !document.querySelector('[data-testid=\"stStatusWidget\"]')", timeout=TIMEOUT)
    page.wait_for_timeout(1000)
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.screenshot(path=str(shots / f"{path or 'explore'}-phone.png"), full_page=True)
    ctx.close()


def test_script_injection_renders_as_text(page, server):
    evil = "<img src=x onerror=alert(1)><script>window.__pwned=1</script>"
    dialogs = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    page.goto(url(server, text=evil))
    wait_ready(page)
    page.wait_for_timeout(1000)
    assert dialogs == []
    assert page.evaluate("typeof window.__pwned") == "undefined"
    shown = page.locator(".blt-patches").first.inner_text().replace("·", " ").replace("\n", "")
    assert evil in shown


def test_dark_theme(browser, server, shots):
    ctx = browser.new_context(viewport={"width": 1280, "height": 2200}, color_scheme="dark")
    page = ctx.new_page()
    page.goto(url(server))
    wait_ready(page)
    page.wait_for_timeout(800)
    page.screenshot(path=str(shots / "explore-dark.png"))
    # no [theme] in .streamlit/config.toml, so the app follows the system scheme: a dark background
    rgb = page.evaluate("getComputedStyle(document.querySelector('[data-testid=\"stApp\"]')).backgroundColor")
    assert max(int(x) for x in re.findall(r"\d+", rgb)[:3]) < 80, rgb
    ctx.close()


def test_generate_streams_bytes_in_patch_colours(page, server, shots):
    """The trained generator in a real browser: press Generate, bytes arrive in coloured patches,
    the counters and the growing entropy curve show up (screenshot: generate-run.png)."""
    from blt_core.generator.generate import DEFAULT_GENERATOR_CARD

    if not DEFAULT_GENERATOR_CARD.exists():
        pytest.skip("no generator card shipped")
    page.goto(url(server, "generate", gen_max=160))
    seed = page.get_by_label("Seed")
    seed.fill("1")
    seed.press("Enter")
    wait_idle(page, quiet_ms=500)
    page.get_by_role("button", name="Generate").click()
    page.wait_for_function(
        """() => [...document.querySelectorAll('[data-testid="stMetric"]')]
             .some(m => m.innerText.includes('Bytes out') &&
                        parseInt(m.querySelector('[data-testid="stMetricValue"]').innerText) > 0)""",
        timeout=TIMEOUT)
    wait_idle(page)
    assert int(metric(page, "Global steps").replace(",", "")) >= 2
    spans = page.locator('span[title^="patch "]')
    assert spans.count() > 20
    assert page.locator('[data-testid="stPlotlyChart"]').count() >= 1
    page.screenshot(path=str(shots / "generate-run.png"), full_page=True)
