"""Transitional alias of `blt_core.bpe` for importers not yet moved to it.

Delete once blt_core/cli/tokenize.py, blt_core/cli/compute.py, blt_core/segments.py and
tests/test_noise.py import from `blt_core.bpe`.
"""

from blt_core.bpe import TOKENIZERS, Segmentation, count_tokens, get_encoding, tokenize

__all__ = ["TOKENIZERS", "Segmentation", "count_tokens", "get_encoding", "tokenize"]
