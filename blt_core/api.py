"""The public facade: bytes -> scores (model) -> patches (pure) -> Analysis.

Two steps so that callers who move only the threshold never re-run the model:

>>> s = score("Hello, world", backend="onnx")
>>> a = patch_scores(s, mode="entropy", threshold=1.0)  # cheap: numpy only
>>> int(a.patch_lengths.sum()) == a.n_bytes
True

`analyze(data, ...)` does both. Backends: "onnx" (CPU, no torch), "torch" (GPU if present),
"auto" (torch on a GPU, else ONNX; torch for official weights, which ship no ONNX file).
`model` is a model card, a folder holding one, or an official weights folder in any released
layout (entropy/official.py tells them apart by their files); a hosted page passes instead an
`AllowedFolder` chosen by name among those the server allows (weights_dirs.py), which loads
confined to its root and whose messages name no server path.

Chunking: "continuous" (default) scores each input in one sliding-window pass, so every byte
sees its full window, as transformers' BltPatcher and a single reference pass do; "official"
reproduces facebookresearch/blt's preprocessing, which scores independent rows of 8,192 tokens
(entropy/scoring.py).
"""

from __future__ import annotations

import math
from functools import lru_cache
from pathlib import Path
from typing import Callable

import numpy as np

from blt_core.backends import resolve_backend
from blt_core.bytes_codec import to_bytes
from blt_core.calibrate import calibrate_threshold
from blt_core.checkpoints import DEFAULT_CARD, WeightsError, load_card
from blt_core.constants import OFFICIAL_THRESHOLD, SCHEMA_VERSION, THRESHOLD_CEILING
from blt_core.patching import PATCH_MODES, patch, patch_lengths
from blt_core.results import Analysis, Scores
from blt_core.entropy.official import detect_layout, unsupported_message
from blt_core.entropy.scoring import OFFICIAL_ROW_TOKENS, score_bytes
from blt_core.weights_dirs import AllowedFolder

DEFAULT_TARGET = 4.5  # the paper's BLT-Entropy setting: 4.5 bytes per patch
CHUNKINGS = {"continuous": None, "official": OFFICIAL_ROW_TOKENS}  # name -> row length in tokens (None: no rows)
# JSON files of official and Hugging Face folders: never a project model card
FOREIGN_JSON = {"config.json", "params.json", "model.safetensors.index.json", "tokenizer_config.json",
                "generation_config.json", "special_tokens_map.json"}


# ---- model loading: one instance per (backend, model) per process ------------------------

def _is_official_folder(model: str | AllowedFolder | None) -> bool:
    if isinstance(model, AllowedFolder):
        return True
    return model is not None and Path(model).is_dir() and detect_layout(Path(model)) is not None


def _torch_only(model: str | AllowedFolder | None) -> str | None:
    return "official weights (no ONNX file ships with them)" if _is_official_folder(model) else None


def _card_path(model: str | None) -> Path:
    if model is None:
        return DEFAULT_CARD
    p = Path(model)
    if p.is_dir():
        cards = sorted(c for c in p.glob("*.json") if c.name not in FOREIGN_JSON)
        if (p / "entropy_model.json").exists():
            return p / "entropy_model.json"
        if not cards:
            raise WeightsError(unsupported_message(p))
        return cards[0]
    if not p.exists():
        raise WeightsError(f"model not found: {p}")
    return p


@lru_cache(maxsize=4)
def load_model(backend: str, model: str | AllowedFolder | None):
    """(forward-able model object, model name, defaults). Cached: one instance per process."""
    official_defaults = {"threshold": OFFICIAL_THRESHOLD, "theta_r": None, "patch_size": None}
    if isinstance(model, AllowedFolder):
        from blt_core.entropy.official import load_official
        from blt_core.entropy.torch_scorer import TorchEntropyModel

        m = TorchEntropyModel(load_official(model.folder, root=model.root, label=model.name)[0])
        return m, f"official:{model.name}", official_defaults
    if _is_official_folder(model):
        from blt_core.entropy.torch_scorer import TorchEntropyModel

        m = TorchEntropyModel.from_official(model)
        return m, f"official:{Path(model).name}", official_defaults
    card = load_card(_card_path(model))
    if backend == "onnx":
        from blt_core.entropy.onnx_scorer import OnnxEntropyModel

        m = OnnxEntropyModel.from_card(card)
    else:
        from blt_core.entropy.torch_scorer import TorchEntropyModel

        m = TorchEntropyModel.from_card(card)
    return m, card.name or "entropy-model", dict(card.defaults)


# ---- the two steps -----------------------------------------------------------------------

def score(data: bytes | str, *, newline_reset: bool = False, top_k: int = 0, backend: str = "auto",
          model: str | AllowedFolder | None = None, chunking: str = "continuous",
          progress: Callable[[int, int], None] | None = None) -> Scores:
    """Run the entropy model over `data` (any bytes). Raises ValueError on bad input."""
    raw = to_bytes(data)
    if not raw:
        raise ValueError("empty input: there are no bytes to analyze")
    if not isinstance(top_k, int) or top_k < 0 or top_k > 260:
        raise ValueError(f"top_k must be an integer from 0 to 260, got {top_k!r}")
    if chunking not in CHUNKINGS:
        raise ValueError(f"unknown chunking {chunking!r}; choose one of {', '.join(CHUNKINGS)}")
    model = model if model is None or isinstance(model, AllowedFolder) else str(model)
    name = resolve_backend(backend, torch_only=_torch_only(model))
    m, model_name, defaults = load_model(name, model)
    s = score_bytes(m.score_chunk, raw, window=m.window, newline_reset=newline_reset, top_k=top_k,
                    row_tokens=CHUNKINGS[chunking], progress=progress, stack=getattr(m, "stack_pasts", np.stack),
                    lag=getattr(m, "defers", False), context=getattr(m, "context", 0))
    return Scores(data=raw, entropies=s.entropies, surprisal=s.surprisal, top_k_bytes=s.top_ids,
                  top_k_probs=s.top_probs, backend=f"{name}:{m.device}", model=model_name, defaults=defaults,
                  newline_reset=newline_reset)


def _check_number(name: str, value: float | None, *, allow_negative: bool) -> None:
    if value is None:
        return
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise ValueError(f"{name} must be a finite number, got {value!r}")
    if not allow_negative and value < 0:
        raise ValueError(f"{name} must not be negative, got {value!r}")


def validate_options(*, mode: str, threshold, theta_r, patch_size, target_patch_size, max_patch_length) -> None:
    """Raise ValueError with a clear message for any bad patching option."""
    if mode not in PATCH_MODES:
        raise ValueError(f"unknown mode {mode!r}; choose one of {', '.join(PATCH_MODES)}")
    _check_number("threshold", threshold, allow_negative=False)
    _check_number("theta_r", theta_r, allow_negative=True)
    _check_number("target_patch_size", target_patch_size, allow_negative=False)
    for nm, v in (("patch_size", patch_size), ("max_patch_length", max_patch_length)):
        if v is not None and (isinstance(v, bool) or not isinstance(v, int) or v < 1):
            raise ValueError(f"{nm} must be a positive integer, got {v!r}")


def patch_scores(scores: Scores, *, mode: str = "entropy", threshold: float | None = None,
                 theta_r: float | None = None, patch_size: int | None = None,
                 target_patch_size: float | None = None, max_patch_length: int | None = None) -> Analysis:
    """Cut scored bytes into patches (numpy only, no model call)."""
    validate_options(mode=mode, threshold=threshold, theta_r=theta_r, patch_size=patch_size,
                     target_patch_size=target_patch_size, max_patch_length=max_patch_length)
    e, data, n = scores.entropies, scores.data, scores.n_bytes
    d = scores.defaults
    notes: list[str] = []
    threshold = d.get("threshold") if threshold is None else threshold
    theta_r = d.get("theta_r") if theta_r is None else theta_r
    patch_size = (d.get("patch_size") or 4) if patch_size is None else patch_size

    if target_patch_size is not None and mode in ("entropy", "monotonic", "combined"):
        if mode == "combined" and theta_r is None:
            theta_r = calibrate_threshold(e, data, target=DEFAULT_TARGET, mode="monotonic").threshold
        cal = calibrate_threshold(e, data, target=target_patch_size, mode=mode, theta_r=theta_r, threshold=threshold,
                                  max_patch_length=max_patch_length)
        if mode == "monotonic":
            theta_r = cal.threshold
        else:
            threshold = cal.threshold
        if not cal.within_tolerance:
            notes.append(f"target {target_patch_size} not reachable within 2%; nearest is {cal.mean_patch_length:.3f}")
    elif target_patch_size is not None and mode == "static":
        patch_size = max(1, round(target_patch_size))
    if mode in ("monotonic", "combined") and theta_r is None:
        # no calibrated default (official weights): calibrate on this input to the paper's 4.5
        theta_r = calibrate_threshold(e, data, target=min(DEFAULT_TARGET, n), mode="monotonic").threshold
        notes.append("theta_r calibrated on this input to a mean patch length of 4.5 (the model has no default)")
    if threshold is None:
        threshold = OFFICIAL_THRESHOLD

    # A model's entropies lie in [0, ln 260], so every threshold above THRESHOLD_CEILING cuts as the
    # ceiling does; comparing float32 entropies with the threshold itself would overflow its cast
    # to float32 (a numpy warning) for a finite threshold such as 1e308.
    starts = patch(mode, e, data, threshold=min(threshold, THRESHOLD_CEILING), theta_r=theta_r,
                   patch_size=patch_size, max_patch_length=max_patch_length)
    lengths = patch_lengths(starts, n)
    return Analysis(
        schema_version=SCHEMA_VERSION, data=data, n_bytes=n, entropies=e, surprisal=scores.surprisal,
        bits_per_byte=float(np.mean(scores.surprisal)), mode=mode, threshold=float(threshold),
        theta_r=None if theta_r is None else float(theta_r), patch_size=int(patch_size),
        max_patch_length=max_patch_length, newline_reset=scores.newline_reset, backend=scores.backend,
        model=scores.model, patch_starts=starts, patch_lengths=lengths, mean_patch_length=n / len(starts),
        target_patch_size=target_patch_size, top_k_bytes=scores.top_k_bytes, top_k_probs=scores.top_k_probs,
        notes=tuple(notes),
    )


def analyze(data: bytes | str, *, mode: str = "entropy", threshold: float | None = None,
            theta_r: float | None = None, patch_size: int | None = None, target_patch_size: float | None = None,
            max_patch_length: int | None = None, newline_reset: bool = False, top_k: int = 0,
            backend: str = "auto", model: str | AllowedFolder | None = None, chunking: str = "continuous",
            progress: Callable[[int, int], None] | None = None) -> Analysis:
    """Score `data` with the entropy model and cut it into patches.

    >>> a = analyze("Hello, world", mode="space", backend="onnx")
    >>> a.patch_starts.tolist()
    [0, 7]
    """
    validate_options(mode=mode, threshold=threshold, theta_r=theta_r, patch_size=patch_size,  # before the model runs
                     target_patch_size=target_patch_size, max_patch_length=max_patch_length)
    s = score(data, newline_reset=newline_reset, top_k=top_k, backend=backend, model=model, chunking=chunking,
              progress=progress)
    return patch_scores(s, mode=mode, threshold=threshold, theta_r=theta_r, patch_size=patch_size,
                        target_patch_size=target_patch_size, max_patch_length=max_patch_length)
