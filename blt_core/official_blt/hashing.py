"""The released n-gram hash: which hash-table row each byte's last n tokens add to its embedding.

For n in the config's sizes (3..8) and each hash function f, the n tokens ending at position t
(token ids, with id 0 before the start) hash as sum_i ids[t-n+1+i] * prime_f**i in wrapping
int64 arithmetic, then modulo the bucket count (a non-negative remainder, as torch's `%`).
The primes are the released ones; table f * len(sizes) + j holds size j of function f.

>>> ids = torch.tensor([[1, 108, 105]])  # BOS "h" "e"
>>> hash_ids(ids, (3,), buckets=1000, functions=1)[0, :, 0].tolist()
[49, 603, 206]
>>> w = (1 + 108 * 1000000007 + 105 * 1000000007 ** 2) % 2**64  # the last one by hand: wrap to int64
>>> (w - 2**64 if w >= 2**63 else w) % 1000
206
"""

from __future__ import annotations

import torch

# facebookresearch/blt's primes, one per hash function, in its order
HASH_PRIMES = (1000000007, 5915587277, 1500450271, 3267000013, 5754853343, 4093082899, 9576890767,
               3628273133, 2860486313, 5463458053, 3367900313)


def _powers(prime: int, n: int, device) -> torch.Tensor:
    """prime**0 .. prime**(n-1) modulo 2**64 as int64 (two's complement), what int64 arithmetic wraps to."""
    wrapped = [pow(prime, i, 1 << 64) for i in range(n)]
    return torch.tensor([w - (1 << 64) if w >= 1 << 63 else w for w in wrapped], dtype=torch.int64, device=device)


def hash_ids(ids: torch.Tensor, sizes: tuple[int, ...], *, buckets: int, functions: int) -> torch.Tensor:
    """(B, T) token ids -> (B, T, functions * len(sizes)) rows into each hash table."""
    ids = ids.long()
    out = []
    for f in range(functions):
        prime = HASH_PRIMES[f % len(HASH_PRIMES)]
        for n in sizes:
            padded = torch.cat([ids.new_zeros(ids.shape[0], n - 1), ids], dim=1)
            windows = padded.unfold(1, n, 1)  # (B, T, n): oldest token first
            out.append((windows * _powers(prime, n, ids.device)).sum(-1) % buckets)
    return torch.stack(out, dim=-1)


def last_hash_ids(window: torch.Tensor, sizes: tuple[int, ...], *, buckets: int, functions: int) -> torch.Tensor:
    """(B, max n) ids ending at the current position (id 0 before the start) -> (B, tables) rows:
    the same numbers as hash_ids' last position, from only the tokens a step keeps.

    >>> w = torch.tensor([[0, 1, 108, 105]])
    >>> last_hash_ids(w, (3, 4), buckets=1000, functions=1).tolist()
    [[206, 218]]
    """
    return hash_ids(window, sizes, buckets=buckets, functions=functions)[:, -1]
