"""`python -m blt_core score-corpus INPUT... --out DIR`: entropies and patches of a whole corpus, as Parquet shards.

    $ python -m blt_core score-corpus docs.jsonl --field text --target-patch-size 4.5 --out scores/
    rank 0: part-00000-00000.parquet: 10,000 documents (2.41 MB/s scored since start)
    12,345 documents, 48,211,003 bytes, mean patch length 4.49 bytes (threshold 1.612, calibrated) -> scores/manifest.json

Under `torchrun --nproc-per-node N` each rank scores every N-th document and writes its own
shards; rank 0 writes the manifest. Run the same command again after a kill to resume.
"""

from __future__ import annotations

import argparse

from blt_core.api import CHUNKINGS
from blt_core.backends import BACKENDS
from blt_core.cli.reader import fail
from blt_core.corpus.calibrate import DEFAULT_SAMPLE_DOCS
from blt_core.corpus.readers import DEFAULT_FIELD
from blt_core.corpus.run import COMPILES, DTYPES, Options, run as run_corpus

DEFAULTS = Options(inputs=[], out="")


def _positive_int(value: str) -> int:
    n = int(value)
    if n < 1:
        raise argparse.ArgumentTypeError(f"must be a positive integer, got {value}")
    return n


def add_parser(sub) -> None:
    p = sub.add_parser("score-corpus", help="entropies and patches of many documents, as Parquet shards",
                       description="Score a corpus (text, JSONL, Parquet) with the entropy model; write per-document "
                                   "entropies (float16), patch lengths and summaries as Parquet shards with a manifest. "
                                   "Resumable: run the same command again after a kill. Multi-GPU: torchrun.")
    p.add_argument("inputs", nargs="+", metavar="INPUT", help=".txt (one document per file, or per line with --lines), "
                                                            ".jsonl (--field) or .parquet (--field)")
    p.add_argument("--out", required=True, help="folder for the shards, progress files and manifest.json")
    p.add_argument("--field", default=DEFAULT_FIELD, help=f"JSONL key or Parquet column (default {DEFAULT_FIELD})")
    p.add_argument("--lines", action="store_true", help="text files: one document per line")
    how = p.add_mutually_exclusive_group()
    how.add_argument("--threshold", type=float, help="global entropy threshold in nats (default: the model's)")
    how.add_argument("--target-patch-size", type=float,
                     help="calibrate one global threshold to this mean patch length on a sample first")
    p.add_argument("--calibration-docs", type=_positive_int, default=DEFAULT_SAMPLE_DOCS,
                   help=f"sample size for --target-patch-size: the first N documents (default {DEFAULT_SAMPLE_DOCS})")
    p.add_argument("--model", help="model card (.json) or official weights folder")
    p.add_argument("--backend", default="auto", help=f"one of {', '.join(BACKENDS)}")
    p.add_argument("--chunking", default="continuous", help=f"one of {', '.join(CHUNKINGS)}")
    p.add_argument("--dtype", default="float32", help=f"torch compute precision: one of {', '.join(DTYPES)}")
    p.add_argument("--batch-docs", type=_positive_int, default=DEFAULTS.batch_docs,
                   help=f"documents per scoring pass (default {DEFAULTS.batch_docs})")
    p.add_argument("--batch-tokens", type=_positive_int, default=DEFAULTS.batch_tokens,
                   help=f"tokens per model call (default {DEFAULTS.batch_tokens:,}; raise it on a GPU)")
    p.add_argument("--max-doc-bytes", type=_positive_int, default=DEFAULTS.max_doc_bytes,
                   help=f"cut longer documents to this many bytes (default {DEFAULTS.max_doc_bytes:,})")
    p.add_argument("--shard-docs", type=_positive_int, default=DEFAULTS.shard_docs,
                   help=f"documents per shard (default {DEFAULTS.shard_docs:,}); a kill loses at most one shard")
    p.add_argument("--compile", default="auto", choices=COMPILES,
                   help="torch on a GPU: score through the compiled fused path (on), the eager one (off), or the "
                        "compiled one only when this process's share of the inputs passes 512 MB, where it repays "
                        "its minutes of compilation (auto, the default)")
    p.add_argument("--stop-after-shards", type=_positive_int, help=argparse.SUPPRESS)  # tests: stop as a kill would


def run(args: argparse.Namespace) -> int:
    opts = Options(inputs=args.inputs, out=args.out, field=args.field, lines=args.lines, threshold=args.threshold,
                   target_patch_size=args.target_patch_size, calibration_docs=args.calibration_docs,
                   model=args.model, backend=args.backend, chunking=args.chunking, dtype=args.dtype,
                   batch_docs=args.batch_docs, batch_tokens=args.batch_tokens, max_doc_bytes=args.max_doc_bytes,
                   shard_docs=args.shard_docs, stop_after_shards=args.stop_after_shards,
                   compile=args.compile)
    try:
        m = run_corpus(opts)
    except (ValueError, OSError) as e:  # WeightsError is a ValueError too
        return fail(str(e))
    if m is not None:
        t, th = m["totals"], m["threshold"]
        mean = "n/a" if t["mean_patch_length"] is None else f"{t['mean_patch_length']:.2f}"
        print(f"{t['documents']:,} documents, {t['bytes']:,} bytes, mean patch length {mean} bytes "
              f"(threshold {th['value']:.3f}, {th['chosen']}) -> {args.out}/manifest.json")
    return 0
