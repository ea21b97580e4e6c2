"""Where the released BLT's patches lie in a token sequence, and which patch each byte's
decoder reads (numpy only).

Tokens: BOS at 0, byte k at k + 1. `entropies[t]` is the entropy model's uncertainty at token
t about token t + 1 (byte t, so the project's alignment: DESIGN.md). The official rule: BOS is
a patch of its own, byte 0 always opens one, byte k > 0 opens one when entropies[k] exceeds the
threshold (blt_core.patching's global rule, the same comparison). The entropy at the last token
decides whether the *next* token would open a patch, so it counts too (official:
include_next_token).

The decoder at token t reads the global output of the last patch complete at t: the patch of
t itself when token t + 1 opens a new one, else the patch before. Token 0 reads the BOS patch.

>>> ids, dec, n = patch_layout(np.array([5.0, 0.1, 0.1, 5.0, 0.1]), threshold=1.0)
>>> ids.tolist(), dec.tolist(), n   # patches [BOS] [b0 b1 b2] [b3]
([0, 1, 1, 1, 2], [0, 0, 0, 1, 1], 3)
"""

from __future__ import annotations

import numpy as np

from blt_core.patching import entropy_patch_starts


def token_patch_starts(entropies: np.ndarray, *, threshold: float) -> np.ndarray:
    """Token positions that open a patch, 0 .. T (T: the next token, when it would open one).

    >>> token_patch_starts(np.array([0.0, 2.0, 0.0]), threshold=1.0).tolist()
    [0, 1, 2]
    """
    return np.concatenate([[0], entropy_patch_starts(np.asarray(entropies), threshold=threshold) + 1]).astype(np.int64)


def patch_layout(entropies: np.ndarray, *, threshold: float) -> tuple[np.ndarray, np.ndarray, int]:
    """(T,) entropies -> patch id of each token (T,), the decoder's patch of each token (T,), patch count."""
    T = len(entropies)
    starts = token_patch_starts(entropies, threshold=threshold)
    t = np.arange(T)
    patch_ids = np.searchsorted(starts, t, side="right") - 1
    decoder_ids = np.searchsorted(starts, t + 1, side="right") - 2
    return patch_ids, decoder_ids, int((starts < T).sum())
