"""One global threshold for a whole corpus, from a sample of its documents.

The BLT authors tune the entropy threshold so that the mean patch length over the training
data hits a target (4.5 bytes for BLT-Entropy 8B); the pooled mean is total bytes / total
patches, not a mean of per-document means. `blt_core.calibrate.calibrate_threshold` does the
bisection on one array; pooled over documents it sees their entropies joined, with each
document's first byte raised above every real entropy so that it always opens a patch, as byte 0
of a document does. (That raised value is also a candidate; chosen, it would merge documents, so
the result is capped at the largest real entropy: every document one patch.)

>>> e = [np.array([3.0, 0.2, 0.1, 2.5]), np.array([1.0, 0.5])]   # 6 bytes
>>> c = corpus_threshold(e, target=2.0)          # starts [0, 3] and [0]: 6 / 3
>>> c.threshold, c.mean_patch_length, c.within_tolerance
(0.5, 2.0, True)
"""

from __future__ import annotations

import numpy as np

from blt_core.calibrate import Calibration, calibrate_threshold

DEFAULT_SAMPLE_DOCS = 1000  # documents scored for calibration: the first ones of the corpus


def pooled_mean_length(entropies: list[np.ndarray], threshold: float) -> float:
    """Total bytes / total patches over `entropies` (one array per document) at `threshold`.

    >>> pooled_mean_length([np.array([3.0, 0.2, 0.1, 2.5]), np.array([1.0, 0.5])], 1.0)
    2.0
    """
    n = sum(len(e) for e in entropies)
    patches = sum(1 + int(np.count_nonzero(np.asarray(e[1:]) > threshold)) for e in entropies)
    return n / patches


def corpus_threshold(entropies: list[np.ndarray], *, target: float) -> Calibration:
    """The threshold whose pooled mean patch length is nearest `target` (see the module doc)."""
    docs = [np.asarray(e, dtype=np.float64) for e in entropies if len(e)]
    if not docs:
        raise ValueError("cannot calibrate: the sample holds no bytes")
    top = max(float(d.max()) for d in docs)
    raised = top + 1.0
    joined = np.concatenate([np.concatenate([[raised], d[1:]]) for d in docs])
    cal = calibrate_threshold(joined, b"\0" * len(joined), target=target)
    theta = min(cal.threshold, top)
    achieved = pooled_mean_length(docs, theta)
    return Calibration(threshold=float(theta), mean_patch_length=achieved, target=float(target),
                       within_tolerance=abs(achieved - target) <= 0.02 * target)
