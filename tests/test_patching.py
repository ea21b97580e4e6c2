import numpy as np
import pytest

from blt_core.patching import (
    PATCH_MODES, PATCHERS, apply_max_length, byte_patch_starts, combined_patch_starts, entropy_patch_starts,
    monotonic_patch_starts, patch, patch_ids, patch_lengths, space_patch_starts, static_patch_starts,
)

E = np.array([3.0, 0.2, 0.1, 2.5, 0.4, 1.5])  # the hand-checkable example in patching.py's docstring


def test_global_rule_hand_example():
    starts = entropy_patch_starts(E, threshold=1.0)
    assert starts.tolist() == [0, 3, 5]
    assert patch_lengths(starts, 6).tolist() == [3, 2, 1]
    assert patch_ids(starts, 6).tolist() == [0, 0, 0, 1, 1, 2]


def test_threshold_is_strict():
    assert entropy_patch_starts(np.array([1.0, 1.0, 1.0]), threshold=1.0).tolist() == [0]


def test_monotonic_rule_hand_example():
    assert monotonic_patch_starts(E, theta_r=1.0).tolist() == [0, 3, 5]
    # a high but flat region opens no patch under the monotonic rule
    assert monotonic_patch_starts(np.array([0.1, 3.0, 3.1, 3.2]), theta_r=0.5).tolist() == [0, 1]


def test_combined_is_logical_and():
    e = np.array([3.0, 0.2, 0.1, 2.5, 2.6, 1.5])
    g = set(entropy_patch_starts(e, threshold=1.0).tolist())
    m = set(monotonic_patch_starts(e, theta_r=1.0).tolist())
    c = combined_patch_starts(e, threshold=1.0, theta_r=1.0).tolist()
    assert set(c) == (g & m) | {0}
    assert c == [0, 3]


def test_static_and_byte():
    assert static_patch_starts(10, patch_size=4).tolist() == [0, 4, 8]
    assert byte_patch_starts(3).tolist() == [0, 1, 2]
    with pytest.raises(ValueError):
        static_patch_starts(10, patch_size=0)


@pytest.mark.parametrize("data, starts", [
    (b"hi, you", [0, 4]),
    (b"a  b", [0, 3]),
    (b"  ab", [0, 2]),
    (b"abc", [0]),
    ("été".encode(), [0, 1, 4]),  # "\xc3" | "\xa9t\xc3" | "\xa9"  # lead bytes are spacelike, continuation bytes belong to their word
    ("日本".encode(), [0, 1, 4]),
])
def test_space_patcher(data, starts):
    assert space_patch_starts(data).tolist() == starts


def test_max_length_splits_long_patches():
    assert apply_max_length(np.array([0, 7]), 9, max_patch_length=3).tolist() == [0, 3, 6, 7]
    assert apply_max_length(np.array([0, 7]), 9, max_patch_length=None).tolist() == [0, 7]
    s = patch("entropy", np.zeros(10), b"x" * 10, threshold=1.0, max_patch_length=4)
    assert patch_lengths(s, 10).tolist() == [4, 4, 2]


def test_empty_input():
    for mode in PATCH_MODES:
        assert patch(mode, np.zeros(0), b"", threshold=1.0, theta_r=0.1, patch_size=4).tolist() == []


def test_every_mode_is_registered_and_valid():
    rng = np.random.default_rng(0)
    e = rng.uniform(0, 5, 200)
    data = bytes(rng.integers(0, 256, 200, dtype=np.uint8))
    assert set(PATCHERS) == set(PATCH_MODES) == {"entropy", "monotonic", "combined", "static", "space", "byte"}
    for mode in PATCH_MODES:
        s = patch(mode, e, data, threshold=2.0, theta_r=0.5, patch_size=5, max_patch_length=16)
        assert s[0] == 0 and np.all(np.diff(s) > 0) and s[-1] < 200
        assert patch_lengths(s, 200).sum() == 200 and patch_lengths(s, 200).max() <= 16


def test_unknown_mode():
    with pytest.raises(ValueError, match="unknown mode"):
        patch("bpe", E, b"abcdef")
