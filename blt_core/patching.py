"""Every patcher as a pure function: (entropies or bytes, options) -> patch starts.

A patching is an int64 array of patch start offsets, strictly increasing, first 0
(empty for empty input). Alignment (stated once, DESIGN.md): `entropies[k]` is the
model's entropy, in nats, when predicting byte k from BOS and bytes 0..k-1, so the
rule "byte k starts a patch when entropies[k] > theta" cuts *before* a hard byte.

Hand-checkable example, global rule with theta = 1.0:

    entropies = [3.0, 0.2, 0.1, 2.5, 0.4, 1.5]
    starts    = [0, 3, 5]        # byte 0 always starts; bytes 3 and 5 exceed 1.0
    lengths   = [3, 2, 1]

Approximately monotonic with theta_r = 1.0 on the same array: differences
e[k] - e[k-1] = [-2.8, -0.1, 2.4, -2.1, 1.1] -> starts [0, 3, 5].
"""

from __future__ import annotations

import numbers
from typing import Callable

import numpy as np

PATCH_MODES = ("entropy", "monotonic", "combined", "static", "space", "byte")


def _count(name: str, value, *, minimum: int) -> int:
    """`value` as an int of at least `minimum`; ValueError otherwise (a float n would allocate without bound).

    >>> _count("n_bytes", 2.5, minimum=0)
    Traceback (most recent call last):
    ...
    ValueError: n_bytes must be an integer >= 0, got 2.5
    """
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}, got {value!r}")
    return int(value)


def _starts_from_flags(flags: np.ndarray) -> np.ndarray:
    """Boolean 'starts a patch' per byte -> start offsets; byte 0 always starts one."""
    if flags.size == 0:
        return np.zeros(0, dtype=np.int64)
    flags = flags.copy()
    flags[0] = True
    return np.flatnonzero(flags).astype(np.int64)


def exceeds(entropies: np.ndarray, threshold: float) -> np.ndarray:
    """The global rule's comparison, in the entropies' own dtype (float32 from both backends).

    Every user of the rule calls this, the generator's online decision included, so a tie
    resolves the same way everywhere: np.float32(1.1) > 1.1 compares in float32, so False.
    >>> exceeds(np.array([1.1, 1.2], dtype=np.float32), 1.1).tolist()
    [False, True]
    """
    return np.asarray(entropies) > threshold


def entropy_patch_starts(entropies: np.ndarray, *, threshold: float) -> np.ndarray:
    """Global rule: byte k > 0 starts a patch when entropies[k] > threshold.

    >>> entropy_patch_starts(np.array([3.0, 0.2, 0.1, 2.5, 0.4, 1.5]), threshold=1.0).tolist()
    [0, 3, 5]
    """
    return _starts_from_flags(exceeds(entropies, threshold))


def monotonic_patch_starts(entropies: np.ndarray, *, theta_r: float) -> np.ndarray:
    """Approximately monotonic rule: byte k starts a patch when e[k] - e[k-1] > theta_r.

    >>> monotonic_patch_starts(np.array([3.0, 0.2, 0.1, 2.5, 0.4, 1.5]), theta_r=1.0).tolist()
    [0, 3, 5]
    """
    e = np.asarray(entropies, dtype=np.float64)
    flags = np.zeros(e.shape, dtype=bool)
    flags[1:] = (e[1:] - e[:-1]) > theta_r
    return _starts_from_flags(flags)


def combined_patch_starts(entropies: np.ndarray, *, threshold: float, theta_r: float) -> np.ndarray:
    """Both rules at once (logical AND): high entropy *and* a jump over the previous byte.

    >>> combined_patch_starts(np.array([3.0, 0.2, 0.1, 2.5, 2.6, 1.5]), threshold=1.0, theta_r=1.0).tolist()
    [0, 3]
    """
    e = np.asarray(entropies, dtype=np.float64)
    flags = e > threshold
    jump = np.zeros(e.shape, dtype=bool)
    jump[1:] = (e[1:] - e[:-1]) > theta_r
    return _starts_from_flags(flags & jump)


def static_patch_starts(n_bytes: int, *, patch_size: int) -> np.ndarray:
    """MegaByte: fixed patches of patch_size bytes (the last may be shorter).

    >>> static_patch_starts(10, patch_size=4).tolist()
    [0, 4, 8]
    """
    return np.arange(0, _count("n_bytes", n_bytes, minimum=0), _count("patch_size", patch_size, minimum=1),
                     dtype=np.int64)


def byte_patch_starts(n_bytes: int) -> np.ndarray:
    """Every byte its own patch (what a byte-level model such as ByT5 steps over)."""
    return np.arange(_count("n_bytes", n_bytes, minimum=0), dtype=np.int64)


def spacelike(data: bytes) -> np.ndarray:
    """Per byte: True for ASCII non-alphanumerics and UTF-8 lead bytes, as the official code.

    Continuation bytes (0b10xxxxxx) are not spacelike: they belong to their character.
    >>> spacelike(b"a b").tolist()
    [False, True, False]
    """
    b = np.frombuffer(data, dtype=np.uint8)
    ascii_alnum = ((b >= 48) & (b <= 57)) | ((b >= 65) & (b <= 90)) | ((b >= 97) & (b <= 122))
    continuation = (b & 0xC0) == 0x80
    return ~ascii_alnum & ~continuation


def space_patch_starts(data: bytes) -> np.ndarray:
    """SpaceByte-like, as the official code does it: a patch starts after each run of spacelike bytes.

    Spacelike bytes are ASCII non-alphanumerics and UTF-8 lead bytes; continuation bytes
    belong to their word. So byte k > 0 starts a patch when it is not spacelike and byte
    k-1 is, which puts the spaces at the end of the previous patch:

    >>> space_patch_starts(b"hi, you").tolist()   # "hi, " | "you"
    [0, 4]

    Every non-ASCII character starts with a (spacelike) lead byte, so "été" splits as
    "\\xc3" | "\\xa9t\\xc3" | "\\xa9": the rule's known quirk, kept for parity.
    """
    s = spacelike(data)
    flags = np.zeros(len(s), dtype=bool)
    flags[1:] = ~s[1:] & s[:-1]
    return _starts_from_flags(flags)


def apply_max_length(starts: np.ndarray, n_bytes: int, *, max_patch_length: int | None) -> np.ndarray:
    """Split every patch longer than max_patch_length into pieces of at most that length.

    >>> apply_max_length(np.array([0, 7]), 9, max_patch_length=3).tolist()
    [0, 3, 6, 7]
    """
    if max_patch_length is None or len(starts) == 0:
        return np.asarray(starts, dtype=np.int64)
    if max_patch_length < 1:
        raise ValueError(f"max_patch_length must be at least 1, got {max_patch_length}")
    ends = np.append(starts[1:], n_bytes)
    pieces = [np.arange(s, e, max_patch_length) for s, e in zip(starts.tolist(), ends.tolist())]
    return np.concatenate(pieces).astype(np.int64)


def patch_lengths(starts: np.ndarray, n_bytes: int) -> np.ndarray:
    """Start offsets -> lengths: [0, 3, 5] over 6 bytes -> [3, 2, 1]."""
    return np.diff(np.append(np.asarray(starts, dtype=np.int64), n_bytes))


def patch_ids(starts: np.ndarray, n_bytes: int) -> np.ndarray:
    """Patch index of every byte: [0, 3, 5] over 6 bytes -> [0, 0, 0, 1, 1, 2]."""
    flags = np.zeros(n_bytes, dtype=np.int64)
    flags[np.asarray(starts, dtype=np.int64)] = 1
    return np.cumsum(flags) - 1


# mode -> function(entropies, data, options) -> starts. Options are PatchOptions fields.
PATCHERS: dict[str, Callable[..., np.ndarray]] = {
    "entropy": lambda e, data, o: entropy_patch_starts(e, threshold=o["threshold"]),
    "monotonic": lambda e, data, o: monotonic_patch_starts(e, theta_r=o["theta_r"]),
    "combined": lambda e, data, o: combined_patch_starts(e, threshold=o["threshold"], theta_r=o["theta_r"]),
    "static": lambda e, data, o: static_patch_starts(len(data), patch_size=o["patch_size"]),
    "space": lambda e, data, o: space_patch_starts(data),
    "byte": lambda e, data, o: byte_patch_starts(len(data)),
}


def patch(mode: str, entropies: np.ndarray, data: bytes, *, threshold: float | None = None,
          theta_r: float | None = None, patch_size: int | None = None,
          max_patch_length: int | None = None) -> np.ndarray:
    """Dispatch to the patcher of `mode`, then apply the maximum length.

    >>> patch("entropy", np.array([3.0, 0.2, 0.1, 2.5, 0.4, 1.5]), b"abcdef", threshold=1.0).tolist()
    [0, 3, 5]
    """
    if mode not in PATCHERS:
        raise ValueError(f"unknown mode {mode!r}; choose one of {', '.join(PATCH_MODES)}")
    opts = {"threshold": threshold, "theta_r": theta_r, "patch_size": patch_size}
    starts = PATCHERS[mode](entropies, data, opts)
    return apply_max_length(starts, len(data), max_patch_length=max_patch_length)
