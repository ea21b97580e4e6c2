"""Browser-measured app latency: threshold slider release -> new patch count, and Explore's first render.

    python bench/bench_app.py [--runs 7] [--backend auto]

Needs Debian's chromium at /usr/bin/chromium and the playwright package. Starts its own
Streamlit servers on free ports. Writes bench/results/app.json and prints a table.

- slider: a 10 KB text is loaded through ?text=; the threshold thumb is dragged and, inside
  the page, the time from the pointerup event to the moment the "Patches" metric shows a new
  value is taken with performance.now() (a MutationObserver watches the metric). The time
  until Streamlit's running indicator is gone (the whole fragment redrawn) is recorded too.
- first render: a fresh server per run (model not loaded yet); from navigation start to the
  first "Patches" value on screen, as the browser sees it.
"""

from __future__ import annotations

import argparse
import json
import platform
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]
TARGETS_MS = {"slider_to_patch_count": 300, "first_render": 3000}

# Installed before the drag: stamps pointerup, then the first change of the Patches metric.
WATCH_JS = """() => {
  window.__bench = {up: null, changed: null, idle: null};
  const metric = [...document.querySelectorAll('[data-testid="stMetric"]')].find(m => m.innerText.includes('Patches'));
  const old = metric.querySelector('[data-testid="stMetricValue"]').innerText;
  window.__bench.old = old;
  document.addEventListener('pointerup', () => { window.__bench.up = performance.now(); }, {capture: true, once: true});
  const obs = new MutationObserver(() => {
    const m = [...document.querySelectorAll('[data-testid="stMetric"]')].find(m => m.innerText.includes('Patches'));
    const v = m && m.querySelector('[data-testid="stMetricValue"]').innerText;
    if (window.__bench.up !== null && v && v !== old && window.__bench.changed === null) {
      window.__bench.changed = performance.now(); window.__bench.new = v;
    }
  });
  obs.observe(document.body, {subtree: true, childList: true, characterData: true});
}"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server() -> tuple[subprocess.Popen, str]:
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "streamlit", "run", str(ROOT / "app" / "streamlit_app.py"),
                             "--server.port", str(port), "--server.address", "127.0.0.1",
                             "--server.headless", "true", "--browser.gatherUsageStats", "false"],
                            cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for _ in range(200):
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=2) as r:
                if r.read().decode().strip() == "ok":
                    return proc, f"http://127.0.0.1:{port}"
        except OSError:
            time.sleep(0.3)
    proc.terminate()
    raise RuntimeError("streamlit did not start")


def stop(proc: subprocess.Popen) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()


def ten_kb_text() -> str:
    samples = ROOT / "assets" / "samples"
    text = "".join((samples / f).read_text(encoding="utf-8") for f in ("english.txt", "french.txt", "code.py"))
    while len(text.encode()) < 10_000:
        text += text
    return text.encode()[:10_000].decode("utf-8", errors="ignore")


def wait_idle(page) -> None:
    page.wait_for_function("() => !document.querySelector('[data-testid=\"stStatusWidget\"]')", timeout=120_000)


def bench_slider(browser, base: str, runs: int, backend: str) -> list[dict]:
    page = browser.new_page(viewport={"width": 1280, "height": 1400})
    q = {"text": ten_kb_text(), **({"backend": backend} if backend != "auto" else {})}
    page.goto(f"{base}/?{urlencode(q)}")
    page.wait_for_selector('[data-testid="stMetricValue"]', timeout=120_000)
    wait_idle(page)
    # the exact-value slider sits in Explore's collapsed expander, beside the client-side explorer
    page.get_by_text("Exact values, calibration and units").first.click()
    page.locator('[data-testid="stSlider"]').first.wait_for(timeout=60_000)
    thumb = page.locator('[data-testid="stSlider"] input[type="range"]').first.locator("xpath=../..")
    track = page.locator('[data-testid="stSlider"]').first.bounding_box()
    out = []
    for i in range(runs + 1):  # the first drag warms up the fragment path and is not counted
        page.evaluate(WATCH_JS)
        box = thumb.bounding_box()
        frac = (0.25, 0.45, 0.65)[i % 3]
        page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
        page.mouse.down()
        page.mouse.move(track["x"] + track["width"] * frac, box["y"] + box["height"] / 2, steps=5)
        page.mouse.up()
        page.wait_for_function("() => window.__bench.changed !== null", timeout=60_000)
        wait_idle(page)
        b = page.evaluate("window.__bench")
        idle = page.evaluate("performance.now()")
        if i:
            out.append({"patch_count_ms": b["changed"] - b["up"], "until_idle_ms": idle - b["up"],
                        "patches": [b["old"], b["new"]]})
    page.close()
    return out


def bench_first_render(browser, runs: int, backend: str) -> list[float]:
    out = []
    for _ in range(runs):
        proc, base = start_server()
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 1400})
            q = f"?backend={backend}" if backend != "auto" else ""
            page.goto(f"{base}/{q}")
            page.wait_for_function("""() => [...document.querySelectorAll('[data-testid="stMetric"]')]
                .some(m => m.innerText.includes('Patches'))""", timeout=120_000)
            out.append(page.evaluate("performance.now()"))  # ms since navigation start
            page.close()
        finally:
            stop(proc)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=7)
    ap.add_argument("--backend", default="auto")
    args = ap.parse_args()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        proc, base = start_server()
        try:
            slider = bench_slider(browser, base, args.runs, args.backend)
        finally:
            stop(proc)
        first = bench_first_render(browser, max(3, args.runs // 2), args.backend)
        browser.close()
    res = {
        "machine": {"cpus": __import__("os").cpu_count(), "platform": platform.platform()},
        "backend": args.backend,
        "slider_to_patch_count_ms": {"median": statistics.median(r["patch_count_ms"] for r in slider),
                                     "runs": [round(r["patch_count_ms"], 1) for r in slider],
                                     "target": TARGETS_MS["slider_to_patch_count"], "text_bytes": 10_000},
        "slider_until_idle_ms": {"median": statistics.median(r["until_idle_ms"] for r in slider),
                                 "runs": [round(r["until_idle_ms"], 1) for r in slider]},
        "first_render_ms": {"median": statistics.median(first), "runs": [round(x, 1) for x in first],
                            "target": TARGETS_MS["first_render"]},
    }
    (ROOT / "bench" / "results").mkdir(parents=True, exist_ok=True)
    (ROOT / "bench" / "results" / "app.json").write_text(json.dumps(res, indent=2) + "\n")
    print(f"{'measure':<40}{'median ms':>12}{'target ms':>12}  runs")
    for key, label in (("slider_to_patch_count_ms", "slider release -> patch count (10 KB)"),
                       ("slider_until_idle_ms", "slider release -> rerun finished"),
                       ("first_render_ms", "first render of Explore (cold server)")):
        r = res[key]
        print(f"{label:<40}{r['median']:>12.0f}{str(r.get('target', '-')):>12}  {r['runs']}")


if __name__ == "__main__":
    main()
