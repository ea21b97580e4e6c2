"""The injection corpus's full cross product in a real browser (on demand; CI joins the payloads instead).

    python bench/bench_injection.py [--limit N] [--out bench/results/injection.json]

Every payload of tests/data/injection_payloads.json alone: through ?text= on each of the five
analysis pages, as an uploaded file's contents on Explore, as the Generate prompt, and each
file-name payload as an upload's name. After each load, every frame is probed as in CI
(tests/e2e/injection_helpers.py: no window.__pwned, no dialog, no .pwn element, no
javascript:/data: link, no injected script). Writes one line per failure and the counts.
Needs Debian's chromium at /usr/bin/chromium and the playwright package.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from tests.e2e.conftest import CHROMIUM, CHROMIUM_ARGS, free_port, start_server, url  # noqa: E402
from tests.e2e.injection_helpers import contents, payloads, problems  # noqa: E402
from tests.e2e.test_browser import wait_idle  # noqa: E402

PAGES = ["explore", "compare", "tune", "compute", "learn"]
TIMEOUT = 120_000


def cases(limit: int | None) -> list[tuple[str, str, str]]:
    """(channel, page, payload) for the whole cross product (the first `limit` payloads of each list)."""
    texts = contents()[:limit]
    out = [("text", p, t) for t in texts for p in PAGES]
    out += [("upload", "explore", t) for t in texts]
    out += [("file_name", "explore", n) for n in payloads()["file_names"][:limit]]
    out += [("prompt", "generate", t) for t in texts]
    return out


def run_case(page, server: str, channel: str, path: str, payload: str) -> None:
    if channel == "text":
        page.goto(url(server, path, text=payload))
    else:
        page.goto(url(server, path, gen_max=1) if channel == "prompt" else url(server, path))
        page.wait_for_selector("h1", timeout=TIMEOUT)
        wait_idle(page, quiet_ms=500)
        if channel == "prompt":
            box = page.get_by_label("Prompt")
            box.fill(payload)
            box.press("Control+Enter")
            wait_idle(page, quiet_ms=500)
            page.get_by_role("button", name="Generate").click()
        else:
            name, body = (payload, b"plain contents") if channel == "file_name" else ("payload.txt", payload)
            page.locator('[data-testid="stFileUploaderDropzoneInput"]').set_input_files(
                files=[{"name": name, "mimeType": "text/plain",
                        "buffer": body if isinstance(body, bytes) else body.encode("utf-8", "surrogateescape")}])
    page.wait_for_selector("h1", timeout=TIMEOUT)
    wait_idle(page, quiet_ms=800)
    page.mouse.move(300, 400)
    page.mouse.move(700, 900)
    page.wait_for_timeout(200)


def main() -> None:
    from playwright.sync_api import sync_playwright

    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--limit", type=int, default=None, help="payloads per list (default: all)")
    ap.add_argument("--out", default=str(ROOT / "bench" / "results" / "injection.json"))
    args = ap.parse_args()
    todo = cases(args.limit)
    server_proc = start_server(port := free_port())
    server = f"http://127.0.0.1:{port}"
    failures, errors, t0 = [], [], time.time()
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            for i, (channel, path, payload) in enumerate(todo):
                ctx = browser.new_context(viewport={"width": 1280, "height": 1600})
                ctx.set_default_timeout(TIMEOUT)
                page = ctx.new_page()
                dialogs: list[str] = []
                page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
                try:
                    run_case(page, server, channel, path, payload)
                    bad = problems(page, dialogs)
                    if bad:
                        failures.append({"channel": channel, "page": path, "payload": payload, "problems": bad})
                except Exception as e:  # a page that did not load is reported, not counted as safe
                    errors.append({"channel": channel, "page": path, "payload": payload, "error": repr(e)[:300]})
                ctx.close()
                print(f"{i + 1}/{len(todo)} {channel} {path}: failures {len(failures)}, errors {len(errors)}",
                      flush=True)
            browser.close()
    finally:
        server_proc.terminate()
    out = {"cases": len(todo), "failures": failures, "errors": errors, "seconds": round(time.time() - t0, 1),
           "limit": args.limit, "load_average_at_end": [round(x, 2) for x in os.getloadavg()]}
    Path(args.out).write_text(json.dumps(out, indent=1, ensure_ascii=False) + "\n")
    print(json.dumps({k: (len(v) if k in ("failures", "errors") else v) for k, v in out.items()}))


if __name__ == "__main__":
    main()
