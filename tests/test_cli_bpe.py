"""CLI subcommands tokenize and compute: output, and one-line errors with exit code 2 (bad input: test_cli_reader)."""

import argparse
import json
from types import SimpleNamespace

import numpy as np
import pytest

import blt_core
from blt_core.cli import compute as cli_compute, tokenize as cli_tokenize


def _parse(argv):
    parser = argparse.ArgumentParser(prog="blt_core")
    sub = parser.add_subparsers(dest="command")
    cli_tokenize.add_parser(sub)
    cli_compute.add_parser(sub)
    return parser.parse_args(argv)


def _run(argv):
    args = _parse(argv)
    return args.run(args)


def test_tokenize_json(capsys):
    assert _run(["tokenize", "--text", "hello world", "--tokenizer", "cl100k", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["token_ids"] == [15339, 1917] and out["token_byte_starts"] == [0, 5]


def test_tokenize_file_and_table(tmp_path, capsys):
    f = tmp_path / "x.bin"
    f.write_bytes(b"hi\xff there")
    assert _run(["tokenize", str(f), "--tokenizer", "gpt2"]) == 0
    out = capsys.readouterr().out
    assert "\\xff" in out and "gpt2:" in out


def test_tokenize_stdin(monkeypatch, capsys):
    import io

    monkeypatch.setattr("sys.stdin", SimpleNamespace(buffer=io.BytesIO(b"hello world")))
    assert _run(["tokenize", "-", "--tokenizer", "gpt2", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["token_ids"] == [31373, 995]


@pytest.mark.parametrize(
    "argv, message",
    [
        (["tokenize", "--text", "x", "--tokenizer", "bert"], "unknown tokenizer"),
        (["compute", "--text", "x", "--bpe", "gpt9"], "unknown BPE model"),
    ],
)
def test_bad_input_is_one_line_exit_2(argv, message, capsys):
    assert _run(argv) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1 and "Traceback" not in err


def _fake_analyze(data, target_patch_size=4.0):
    # Fixed 4-byte patches: enough to check the wiring without a model.
    n = len(data)
    starts = np.arange(0, n, 4, dtype=np.int64)
    lengths = np.diff(np.append(starts, n))
    return SimpleNamespace(patch_starts=starts, patch_lengths=lengths, n_bytes=n,
                           mean_patch_length=float(lengths.mean()))


def _check_compute_output(out, n_bytes):
    assert {"per_patch_flops", "blt_flops_total", "bpe_flops_total", "bpe_tokenizer",
            "bpe_bytes_per_token", "mean_patch_length"} <= out.keys()
    assert sum(out["per_patch_flops"]) == pytest.approx(out["blt_flops_total"])
    assert out["bpe_flops_total"] > 0 and out["n_bytes"] == n_bytes


def test_compute_with_stub_analyze(monkeypatch, capsys):
    monkeypatch.setattr(blt_core, "analyze", _fake_analyze, raising=False)
    text = "hello world, the river rises"
    assert _run(["compute", "--text", text, "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    _check_compute_output(out, len(text))
    assert len(out["per_patch_flops"]) == 7 and out["mean_patch_length"] == 4.0
    assert out["bpe_tokenizer"] == "llama3"
    assert out["bpe_bytes_per_token"] == pytest.approx(len(text) / 6)
    assert _run(["compute", "--text", text, "--bpe", "llama2-7b", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["bpe_bytes_per_token"] == 3.7


def test_compute_with_real_analyze(capsys):
    text = "The river behind the old library rises every spring."
    assert _run(["compute", "--text", text, "--target-patch-size", "6", "--json"]) == 0
    _check_compute_output(json.loads(capsys.readouterr().out), len(text))
