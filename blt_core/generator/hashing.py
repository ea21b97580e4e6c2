"""Hashed n-gram ids: a rolling polynomial hash of the n ids ending at each position.

For position i and size n the n-gram is ids[i-n+1 .. i], with BOE (id 0) standing in for
positions before the start. Its hash is Horner's rule, reduced modulo a Mersenne prime
after every step so int64 never overflows (identical in torch, ONNX and Python ints):

    h = 0;  for x in ngram: h = (h * prime + x) % modulus;   bucket = h % buckets

With prime 10 and a large modulus the hash reads as decimal digits:
>>> rolling_hash(torch.tensor([[1, 2, 3]]), 3, buckets=1000, prime=10).tolist()
[[1, 12, 123]]
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from blt_core.generator.last_ngrams import HASH_MODULUS, HASH_PRIME  # noqa: F401 (re-exported)


def rolling_hash(ids: torch.Tensor, n: int, *, buckets: int, prime: int = HASH_PRIME,
                 modulus: int = HASH_MODULUS) -> torch.Tensor:
    """ids (B, T) int64 -> (B, T) bucket of the n-gram ending at each position (BOE-padded left)."""
    T = ids.shape[1]
    padded = F.pad(ids, (n - 1, 0), value=0)  # BOE = 0 before the start
    h = torch.zeros_like(ids)
    for j in range(n):  # oldest id first
        h = (h * prime + padded[:, j:j + T]) % modulus
    return h % buckets


def ngram_hash_ids(ids: torch.Tensor, sizes: tuple[int, ...], buckets: int) -> torch.Tensor:
    """ids (B, T) -> (B, T, len(sizes)): one bucket per n-gram size."""
    return torch.stack([rolling_hash(ids, n, buckets=buckets) for n in sizes], dim=-1)
