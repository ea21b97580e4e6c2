"""Real-browser fixtures: a Streamlit server on a free port and Debian's headless Chromium.

Skips cleanly when /usr/bin/chromium or the playwright package is missing. Screenshots go to a
temporary folder (the `shots` fixture) unless BLT_SCREENSHOT_DIR names one: the README's images
are refreshed on purpose by `python bench/refresh_screenshots.py`, never as a side effect of a test run.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
README_SCREENSHOTS = ROOT / "assets" / "screenshots"  # written only by bench/refresh_screenshots.py
SCREENSHOT_DIR_ENV = "BLT_SCREENSHOT_DIR"
DEFAULT_TIMEOUT_MS = 90_000  # a shared 2-core machine under load can take well over playwright's 30 s
BACKEND = os.environ.get("BLT_APP_BACKEND", "auto")

if not Path(CHROMIUM).exists():
    pytest.skip(f"{CHROMIUM} not found: install Debian's chromium (apt-get install -y chromium) to run "
                "the browser tests", allow_module_level=True)
sync_api = pytest.importorskip("playwright.sync_api", reason="the playwright Python package is not installed")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(port: int, *, launcher: list[str] | None = None) -> subprocess.Popen:
    """`streamlit run` the app on `port`; returns once /_stcore/health answers ok. launcher replaces
    `python -m streamlit` (a module that patches something, then runs Streamlit's CLI with these arguments)."""
    proc = subprocess.Popen(
        [*(launcher or [sys.executable, "-m", "streamlit"]), "run", str(ROOT / "app" / "streamlit_app.py"),
         "--server.port", str(port), "--server.address", "127.0.0.1", "--server.headless", "true",
         "--browser.gatherUsageStats", "false"],
        cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.time() + 60
    while time.time() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"streamlit exited: {proc.stderr.read().decode(errors='replace')[-2000:]}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=2) as r:
                if r.read().decode().strip() == "ok":
                    return proc
        except OSError:
            time.sleep(0.3)
    proc.terminate()
    raise RuntimeError("streamlit did not become healthy within 60 s")


@pytest.fixture(scope="session")
def server():
    port = free_port()
    proc = start_server(port)
    yield f"http://127.0.0.1:{port}"
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()


@pytest.fixture(scope="session")
def shots(tmp_path_factory) -> Path:
    """The folder browser tests save screenshots in: BLT_SCREENSHOT_DIR if set, else a temporary one."""
    chosen = os.environ.get(SCREENSHOT_DIR_ENV)
    if chosen:
        Path(chosen).mkdir(parents=True, exist_ok=True)
        return Path(chosen)
    return tmp_path_factory.mktemp("screenshots")


@pytest.fixture(scope="session")
def browser():
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture
def page(browser):
    ctx = browser.new_context(viewport={"width": 1280, "height": 2200}, accept_downloads=True)
    ctx.set_default_timeout(DEFAULT_TIMEOUT_MS)
    pg = ctx.new_page()
    yield pg
    ctx.close()


def url(server: str, path: str = "", **params) -> str:
    """A page URL with the test backend and extra query parameters, properly encoded."""
    from urllib.parse import urlencode

    q = {"backend": BACKEND, **params} if BACKEND != "auto" else params
    return f"{server}/{path}" + (f"?{urlencode(q)}" if q else "")
