"""Shared steps of the explorer browser tests: open Explore on some text, read the component."""

from __future__ import annotations

from tests.e2e.conftest import url

TIMEOUT = 90_000  # ms: the first model run of a fresh server loads the model


def open_explore(page, server: str, text: str) -> None:
    """Explore with `text` in the box; returns once the component has drawn all of its bytes."""
    page.goto(url(server, text=text))
    n = len(text.encode())
    page.wait_for_function("(n) => globalThis.__bltExplorer && globalThis.__bltExplorer.lastFrame"
                           " && globalThis.__bltExplorer.lastFrame.n === n", arg=n, timeout=TIMEOUT)
    page.locator(".blt-patches .blt-u").first.wait_for(timeout=TIMEOUT)


def last_frame(page) -> dict:
    return page.evaluate("() => ({...globalThis.__bltExplorer.lastFrame, frames: globalThis.__bltExplorer.frames})")


def strip_text(page) -> str:
    return page.locator(".blt-patches").first.evaluate("el => el.textContent")


def ctl(page, name: str):
    return page.locator(f'[data-c="{name}"]').first


def server_patches(page) -> str:
    box = page.locator('[data-testid="stMetric"]').filter(has_text="Patches").first
    return box.locator('[data-testid="stMetricValue"]').inner_text(timeout=TIMEOUT).replace(",", "")
