"""The injection corpus in a real browser: through ?text= on every page, an upload (contents and file names)
and the Generate prompt, nothing runs and nothing renders as markup; the text shows literally.

Payloads are joined into a few page loads per channel; bench/bench_injection.py runs each one alone.
"""

from __future__ import annotations

import time

import pytest

from tests.e2e.conftest import url
from tests.e2e.injection_helpers import LITERAL, inspect, joined, payloads, problems
from tests.e2e.test_browser import wait_idle

TIMEOUT = 120_000
PAGES = ["explore", "compare", "tune", "compute", "learn"]


def _watch(page) -> list[str]:
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    return dialogs


def _settle(page) -> None:
    page.wait_for_selector("h1", timeout=TIMEOUT)
    wait_idle(page)
    page.mouse.move(300, 400)  # hover handlers get their chance
    page.mouse.move(700, 900)
    page.wait_for_timeout(300)


@pytest.mark.parametrize("path", PAGES)
def test_text_link_on_every_page(page, server, path):
    dialogs = _watch(page)
    text = joined()[0]
    page.goto(url(server, path, text=text))
    _settle(page)
    if path == "explore":  # the explorer component draws the bytes: wait for its strip
        page.locator(".blt-patches .blt-u").first.wait_for(timeout=TIMEOUT)
    if path in ("explore", "learn"):  # pages that show the text itself show it literally
        assert _shows_literal(page)
    assert problems(page, dialogs) == []


def _shows_literal(page, seconds: float = 60.0) -> bool:
    """Whether LITERAL shows as text within `seconds`: Learn's lanes and patch list can land after the page
    looks idle on a loaded machine (a single probe failed there in CI); markup never shows it at all."""
    deadline = time.monotonic() + seconds
    while LITERAL not in inspect(page)["text"].replace("·", " "):
        if time.monotonic() > deadline:
            return False
        page.wait_for_timeout(500)
    return True


def test_upload_contents_and_file_names(page, server):
    dialogs = _watch(page)
    page.goto(url(server))
    _settle(page)
    body = "\n".join(joined()).encode("utf-8", errors="surrogateescape")
    name = " ".join(payloads()["file_names"])  # every file-name payload in one name
    page.locator('[data-testid="stFileUploaderDropzoneInput"]').set_input_files(
        files=[{"name": name, "mimeType": "text/plain", "buffer": body}])
    page.get_by_text(name[-6:], exact=False).first.wait_for(timeout=TIMEOUT)  # the name shows as text
    _settle(page)
    assert problems(page, dialogs) == []


def test_generate_prompt(page, server):
    from blt_core.generator.generate import DEFAULT_GENERATOR_CARD

    if not DEFAULT_GENERATOR_CARD.exists():
        pytest.skip("no generator card shipped")
    dialogs = _watch(page)
    page.goto(url(server, "generate", gen_max=2))
    _settle(page)
    for prompt in joined(limit=1500):
        box = page.get_by_label("Prompt")
        box.fill(prompt)
        box.press("Control+Enter")
        wait_idle(page, quiet_ms=500)
        page.get_by_role("button", name="Generate").click()
        page.locator('span[title^="patch "]').first.wait_for(timeout=TIMEOUT)
        _settle(page)
        assert problems(page, dialogs) == []


def test_the_probe_sees_a_payload_that_runs(page):
    """The checks can fail: on a page that renders the corpus raw, they report it."""
    dialogs = _watch(page)
    page.set_content("<html><body>" + joined()[0] + "</body></html>")
    page.mouse.move(10, 10)
    page.wait_for_timeout(300)
    found = problems(page, dialogs)
    assert any("a payload ran" in p for p in found) and any("class pwn" in p for p in found), found


def test_the_probe_looks_inside_shadow_roots(page):
    """Components draw in shadow roots: markup rendered there is found too (and its text read)."""
    dialogs = _watch(page)
    page.set_content("<html><body><div id=host></div></body></html>")
    page.evaluate("""() => { const r = document.getElementById('host').attachShadow({mode: 'open'});
        r.innerHTML = '<b class=pwn>x</b><a href="javascript:alert(1)">y</a> shadow text'; }""")
    found = problems(page, dialogs)
    assert any("class pwn" in p for p in found) and any("javascript:" in p for p in found), found
    got = inspect(page)
    assert got["shadow_roots"] == 1 and "shadow text" in got["text"]
