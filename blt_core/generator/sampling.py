"""Next-token choice in numpy, so torch and ONNX backends pick the same bytes for the same seed.

Greedy (temperature 0) takes the argmax; otherwise softmax(logits / T) restricted to the
top k, sampled by inverse CDF with one uniform draw per token from a seeded numpy Generator.
Only byte ids and EOS can be chosen; BOE, BOS and the BPE delimiter never are.

>>> logits = np.zeros(260, dtype=np.float32); logits[69] = 5.0
>>> sample_next(logits, temperature=0.0, top_k=None, rng=np.random.default_rng(0))
69
"""

from __future__ import annotations

import numpy as np

from blt_core.constants import BOE_ID, BOS_ID, BPE_DELIM_ID

NEVER = (BOE_ID, BOS_ID, BPE_DELIM_ID)


def validate(*, temperature: float, top_k: int | None) -> None:
    if not np.isfinite(temperature) or temperature < 0:
        raise ValueError(f"temperature must be a finite number >= 0, got {temperature}")
    if top_k is not None and top_k < 1:
        raise ValueError(f"top_k must be >= 1, got {top_k}")


def sample_next(logits: np.ndarray, *, temperature: float, top_k: int | None, rng: np.random.Generator) -> int:
    """(V,) logits -> chosen id. Draws from rng only when sampling (temperature > 0)."""
    x = np.asarray(logits, dtype=np.float64).copy()
    x[list(NEVER)] = -np.inf
    if temperature == 0.0:
        return int(np.argmax(x))
    if top_k is not None and top_k < x.size:
        kth = np.partition(x, -top_k)[-top_k]
        x[x < kth] = -np.inf
    x = (x - x.max()) / temperature
    cdf = np.cumsum(np.exp(x))
    u = rng.random() * cdf[-1]
    return int(min(np.searchsorted(cdf, u, side="right"), x.size - 1))
