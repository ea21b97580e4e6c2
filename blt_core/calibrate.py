"""Find the threshold that gives a target mean patch length (pure numpy).

Mean patch length = n_bytes / n_patches falls as the threshold falls, in steps: it only
changes when the threshold crosses one of the entropies. So instead of bisecting a real
interval blindly, we bisect over the sorted distinct candidate values (the rule is
"e > theta", so theta = a candidate value puts that byte inside a patch) and return the
candidate whose mean is nearest the target. That is the nearest achievable value, and it
lies within 2% of the target whenever any threshold does.

>>> e = np.array([3.0, 0.2, 0.1, 2.5, 0.4, 1.5])
>>> calibrate_threshold(e, b"abcdef", target=3.0).mean_patch_length   # starts [0, 3] -> 6 / 2
3.0
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from blt_core.patching import patch


@dataclass(frozen=True)
class Calibration:
    threshold: float  # the calibrated value (theta_r for monotonic mode, theta otherwise)
    mean_patch_length: float  # what that value achieves on these bytes
    target: float
    within_tolerance: bool  # achieved within `tolerance` (relative) of target


def _mean_length(starts: np.ndarray, n: int) -> float:
    return n / max(len(starts), 1)


def calibrate_threshold(entropies: np.ndarray, data: bytes, *, target: float, mode: str = "entropy",
                        theta_r: float | None = None, threshold: float | None = None,
                        max_patch_length: int | None = None, tolerance: float = 0.02) -> Calibration:
    """Bisect the threshold (theta_r in monotonic mode) until the mean patch length hits `target`.

    Raises ValueError when the target is impossible (below 1 byte, above the whole input, or
    above `max_patch_length`).
    """
    e = np.asarray(entropies, dtype=np.float64)
    n = len(e)
    if n == 0:
        raise ValueError("cannot calibrate on empty input")
    if not np.isfinite(target) or target < 1.0:
        raise ValueError(f"target mean patch length must be at least 1 byte, got {target}")
    if target > n:
        raise ValueError(f"target mean patch length {target} exceeds the input length ({n} bytes)")
    if max_patch_length is not None and target > max_patch_length:
        raise ValueError(f"target {target} exceeds the maximum patch length {max_patch_length}")
    if mode not in ("entropy", "monotonic", "combined"):
        raise ValueError(f"calibration applies to entropy, monotonic and combined modes, not {mode!r}")

    if mode == "monotonic":
        values = np.diff(e)
    else:
        values = e[1:]
    cands = np.unique(values) if len(values) else np.zeros(1)
    # candidate 0 (below everything) -> most patches; the last candidate -> fewest
    cands = np.concatenate([[cands[0] - 1.0], cands])

    def mean_at(c: float) -> float:
        kw = {"theta_r": c, "threshold": threshold} if mode == "monotonic" else {"threshold": c, "theta_r": theta_r}
        starts = patch(mode, e, data, max_patch_length=max_patch_length, **kw)
        return _mean_length(starts, n)

    lo, hi = 0, len(cands) - 1  # mean_at is non-decreasing in the candidate index
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if mean_at(float(cands[mid])) < target:
            lo = mid
        else:
            hi = mid
    best = min((lo, hi), key=lambda i: abs(mean_at(float(cands[i])) - target))
    achieved = mean_at(float(cands[best]))
    return Calibration(threshold=float(cands[best]), mean_patch_length=achieved, target=float(target),
                       within_tolerance=abs(achieved - target) <= tolerance * target)
