"""The window component's data (app/views/window_data.py, packed by app/views/blob.py) decodes back to what
the page gave it: the browser reads these same offsets (window_assets/window.js: bwUnpack)."""

from __future__ import annotations

import numpy as np

from app.views.blob import header
from app.views.compute import COMPONENTS
from app.views.explorer import unit_codes
from app.views.window_data import flops_blob, lanes_blob


def arrays(blob: bytes, types: dict[str, str]) -> dict[str, np.ndarray]:
    """Every array of a blob, read at the header's offsets (relative to the 4-byte-aligned body)."""
    head = header(blob)
    body = blob[4 + int.from_bytes(blob[:4], "little"):]
    out = {}
    for name, (offset, length) in head["arrays"].items():
        dtype = np.dtype(types.get(name) or types[name.rstrip("0123456789")])
        assert offset % dtype.itemsize == 0, name  # typed arrays need aligned offsets
        out[name] = np.frombuffer(body, dtype=dtype, count=length, offset=offset)
    return out


def test_lanes_round_trip():
    data = "a b 日本\xff".encode("utf-8", errors="surrogateescape") + b"\xff"
    lanes = {"bytes": np.arange(len(data)), "BLT": np.array([0, 2, 5]), "Llama 3": np.array([0, 1, 4])}
    marks = {"Llama 3": np.array([False, True, False])}
    blob = lanes_blob(data, lanes, marks=marks, widths=(4, 8), default_width=4,
                      overview=(np.arange(len(data)), np.linspace(0, 1, len(data)), "entropy (nats)"))
    head = header(blob)
    got = arrays(blob, {"ov_x": "<f4", "ov_y": "<f4", "lane": "<i4", "mark": "u1", "data": "u1", "units": "u1"})
    assert [lane["name"] for lane in head["lanes"]] == list(lanes) and head["n"] == len(data)
    assert [lane["marked"] for lane in head["lanes"]] == [False, False, True]
    for i, starts in enumerate(lanes.values()):
        assert got[f"lane{i}"].tolist() == starts.tolist()
    assert got["mark2"].tolist() == [0, 1, 0] and "mark0" not in got
    assert got["data"].tobytes() == data and got["units"].tolist() == unit_codes(data).tolist()
    assert got["ov_y"].max() == np.float32(1.0) and head["width"] == 4 and head["widths"] == [4, 8]


def test_flops_round_trip():
    per_patch = {"global": np.array([4.0, 2.0, 1e9]), "local_encoder": np.array([1.0, 1.0, 3.0]),
                 "total": np.array([5.0, 3.0, 1e9 + 3])}
    blob = flops_blob(np.array([0, 3, 7]), per_patch, n_bytes=9, widths=(64,), default_width=64)
    head = header(blob)
    got = arrays(blob, {"ov_x": "<f4", "ov_y": "<f4", "part": "<f4", "starts": "<i4"})
    assert [p["label"] for p in head["parts"]] == [COMPONENTS["global"][0], COMPONENTS["local_encoder"][0]]
    assert got["part0"].tolist() == [4.0, 2.0, 1e9] and got["starts"].tolist() == [0, 3, 7]
    assert got["ov_x"].tolist() == [0, 3, 7] and got["ov_y"].tolist() == [5.0, 3.0, np.float32(1e9 + 3)]
