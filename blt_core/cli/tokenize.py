"""`python -m blt_core tokenize`: cut a text or file with one BPE tokenizer.

    python -m blt_core tokenize notes.txt --tokenizer o200k --json
    echo "hello world" | python -m blt_core tokenize - --tokenizer cl100k
"""

from __future__ import annotations

import argparse
import json
import sys


class InputError(ValueError):
    """Bad user input: reported as one line on stderr with exit code 2."""


def add_input_arguments(parser: argparse.ArgumentParser) -> None:
    """FILE | - | --text TEXT, shared by every subcommand that reads bytes."""
    parser.add_argument("file", nargs="?", help="file to read (raw bytes), or - for stdin")
    parser.add_argument("--text", help="text given on the command line (encoded as UTF-8)")


def read_input(args: argparse.Namespace) -> bytes:
    """Bytes from --text, a file, or stdin ("-"); raises InputError when missing or empty.

    >>> read_input(argparse.Namespace(text="hé", file=None))
    b'h\\xc3\\xa9'
    """
    text, path = getattr(args, "text", None), getattr(args, "file", None)
    if text is not None and path is not None:
        raise InputError("give either FILE or --text, not both")
    if text is not None:
        data = text.encode("utf-8", errors="surrogateescape")
    elif path == "-":
        data = sys.stdin.buffer.read()
    elif path is not None:
        try:
            with open(path, "rb") as f:
                data = f.read()
        except OSError as e:
            raise InputError(f"cannot read {path}: {e.strerror or e}") from None
    else:
        raise InputError("no input: give FILE, - for stdin, or --text TEXT")
    if not data:
        raise InputError("empty input: nothing to process")
    return data


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    """Register the `tokenize` subcommand."""
    from blt_core.bpe.tokenizers import TOKENIZERS

    p = subparsers.add_parser("tokenize", help="cut bytes into BPE tokens with byte spans")
    add_input_arguments(p)
    p.add_argument("--tokenizer", default="llama3", help=f"one of {', '.join(TOKENIZERS)}")
    p.add_argument("--json", action="store_true", help="print the full segmentation as JSON")
    p.set_defaults(run=run)


def _show(piece: bytes) -> str:
    # Control bytes and invalid UTF-8 are shown as \xNN, never dropped.
    text = piece.decode("utf-8", errors="backslashreplace")
    return "".join(c if c.isprintable() or c == " " else f"\\x{ord(c):02x}" for c in text)


def run(args: argparse.Namespace) -> int:
    """Tokenize the input; 0 on success, 2 with a one-line error for bad input."""
    from blt_core import bpe

    try:
        data = read_input(args)
        seg = bpe.tokenize(data, tokenizer=args.tokenizer)
    except (InputError, ValueError, FileNotFoundError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    if args.json:
        print(json.dumps(seg.to_dict()))
        return 0
    print(f"{seg.tokenizer}: {seg.n_tokens} tokens over {seg.n_bytes} bytes "
          f"({seg.bytes_per_token:.2f} bytes/token)")
    for i, (tid, s, n) in enumerate(zip(seg.token_ids, seg.token_byte_starts.tolist(),
                                        seg.token_byte_lengths.tolist())):
        flags = "".join(f for f, on in (("~", seg.partial_char[i]), ("!", seg.invalid_byte[i])) if on)
        print(f"{s:>8} {tid:>7} {flags:2} {_show(data[s:s + n])!r}")
    return 0
