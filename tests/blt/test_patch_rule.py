"""One patch rule: the generator's online decision and its training masks equal `patching`'s.

Random float32 entropies, thresholds drawn from the entropies themselves (ties), with and
without a maximum patch length.
"""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from blt_core.generator.decoding import run  # noqa: E402
from blt_core.generator.masks import patch_starts as mask_patch_starts  # noqa: E402
from blt_core.patching import patch  # noqa: E402


class Replay:
    """A stepper whose entropy model says entropies[pos] at position pos (the entropy of byte pos)."""

    def __init__(self, entropies: np.ndarray):
        self.entropies = entropies

    def start(self, batch):
        pass

    def entropy_step(self, tokens, pos):
        return self.entropies[pos:pos + 1]

    def local_step(self, window, pos, patch_index):
        return np.zeros((1, 260), np.float32)

    def global_step(self, close, patch_start, pos, patch_index):
        pass


def cases():
    rng = np.random.default_rng(0)
    for i in range(40):
        n = int(rng.integers(1, 200))
        e = (rng.gamma(1.5, 1.0, n) * rng.choice([1, 0.3], n)).astype(np.float32)
        threshold = float(e[rng.integers(0, n)]) if i % 2 else float(rng.uniform(0, 3))  # ties on odd cases
        yield e, threshold, [None, 1, 3, 8][i % 4]


@pytest.mark.parametrize("e, threshold, max_len", list(cases()))
def test_online_rule_equals_patching(e, threshold, max_len):
    data = np.random.default_rng(len(e)).integers(0, 256, len(e), dtype=np.uint8).tobytes()
    want = patch("entropy", e, data, threshold=threshold, max_patch_length=max_len).tolist()
    r = run(Replay(e), [data], max_bytes=0, threshold=threshold, max_patch_length=max_len or 0, temperature=0.0,
            top_k=None, seed=0, max_ngram=3)
    assert r.patch_starts[0] == want


@pytest.mark.parametrize("e, threshold, max_len", list(cases()))
def test_training_masks_equal_patching(e, threshold, max_len):
    """masks.patch_starts works on tokens (BOS, then bytes): token k+1 is byte k."""
    data = np.random.default_rng(len(e)).integers(0, 256, len(e), dtype=np.uint8).tobytes()
    want = patch("entropy", e, data, threshold=threshold, max_patch_length=max_len).tolist()
    ids = torch.tensor([[1] + [b + 4 for b in data]])
    tok_e = torch.tensor(np.concatenate([[np.inf], e]).astype(np.float32))[None]
    starts = mask_patch_starts(ids, tok_e, threshold, max_len or 0)[0, 1:]
    assert torch.nonzero(starts)[:, 0].tolist() == want
