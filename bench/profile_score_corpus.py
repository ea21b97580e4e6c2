"""Where score-corpus spends its time on a GPU: Python's profile of the whole command and torch's
profile of its kernels, on bench_score_corpus's made-up corpus (issue 14, point 5: 2.70 MB/s bf16
against a target of 30 MB/s, with a model whose arithmetic would allow far more).

    python bench/profile_score_corpus.py --mb 30 --dtype bfloat16 --out DIR

Writes DIR/python_profile.txt (cumulative, top 40), DIR/kernels.txt (torch.profiler, top 30 by
device time, then by host time) and DIR/summary.json (seconds, MB/s with and without profiling).
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import pstats
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from bench_score_corpus import make_corpus, options  # noqa: E402

from blt_core.corpus.run import run  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--mb", type=float, default=30.0)
    ap.add_argument("--dtype", default="bfloat16")
    ap.add_argument("--batch-tokens", type=int, default=262144)
    ap.add_argument("--out", required=True)
    a = ap.parse_args()
    out = Path(a.out)
    out.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp())
    docs, nbytes = make_corpus(work / "corpus.jsonl", a.mb)

    def once(name: str) -> float:
        t0 = time.perf_counter()
        run(options(work / "corpus.jsonl", work / name, dtype=a.dtype, batch_tokens=a.batch_tokens))
        return time.perf_counter() - t0

    plain = once("plain")  # also warms the model cache and CUDA
    prof = cProfile.Profile()
    prof.enable()
    profiled = once("cprofile")
    prof.disable()
    text = io.StringIO()
    pstats.Stats(prof, stream=text).sort_stats("cumulative").print_stats(40)
    (out / "python_profile.txt").write_text(text.getvalue())
    import torch
    from torch.profiler import ProfilerActivity, profile

    with profile(activities=[ProfilerActivity.CPU, ProfilerActivity.CUDA]) as tp:
        kernels = once("torchprof")
    table = tp.key_averages()
    (out / "kernels.txt").write_text(table.table(sort_by="cuda_time_total", row_limit=30) + "\n\n"
                                     + table.table(sort_by="cpu_time_total", row_limit=30))
    summary = {"documents": docs, "bytes": nbytes, "dtype": a.dtype, "device": torch.cuda.get_device_name(0),
               "seconds_plain": round(plain, 2), "mb_per_s_plain": round(nbytes / plain / 1e6, 3),
               "seconds_cprofile": round(profiled, 2), "seconds_torch_profiler": round(kernels, 2)}
    (out / "summary.json").write_text(json.dumps(summary, indent=1) + "\n")
    print(json.dumps(summary))


if __name__ == "__main__":
    main()
