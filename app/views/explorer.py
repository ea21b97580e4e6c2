"""The explorer's payload: everything the browser needs to re-patch and draw, packed once.

One binary blob per input (app/views/blob.py: the component receives it as bytes, and Streamlit's
message cache sends an identical blob only once). Entropies stay float32 so the browser's
patch rules compare exactly what blt_core.patching compares.

Units (one byte each: length - 1 in bits 0-1, kind in bits 2-3) come from the one byte
renderer, so the browser never guesses what is a character, a control byte or invalid UTF-8:

>>> unit_codes(b"a\\n\\xff\\xc3\\xa9").tolist()   # char 1 B, space 1 B, invalid 1 B, char 2 B
[0, 4, 12, 1]
"""

from __future__ import annotations

import numpy as np

from app.views.blob import header, pack
from app.views.glyphs import units
from app.views.palette import entropy_colours, text_colour_on
from app.views.patches import COLOUR_MAX_NATS
from blt_core import THRESHOLD_CEILING

KINDS = ("char", "space", "control", "invalid")  # index = the unit code's kind bits


def unit_codes(data: bytes) -> np.ndarray:
    """One uint8 per unit of `data` (see the module docstring)."""
    return np.array([(u.length - 1) | (KINDS.index(u.kind) << 2) for u in units(data)], dtype=np.uint8)


def quantized_probs(probs: np.ndarray) -> np.ndarray:
    """Top-k probabilities as uint8 steps of 1/255 (tooltips show whole percents or "<1%").

    >>> quantized_probs(np.array([[0.52, 0.001]], dtype=np.float32)).tolist()
    [[133, 0]]
    """
    return np.clip(np.rint(np.asarray(probs, dtype=np.float64) * 255), 0, 255).astype(np.uint8)


def _arrays(scores) -> dict[str, np.ndarray]:
    n = scores.n_bytes
    k = 0 if scores.top_k_bytes is None else scores.top_k_bytes.shape[1]
    top_b = np.zeros((n, k), np.int16) if k == 0 else scores.top_k_bytes
    top_p = np.zeros((n, k), np.float32) if k == 0 else scores.top_k_probs
    # float32 first, then int16, then uint8: every offset stays aligned to its element size
    return {
        "entropies": np.ascontiguousarray(scores.entropies, dtype="<f4"),
        "surprisal": np.ascontiguousarray(scores.surprisal, dtype="<f4"),
        "top_bytes": np.ascontiguousarray(top_b, dtype="<i2").reshape(-1),
        "data": np.frombuffer(scores.data, dtype=np.uint8),
        "top_probs": quantized_probs(top_p).reshape(-1),
        "units": unit_codes(scores.data),
    }


def payload(scores) -> bytes:
    """blt_core.Scores -> the blob the component parses (main.js: bltParsePayload; format: views/blob.py).

    >>> import blt_core
    >>> s = blt_core.Scores(b"hi", np.array([3.0, 1.0], np.float32), np.array([4.0, 1.0], np.float32),
    ...                     None, None, "onnx", "m", {})
    >>> head = header(payload(s))
    >>> head["n"], head["k"], head["arrays"]["data"]
    (2, 0, [16, 2])
    """
    k = 0 if scores.top_k_bytes is None else int(scores.top_k_bytes.shape[1])
    return pack({"n": scores.n_bytes, "k": k, "model": scores.model, "backend": scores.backend,
                 "bits_per_byte": float(np.mean(scores.surprisal)) if scores.n_bytes else 0.0}, _arrays(scores))


def payload_id(blob: bytes) -> str:
    """The id the header of `blob` carries (the view mount names its payload by it)."""
    return header(blob)["id"]


def colour_table(steps: int = 64, vmax: float = COLOUR_MAX_NATS) -> list[list[str]]:
    """[background, text colour] at `steps` mean entropies from 0 to vmax (the strip's colours).

    >>> colour_table(2)[0]
    ['#00224E', '#FFFFFF']
    """
    bgs = entropy_colours([vmax * i / (steps - 1) for i in range(steps)], vmax=vmax)
    return [[bg, text_colour_on(bg)] for bg in bgs]


def view_data(blob_id: str, settings: dict, *, unit: str) -> dict:
    """What the view mount carries: which payload, the settings to start from, unit and colours.

    `settings` holds mode, threshold, theta_r, patch_size and max_patch_length (0: none).
    """
    return {"payload": blob_id, "settings": settings, "unit": unit, "ceiling": THRESHOLD_CEILING,
            "colours": colour_table(), "colour_max": COLOUR_MAX_NATS}


def released_state(settings: dict, *, patch_modes: tuple[str, ...]) -> dict:
    """The explorer's released settings -> session-state values of the page's widgets, clamped.

    >>> released_state({"mode": "entropy", "threshold": 9.0, "theta_r": None, "patch_size": 0,
    ...                 "max_patch_length": 0}, patch_modes=("entropy",))
    {'mode': 'entropy', 'threshold': 5.6, 'patch_size': 1, 'max_len': 0}
    """
    out = {"mode": settings["mode"]} if settings.get("mode") in patch_modes else {}
    out["threshold"] = min(max(float(settings["threshold"]), 0.0), THRESHOLD_CEILING)
    if settings.get("theta_r") is not None:
        out["theta_r"] = float(settings["theta_r"])
    out["patch_size"] = min(max(int(settings["patch_size"]), 1), 64)
    out["max_len"] = min(max(int(settings.get("max_patch_length") or 0), 0), 4096)
    return out
