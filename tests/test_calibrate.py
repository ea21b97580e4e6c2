import numpy as np
import pytest

from blt_core.calibrate import calibrate_threshold
from blt_core.patching import patch


def test_hand_example():
    e = np.array([3.0, 0.2, 0.1, 2.5, 0.4, 1.5])
    c = calibrate_threshold(e, b"abcdef", target=3.0)
    assert c.mean_patch_length == 3.0 and c.within_tolerance
    assert patch("entropy", e, b"abcdef", threshold=c.threshold).tolist() == [0, 3]


@pytest.mark.parametrize("mode", ["entropy", "monotonic", "combined"])
@pytest.mark.parametrize("target", [1.5, 4.5, 6.0, 8.0])
def test_hits_target_within_two_percent(mode, target):
    if mode == "combined" and target < 2:
        # combined patch starts are a subset of the monotonic ones (theta_r = 0 here), so a mean
        # of 1.5 bytes is out of reach: calibration must return the nearest achievable value
        e = np.random.default_rng(1).gamma(2.0, 0.7, 5000)
        c = calibrate_threshold(e, b"x" * 5000, target=target, mode=mode, theta_r=0.0, threshold=0.5)
        floor = 5000 / len(patch("combined", e, b"x" * 5000, threshold=-1.0, theta_r=0.0))
        assert not c.within_tolerance and c.mean_patch_length == pytest.approx(floor)
        return
    rng = np.random.default_rng(1)
    e = rng.gamma(2.0, 0.7, 5000)
    data = b"x" * 5000
    c = calibrate_threshold(e, data, target=target, mode=mode, theta_r=0.0, threshold=0.5)
    assert abs(c.mean_patch_length - target) <= 0.02 * target
    kw = {"theta_r": c.threshold, "threshold": 0.5} if mode == "monotonic" else {"threshold": c.threshold, "theta_r": 0.0}
    assert 5000 / len(patch(mode, e, data, **kw)) == c.mean_patch_length


def test_with_max_patch_length_counts_after_splitting():
    e = np.zeros(1000)
    e[::50] = 5.0  # patches of 50 unless split
    c = calibrate_threshold(e, b"x" * 1000, target=8.0, max_patch_length=8)
    starts = patch("entropy", e, b"x" * 1000, threshold=c.threshold, max_patch_length=8)
    assert 1000 / len(starts) == c.mean_patch_length
    assert abs(c.mean_patch_length - 8.0) / 8 < 0.2  # nearest achievable


def test_nearest_achievable_when_exact_impossible():
    e = np.array([5.0, 1.0, 1.0, 1.0])  # ties: only 4 patches (mean 1) or 1 patch (mean 4) possible
    c = calibrate_threshold(e, b"abcd", target=2.0)
    assert c.mean_patch_length == 1.0 and not c.within_tolerance  # |1 - 2| < |4 - 2|


@pytest.mark.parametrize("target", [0.5, 100.0, float("nan")])
def test_impossible_targets(target):
    with pytest.raises(ValueError):
        calibrate_threshold(np.ones(10), b"x" * 10, target=target)
