"""Offline BPE tokenizers: parity with reference encodings, byte spans, invalid UTF-8."""

from __future__ import annotations

import dataclasses
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import tiktoken
from hypothesis import given, settings
from hypothesis import strategies as st

from blt_core import bpe
from blt_core.bpe import formats, load, spans
from blt_core.bpe.registry import LLAMA3_SPECIALS, TOKENIZER_SPECS

SAMPLES = Path(__file__).resolve().parents[1] / "assets" / "samples"

MULTILINGUAL = (
    "def f(x):\n    return x  **  2\t# square\n\n\n"
    "Hello,   world!!  Ça va? Grüße aus Köln.\r\n"
    "Привет, мир. 你好，世界。こんにちは世界。नमस्ते दुनिया। مرحبا بالعالم\n"
    "emoji: 👨‍👩‍👧‍👦 🇫🇷 🙌🏽 ✨  and numbers 1234567 3.14159\n"
    "        indented line with trailing spaces    \n"
    "it's we'll THEY'RE don't"
)


def _sample_texts() -> dict[str, str]:
    index = json.loads((SAMPLES / "index.json").read_text())
    return {name: (SAMPLES / e["file"]).read_text(encoding="utf-8") for name, e in index.items()}


# Hand-checkable anchors; the ids are those the public encodings give.
@pytest.mark.parametrize(
    "name, text, ids",
    [
        ("cl100k", "hello world", [15339, 1917]),
        ("gpt2", "hello world", [31373, 995]),
        ("llama3", "hello world", [15339, 1917]),  # Llama 3 reuses cl100k's first 100k ranks
        ("o200k", "hello world", [24912, 2375]),
    ],
)
def test_anchor_ids(name, text, ids):
    seg = bpe.tokenize(text, tokenizer=name)
    assert seg.token_ids == ids
    assert seg.token_byte_starts.tolist() == [0, 5]
    assert seg.token_byte_lengths.tolist() == [5, 6]
    assert not seg.partial_char.any() and not seg.invalid_byte.any()


def _official_encoding(name: str, monkeypatch) -> tiktoken.Encoding:
    """tiktoken's own constructor for an encoding, fed our local, hash-checked files.

    tiktoken_ext.openai_public builds each encoding (pattern, specials, ranks) from URLs;
    its loaders are replaced by ones that read the local files only when the hash tiktoken
    expects equals ours, so nothing is downloaded and the parity test is against
    tiktoken's definition, not a copy of it. GPT-2's files go through tiktoken's own
    data-gym converter (with its file cache off), so our converter is checked against it.
    """
    import tiktoken_ext.openai_public as op

    real_data_gym = tiktoken.load.data_gym_to_mergeable_bpe_ranks

    def load_tiktoken_bpe(url, expected_hash=None):
        (source,) = TOKENIZER_SPECS[url.rsplit("/", 1)[-1].split("_base")[0]].files
        assert expected_hash == source.sha256
        return formats.parse_tiktoken_ranks(load.read_checked(source))

    def data_gym(vocab_bpe_file, encoder_json_file, vocab_bpe_hash, encoder_json_hash):
        vocab, encoder = TOKENIZER_SPECS["gpt2"].files
        assert (vocab_bpe_hash, encoder_json_hash) == (vocab.sha256, encoder.sha256)
        return real_data_gym(
            vocab_bpe_file=str(load.package_file(vocab)),
            encoder_json_file=str(load.package_file(encoder)),
            vocab_bpe_hash=vocab.sha256,
            encoder_json_hash=encoder.sha256,
        )

    monkeypatch.setenv("TIKTOKEN_CACHE_DIR", "")  # tiktoken reads local files without caching them
    monkeypatch.setattr(op, "load_tiktoken_bpe", load_tiktoken_bpe)
    monkeypatch.setattr(op, "data_gym_to_mergeable_bpe_ranks", data_gym)
    ctor = {"cl100k": op.cl100k_base, "o200k": op.o200k_base, "gpt2": op.gpt2}[name]
    return tiktoken.Encoding(**ctor())


@pytest.mark.parametrize("name", ["cl100k", "o200k", "gpt2"])
def test_parity_with_tiktoken_official_definition(name, monkeypatch):
    official = _official_encoding(name, monkeypatch)
    ours = bpe.get_encoding(name)
    assert ours._pat_str == official._pat_str
    assert ours._special_tokens == official._special_tokens
    assert ours._mergeable_ranks == official._mergeable_ranks
    for text in [MULTILINGUAL, *_sample_texts().values()]:
        assert bpe.tokenize(text, tokenizer=name).token_ids == official.encode_ordinary(text)


def test_llama3_parity_with_llama_models_tokenizer():
    # llama_models' Tokenizer needs only tiktoken (no torch), so compare against it directly.
    tok_mod = pytest.importorskip("llama_models.llama3.tokenizer")
    ref = tok_mod.Tokenizer.get_instance()
    assert bpe.get_encoding("llama3")._pat_str == ref.pat_str
    assert bpe.get_encoding("llama3")._special_tokens == ref.special_tokens
    assert ref.special_tokens["<|begin_of_text|>"] == 128000
    assert len(ref.special_tokens) == len(LLAMA3_SPECIALS) == 256
    for text in [MULTILINGUAL, *_sample_texts().values()]:
        assert bpe.tokenize(text, tokenizer="llama3").token_ids == ref.encode(
            text, bos=False, eos=False
        )


def test_sha256_mismatch_is_a_clear_error():
    source = dataclasses.replace(TOKENIZER_SPECS["cl100k"].files[0], sha256="0" * 64)
    with pytest.raises(ValueError, match=r"sha256 mismatch for .*cl100k_base\.tiktoken\.gz"):
        load.read_checked(source)


def test_missing_package_names_it():
    source = dataclasses.replace(TOKENIZER_SPECS["cl100k"].files[0], package="no_such_pkg_xyz")
    with pytest.raises(FileNotFoundError, match="no_such_pkg_xyz"):
        load.package_file(source)


@pytest.mark.parametrize("name", bpe.TOKENIZERS)
def test_building_leaves_environ_unchanged_and_writes_no_cache(name, tmp_path, monkeypatch):
    monkeypatch.setenv("TIKTOKEN_CACHE_DIR", str(tmp_path))
    monkeypatch.setenv("DATA_GYM_CACHE_DIR", str(tmp_path))
    before = dict(os.environ)
    spans._loaded.cache_clear()  # force a real build, not the cached encoding
    assert bpe.get_encoding(name).name == TOKENIZER_SPECS[name].encoding_name
    assert dict(os.environ) == before
    assert list(tmp_path.iterdir()) == []


def _tiny_data_gym() -> tuple[bytes, bytes]:
    # vocab.bpe with two merges and the encoder.json that agrees with it, <|endoftext|> last
    vocab = "#version: 0.2\nĠ t\nĠt he\n".encode()
    ranks = formats.data_gym_merge_ranks(vocab)
    to_text = {}
    for char in map(chr, range(0x21, 0x144)):  # the 256 characters GPT-2 writes bytes as lie here
        if char not in "\x7f\xa0\xad" and not 0x80 <= ord(char) <= 0x9f:
            to_text[formats.gpt2_text_to_bytes(char)] = char
    assert len(to_text) == 256
    encoder = {"".join(to_text[bytes([b])] for b in tok): i for tok, i in ranks.items()}
    return vocab, json.dumps({**encoder, "<|endoftext|>": 258}).encode()


def test_data_gym_converter_checks_encoder_json():
    vocab, encoder = _tiny_data_gym()
    ranks = formats.data_gym_ranks(vocab, encoder, special_tokens={"<|endoftext|>": 258})
    assert len(ranks) == 258 and ranks[b" the"] == 257
    with pytest.raises(ValueError, match="special tokens other ids"):
        formats.data_gym_ranks(vocab, encoder, special_tokens={"<|endoftext|>": 300})
    swapped = encoder.replace(b'"\\u0120t": 256', b'"\\u0120t": 999')
    with pytest.raises(ValueError, match="disagree on 2"):
        formats.data_gym_ranks(vocab, swapped, special_tokens={"<|endoftext|>": 258})


def test_loading_writes_no_tiktoken_cache_and_never_imports_llama_models(tmp_path):
    # A fresh process with a cache dir we can inspect: loading all four must not write
    # there, must not import llama_models (its files are read, the package is not run)
    # and must leave TIKTOKEN_CACHE_DIR as it found it.
    code = (
        "import os, sys\n"
        "from blt_core import bpe\n"
        "for n in bpe.TOKENIZERS: bpe.tokenize('hi there', tokenizer=n)\n"
        "assert 'llama_models' not in sys.modules\n"
        "assert 'torch' not in sys.modules\n"
        f"assert os.environ['TIKTOKEN_CACHE_DIR'] == {str(tmp_path)!r}\n"
    )
    env = dict(os.environ, TIKTOKEN_CACHE_DIR=str(tmp_path), DATA_GYM_CACHE_DIR=str(tmp_path))
    root = Path(__file__).resolve().parents[1]
    subprocess.run([sys.executable, "-c", code], check=True, env=env, cwd=root)
    assert list(tmp_path.iterdir()) == []


def test_registry_lists_the_four_tokenizers():
    # the loops and parametrizations below run over this tuple: an empty one would pass them all
    assert set(bpe.TOKENIZERS) == {"llama3", "o200k", "cl100k", "gpt2"}


def test_spans_match_decode_tokens_bytes_on_multilingual():
    for name in bpe.TOKENIZERS:
        seg = bpe.tokenize(MULTILINGUAL, tokenizer=name)
        pieces = bpe.get_encoding(name).decode_tokens_bytes(seg.token_ids)
        assert [len(p) for p in pieces] == seg.token_byte_lengths.tolist()
        data = MULTILINGUAL.encode()
        for s, p in zip(seg.token_byte_starts.tolist(), pieces):
            assert data[s : s + len(p)] == p


def test_partial_char_marks_split_multibyte_characters():
    # GPT-2 has no token for "你" (3 bytes), so it is cut into byte-level pieces.
    seg = bpe.tokenize("你", tokenizer="gpt2")
    assert seg.n_tokens > 1
    assert seg.partial_char.all()
    # o200k holds "你" whole.
    seg = bpe.tokenize("你", tokenizer="o200k")
    assert seg.n_tokens == 1 and not seg.partial_char.any()


def test_invalid_bytes_become_marked_single_byte_tokens():
    data = b"ok\xff\x80ok"
    for name in bpe.TOKENIZERS:
        enc = bpe.get_encoding(name)
        seg = bpe.tokenize(data, tokenizer=name)
        bad = np.flatnonzero(seg.invalid_byte)
        assert seg.token_byte_starts[bad].tolist() == [2, 3]
        assert [seg.token_ids[i] for i in bad] == [
            enc.encode_single_token(b"\xff"),
            enc.encode_single_token(b"\x80"),
        ]
        # "ok" before 0x80 ends on a real boundary, so nothing is partial.
        assert not seg.partial_char.any()


def test_truncated_multibyte_char_is_invalid_bytes():
    # The first two bytes of "€" (e2 82 ac) without the third are two invalid bytes.
    seg = bpe.tokenize(b"a\xe2\x82", tokenizer="cl100k")
    assert seg.invalid_byte.tolist() == [False, True, True]


def test_empty_and_unknown_tokenizer_raise():
    with pytest.raises(ValueError, match="empty input"):
        bpe.tokenize(b"", tokenizer="gpt2")
    with pytest.raises(ValueError, match="unknown tokenizer"):
        bpe.tokenize(b"x", tokenizer="bert")


def test_to_dict_is_json_safe():
    d = bpe.tokenize("héllo 👋", tokenizer="llama3").to_dict()
    assert json.loads(json.dumps(d)) == d
    assert {"tokenizer", "n_bytes", "n_tokens", "token_ids", "token_byte_starts"} <= d.keys()
    assert d["n_bytes"] == len("héllo 👋".encode())


def test_whitespace_runs_and_code_round_trip_exactly():
    text = "x = 1\n\n\n\t\t    y\r\n" + " " * 40 + "end"
    for name in bpe.TOKENIZERS:
        seg = bpe.tokenize(text, tokenizer=name)
        assert bpe.get_encoding(name).decode_bytes(seg.token_ids) == text.encode()


def _check_round_trip(data: bytes, name: str) -> None:
    seg = bpe.tokenize(data, tokenizer=name)
    starts, lengths = seg.token_byte_starts, seg.token_byte_lengths
    assert starts[0] == 0 and (np.diff(starts) > 0).all() and (lengths > 0).all()
    assert seg.n_tokens == len(seg.token_ids) == len(starts)
    assert int(lengths.sum()) == seg.n_bytes == len(data)
    pieces = bpe.get_encoding(name).decode_tokens_bytes(seg.token_ids)
    assert b"".join(pieces) == data
    assert all(data[s : s + len(p)] == p for s, p in zip(starts.tolist(), pieces))
    # Every invalid token is exactly one byte.
    assert (lengths[seg.invalid_byte] == 1).all()


@pytest.mark.parametrize("name", bpe.TOKENIZERS)
@settings(max_examples=150, deadline=None)
@given(data=st.binary(min_size=1, max_size=200))
def test_round_trip_any_bytes(name, data):
    _check_round_trip(data, name)


@pytest.mark.parametrize("name", bpe.TOKENIZERS)
@settings(max_examples=100, deadline=None)
@given(text=st.text(min_size=1, max_size=100))
def test_round_trip_any_text(name, text):
    data = text.encode("utf-8", errors="surrogatepass")  # lone surrogates -> invalid bytes
    _check_round_trip(data, name)
    seg = bpe.tokenize(data, tokenizer=name)
    has_surrogate = any(0xD800 <= ord(c) <= 0xDFFF for c in text)
    assert seg.invalid_byte.any() == has_surrogate
