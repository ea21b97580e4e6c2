"""One input reader for every subcommand: the same bad input gets the same one-line error, exit 2."""

import io
from types import SimpleNamespace

import pytest

from blt_core.cli import analyze, compute, generate, reader, tokenize
from blt_core.cli.main import main

READERS = ["analyze", "tokenize", "compute"]


@pytest.fixture
def paths(tmp_path):
    (tmp_path / "empty").write_bytes(b"")
    (tmp_path / "file").write_bytes(b"x")
    (tmp_path / "dir").mkdir()
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


def test_every_subcommand_uses_the_one_reader_and_error_printer():
    for module in (analyze, tokenize, compute):
        assert module.read_input is reader.read_input and module.add_input_arguments is reader.add_input_arguments
    for module in (analyze, tokenize, compute, generate):
        assert module.fail is reader.fail


def test_docstring_examples():
    import doctest

    assert doctest.testmod(reader).failed == 0
