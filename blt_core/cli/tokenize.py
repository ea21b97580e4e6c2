"""`python -m blt_core tokenize`: cut a text or file with one BPE tokenizer.

    python -m blt_core tokenize notes.txt --tokenizer o200k --json
    echo "hello world" | python -m blt_core tokenize - --tokenizer cl100k
"""

from __future__ import annotations

import argparse
import json

from blt_core.bytes_codec import render_bytes
from blt_core.cli.reader import add_input_arguments, fail, read_input


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    """Register the `tokenize` subcommand."""
    from blt_core.bpe import TOKENIZERS

    p = subparsers.add_parser("tokenize", help="cut bytes into BPE tokens with byte spans")
    add_input_arguments(p)
    p.add_argument("--tokenizer", default="llama3", help=f"one of {', '.join(TOKENIZERS)}")
    p.add_argument("--json", action="store_true", help="print the full segmentation as JSON")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    """Tokenize the input; 0 on success, 2 with a one-line error for bad input."""
    from blt_core import bpe

    try:
        data = read_input(args)
        seg = bpe.tokenize(data, tokenizer=args.tokenizer)
    except (ValueError, OSError) as e:  # OSError: tokenizer files missing or unreadable
        return fail(str(e))
    if args.json:
        print(json.dumps(seg.to_dict()))
        return 0
    print(f"{seg.tokenizer}: {seg.n_tokens} tokens over {seg.n_bytes} bytes "
          f"({seg.bytes_per_token:.2f} bytes/token)")
    for i, (tid, s, n) in enumerate(zip(seg.token_ids, seg.token_byte_starts.tolist(),
                                        seg.token_byte_lengths.tolist())):
        flags = "".join(f for f, on in (("~", seg.partial_char[i]), ("!", seg.invalid_byte[i])) if on)
        print(f"{s:>8} {tid:>7} {flags:2} {render_bytes(data[s:s + n])!r}")
    return 0
