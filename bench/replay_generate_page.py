"""The Generate page drawing a generation recorded on a GPU, in headless Chromium, screenshotted.

    .venv/bin/python -m bench.replay_generate_page                      # assets/screenshots/generate-gpu-h200.png

The GPU machine has neither a browser nor Streamlit, so `bench/record_generation.py` records there
what the page's Generate button calls (`blt_core.generate_stream` on the torch backend, CUDA graphs:
bench/results/generate_page_gpu_trace.json). Here the app is started with `generate_stream` replaced
by a replay of those events at their recorded times (`serve`, run in the Streamlit process); the
page's own code draws them: the byte stream in patch colours, the counters, the growing entropy
curve. The page's other inputs must match the recording (prompt, Max bytes, temperature, top-k, seed,
backend), else the replay refuses with a message the page shows. The "Bytes / s" counter is the
page's own (it includes drawing on this machine); the generator's rate on the GPU is the trace's
`bytes_per_second`.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TRACE = ROOT / "bench" / "results" / "generate_page_gpu_trace.json"
SHOT = ROOT / "assets" / "screenshots" / "generate-gpu-h200.png"


def replaying(trace: dict):
    """A stand-in for blt_core.generate_stream that yields the recorded ByteEvents at their recorded times."""
    from blt_core.generator.decoding import ByteEvent

    want = trace["settings"]

    def generate_stream(prompt, *, max_bytes=200, temperature=0.0, top_k=None, seed=0, backend="auto", **_):
        got = {"prompt": prompt, "max_bytes": max_bytes, "temperature": temperature, "top_k": top_k, "seed": seed,
               "backend": backend}
        if got != want:
            raise ValueError(f"this replay holds one run recorded on {trace['device']}, with {want}; the page asked "
                             f"for {got}")
        t0 = time.perf_counter()
        for e in trace["events"]:
            time.sleep(max(0.0, e["t"] - (time.perf_counter() - t0)))
            yield ByteEvent(0, e["index"], e["byte"], e["entropy"], e["opened_patch"], e["is_prompt"],
                            e["global_steps"], e["local_steps"])

    return generate_stream


def serve(trace_path: str, streamlit_args: list[str]) -> None:
    """In the server process: patch blt_core.generate_stream, then run Streamlit's CLI."""
    import blt_core
    from streamlit.web import cli

    blt_core.generate_stream = replaying(json.loads(Path(trace_path).read_text()))
    sys.argv = ["streamlit", *streamlit_args]
    cli.main()


def screenshot(trace_path: Path, out: Path) -> None:
    from playwright.sync_api import sync_playwright

    from tests.e2e.conftest import CHROMIUM, CHROMIUM_ARGS, free_port, start_server
    from tests.e2e.test_browser import metric, wait_idle

    trace = json.loads(trace_path.read_text())
    s = trace["settings"]
    port = free_port()
    proc = start_server(port, launcher=[sys.executable, "-m", "bench.replay_generate_page", "serve",
                                        "--trace", str(trace_path), "--"])
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            page = browser.new_page(viewport={"width": 1280, "height": 1750})
            page.set_default_timeout(120_000)
            page.goto(f"http://127.0.0.1:{port}/generate?gen_backend={s['backend']}&gen_max={s['max_bytes']}"
                      f"&gen_temp={s['temperature']}")
            wait_idle(page, quiet_ms=1000)
            page.get_by_role("button", name="Generate").click()
            page.wait_for_function(
                """(n) => [...document.querySelectorAll('[data-testid="stMetric"]')]
                     .some(m => m.innerText.includes('Bytes out') &&
                                parseInt(m.querySelector('[data-testid="stMetricValue"]').innerText.replace(',', '')) >= n)""",
                arg=trace["output_bytes"])
            wait_idle(page)
            shown = metric(page, "Bytes out")
            out.parent.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(out), full_page=True)
            browser.close()
        print(f"{out}: {shown} bytes out, recorded on {trace['device']} "
              f"({trace['stepper']}) at {trace['bytes_per_second']} bytes/s")
    finally:
        proc.terminate()
        proc.wait(timeout=20)


def main(argv=None) -> None:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["serve"]:  # the server process: serve --trace PATH -- STREAMLIT ARGS...
        split = argv.index("--")
        return serve(argv[argv.index("--trace") + 1], argv[split + 1:])
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--trace", type=Path, default=TRACE)
    p.add_argument("--out", type=Path, default=SHOT)
    a = p.parse_args(argv)
    screenshot(a.trace, a.out)


if __name__ == "__main__":
    main()
