"""Offline BPE baselines (Llama 3, GPT-4o, GPT-4, GPT-2).

registry: the tokenizers as data; formats: rank files -> ranks; load: files -> hash-checked
encoding; spans: tokens with byte spans.
"""

from blt_core.bpe.registry import TOKENIZERS
from blt_core.bpe.spans import count_tokens, get_encoding, tokenize
from blt_core.results import Segmentation

__all__ = ["TOKENIZERS", "Segmentation", "count_tokens", "get_encoding", "tokenize"]
