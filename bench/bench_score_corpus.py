"""score-corpus end to end: MB/s of the whole command (read, score, patch, write shards) on a made-up corpus.

The corpus is built where the benchmark runs (a device machine has nothing to download): documents
cut from the shipped samples (many scripts, prose, code, data) at random offsets, lengths drawn
log-uniformly from 64 bytes to 16 KB, written as one JSONL file. One run per setting, each into a
fresh folder; the seconds include model loading and writing, not building the corpus.

    python bench/bench_score_corpus.py --mb 30 --dtype float32 bfloat16 --batch-tokens 262144 --out bench/results/score_corpus.json
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from blt_core.backends import torch_device  # noqa: E402
from blt_core.corpus.run import Options, run  # noqa: E402
from blt_core.segments import SAMPLES_DIR  # noqa: E402


def make_corpus(path: Path, megabytes: float, seed: int = 0) -> tuple[int, int]:
    """A JSONL corpus of about `megabytes` MB; returns (documents, bytes)."""
    text = "\n".join(p.read_text(encoding="utf-8") for p in sorted(Path(SAMPLES_DIR).glob("*"))
                     if p.suffix in (".txt", ".py", ".json") and p.name != "index.json")
    rng = np.random.default_rng(seed)
    docs, total = 0, 0
    with open(path, "w", encoding="utf-8") as f:
        while total < megabytes * 1e6:
            n = int(np.exp(rng.uniform(np.log(64), np.log(16384))))
            start = int(rng.integers(0, len(text)))
            doc = (text[start:] + text)[:n]
            f.write(json.dumps({"text": doc}, ensure_ascii=False) + "\n")
            docs, total = docs + 1, total + len(doc.encode())
    return docs, total


def options(corpus: Path, out: Path, *, dtype: str, backend: str = "torch", batch_docs: int = 4096,
            batch_tokens: int = 262144) -> Options:
    """The score-corpus run both benchmarks time: one JSONL corpus, shards of 10,000 documents."""
    return Options(inputs=[str(corpus)], out=str(out), backend=backend, dtype=dtype, batch_docs=batch_docs,
                   batch_tokens=batch_tokens, shard_docs=10_000)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--mb", type=float, default=20.0)
    ap.add_argument("--dtype", nargs="+", default=["float32"])
    ap.add_argument("--backend", default="torch")
    ap.add_argument("--batch-docs", type=int, default=4096)
    ap.add_argument("--batch-tokens", type=int, default=262144)
    ap.add_argument("--out", help="write the results as JSON here")
    args = ap.parse_args()
    work = Path(tempfile.mkdtemp())
    docs, nbytes = make_corpus(work / "corpus.jsonl", args.mb)
    results = []
    for dtype in args.dtype:
        opts = options(work / "corpus.jsonl", work / f"out-{dtype}", dtype=dtype, backend=args.backend,
                       batch_docs=args.batch_docs, batch_tokens=args.batch_tokens)
        t0 = time.perf_counter()
        m = run(opts)
        sec = time.perf_counter() - t0
        r = {"dtype": dtype, "backend": m["backend"], "documents": docs, "bytes": nbytes, "seconds": round(sec, 2),
             "mb_per_s": round(nbytes / sec / 1e6, 3), "mean_patch_length": m["totals"]["mean_patch_length"],
             "batch_docs": args.batch_docs, "batch_tokens": args.batch_tokens}
        results.append(r)
        print(json.dumps(r), flush=True)
    if args.out:
        info = {"device": torch_device(), "corpus": "shipped samples cut at random, 64 B to 16 KB per document"}
        Path(args.out).write_text(json.dumps({"info": info, "runs": results}, indent=1) + "\n")


if __name__ == "__main__":
    main()
