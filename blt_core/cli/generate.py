"""`python -m blt_core generate`: continue a prompt with the small BLT, showing its patches.

    python -m blt_core generate --prompt "Once upon a time" --max-bytes 120 --temperature 0.8 --top-k 40
    python -m blt_core generate --prompt "" --json          # starts from BOS alone
    python -m blt_core generate --prompt "Once" --model /weights/blt-1b   # the released BLT-1B
"""

from __future__ import annotations

import argparse
import json
import sys

from blt_core.bytes_codec import render_bytes
from blt_core.cli.reader import fail

# Tabs and newlines are layout in a terminal, so they print as themselves.
_LAYOUT = {"\t": "\t", "\n": "\n"}


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    """Register the `generate` subcommand."""
    p = subparsers.add_parser("generate", help="generate bytes with the small BLT generator (or a released one)")
    p.add_argument("--prompt", required=True, help="text to continue (UTF-8); may be empty")
    p.add_argument("--max-bytes", type=int, default=200, help="stop after this many new bytes (default 200)")
    p.add_argument("--temperature", type=float, default=0.0, help="0 = greedy (default)")
    p.add_argument("--top-k", type=int, default=None, help="sample among the k most likely bytes")
    p.add_argument("--seed", type=int, default=0, help="same seed, same bytes, on either backend")
    p.add_argument("--backend", default="auto", help="auto (torch on GPU, else ONNX), torch or onnx")
    p.add_argument("--no-cache", action="store_true", help="re-run the full models for every byte (baseline)")
    p.add_argument("--card", default=None, help=argparse.SUPPRESS)  # another generator card (tests)
    p.add_argument("--model", default=None, metavar="FOLDER",
                   help="an official BLT folder (facebook/blt-1b or blt-7b: params.json + consolidated.pth, the "
                        "Hub's config.json + model.safetensors, or transformers-converted); torch only")
    p.add_argument("--json", action="store_true", help="print the whole Generation as JSON")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    """Generate; 0 on success, 2 with a one-line error for bad input or missing weights."""
    from blt_core.generator.generate import generate

    try:
        g = generate(args.prompt, max_bytes=args.max_bytes, temperature=args.temperature, top_k=args.top_k,
                     seed=args.seed, backend=args.backend, no_cache=args.no_cache, card=args.card,
                     model=args.model)
    except (ValueError, TypeError, OSError) as e:  # WeightsError is a ValueError
        return fail(str(e))
    if args.json:
        print(json.dumps(g.to_dict()))
        return 0
    prompt = g.prompt.encode("utf-8", errors="surrogateescape")
    print(render_bytes(prompt, glyphs=_LAYOUT) + render_bytes(g.generated_bytes, glyphs=_LAYOUT))
    n = len(g.entropies)
    print(f"[{len(g.generated_bytes)} bytes, {len(g.patch_starts)} patches over {n} bytes "
          f"(mean {n / max(1, len(g.patch_starts)):.2f} bytes/patch), {g.global_steps} global / "
          f"{g.local_steps} local steps, {g.bytes_per_second:.0f} bytes/s, backend {g.backend}, "
          f"stopped by {g.stopped_by}]", file=sys.stderr)
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m blt_core.cli.generate")
    add_parser(parser.add_subparsers(dest="command", required=True))
    return run(parser.parse_args(["generate", *(argv if argv is not None else sys.argv[1:])]))


if __name__ == "__main__":
    sys.exit(main())
