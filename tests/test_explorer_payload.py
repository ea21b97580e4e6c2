"""The explorer's payload: arrays round-trip exactly (float32 entropies), units come from the one
byte renderer, and 100 KB of text stays well under the 3 MB budget."""

from __future__ import annotations

import json

import numpy as np
import pytest

import blt_core
from app.views import explorer
from app.views.glyphs import units


def parse(blob: bytes) -> tuple[dict, dict[str, np.ndarray]]:
    """What explorer_assets/main.js (bltParsePayload) reads, in numpy."""
    hlen = int.from_bytes(blob[:4], "little")
    header = json.loads(blob[4:4 + hlen])
    body = blob[4 + hlen:]
    dtypes = {"entropies": "<f4", "surprisal": "<f4", "top_bytes": "<i2", "data": "u1", "top_probs": "u1", "units": "u1"}
    arrays = {}
    for name, (offset, size) in header["arrays"].items():
        dt = np.dtype(dtypes[name])
        assert offset % dt.itemsize == 0, f"{name} is misaligned"
        arrays[name] = np.frombuffer(body, dtype=dt, count=size, offset=offset)
    return header, arrays


def fake_scores(data: bytes, k: int = 5, seed: int = 0) -> blt_core.Scores:
    rng = np.random.default_rng(seed)
    n = len(data)
    probs = rng.dirichlet(np.ones(8), size=n)[:, :k].astype(np.float32)
    top = rng.integers(-1, 256, size=(n, k)).astype(np.int16)
    return blt_core.Scores(data, (rng.random(n) * 5).astype(np.float32), (rng.random(n) * 9).astype(np.float32),
                           top, probs, "onnx", "test", {"threshold": 1.3})


@pytest.mark.parametrize("data", [b"", b"a", "日本語 \n\x00é".encode() + b"\xff\xe2\x82", bytes(range(256))])
def test_arrays_round_trip(data):
    s = fake_scores(data)
    header, a = parse(explorer.payload(s))
    assert header["n"] == len(data) and header["k"] == 5
    assert a["data"].tobytes() == data
    assert np.array_equal(a["entropies"], s.entropies)  # bit for bit: the browser's rules compare these
    assert np.array_equal(a["surprisal"], s.surprisal)
    assert np.array_equal(a["top_bytes"].reshape(-1, 5), s.top_k_bytes)
    assert np.abs(a["top_probs"].reshape(-1, 5) / 255 - s.top_k_probs).max(initial=0) <= 0.5 / 255 + 1e-7
    us = units(data)
    assert [(c & 3) + 1 for c in a["units"]] == [u.length for u in us]
    assert [explorer.KINDS[c >> 2] for c in a["units"]] == [u.kind for u in us]


def test_same_scores_same_blob_and_id():
    """An identical blob is what lets Streamlit's message cache send it only once."""
    s = fake_scores(b"hello world")
    assert explorer.payload(s) == explorer.payload(s)
    assert explorer.payload_id(explorer.payload(s)) != explorer.payload_id(explorer.payload(fake_scores(b"hello there")))


def test_100_kb_of_text_is_under_3_mb():
    text = ("Byte Latent Transformer, 日本語、العربية, नमस्ते 👩‍👩‍👧. " * 2000).encode()[:100_000]
    blob = explorer.payload(fake_scores(text))
    assert len(blob) < 3_000_000, len(blob)


def test_released_settings_are_clamped_to_the_widgets_ranges():
    got = explorer.released_state({"mode": "nope", "threshold": -1, "theta_r": 0.25, "patch_size": 99,
                                   "max_patch_length": 10_000}, patch_modes=blt_core.PATCH_MODES)
    assert got == {"threshold": 0.0, "theta_r": 0.25, "patch_size": 64, "max_len": 4096}
