"""The client-side patch explorer in headless Chromium: drag rate, paste-to-patches, bytes sent.

    python bench/bench_explorer.py [--runs 5] [--backend auto]

Needs Debian's chromium at /usr/bin/chromium and the playwright package; starts its own
Streamlit server. Writes bench/results/explorer.json and prints a table. Medians of --runs.

- drag: the input is uploaded (10 KB and 100 KB of mixed text); the threshold line is swept up and down
  for 3 s between the input's lowest and highest entropy (above the highest nothing can re-patch) by
  pointer events dispatched inside the page, one per animation frame (a requestAnimationFrame loop in
  page.evaluate: no CDP round trip per event, which capped Playwright's mouse at ~11 events/s on this
  machine); re-patches drawn per second = frames in which the counts or the patch strip actually
  changed / seconds. Also: all frames rendered per second and the component's render time.
- paste: with the page loaded and the model warm, a new 4 KB text is typed into the box and
  applied (Ctrl+Enter); time until the component has drawn patches for those 4,096 bytes.
- page switch: with Explore open on 4 KB, a click on Compute until its first metric is drawn, and
  back until the explorer has drawn that input again (the server is warm: second round measured).
- bytes sent: every WebSocket frame the browser receives, from opening Explore to the first
  patches of an uploaded 100 KB input and one threshold release after it (static assets such as
  JS bundles travel over HTTP and are not counted).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from bench.bench_app import ARGS, CHROMIUM, start_server, stop  # noqa: E402

TARGETS = {"drag_10kb_per_s": 50, "drag_100kb_per_s": 30, "paste_4kb_ms": 1500, "page_switch_ms": 1000,
           "bytes_100kb": 3_000_000}
UI = "[...globalThis.__bltExplorer.views.values()].at(-1)"
TIMEOUT = 180_000


def mixed_text(n_bytes: int, seed: int = 0) -> bytes:
    samples = ROOT / "assets" / "samples"
    parts = [(samples / f).read_text(encoding="utf-8") for f in
             ("english.txt", "chinese.txt", "code.py", "arabic.txt", "russian.txt", "emoji.txt")]
    rng = random.Random(seed)
    text = ""
    while len(text.encode()) < n_bytes:
        text += rng.choice(parts)
    return text.encode()[:n_bytes].decode("utf-8", errors="ignore").encode()


def open_with_upload(page, base: str, backend: str, data: bytes) -> None:
    page.goto(f"{base}/" + (f"?backend={backend}" if backend != "auto" else ""))
    page.wait_for_function("() => globalThis.__bltExplorer && globalThis.__bltExplorer.lastFrame", timeout=TIMEOUT)
    page.locator('[data-testid="stFileUploaderDropzoneInput"]').set_input_files(
        files=[{"name": "input.txt", "mimeType": "text/plain", "buffer": data}])
    page.wait_for_function("(n) => globalThis.__bltExplorer.lastFrame.n === n", arg=len(data), timeout=TIMEOUT)


DRAG_JS = """([seconds]) => new Promise((done) => {
  const S = globalThis.__bltExplorer, ui = [...S.views.values()].at(-1);
  const chart = ui.component.parentElement.querySelector('[data-c="chart"]');
  chart.scrollIntoView({block: "center"});
  const r = chart.getBoundingClientRect(), x = r.left + r.width / 2, ev = (type, y) => chart.dispatchEvent(
    new PointerEvent(type, {bubbles: true, clientX: x, clientY: y, pointerId: 7, pointerType: "mouse", isPrimary: true}));
  chart.setPointerCapture = () => {};  // synthetic pointers cannot be captured
  ev("pointerdown", r.top + ui.geom.y(ui.s.threshold));
  // the sweep spans the input's entropies, lowest to highest: above the highest no patch can change
  let eMin = Infinity, eMax = -Infinity;
  for (const x of ui.p.e) { if (x < eMin) eMin = x; if (x > eMax) eMax = x; }
  const yTop = r.top + ui.geom.y(Math.min(eMax, ui.view.ceiling)), yBottom = r.top + ui.geom.y(Math.max(eMin, 0));
  const f0 = S.frames, c0 = S.changed || 0, ms0 = S.renderMs || 0, t0 = performance.now();
  let k = 0;
  const step = () => {
    const t = performance.now() - t0;
    if (t > seconds * 1000) {
      ev("pointerup", r.top + 40);
      done({frames: S.frames - f0, changed: (S.changed || 0) - c0, renderMs: (S.renderMs || 0) - ms0, ms: t, events: k});
      return;
    }
    ev("pointermove", yTop + Math.abs(((k++ * 0.03) % 2) - 1) * (yBottom - yTop));  // a triangle wave
    requestAnimationFrame(step);
  };
  requestAnimationFrame(step);
})"""


def drag_rate(page, seconds: float = 3.0) -> dict:
    """Sweep the threshold line by pointer events dispatched in the page, one per animation frame; count
    the frames in which what the user sees (the counts or the patch strip) changed."""
    r = page.evaluate(DRAG_JS, [seconds])
    secs = r["ms"] / 1000
    return {"per_s": r["changed"] / secs, "frames_per_s": r["frames"] / secs, "events_per_s": r["events"] / secs,
            "render_ms": r["renderMs"] / max(r["frames"], 1)}


def idle_frame_rate(browser, seconds: float = 2.0) -> float:
    """Animation frames per second of an empty page: the ceiling any drag rate here can reach."""
    page = browser.new_page()
    rate = page.evaluate("""(s) => new Promise((done) => { let f = 0; const t0 = performance.now();
        const step = () => { f++; if (performance.now() - t0 < s * 1000) requestAnimationFrame(step);
                             else done(f / ((performance.now() - t0) / 1000)); };
        requestAnimationFrame(step); })""", seconds)
    page.close()
    return rate


def paste_ms(page, seed: int) -> float:
    text = mixed_text(4096, seed=1000 + seed).decode()
    box = page.get_by_role("textbox", name="Text")
    box.fill(text)
    old = page.evaluate("() => globalThis.__bltExplorer.lastFrame.id")
    page.evaluate("() => { window.__t0 = performance.now(); }")
    box.press("Control+Enter")
    page.wait_for_function("([n, old]) => { const f = globalThis.__bltExplorer.lastFrame; return f.id !== old && f.n === n; }",
                           arg=[len(text.encode()), old], timeout=TIMEOUT, polling="raf")
    return page.evaluate("() => performance.now() - window.__t0")


def page_switch_ms(page) -> tuple[float, float]:
    """Explore -> Compute (until its first metric) and back (until the explorer has drawn the input again)."""
    n = page.evaluate("() => globalThis.__bltExplorer.lastFrame.n")
    t0 = time.perf_counter()
    page.get_by_role("link", name="Compute").first.click()
    page.wait_for_function("""() => [...document.querySelectorAll('h1')].some(h => h.innerText.trim() === 'Compute')
        && [...document.querySelectorAll('[data-testid="stMetric"]')].some(m => m.innerText.includes('Patches (global steps)'))""",
                           timeout=TIMEOUT, polling="raf")
    to_compute = (time.perf_counter() - t0) * 1000
    frames = page.evaluate("() => globalThis.__bltExplorer.frames")
    t0 = time.perf_counter()
    page.get_by_role("link", name="Explore").first.click()
    page.wait_for_function("""([n, f]) => [...document.querySelectorAll('h1')].some(h => h.innerText.trim() === 'Explore')
        && globalThis.__bltExplorer.frames > f && globalThis.__bltExplorer.lastFrame.n === n""",
                           arg=[n, frames], timeout=TIMEOUT, polling="raf")
    return to_compute, (time.perf_counter() - t0) * 1000


def bytes_sent(browser, base: str, backend: str, data: bytes) -> dict:
    page = browser.new_page(viewport={"width": 1400, "height": 900})
    got = {"frames": 0, "bytes": 0}

    def on_ws(ws):
        ws.on("framereceived", lambda payload: got.update(frames=got["frames"] + 1,
                                                          bytes=got["bytes"] + len(payload)))
    page.on("websocket", on_ws)
    open_with_upload(page, base, backend, data)
    first = dict(got)
    chart = page.locator('[data-c="chart"]').first
    chart.focus()
    page.keyboard.press("ArrowUp")  # one release: the server reruns with the new threshold
    page.wait_for_timeout(3000)
    page.close()
    return {"to_first_patches": first["bytes"], "after_one_release": got["bytes"],
            "release_only": got["bytes"] - first["bytes"]}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--backend", default="auto")
    args = ap.parse_args()
    from playwright.sync_api import sync_playwright

    res: dict = {"machine": {"cpus": os.cpu_count(), "platform": platform.platform()},
                 "load_average_at_start": os.getloadavg(), "backend": args.backend, "targets": TARGETS}
    proc, base = start_server()
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
            res["idle_page_frames_per_s"] = idle_frame_rate(browser)
            for size, key in ((10_000, "drag_10kb"), (100_000, "drag_100kb")):
                page = browser.new_page(viewport={"width": 1400, "height": 900})
                open_with_upload(page, base, args.backend, mixed_text(size))
                runs = [drag_rate(page) for _ in range(args.runs)]
                res[key] = {"median_per_s": statistics.median(r["per_s"] for r in runs),
                            "runs_per_s": [round(r["per_s"], 1) for r in runs],
                            "median_frames_per_s": statistics.median(r["frames_per_s"] for r in runs),
                            "median_events_per_s": statistics.median(r["events_per_s"] for r in runs),
                            "median_render_ms": statistics.median(r["render_ms"] for r in runs), "bytes": size,
                            "load_average": os.getloadavg()}
                page.close()
            page = browser.new_page(viewport={"width": 1400, "height": 900})
            page.goto(f"{base}/" + (f"?backend={args.backend}" if args.backend != "auto" else ""))
            page.wait_for_function("() => globalThis.__bltExplorer && globalThis.__bltExplorer.lastFrame", timeout=TIMEOUT)
            pastes = [paste_ms(page, i) for i in range(args.runs)]
            res["paste_4kb"] = {"median_ms": statistics.median(pastes), "runs_ms": [round(x) for x in pastes],
                                "load_average": os.getloadavg()}
            page_switch_ms(page)  # the first round warms Compute's caches
            switches = [page_switch_ms(page) for _ in range(args.runs)]
            res["page_switch"] = {"median_to_compute_ms": statistics.median(a for a, _ in switches),
                                  "median_to_explore_ms": statistics.median(b for _, b in switches),
                                  "runs_ms": [[round(a), round(b)] for a, b in switches], "load_average": os.getloadavg()}
            page.close()
            res["bytes_100kb"] = bytes_sent(browser, base, args.backend, mixed_text(100_000, seed=7))
            browser.close()
    finally:
        stop(proc)
    res["load_average_at_end"] = os.getloadavg()
    (ROOT / "bench" / "results").mkdir(parents=True, exist_ok=True)
    (ROOT / "bench" / "results" / "explorer.json").write_text(json.dumps(res, indent=2) + "\n")
    sw = res["page_switch"]
    rows = [("empty page: animation frames per s (ceiling)", f"{res['idle_page_frames_per_s']:.1f}", "-"),
            ("drag, 10 KB: re-patches drawn per s", f"{res['drag_10kb']['median_per_s']:.1f}", "≥ 50"),
            ("drag, 100 KB: re-patches drawn per s", f"{res['drag_100kb']['median_per_s']:.1f}", "≥ 30"),
            ("  frames rendered per s, 100 KB", f"{res['drag_100kb']['median_frames_per_s']:.1f}", "-"),
            ("  render per frame, 10 KB (ms)", f"{res['drag_10kb']['median_render_ms']:.2f}", "-"),
            ("  render per frame, 100 KB (ms)", f"{res['drag_100kb']['median_render_ms']:.2f}", "-"),
            ("paste 4 KB -> first patches (ms)", f"{res['paste_4kb']['median_ms']:.0f}", "≤ 1500"),
            ("page switch Explore -> Compute (ms)", f"{sw['median_to_compute_ms']:.0f}", "≤ 1000"),
            ("page switch Compute -> Explore (ms)", f"{sw['median_to_explore_ms']:.0f}", "≤ 1000"),
            ("bytes sent, 100 KB input (WebSocket)", f"{res['bytes_100kb']['to_first_patches']:,}", "< 3,000,000"),
            ("  of which one release after it", f"{res['bytes_100kb']['release_only']:,}", "-")]
    print("load average (1, 5, 15 min) at start {} and end {} on {} cores".format(
        *(", ".join(f"{x:.1f}" for x in res[k]) for k in ("load_average_at_start", "load_average_at_end")), os.cpu_count()))
    print(f"{'measure':<42}{'median':>14}{'target':>14}")
    for label, value, target in rows:
        print(f"{label:<42}{value:>14}{target:>14}")


if __name__ == "__main__":
    main()
