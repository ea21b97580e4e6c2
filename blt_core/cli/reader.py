"""The one CLI input reader (FILE | - | --text) and the one way a subcommand reports an error.

Every error is one line on stderr, `error: <message>`, and exit status 2, never a traceback:

    $ python -m blt_core tokenize notes/
    error: not a file: notes/ is a directory
"""

from __future__ import annotations

import argparse
import sys


def add_input_arguments(parser: argparse.ArgumentParser) -> None:
    """FILE | - | --text TEXT, for every subcommand that reads bytes."""
    parser.add_argument("file", nargs="?", help="file to read (any bytes), or - for stdin")
    parser.add_argument("--text", help="text given on the command line (encoded as UTF-8)")


def read_input(args: argparse.Namespace) -> bytes:
    """The bytes named by FILE, '-' (stdin) or --text; ValueError with a one-line message otherwise.

    >>> read_input(argparse.Namespace(text="hé", file=None))
    b'h\\xc3\\xa9'
    >>> read_input(argparse.Namespace(text="", file=None))
    Traceback (most recent call last):
    ValueError: empty input: --text holds no bytes
    """
    text, path = args.text, args.file
    if text is not None and path is not None:
        raise ValueError("give either FILE or --text, not both")
    if text is not None:
        data, source = text.encode("utf-8", errors="surrogateescape"), "--text"
    elif path == "-":
        data, source = sys.stdin.buffer.read(), "stdin"
    elif path is not None:
        data, source = _read_file(path), path
    else:
        raise ValueError("no input: give FILE, - for stdin, or --text TEXT")
    if not data:
        raise ValueError(f"empty input: {source} holds no bytes")
    return data


def _read_file(path: str) -> bytes:
    try:
        with open(path, "rb") as f:
            return f.read()
    except FileNotFoundError:
        raise ValueError(f"file not found: {path}") from None
    except IsADirectoryError:
        raise ValueError(f"not a file: {path} is a directory") from None
    except OSError as e:
        raise ValueError(f"cannot read {path}: {e.strerror or e}") from None


def fail(message: str) -> int:
    """Print `error: message` on stderr and return the exit status for bad input (2)."""
    print(f"error: {message}", file=sys.stderr)
    return 2
