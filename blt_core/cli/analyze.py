"""`python -m blt_core analyze`: score bytes, cut them into patches, print a summary or JSON.

    $ python -m blt_core analyze --text "Hello, world"
    12 bytes, 3 patches, mean patch length 4.00 bytes, 2.91 bits per byte (onnx:cpu, mode entropy, threshold 1.93)
    |Hello|, wor|ld|
"""

from __future__ import annotations

import argparse
import json
import sys

from blt_core.api import CHUNKINGS, analyze
from blt_core.backends import BACKENDS
from blt_core.bytes_codec import render_bytes
from blt_core.cli.reader import add_input_arguments, fail, read_input
from blt_core.patching import PATCH_MODES


def add_parser(sub) -> None:
    p = sub.add_parser("analyze", help="entropies and patches of some bytes",
                       description="Score bytes with the entropy model and cut them into patches.")
    add_input_arguments(p)
    p.add_argument("--mode", default="entropy", help=f"one of {', '.join(PATCH_MODES)}")
    p.add_argument("--threshold", type=float, help="global entropy threshold in nats")
    p.add_argument("--theta-r", type=float, help="approximately-monotonic threshold in nats")
    p.add_argument("--patch-size", type=int, help="static patch size in bytes")
    p.add_argument("--target-patch-size", type=float, help="calibrate the threshold to this mean patch length")
    p.add_argument("--max-patch-length", type=int)
    p.add_argument("--newline-reset", action="store_true", help="restart the entropy context at each newline")
    p.add_argument("--top-k", type=int, default=0)
    # names are checked by the library, not argparse, so a bad one reads the same in every subcommand
    p.add_argument("--backend", default="auto", help=f"one of {', '.join(BACKENDS)}")
    p.add_argument("--model", help="model card (.json) or official weights folder")
    p.add_argument("--chunking", default="continuous",
                   help=f"one of {', '.join(CHUNKINGS)}. continuous: one sliding-window pass (default); official: independent 8,192-token rows, "
                        "as facebookresearch/blt's entropy preprocessing")
    p.add_argument("--json", action="store_true", help="print one JSON object")


PROGRESS_FROM = 200_000  # bytes: below this, scoring takes a few seconds at most and needs no progress line


def stderr_progress(done: int, total: int) -> None:
    """Progress of long scoring on stderr, rewritten in place: 'scoring 40% (80,000 / 200,000 bytes)'."""
    end = "\n" if done >= total else ""
    print(f"\rscoring {100 * done // total}% ({done:,} / {total:,} bytes)", end=end, file=sys.stderr, flush=True)


def run(args: argparse.Namespace) -> int:
    try:
        data = read_input(args)
        progress = stderr_progress if len(data) >= PROGRESS_FROM else None
        a = analyze(data, mode=args.mode, threshold=args.threshold, theta_r=args.theta_r, patch_size=args.patch_size,
                    target_patch_size=args.target_patch_size, max_patch_length=args.max_patch_length,
                    newline_reset=args.newline_reset, top_k=args.top_k, backend=args.backend, model=args.model,
                    chunking=args.chunking, progress=progress)
    except ValueError as e:  # WeightsError is a ValueError too
        return fail(str(e))
    if args.json:
        json.dump(a.to_dict(), sys.stdout)
        sys.stdout.write("\n")
        return 0
    print(f"{a.n_bytes} bytes, {a.n_patches} patches, mean patch length {a.mean_patch_length:.2f} bytes, "
          f"{a.bits_per_byte:.2f} bits per byte ({a.backend}, mode {a.mode}, threshold {a.threshold:.3f})")
    for note in a.notes:
        print(f"note: {note}")
    ends = list(a.patch_starts[1:]) + [a.n_bytes]
    print("|" + "|".join(render_bytes(a.data[s:e]) for s, e in zip(a.patch_starts.tolist(), ends)) + "|")
    return 0
