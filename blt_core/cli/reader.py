"""The one CLI input reader (FILE | - | --text, at most --max-bytes) and the one way a subcommand reports an error.

Every error is one line on stderr, `error: <message>`, and exit status 2, never a traceback:

    $ python -m blt_core tokenize notes/
    error: not a file: notes/ is a directory

Input is bounded: at most --max-bytes (default 1,000,000, the app's 1 MB upload cap) are read
from a file, stdin or --text; a longer input is refused after reading one byte past the limit,
never read whole. FILE must be a regular file: a FIFO, device or socket is refused without
reading (opened with O_NONBLOCK, so a FIFO with no writer cannot hang); stdin may be a pipe.
"""

from __future__ import annotations

import argparse
import os
import stat
import sys

from blt_core.bytes_codec import to_bytes
from blt_core.file_guard import kind_of

DEFAULT_MAX_BYTES = 1_000_000  # the app accepts uploads up to 1 MB (.streamlit/config.toml); so does the CLI
_BLOCK = 1 << 16  # bytes per read of a stream


def _positive_int(value: str) -> int:
    n = int(value)
    if n < 1:
        raise argparse.ArgumentTypeError(f"must be a positive number of bytes, got {value}")
    return n


def add_input_arguments(parser: argparse.ArgumentParser) -> None:
    """FILE | - | --text TEXT, and --max-bytes, for every subcommand that reads bytes."""
    parser.add_argument("file", nargs="?", help="file to read (any bytes; a regular file), or - for stdin")
    parser.add_argument("--text", help="text given on the command line (encoded as UTF-8)")
    parser.add_argument("--max-bytes", type=_positive_int, default=DEFAULT_MAX_BYTES,
                        help=f"refuse inputs longer than this many bytes (default {DEFAULT_MAX_BYTES:,})")


def too_large(source: str, limit: int) -> ValueError:
    """The one 'input too large' error, whatever the input came from."""
    return ValueError(f"input too large: {source} holds more than {limit:,} bytes (raise --max-bytes to allow more)")


def read_input(args: argparse.Namespace) -> bytes:
    """The bytes named by FILE, '-' (stdin) or --text; ValueError with a one-line message otherwise.

    >>> read_input(argparse.Namespace(text="hé", file=None, max_bytes=10))
    b'h\\xc3\\xa9'
    >>> read_input(argparse.Namespace(text="", file=None, max_bytes=10))
    Traceback (most recent call last):
    ValueError: empty input: --text holds no bytes
    >>> read_input(argparse.Namespace(text="hello", file=None, max_bytes=4))
    Traceback (most recent call last):
    ValueError: input too large: --text holds more than 4 bytes (raise --max-bytes to allow more)
    """
    text, path = args.text, args.file
    limit = getattr(args, "max_bytes", DEFAULT_MAX_BYTES)
    if text is not None and path is not None:
        raise ValueError("give either FILE or --text, not both")
    if text is not None:
        data, source = to_bytes(text), "--text"
    elif path == "-":
        data, source = read_bounded(sys.stdin.buffer, limit, "stdin"), "stdin"
    elif path is not None:
        data, source = _read_file(path, limit), path
    else:
        raise ValueError("no input: give FILE, - for stdin, or --text TEXT")
    if len(data) > limit:
        raise too_large(source, limit)
    if not data:
        raise ValueError(f"empty input: {source} holds no bytes")
    return data


def read_bounded(stream, limit: int, source: str) -> bytes:
    """At most `limit` bytes of a binary stream, read in blocks; too_large as soon as one more byte arrives."""
    chunks, total = [], 0
    while total <= limit:
        block = stream.read(min(_BLOCK, limit + 1 - total))
        if not block:
            return b"".join(chunks)
        chunks.append(block)
        total += len(block)
    raise too_large(source, limit)


def _read_file(path: str, limit: int) -> bytes:
    """A regular file's bytes (at most limit); FIFOs, devices, sockets and directories are refused unread."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    except FileNotFoundError:
        raise ValueError(f"file not found: {path}") from None
    except OSError as e:
        raise ValueError(f"cannot read {path}: {e.strerror or e}") from None
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise ValueError(f"not a file: {path} is {kind_of(st.st_mode)}")
        if st.st_size > limit:
            raise too_large(path, limit)
        f = open(fd, "rb")  # owns fd from here on
    except BaseException:
        os.close(fd)
        raise
    with f:
        try:
            return read_bounded(f, limit, path)  # the size can grow, and /proc files say 0
        except OSError as e:
            raise ValueError(f"cannot read {path}: {e.strerror or e}") from None


def fail(message: str) -> int:
    """Print `error: message` on stderr and return the exit status for bad input (2)."""
    print(f"error: {message}", file=sys.stderr)
    return 2
