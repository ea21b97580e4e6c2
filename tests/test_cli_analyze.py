"""`python -m blt_core analyze`: readable summary, --json contract, clear errors with exit 2."""

import json
import os
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
KEYS = {"schema_version", "n_bytes", "entropies", "surprisal", "bits_per_byte", "threshold", "theta_r", "mode",
        "backend", "model", "patch_starts", "patch_lengths", "mean_patch_length"}


def cli(*args, stdin: bytes | None = None):
    return subprocess.run([sys.executable, "-m", "blt_core", "analyze", *args], capture_output=True, cwd=ROOT,
                          input=stdin, timeout=120)


@pytest.fixture(scope="module")
def model_args(tiny_card):
    return ["--model", str(tiny_card), "--backend", "onnx"]


def test_json_contract(model_args):
    out = cli("--text", "Hello, wörld 😀", "--json", "--top-k", "3", *model_args)
    assert out.returncode == 0, out.stderr
    d = json.loads(out.stdout)
    assert KEYS <= set(d)
    assert d["n_bytes"] == len("Hello, wörld 😀".encode()) == len(d["entropies"]) == sum(d["patch_lengths"])
    assert d["patch_starts"][0] == 0 and len(d["top_k_bytes"][0]) == 3


def test_readable_summary_shows_patches(model_args):
    out = cli("--text", "ab\ncd", "--mode", "byte", *model_args)
    assert out.returncode == 0
    text = out.stdout.decode()
    assert "5 bytes, 5 patches" in text and "|a|b|\\x0a|c|d|" in text


def test_binary_stdin_and_file(model_args, tmp_path):
    blob = bytes(range(256)) * 4
    out = cli("-", "--json", *model_args, stdin=blob)
    assert out.returncode == 0 and json.loads(out.stdout)["n_bytes"] == 1024
    f = tmp_path / "x.bin"
    f.write_bytes(b"\xff\xfe\x00invalid utf-8")
    out = cli(str(f), *model_args)
    assert out.returncode == 0 and "\\xff\\xfe\\x00" in out.stdout.decode()


@pytest.mark.parametrize("args, message", [
    (["--text", "abc", "--mode", "wordpiece"], "unknown mode"),
    (["--text", "abc", "--threshold", "-1"], "must not be negative"),
    (["--text", "abc", "--threshold", "nan"], "finite number"),
    (["--text", "abc", "--target-patch-size", "50"], "exceeds the input length"),
    (["--text", "abc", "--patch-size", "0", "--mode", "static"], "positive integer"),
    (["/no/such/file"], "file not found"),  # the one input reader; every case: test_cli_reader
])
def test_bad_input_is_a_clear_error(model_args, args, message):
    out = cli(*args, *model_args)
    assert out.returncode == 2
    err = out.stderr.decode()
    assert message in err and "Traceback" not in err


def test_missing_and_corrupt_weights(tmp_path, tiny_card):
    import shutil

    out = cli("--text", "abc", "--model", str(tmp_path / "nope.json"))
    assert out.returncode == 2 and "model not found" in out.stderr.decode()
    d = tmp_path / "m"
    shutil.copytree(tiny_card.parent, d)
    (d / "m.onnx").write_bytes(b"garbage")
    out = cli("--text", "abc", "--model", str(d / "card.json"), "--backend", "onnx")
    assert out.returncode == 2 and "sha256" in out.stderr.decode() and "Traceback" not in out.stderr.decode()


def test_long_input_reports_progress_on_stderr(model_args):
    out = cli("-", "--json", *model_args, stdin=b"long input, " * 20_000)
    assert out.returncode == 0
    err = out.stderr.decode()
    assert "scoring 100% (240,000 / 240,000 bytes)" in err and err.count("scoring") >= 2
    assert json.loads(out.stdout)["n_bytes"] == 240_000


def test_a_huge_finite_threshold_prints_no_warning(model_args):
    out = cli("--text", "abc", "--threshold", "1e308", *model_args)
    assert out.returncode == 0 and out.stderr.decode() == ""  # no numpy overflow warning
    assert "3 bytes, 1 patches" in out.stdout.decode()


def test_a_fifo_without_writer_and_a_long_pipe_end_quickly(tmp_path):
    """In a real process: a FIFO nobody writes is refused, not waited on; a pipe past --max-bytes is cut off."""
    os.mkfifo(tmp_path / "fifo")
    out = cli(str(tmp_path / "fifo"))
    assert out.returncode == 2 and out.stderr.decode() == f"error: not a file: {tmp_path / 'fifo'} is a FIFO (named pipe)\n"
    out = cli("-", "--max-bytes", "1000", stdin=b"x" * 5000)
    assert out.returncode == 2 and "input too large: stdin holds more than 1,000 bytes" in out.stderr.decode()
    out = cli("--text", "abc", "--model", str(tmp_path / "fifo"))  # a model card is read the same careful way
    assert out.returncode == 2 and out.stderr.decode() == f"error: {tmp_path / 'fifo'} is a FIFO (named pipe), not a regular file\n"
