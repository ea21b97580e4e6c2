"""Multi-GPU scaling of score-corpus (issue 14, point 5): one torchrun process per GPU, 1 then N.

    python bench/bench_score_corpus_scaling.py --mb 120 --gpus 1 2 --out bench/results/score_corpus_scaling.json

The corpus is made where the benchmark runs (bench_score_corpus.make_corpus: the shipped samples
cut into documents of 64 B to 16 KB), so nothing travels to the device. Each setting runs
`torchrun --nproc-per-node N -m blt_core score-corpus` into a fresh folder. Throughput is the
corpus's bytes over the slowest rank's own scoring seconds (progress-*.json "last_call": reading,
scoring, writing shards; not the imports, model load and threshold calibration every process
repeats at start), and the wall time of the whole command is reported beside it.
Efficiency(N) = throughput(N) / (N * throughput(1)).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.bench_score_corpus import make_corpus  # noqa: E402


def one_setting(corpus: Path, out: Path, gpus: int, *, dtype: str, batch_docs: int, batch_tokens: int) -> dict:
    """Run score-corpus on `gpus` processes; -> its throughput figures."""
    cmd = [sys.executable, "-m", "torch.distributed.run", "--standalone", f"--nproc-per-node={gpus}",
           "-m", "blt_core", "score-corpus", str(corpus), "--out", str(out), "--dtype", dtype,
           "--backend", "torch", "--batch-docs", str(batch_docs), "--batch-tokens", str(batch_tokens)]
    t0 = time.perf_counter()
    subprocess.run(cmd, cwd=ROOT, check=True)
    wall = time.perf_counter() - t0
    ranks = [json.loads(p.read_text())["last_call"] for p in sorted(out.glob("progress-*.json"))]
    nbytes = sum(r["bytes"] for r in ranks)
    slowest = max(r["seconds"] for r in ranks)
    return {"gpus": gpus, "bytes": nbytes, "rank_seconds": [r["seconds"] for r in ranks],
            "rank_bytes": [r["bytes"] for r in ranks], "mb_per_s": round(nbytes / slowest / 1e6, 3),
            "wall_seconds": round(wall, 2), "wall_mb_per_s": round(nbytes / wall / 1e6, 3)}


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--mb", type=float, default=120.0)
    ap.add_argument("--gpus", type=int, nargs="+", default=[1, 2])
    ap.add_argument("--dtype", default="bfloat16")
    ap.add_argument("--batch-docs", type=int, default=4096)
    ap.add_argument("--batch-tokens", type=int, default=262144)
    ap.add_argument("--out", required=True)
    a = ap.parse_args(argv)
    work = Path(tempfile.mkdtemp())
    docs, nbytes = make_corpus(work / "corpus.jsonl", a.mb)
    rows = []
    for n in a.gpus:
        rows.append(one_setting(work / "corpus.jsonl", work / f"out-{n}", n, dtype=a.dtype, batch_docs=a.batch_docs,
                                batch_tokens=a.batch_tokens))
        print(json.dumps(rows[-1]), flush=True)
    base = next((r["mb_per_s"] for r in rows if r["gpus"] == 1), None)
    for r in rows:
        r["efficiency"] = None if base is None else round(r["mb_per_s"] / (r["gpus"] * base), 3)
    import torch

    info = {"device": torch.cuda.get_device_name() if torch.cuda.is_available() else "cpu",
            "gpus_visible": torch.cuda.device_count(), "torch": torch.__version__, "documents": docs, "bytes": nbytes,
            "dtype": a.dtype, "target": "efficiency at least 0.85 on 2 GPUs",
            "corpus": "shipped samples cut at random, 64 B to 16 KB per document, made on the machine that ran it"}
    Path(a.out).write_text(json.dumps({"benchmark": "score_corpus_scaling", "info": info, "runs": rows}, indent=1) + "\n")
    print(json.dumps(rows, indent=1))


if __name__ == "__main__":
    main()
