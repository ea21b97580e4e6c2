"""The explorer's JavaScript in Chromium, without the app: its patch rules are blt_core.patching's
(every mode, ties included) and its unit texts are blt_core's byte renderer's, byte for byte."""

from __future__ import annotations

import numpy as np
import pytest

from app.components.explorer import ASSETS
from app.views.explorer import unit_codes
from app.views.glyphs import units
from blt_core import SAMPLES_DIR
from blt_core.patching import PATCH_MODES, patch

SCRIPTS = ("rules.js", "text.js")


@pytest.fixture(scope="module")
def js(browser):
    ctx = browser.new_context()
    pg = ctx.new_page()
    pg.set_content("<!doctype html><meta charset=utf-8><body></body>")
    for name in SCRIPTS:
        pg.add_script_tag(content=(ASSETS / name).read_text(encoding="utf-8"))
    yield pg
    ctx.close()


def js_patch(page, mode: str, e: np.ndarray, data: bytes, opts: dict) -> list[int]:
    return page.evaluate(
        """([mode, e, data, opts]) => Array.from(bltPatch(mode, Float32Array.from(e), Uint8Array.from(data), opts))""",
        [mode, [float(x) for x in e], list(data), opts])


def tie_heavy_case(rng: np.random.Generator, n: int) -> tuple[np.ndarray, bytes, list[float]]:
    """float32 entropies from a few values (many ties), and thresholds on, between and near them.

    1.1 is in the list because float32(1.1) > 1.1 in float64 but not in float32: entropy mode
    must compare in float32 and combined mode in float64, as the library does.
    """
    pool = np.array([0.0, 0.5, 1.1, 1.335442066192627, 2.0, 2.5, 3.3], dtype=np.float32)
    e = rng.choice(pool, size=n).astype(np.float32)
    noise = (rng.random(n) * 4).astype(np.float32)
    e = np.where(rng.random(n) < 0.4, noise, e).astype(np.float32)
    data = bytes(rng.integers(0, 256, n, dtype=np.uint8)) if n % 2 else \
        "a b,c.é日本 ok\n".encode()[:n].ljust(n, b"x")
    diffs = np.diff(e.astype(np.float64))
    thetas = [0.0, 1.1, float(np.float32(1.1)), 1.335442066192627, 2.0, 0.5 - 1e-9, 5.6]
    thetas += [float(d) for d in rng.choice(diffs, 3)] if n > 1 else []
    return e, data, thetas


@pytest.mark.parametrize("mode", PATCH_MODES)
@pytest.mark.parametrize("seed", range(6))
def test_js_rules_equal_the_library(js, mode, seed):
    rng = np.random.default_rng(seed)
    n = [0, 1, 2, 17, 300, 2001][seed]
    e, data, thetas = tie_heavy_case(rng, n)
    for theta in thetas:
        for max_len in (None, 1, 3):
            opts = {"threshold": theta, "theta_r": theta - 1.0 if seed % 2 else theta, "patch_size": 1 + seed,
                    "max_patch_length": max_len}
            want = patch(mode, e, data, **opts).tolist()
            got = js_patch(js, mode, e, data, opts)
            assert got == want, (mode, theta, max_len)


def test_the_float32_tie_is_resolved_like_numpy(js):
    """float32(1.1) is above the double 1.1: entropy mode (float32 compare) says no, combined (float64) yes."""
    e = np.array([0.0, np.float32(1.1)], dtype=np.float32)
    opts = {"threshold": 1.1, "theta_r": 0.5, "patch_size": 1, "max_patch_length": None}
    assert js_patch(js, "entropy", e, b"ab", opts) == patch("entropy", e, b"ab", **opts).tolist() == [0]
    assert js_patch(js, "combined", e, b"ab", opts) == patch("combined", e, b"ab", **opts).tolist() == [0, 1]


def unit_cases() -> dict[str, bytes]:
    cases = {p.stem: p.read_bytes() for p in sorted(SAMPLES_DIR.iterdir()) if p.suffix in (".txt", ".py", ".json")}
    cases["all bytes"] = bytes(range(256)) * 2
    cases["edges"] = "a\u00a0b\u200bc\u202ed\u0085e\U0001f469\u200d\U0001f467\r\n\t".encode() + b"\xe2\x82\xff\xc3"
    return cases


@pytest.mark.parametrize("name,data", list(unit_cases().items()))
def test_js_unit_texts_equal_the_byte_renderer(js, name, data):
    want = [u.text for u in units(data)]
    got = js.evaluate("""([data, codes]) => bltUnits(Uint8Array.from(data), Uint8Array.from(codes)).text""",
                      [list(data), unit_codes(data).tolist()])
    assert got == want


@pytest.mark.parametrize("text,clusters", [
    ("e\u0301a", ["e\u0301", "a"]),  # a combining accent stays on its letter
    ("\U0001f469\u200d\U0001f469\u200d\U0001f467!", ["\U0001f469\u200d\U0001f469\u200d\U0001f467", "!"]),
    ("नमस्ते", ["न", "म", "स्ते"]),  # the conjunct स्ते is one cluster (Unicode 15.1 rule GB9c)
    ("مرحبا", list("مرحبا")),
])
def test_clusters_keep_graphemes_whole(js, text, clusters):
    data = text.encode()
    got = js.evaluate("""([data, codes]) => bltClusters(bltUnits(Uint8Array.from(data), Uint8Array.from(codes))).text""",
                      [list(data), unit_codes(data).tolist()])
    assert got == clusters
