"""Hashed n-gram ids: hand-checkable values and parity with Python big integers."""
import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from blt_core.generator.hashing import HASH_MODULUS, HASH_PRIME, ngram_hash_ids, rolling_hash


def test_decimal_digits_by_hand():
    # prime 10: the hash of (a, b, c) is the decimal number abc; BOE (0) pads the left
    got = rolling_hash(torch.tensor([[1, 2, 3, 4]]), 3, buckets=10**6, prime=10)
    assert got.tolist() == [[1, 12, 123, 234]]


def test_buckets_reduce_last():
    assert rolling_hash(torch.tensor([[1, 2, 3]]), 2, buckets=7, prime=10).tolist() == [[1, 12 % 7, 23 % 7]]


def test_default_prime_example():
    # "AB" = ids 69, 70; n=2 hash = (69 * P + 70) mod (2^31 - 1), then mod buckets
    h = (69 * HASH_PRIME + 70) % HASH_MODULUS
    assert rolling_hash(torch.tensor([[69, 70]]), 2, buckets=2**40)[0, 1].item() == h
    assert h == 280523849  # by hand: 69 * 1_000_000_007 + 70 = 69_000_000_553; minus 32 * (2^31 - 1)


def reference(ids, n, buckets):
    out = []
    for i in range(len(ids)):
        gram = [0] * max(0, n - 1 - i) + ids[max(0, i - n + 1): i + 1]
        h = 0
        for x in gram:
            h = (h * HASH_PRIME + x) % HASH_MODULUS
        out.append(h % buckets)
    return out


@settings(max_examples=30, deadline=None)
@given(st.lists(st.integers(0, 259), min_size=1, max_size=20), st.integers(1, 8), st.integers(1, 50000))
def test_matches_python_reference(ids, n, buckets):
    assert rolling_hash(torch.tensor([ids]), n, buckets=buckets)[0].tolist() == reference(ids, n, buckets)


def test_one_table_per_size():
    ids = torch.tensor([[72, 105, 33]])
    got = ngram_hash_ids(ids, (3, 4), 100)
    assert got.shape == (1, 3, 2)
    assert got[0, :, 0].tolist() == reference([72, 105, 33], 3, 100)


@pytest.mark.parametrize("length", [1, 5, 12])
def test_last_ngram_buckets_equal_rolling_hash(length):
    """The numpy buckets a generation step uses are the training hash's buckets at the newest id,
    also for a text shorter than the largest n-gram (the step's window is BOE-padded)."""
    from blt_core.generator.last_ngrams import last_ngram_buckets

    ids = torch.randint(1, 260, (3, length), generator=torch.Generator().manual_seed(length))
    sizes, buckets = (3, 4, 5, 6, 7, 8), 16384
    want = ngram_hash_ids(ids, sizes, buckets)[:, -1]
    window = np.pad(ids.numpy(), ((0, 0), (8, 0)))[:, -8:]  # BOE = 0 before the start
    assert last_ngram_buckets(window, sizes, buckets=buckets).tolist() == want.tolist()
