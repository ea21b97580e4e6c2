"""Load on one server from real browsers (issue 12, point 5): N headless Chromium pages at once.

    python bench/bench_load_browsers.py [--sessions 5 10 20] [--bytes 2000]

bench_load.py measures throughput with scripted websocket sessions (the targets are stated there,
since N browsers on the same 2 cores measure Chromium as much as the server). This one is the
browser side of the same suite: one Chromium, one page (its own Streamlit session) per visitor, all
opening Explore on a distinct 2 KB text through ?text= at the same moment. Per page: seconds to the
first patch in the explorer's strip, seconds until the app has been idle (no "running" status) for
half a second (the server's work for that page, as the browser sees it), and any error (an
exception element, or no patches within the timeout). Writes bench/results/load_browsers.json.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import sys
import time
from pathlib import Path
from urllib.parse import urlencode

from playwright.async_api import async_playwright

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from bench.bench_load import rss_mb, text  # noqa: E402  (the same distinct texts as the websocket runs)
from tests.e2e.conftest import CHROMIUM, CHROMIUM_ARGS, free_port, start_server  # noqa: E402

TIMEOUT_MS = 600_000
IDLE = """() => {
    const busy = !!document.querySelector('[data-testid="stStatusWidget"]');
    const now = performance.now();
    if (busy || window.__idleSince === undefined) window.__idleSince = busy ? undefined : now;
    return !busy && now - window.__idleSince >= 500;
}"""


async def visit(browser, base: str, body: str) -> dict:
    """One visitor: open Explore on `body`; seconds to the first patch and to idle, and any error."""
    page = await browser.new_page(viewport={"width": 1400, "height": 900})
    t0 = time.perf_counter()
    try:
        await page.goto(f"{base}/explore?{urlencode({'text': body})}", timeout=TIMEOUT_MS)
        await page.locator(".blt-patches .blt-u").first.wait_for(timeout=TIMEOUT_MS)
        first = time.perf_counter() - t0
        await page.wait_for_function(IDLE, timeout=TIMEOUT_MS, polling=100)
        idle = time.perf_counter() - t0 - 0.5
        error = "exception shown" if await page.locator('[data-testid="stException"]').count() else None
        return {"first_patches_s": round(first, 3), "server_s": round(idle, 3), "error": error}
    except Exception as e:  # a timeout or a crashed page is this visitor's error
        return {"first_patches_s": None, "server_s": None, "error": type(e).__name__}
    finally:
        await page.close()


def summary(results: list[dict], wall: float) -> dict:
    ok = [r for r in results if not r["error"]]
    pct = lambda xs, q: round(statistics.quantiles(xs, n=20)[q // 5 - 1], 3) if len(xs) > 1 else (xs or [None])[0]  # noqa: E731
    firsts = sorted(r["first_patches_s"] for r in ok)
    servers = [r["server_s"] for r in ok]
    return {"pages": len(results), "errors": len(results) - len(ok),
            "error_examples": sorted({r["error"] for r in results if r["error"]})[:3], "wall_s": round(wall, 2),
            "first_patches_p50_s": pct(firsts, 50), "first_patches_p95_s": pct(firsts, 95),
            "server_time_mean_s": round(statistics.mean(servers), 3) if servers else None,
            "server_time_p95_s": pct(sorted(servers), 95)}


async def run(base: str, pid: int, sessions: list[int], n_bytes: int) -> dict:
    out = {}
    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            warm = await visit(browser, base, text(0, 300))  # the model and the page are warm before anything is timed
            print("warm-up:", warm, flush=True)
            for n in sessions:
                before = rss_mb(pid)
                t0 = time.perf_counter()
                res = await asyncio.gather(*(visit(browser, base, text(900_000 + 1000 * n + i, n_bytes))
                                             for i in range(n)))
                s = summary(list(res), time.perf_counter() - t0)
                s.update(rss_before_mb=round(before, 1), rss_after_mb=round(rss_mb(pid), 1))
                out[f"pages_{n}"] = s
                print(f"{n:>3} pages: {s}", flush=True)
        finally:
            await browser.close()
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--sessions", type=int, nargs="+", default=[5, 10, 20])
    ap.add_argument("--bytes", type=int, default=2000)
    ap.add_argument("--out", default=str(ROOT / "bench" / "results" / "load_browsers.json"))
    a = ap.parse_args()
    port = free_port()
    server = start_server(port)
    try:
        t0 = time.time()
        out = {"browsers": asyncio.run(run(f"http://127.0.0.1:{port}", server.pid, a.sessions, a.bytes))}
        out["machine"] = {"cpus": os.cpu_count(), "load_average_at_end": [round(x, 2) for x in os.getloadavg()]}
        out["args"] = {"sessions": a.sessions, "bytes": a.bytes}
        out["seconds"] = round(time.time() - t0, 1)
    finally:
        server.terminate()
        server.wait(timeout=30)
    Path(a.out).write_text(json.dumps(out, indent=1) + "\n")
    print(json.dumps({k: {m: v[m] for m in ("errors", "first_patches_p95_s")} for k, v in out["browsers"].items()}))


if __name__ == "__main__":
    main()
