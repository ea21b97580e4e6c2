"""One input reader for every subcommand: the same bad input gets the same one-line error, exit 2."""

import io
import os
from types import SimpleNamespace

import pytest

from blt_core.cli import analyze, compute, generate, reader, tokenize
from blt_core.cli.main import main

READERS = ["analyze", "tokenize", "compute"]
pytestmark = pytest.mark.usefixtures("no_hang")  # a blocking read fails the test, never stalls CI


@pytest.fixture
def paths(tmp_path):
    (tmp_path / "empty").write_bytes(b"")
    (tmp_path / "file").write_bytes(b"x")
    (tmp_path / "dir").mkdir()
    (tmp_path / "big").write_bytes(b"x" * 11)
    os.mkfifo(tmp_path / "fifo")  # no writer ever opens it: reading it would block for good
    return tmp_path


# (argv after the subcommand, stdin, the error line with {d} for the temporary folder)
BAD_INPUTS = {
    "missing file": (["{d}/nope"], None, "error: file not found: {d}/nope"),
    "a directory": (["{d}/dir"], None, "error: not a file: {d}/dir is a directory"),
    "unreadable": (["{d}/file/x"], None, "error: cannot read {d}/file/x: Not a directory"),
    "empty file": (["{d}/empty"], None, "error: empty input: {d}/empty holds no bytes"),
    "empty text": (["--text", ""], None, "error: empty input: --text holds no bytes"),
    "empty stdin": (["-"], b"", "error: empty input: stdin holds no bytes"),
    "no input": ([], None, "error: no input: give FILE, - for stdin, or --text TEXT"),
    "both": (["{d}/file", "--text", "x"], None, "error: give either FILE or --text, not both"),
    "a FIFO": (["{d}/fifo"], None, "error: not a file: {d}/fifo is a FIFO (named pipe)"),
    "a device": (["/dev/null"], None, "error: not a file: /dev/null is a device"),
    "file over the cap": (["{d}/big", "--max-bytes", "10"], None,
                          "error: input too large: {d}/big holds more than 10 bytes (raise --max-bytes to allow more)"),
    "stdin over the cap": (["-", "--max-bytes", "10"], b"y" * 11,
                           "error: input too large: stdin holds more than 10 bytes (raise --max-bytes to allow more)"),
    "text over the cap": (["--text", "é" * 6, "--max-bytes", "10"], None,
                          "error: input too large: --text holds more than 10 bytes (raise --max-bytes to allow more)"),
    "lone surrogate": (["--text", "a\ud800"], None, "error: text holds a lone surrogate U+D800 at index 1: it has no "
                                                     "UTF-8 bytes (only U+DC80..U+DCFF stand for bytes)"),
}


@pytest.mark.parametrize("case", BAD_INPUTS)
def test_same_bad_input_same_message_in_every_subcommand(case, paths, capsys, monkeypatch):
    argv, stdin, expected = BAD_INPUTS[case]
    argv = [a.format(d=paths) for a in argv]
    errors = {}
    for command in READERS:
        if stdin is not None:
            monkeypatch.setattr("sys.stdin", SimpleNamespace(buffer=io.BytesIO(stdin)))
        assert main([command, *argv]) == 2
        captured = capsys.readouterr()
        errors[command] = captured.err
        assert captured.out == ""
    assert set(errors.values()) == {expected.format(d=paths) + "\n"}, errors


def test_reader_returns_the_bytes(paths, monkeypatch):
    (paths / "bin").write_bytes(b"\x00\xff")
    assert reader.read_input(SimpleNamespace(file=str(paths / "bin"), text=None)) == b"\x00\xff"
    assert reader.read_input(SimpleNamespace(file=None, text="hé")) == "hé".encode()
    monkeypatch.setattr("sys.stdin", SimpleNamespace(buffer=io.BytesIO(b"\xc3")))
    assert reader.read_input(SimpleNamespace(file="-", text=None)) == b"\xc3"


def test_the_cap_is_the_default_and_exactly_that_many_bytes_are_accepted(paths, monkeypatch):
    assert reader.DEFAULT_MAX_BYTES == 1_000_000
    (paths / "ten").write_bytes(b"z" * 10)
    assert reader.read_input(SimpleNamespace(file=str(paths / "ten"), text=None, max_bytes=10)) == b"z" * 10
    monkeypatch.setattr("sys.stdin", SimpleNamespace(buffer=io.BytesIO(b"z" * 10)))
    assert reader.read_input(SimpleNamespace(file="-", text=None, max_bytes=10)) == b"z" * 10


class _Endless:
    """A stdin that never ends (like `yes |`), counting what is read from it."""

    def __init__(self):
        self.read_bytes = 0

    def read(self, n=-1):
        assert n > 0, "the reader must never ask for everything"
        self.read_bytes += n
        return b"y" * n


def test_an_endless_stdin_is_refused_after_one_byte_past_the_cap(monkeypatch):
    stream = _Endless()
    monkeypatch.setattr("sys.stdin", SimpleNamespace(buffer=stream))
    with pytest.raises(ValueError, match="input too large: stdin holds more than 100,000 bytes"):
        reader.read_input(SimpleNamespace(file="-", text=None, max_bytes=100_000))
    assert stream.read_bytes == 100_001


def test_max_bytes_must_be_positive(capsys):
    with pytest.raises(SystemExit) as e:
        main(["tokenize", "--text", "x", "--max-bytes", "0"])
    assert e.value.code == 2 and "--max-bytes: must be a positive number of bytes, got 0" in capsys.readouterr().err


def test_every_subcommand_uses_the_one_reader_and_error_printer():
    for module in (analyze, tokenize, compute):
        assert module.read_input is reader.read_input and module.add_input_arguments is reader.add_input_arguments
    for module in (analyze, tokenize, compute, generate):
        assert module.fail is reader.fail


def test_docstring_examples():
    import doctest

    assert doctest.testmod(reader).failed == 0


def test_a_bad_backend_reads_the_same_in_every_subcommand(capsys):
    """Names are checked by the library, not by argparse choices, so the message is the library's everywhere."""
    errors = set()
    for argv in (["analyze", "--text", "x"], ["generate", "--prompt", "x"]):
        assert main([*argv, "--backend", "bogus"]) == 2
        errors.add(capsys.readouterr().err)
    assert errors == {"error: unknown backend 'bogus'; choose one of auto, onnx, torch\n"}
