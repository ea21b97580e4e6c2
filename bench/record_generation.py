"""Record a Generate-page run on a GPU: the events `blt_core.generate_stream` yields, with their times.

    PYTHONPATH=. python3 -m bench.record_generation --out bench/results/generate_page_gpu_trace.json

The GPU machine has no browser (nor Chromium's libraries) and no Streamlit, so the Generate page
cannot be screenshotted there. This makes the call the page makes when Generate is pressed
(app/app_pages/generate.py: `blt_core.generate_stream(prompt, max_bytes, temperature, top_k, seed,
backend)`, here backend "torch", which on CUDA steps through CUDA graphs), once to warm up (graph
capture) and once recorded: every ByteEvent with the seconds since the call began.
`bench/replay_generate_page.py` then feeds these events, at these times, to the real page in
Chromium on a machine with a browser, and screenshots it.
"""

from __future__ import annotations

import argparse
import json
import platform
import time
from pathlib import Path

import torch

import blt_core
from blt_core.generator.generate import load_generator

# the page's defaults (Prompt, Temperature, Top-k 0 = all, Seed) with a longer Max bytes
SETTINGS = {"prompt": "The byte latent transformer ", "max_bytes": 400, "temperature": 0.7, "top_k": None,
            "seed": 0, "backend": "torch"}


def record(settings: dict) -> dict:
    events, t0 = [], time.perf_counter()
    for ev in blt_core.generate_stream(settings["prompt"], **{k: v for k, v in settings.items() if k != "prompt"}):
        events.append({"t": round(time.perf_counter() - t0, 6), **ev.to_dict()})
    out = [e for e in events if not e["is_prompt"]]
    seconds = out[-1]["t"] if out else 0.0
    return {"events": events, "seconds": seconds, "output_bytes": len(out),
            "bytes_per_second": round(len(out) / seconds, 1) if seconds else None}


def main(argv=None) -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--max-bytes", type=int, default=SETTINGS["max_bytes"])
    p.add_argument("--out", required=True)
    a = p.parse_args(argv)
    settings = {**SETTINGS, "max_bytes": a.max_bytes}
    gen = load_generator(backend="torch")
    record(settings)  # warm-up: CUDA graph capture, allocator
    run = record(settings)
    result = {"benchmark": "generate_page_gpu_trace", "time": time.strftime("%Y-%m-%dT%H:%M:%S"),
              "device": torch.cuda.get_device_name() if torch.cuda.is_available() else platform.machine(),
              "torch": torch.__version__, "python": platform.python_version(),
              "stepper": type(gen.new_stepper(False)).__name__, "generator": gen.config.to_dict()
              if hasattr(gen.config, "to_dict") else None, "settings": settings, **run}
    Path(a.out).parent.mkdir(parents=True, exist_ok=True)
    Path(a.out).write_text(json.dumps(result) + "\n")
    print(json.dumps({k: v for k, v in result.items() if k != "events"}, indent=1))


if __name__ == "__main__":
    main()
