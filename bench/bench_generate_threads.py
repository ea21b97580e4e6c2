"""The torch generator's cached steps with one intra-op thread per stepper thread (the default,
torch_stepper.one_intra_op_thread) against torch's own count (2 on 2 cores), alternated in one run.

    python -m bench.bench_generate_threads --repeats 6 --out bench/results/generate_threads_ab.json

A cached step is one byte: dozens of tiny matrix calls, where a second intra-op thread costs more
than it gives while the entropy step runs on the other core (decoding.in_background).
"""
from __future__ import annotations

import argparse
import contextlib
import json
import os
import statistics
import time
from pathlib import Path

import torch

import blt_core.generator.torch_stepper as torch_stepper
from bench.bench_generate import PROMPT, timed
from blt_core.generator.generate import load_generator


def main(argv=None) -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--bytes", type=int, default=256)
    p.add_argument("--repeats", type=int, default=6)
    p.add_argument("--out", type=Path, default=Path(__file__).parent / "results" / "generate_threads_ab.json")
    a = p.parse_args(argv)
    torch.set_num_threads(os.cpu_count() or 1)
    gen = load_generator(backend="torch")
    variants = {"one intra-op thread (default)": torch_stepper.one_intra_op_thread,
                f"torch's count ({torch.get_num_threads()})": lambda device: contextlib.nullcontext()}
    timed(gen, [PROMPT], n_bytes=16)
    rates = {k: [] for k in variants}
    try:
        for _ in range(a.repeats):
            for name, ctx in variants.items():
                torch_stepper.one_intra_op_thread = ctx
                s, n = timed(gen, [PROMPT], n_bytes=a.bytes)
                rates[name].append(round(n / s, 1))
    finally:
        torch_stepper.one_intra_op_thread = variants["one intra-op thread (default)"]
    first, second = rates.values()
    result = {"bench": "generate_threads", "bytes": a.bytes, "repeats": a.repeats, "cpus": os.cpu_count(),
              "time": time.strftime("%Y-%m-%dT%H:%M:%S"),
              "bytes_per_second": {k: statistics.median(v) for k, v in rates.items()}, "runs": rates,
              "speedup_per_pair": [round(x / y, 3) for x, y in zip(first, second)]}
    a.out.write_text(json.dumps(result, indent=1) + "\n")
    print(json.dumps(result["bytes_per_second"]), "median pair speed-up",
          statistics.median(result["speedup_per_pair"]))


if __name__ == "__main__":
    main()
