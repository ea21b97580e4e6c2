"""A batch of documents through the entropy model, then patched: one model pass for many documents.

The documents are joined into one byte string and scored as independent segments
(`entropy.scoring.score_bytes(segments=...)`): each starts from BOS with no context from the
others, so every document's entropies equal `blt_core.score` on it alone (to float tolerance),
while short documents share packed rows and long ones are chunked side by side, so a GPU sees
large batches. Patches come from `patching.patch` with the global entropy rule.

>>> starts_lengths(np.array([3.0, 0.2, 0.1, 2.5]), b"abcd", threshold=1.0)
array([3, 1], dtype=int32)
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np

from blt_core.constants import THRESHOLD_CEILING
from blt_core.entropy.scoring import score_bytes
from blt_core.patching import exceeds, patch, patch_lengths


@dataclass(frozen=True)
class Scorer:
    """What scoring a batch needs from a loaded model (api.load_model) and the run's options."""

    score_chunk: Callable
    window: int
    stack: Callable = np.stack
    row_tokens: int | None = None  # official chunking's row length, None for the continuous pass
    batch_tokens: int = 16384  # tokens per model call
    lag: bool = False  # the backend defers its outputs (a GPU): score_bytes(lag=True)
    context: int = 0  # ids before each chunk the model reads (n-gram models): score_bytes(context=...)


def score_documents(scorer: Scorer, docs: list[bytes]) -> list[np.ndarray]:
    """float32 entropies (nats) of each non-empty document, scored independently in shared calls."""
    if any(not d for d in docs):
        raise ValueError("empty documents cannot be scored")
    ends = np.cumsum([len(d) for d in docs]).tolist()
    segs = list(zip([0] + ends[:-1], ends))
    s = score_bytes(scorer.score_chunk, b"".join(docs), window=scorer.window, segments=segs,
                    row_tokens=scorer.row_tokens, batch_tokens=scorer.batch_tokens, stack=scorer.stack,
                    lag=scorer.lag, context=scorer.context)
    return [s.entropies[a:b] for a, b in segs]


def starts_lengths(entropies: np.ndarray, data: bytes, *, threshold: float) -> np.ndarray:
    """Patch lengths (int32) under the global rule at `threshold`, as blt_core.patch_scores cuts them."""
    starts = patch("entropy", entropies, data, threshold=min(threshold, THRESHOLD_CEILING))
    return patch_lengths(starts, len(data)).astype(np.int32)


def batch_patch_lengths(entropies: list[np.ndarray], *, threshold: float) -> list[np.ndarray]:
    """starts_lengths of many non-empty documents in one pass over their joined entropies (one numpy
    call per document took a tenth of score-corpus's host time); each document starts a patch.
    >>> [x.tolist() for x in batch_patch_lengths([np.array([3.0, 0.2, 2.5]), np.array([0.1, 0.3])], threshold=1.0)]
    [[2, 1], [2]]
    """
    bounds = np.concatenate([[0], np.cumsum([len(e) for e in entropies])]).astype(np.int64)
    flags = exceeds(np.concatenate(entropies), min(threshold, THRESHOLD_CEILING))
    flags[bounds[:-1]] = True
    starts = np.flatnonzero(flags)
    lengths = np.diff(np.append(starts, bounds[-1])).astype(np.int32)
    return np.split(lengths, np.searchsorted(starts, bounds[1:-1]))
