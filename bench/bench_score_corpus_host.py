"""score-corpus's host work alone: the whole command (read JSONL, batch, score, patch, write Parquet
shards) with a scorer that answers at once, so the seconds are what a GPU cannot shorten.

    python -m bench.bench_score_corpus_host --mb 70 --repeats 3 --compare /tmp/old --out bench/results/score_corpus_host.json

--compare ROOT also times the blt_core of another checkout (e.g. `git worktree add /tmp/old REV`) on the
same corpus, each run in a fresh process, the two alternating; the median of --repeats each. The corpus is
bench_score_corpus's (shipped samples cut at random, 64 B to 16 KB per document), made once.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def one_run(library_root: str, corpus: str, out: str) -> float:
    """In this process: score-corpus over `corpus` with `library_root`'s blt_core and an instant scorer."""
    sys.path.insert(0, library_root)
    import numpy as np

    import blt_core.corpus.run as corpus_run
    from blt_core.corpus.score import Scorer

    def instant(ids, targets, start_pos, past_kv, has_past, top_k, **_):
        B, L = ids.shape  # one high entropy every 4 bytes: patches of about 4 bytes, as real text gets
        e = np.broadcast_to(np.where(np.arange(L) % 4 == 0, np.float32(3.0), np.float32(0.5)), (B, L))
        return e, np.zeros((B, L), np.float32), None, np.zeros((1, 2, B, 1, 1, 1), np.float32)

    real = corpus_run.make_scorer

    def make_scorer(opts):
        scorer, *rest = real(opts)
        return (Scorer(instant, scorer.window, lambda pasts, axis: np.zeros((1, 2, len(pasts), 1, 1, 1), np.float32),
                       scorer.row_tokens, scorer.batch_tokens), *rest)

    corpus_run.make_scorer = make_scorer
    opts = corpus_run.Options(inputs=[corpus], out=out, backend="onnx", batch_docs=4096, batch_tokens=1048576,
                              shard_docs=10_000)
    t = time.perf_counter()
    corpus_run.run(opts)
    return time.perf_counter() - t


def main(argv=None) -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--mb", type=float, default=70.0)
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--compare", help="another checkout's root, timed beside this one")
    p.add_argument("--out")
    p.add_argument("--one", nargs=3, metavar=("LIBRARY_ROOT", "CORPUS", "OUT"), help=argparse.SUPPRESS)
    a = p.parse_args(argv)
    if a.one:
        print(json.dumps({"seconds": one_run(*a.one)}))
        return
    from bench.bench_score_corpus import make_corpus

    work = Path(tempfile.mkdtemp())
    docs, nbytes = make_corpus(work / "corpus.jsonl", a.mb)
    roots = {"current": str(ROOT), **({"compare": a.compare} if a.compare else {})}
    runs = {k: [] for k in roots}
    for i in range(a.repeats):
        for name, root in roots.items():
            out = work / f"out-{name}-{i}"
            r = subprocess.run([sys.executable, "-m", "bench.bench_score_corpus_host", "--one", root,
                                str(work / "corpus.jsonl"), str(out)], cwd=ROOT, capture_output=True, text=True,
                               check=True)
            runs[name].append(round(json.loads(r.stdout.strip().splitlines()[-1])["seconds"], 3))
            print(name, runs[name][-1], flush=True)
    med = {k: statistics.median(v) for k, v in runs.items()}
    result = {"benchmark": "score_corpus_host", "documents": docs, "bytes": nbytes, "cpus": os.cpu_count(),
              "load_average_1min": os.getloadavg()[0], "repeats": a.repeats, "compare": a.compare,
              "median_seconds": med, "mb_per_s": {k: round(nbytes / v / 1e6, 2) for k, v in med.items()},
              "runs": runs, "time": time.strftime("%Y-%m-%dT%H:%M:%S")}
    print(json.dumps(result, indent=1))
    if a.out:
        Path(a.out).write_text(json.dumps(result, indent=1) + "\n")


if __name__ == "__main__":
    main()
