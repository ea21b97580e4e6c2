"""The hashed n-gram buckets of the newest token, in numpy (no torch): what a generation step needs.

A step needs only the n-grams ending at its one new token, not a rolling hash over a window
(hashing.py, for training): computing these few numbers outside the step graphs took about
150 of the local step's 376 ONNX nodes out. Same arithmetic as hashing.rolling_hash (Horner's
rule, reduced modulo a Mersenne prime after every step, int64 never overflows), so the
buckets are identical; tests/blt/test_hashing.py checks it.

>>> last_ngram_buckets(np.array([[0, 0, 1, 2, 3]]), (2, 3), buckets=1000, prime=10).tolist()
[[23, 123]]
"""

from __future__ import annotations

import numpy as np

HASH_PRIME = 1_000_000_007  # the official first hash prime
HASH_MODULUS = 2**31 - 1  # Mersenne prime: (h * prime + x) < 2**62 fits int64


def last_ngram_buckets(window: np.ndarray, sizes: tuple[int, ...], *, buckets: int, prime: int = HASH_PRIME,
                       modulus: int = HASH_MODULUS) -> np.ndarray:
    """(B, N) ids with the newest last (BOE-padded, N >= max(sizes)) -> (B, len(sizes)) int64 buckets."""
    w = np.asarray(window, dtype=np.int64)
    out = np.empty((w.shape[0], len(sizes)), dtype=np.int64)
    for i, n in enumerate(sizes):
        h = np.zeros(w.shape[0], dtype=np.int64)
        for j in range(w.shape[1] - n, w.shape[1]):  # oldest id first
            h = (h * prime + w[:, j]) % modulus
        out[:, i] = h % buckets
    return out
