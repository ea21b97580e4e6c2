r"""Rank-file formats -> mergeable ranks ({token bytes: rank}), as pure functions of file contents.

Two formats ship: tiktoken's (one line per token, base64 and rank) and OpenAI's older
"data-gym" pair that GPT-2 uses (vocab.bpe, the merges in priority order, and encoder.json,
the token -> id map). Both give the table `tiktoken.Encoding` takes:

>>> parse_tiktoken_ranks(b"aGk= 5\n")
{b'hi': 5}
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable, Mapping, Sequence

# GPT-2 writes every byte as a visible character so that vocab.bpe and encoder.json are plain
# text without spaces: the 188 bytes that Latin-1 prints as themselves (space excluded) stand
# for themselves, and the other 68 (controls, space, DEL, NBSP, soft hyphen) are written as
# U+0100, U+0101, ... in byte order. The same order gives the 256 single-byte ranks: the 188
# first, then the 68.
_SELF_BYTES = (*range(0x21, 0x7F), *range(0xA1, 0xAD), *range(0xAE, 0x100))
_SHIFTED_BYTES = tuple(b for b in range(256) if b not in _SELF_BYTES)
_GPT2_BYTE_RANK_ORDER = _SELF_BYTES + _SHIFTED_BYTES
_GPT2_CHAR_TO_BYTE = {chr(b): b for b in _SELF_BYTES} | {
    chr(0x100 + i): b for i, b in enumerate(_SHIFTED_BYTES)
}


def parse_tiktoken_ranks(data: bytes) -> dict[bytes, int]:
    r"""Lines "<base64 token> <rank>" -> ranks: b"aGk= 5\n" -> {b"hi": 5}."""
    ranks = {}
    for line in data.splitlines():
        if line:
            token, rank = line.split()
            ranks[base64.b64decode(token)] = int(rank)
    return ranks


def gpt2_text_to_bytes(text: str) -> bytes:
    """Undo GPT-2's byte-to-character map: "Ġthe" -> b" the" ("Ġ" is U+0120, byte 0x20)."""
    return bytes(_GPT2_CHAR_TO_BYTE[c] for c in text)


def data_gym_merge_ranks(vocab_bpe: bytes) -> dict[bytes, int]:
    r"""Ranks from vocab.bpe: the 256 single bytes, then one rank per merge line, in order.

    The first line is a version header; each other line "a b" says that tokens a and b merge
    into ab, and its position is ab's priority. Worked example:

    >>> ranks = data_gym_merge_ranks("#version: 0.2\nĠ t\nĠt he\n".encode())
    >>> ranks[b"!"], ranks[b"\x00"], ranks[b" "], ranks[b" t"], ranks[b" the"]
    (0, 188, 220, 256, 257)
    """
    ranks = {bytes([b]): rank for rank, b in enumerate(_GPT2_BYTE_RANK_ORDER)}
    merges = [line for line in vocab_bpe.decode("utf-8").splitlines()[1:] if line]
    for i, line in enumerate(merges):
        left, right = line.split()
        ranks[gpt2_text_to_bytes(left) + gpt2_text_to_bytes(right)] = len(_GPT2_BYTE_RANK_ORDER) + i
    return ranks


def data_gym_ranks(
    vocab_bpe: bytes, encoder_json: bytes, *, special_tokens: Mapping[str, int]
) -> dict[bytes, int]:
    """Ranks from vocab.bpe, checked against the ids encoder.json gives every token.

    BPE merges pairs in rank order, so the ids are only right if merge priority and id agree;
    encoder.json must list exactly the merge ranks plus the given special tokens, at the
    given ids. Raises ValueError where they differ.
    """
    ranks = data_gym_merge_ranks(vocab_bpe)
    encoder = json.loads(encoder_json)
    listed_specials = {name: encoder.pop(name) for name in special_tokens if name in encoder}
    if any(special_tokens[name] != i for name, i in listed_specials.items()):
        raise ValueError(f"encoder.json gives special tokens other ids: {listed_specials}")
    from_encoder = {gpt2_text_to_bytes(token): i for token, i in encoder.items()}
    if from_encoder != ranks:
        differ = sorted(set(from_encoder.items()) ^ set(ranks.items()), key=lambda kv: kv[1])
        raise ValueError(
            f"encoder.json and vocab.bpe disagree on {len(differ)} (token, rank) pairs, "
            f"first {differ[:3]}"
        )
    return ranks


# A parser takes the contents of TokenizerSpec.files, in order, and the spec's special tokens
# (which only data-gym's encoder.json also lists).
RankParser = Callable[[Sequence[bytes], Mapping[str, int]], dict[bytes, int]]


def _tiktoken_format(
    contents: Sequence[bytes], special_tokens: Mapping[str, int]
) -> dict[bytes, int]:
    (ranks_file,) = contents
    return parse_tiktoken_ranks(ranks_file)


def _data_gym_format(
    contents: Sequence[bytes], special_tokens: Mapping[str, int]
) -> dict[bytes, int]:
    vocab_bpe, encoder_json = contents
    return data_gym_ranks(vocab_bpe, encoder_json, special_tokens=special_tokens)


RANK_PARSERS: Mapping[str, RankParser] = {  # keyed by TokenizerSpec.rank_format
    "tiktoken": _tiktoken_format,
    "data-gym": _data_gym_format,
}
