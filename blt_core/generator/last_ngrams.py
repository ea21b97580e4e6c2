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


class LastNgramHasher:
    """last_ngram_buckets as one integer matmul, for a loop that hashes every byte (~5 us, not
    ~100-270 us for the 33 small numpy steps of Horner's rule: graphed_stepper.py, where the GPU
    waits on the host between bytes). Horner's rule expanded: the hash of ids x_0 .. x_{n-1} is
    sum_j x_j * (prime**(n-1-j) % modulus), reduced once at the end; exact while every id is
    below 2**28 (8 terms under 2**31 * 2**28 fit int64), and token ids are below 260.

    >>> w = np.array([[0, 0, 1, 2, 3]])
    >>> h = LastNgramHasher((2, 3), buckets=1000, prime=10)
    >>> h(w).tolist(), last_ngram_buckets(w, (2, 3), buckets=1000, prime=10).tolist()
    ([[23, 123]], [[23, 123]])
    """

    def __init__(self, sizes: tuple[int, ...], *, buckets: int, prime: int = HASH_PRIME, modulus: int = HASH_MODULUS):
        self.width, self.buckets, self.modulus = max(sizes, default=1), buckets, modulus
        powers = [1]
        for _ in range(self.width - 1):
            powers.append(powers[-1] * prime % modulus)
        self.weights = np.zeros((self.width, len(sizes)), dtype=np.int64)  # row j: the id width - 1 - j back
        for i, n in enumerate(sizes):
            self.weights[self.width - n:, i] = powers[n - 1::-1]

    def __call__(self, window: np.ndarray) -> np.ndarray:
        """(B, N) ids with the newest last, N >= the largest n -> (B, len(sizes)) int64 buckets."""
        w = np.asarray(window, dtype=np.int64)[:, -self.width:]
        return w @ self.weights % self.modulus % self.buckets
