"""Offline BPE baselines (Llama 3, GPT-4o, GPT-4, GPT-2): tokenizers as data, loading, byte spans."""

from blt_core.bpe.tokenizers import TOKENIZERS, Segmentation, count_tokens, get_encoding, tokenize

__all__ = ["TOKENIZERS", "Segmentation", "count_tokens", "get_encoding", "tokenize"]
