"""BPE tokens with their byte spans, so they can be drawn on the same byte axis as BLT's patches.

>>> seg = tokenize(b"hello world", tokenizer="cl100k")
>>> seg.token_ids, seg.token_byte_starts.tolist(), seg.token_byte_lengths.tolist()
([15339, 1917], [0, 5], [5, 6])

Invalid UTF-8 cannot be given to a BPE model as text, so the input is split into
maximal valid runs and invalid bytes; each invalid byte becomes the single-byte
token for that byte value and is marked in `invalid_byte`.
"""

from __future__ import annotations

import functools
import re
import threading
from dataclasses import dataclass

import numpy as np
import tiktoken

from blt_core.bpe.load import build_encoding
from blt_core.bpe.registry import TOKENIZER_SPECS, TOKENIZERS
from blt_core.bytes_codec import to_bytes
from blt_core.results import Segmentation

# Serialises first loads so two threads never build the same 200k-entry table twice;
# afterwards lru_cache answers without the lock and tiktoken encodes concurrently.
_LOAD_LOCK = threading.Lock()


@dataclass(frozen=True)
class _Loaded:
    encoding: tiktoken.Encoding
    token_lengths: np.ndarray  # int64 byte length of every mergeable rank, indexed by id
    byte_token: np.ndarray  # int64 id of the single-byte token for each byte value 0..255


def _check_name(tokenizer: str) -> None:
    if tokenizer not in TOKENIZER_SPECS:
        raise ValueError(f"unknown tokenizer {tokenizer!r}; choose one of {', '.join(TOKENIZERS)}")


@functools.lru_cache(maxsize=None)
def _loaded(name: str) -> _Loaded:
    with _LOAD_LOCK:
        enc = build_encoding(TOKENIZER_SPECS[name])
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
