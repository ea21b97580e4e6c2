"""Fuzzing every public function of blt_core (hypothesis): it returns a valid result or raises a clear error.

A clear error is a ValueError (or TypeError for an argument of the wrong type, WeightsError for a
model) with a message; a raw IndexError, KeyError, UnicodeError (a ValueError subclass) or numpy
error fails the test. Every result that cuts bytes obeys the segmentation invariants: starts
begin at 0, strictly increase, stay inside the input, and the lengths sum to n.

Model calls use the shipped ONNX model on inputs of at most 64 bytes, so the file runs in
well under a minute on a busy 2-core machine.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import blt_core
from blt_core import WeightsError

FUZZ = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
FUZZ_MODEL = settings(FUZZ, max_examples=20)  # examples that run the entropy model

# text with what breaks naive code: lone surrogates, bidi overrides, zero-width characters, NUL
nasty_chars = st.one_of(st.characters(), st.sampled_from(["\ud800", "\udcff", "\udc80", "\u202e", "\u200b",
                                                          "\ufeff", "\x00", "\n", "\r", "é", "日", "😀"]))
texts = st.text(alphabet=nasty_chars, max_size=40)
inputs = st.one_of(st.binary(max_size=64), texts)
# option values: good ones, edge ones, and the wrong type
numbers = st.one_of(st.none(), st.floats(allow_nan=True, allow_infinity=True), st.integers(-10, 10**6),
                    st.booleans(), st.text(max_size=5))
counts = st.one_of(st.none(), st.integers(-3, 300), st.floats(allow_nan=True), st.booleans(), st.text(max_size=3))
modes = st.one_of(st.sampled_from(blt_core.PATCH_MODES), st.text(max_size=8))


def clear(fn, *args, **kwargs):
    """fn's result, or None when it raised a clear error; anything else propagates and fails the test."""
    try:
        return fn(*args, **kwargs)
    except (ValueError, TypeError, WeightsError) as e:
        assert not isinstance(e, UnicodeError), f"raw codec error: {e!r}"
        assert str(e).strip(), f"{type(e).__name__} without a message"
        return None


def check_cut(starts, n: int, lengths=None) -> None:
    """The segmentation invariants."""
    s = np.asarray(starts)
    assert len(s) == 0 if n == 0 else s[0] == 0, s[:5]
    assert np.all(np.diff(s) > 0), "starts must strictly increase"
    assert np.all(s < max(n, 1)), "a start past the end"
    if lengths is not None:
        assert np.all(np.asarray(lengths) >= 1) and int(np.sum(lengths)) == n


@pytest.fixture(scope="module")
def known_scores() -> dict[bytes, blt_core.Scores]:
    """A few scored inputs, so option fuzzing does not re-run the model."""
    return {d: blt_core.score(d, backend="onnx", top_k=3)
            for d in (b"a", b"Hello, world", "日本語 and \u202eRTL\n\n".encode(), bytes(range(256))[:64])}


@FUZZ_MODEL
@given(data=inputs, top_k=counts, newline_reset=st.booleans(), chunking=st.sampled_from(["continuous", "official", "x"]))
def test_score(data, top_k, newline_reset, chunking):
    s = clear(blt_core.score, data, top_k=top_k, newline_reset=newline_reset, chunking=chunking, backend="onnx")
    if s is not None:
        assert s.n_bytes == len(blt_core.to_bytes(data)) == len(s.entropies) == len(s.surprisal)
        assert np.all(np.isfinite(s.entropies)) and np.all(s.entropies >= -1e-4)
        assert np.all(s.entropies <= blt_core.MAX_ENTROPY_NATS + 1e-3)


@FUZZ
@given(which=st.integers(0, 3), mode=modes, threshold=numbers, theta_r=numbers, patch_size=counts,
       target=numbers, max_len=counts)
def test_patch_scores(known_scores, which, mode, threshold, theta_r, patch_size, target, max_len):
    s = list(known_scores.values())[which]
    a = clear(blt_core.patch_scores, s, mode=mode, threshold=threshold, theta_r=theta_r, patch_size=patch_size,
              target_patch_size=target, max_patch_length=max_len)
    if a is not None:
        check_cut(a.patch_starts, a.n_bytes, a.patch_lengths)
        if isinstance(max_len, int) and not isinstance(max_len, bool) and max_len >= 1:
            assert a.patch_lengths.max() <= max_len
        assert math.isclose(a.mean_patch_length, a.n_bytes / len(a.patch_starts))


@FUZZ_MODEL
@given(data=inputs, mode=modes, threshold=numbers, max_len=counts)
def test_analyze(data, mode, threshold, max_len):
    a = clear(blt_core.analyze, data, mode=mode, threshold=threshold, max_patch_length=max_len, backend="onnx")
    if a is not None:
        check_cut(a.patch_starts, a.n_bytes, a.patch_lengths)


@FUZZ
@given(e=hnp.arrays(np.float32, st.integers(1, 64), elements=st.floats(0, 5.5, width=32)), mode=modes,
       threshold=st.floats(0, 10), theta_r=st.floats(-3, 3), patch_size=st.integers(1, 9),
       max_len=st.one_of(st.none(), st.integers(1, 9)), data=st.binary(min_size=64, max_size=64))
def test_patchers(e, mode, threshold, theta_r, patch_size, max_len, data):
    from blt_core.patching import patch

    d = data[:len(e)]
    starts = clear(patch, mode, e, d, threshold=threshold, theta_r=theta_r, patch_size=patch_size,
                   max_patch_length=max_len)
    if starts is not None:
        check_cut(starts, len(d))
        if max_len:
            assert np.diff(np.append(starts, len(d))).max() <= max_len


@FUZZ
@given(n=counts, size=counts, data=st.binary(max_size=64))
def test_simple_patchers(n, size, data):
    for starts, length in ((clear(blt_core.byte_patch_starts, n), n), (clear(blt_core.static_patch_starts, n,
                                                                             patch_size=size), n),
                           (clear(blt_core.space_patch_starts, data), len(data))):
        if starts is not None:
            check_cut(starts, length)


@FUZZ
@given(e=hnp.arrays(np.float64, st.integers(0, 40), elements=st.floats(0, 5.6)), target=numbers, mode=modes,
       max_len=counts)
def test_calibrate_threshold(e, target, mode, max_len):
    data = bytes(len(e))
    cal = clear(blt_core.calibrate_threshold, e, data, target=target, mode=mode, max_patch_length=max_len)
    if cal is not None:
        assert math.isfinite(cal.threshold) and cal.mean_patch_length >= 1


@FUZZ
@given(data=inputs, tokenizer=st.one_of(st.sampled_from(["llama3", "o200k", "gpt2", "cl100k"]), st.text(max_size=6)))
def test_tokenize_and_count_tokens(data, tokenizer):
    seg = clear(blt_core.tokenize, data, tokenizer=tokenizer)
    n = clear(blt_core.count_tokens, data, tokenizer=tokenizer)
    assert (seg is None) == (n is None)
    if seg is not None:
        assert seg.n_tokens == n == len(seg.token_ids)
        if seg.n_bytes:
            check_cut(seg.token_byte_starts, seg.n_bytes, seg.token_byte_lengths)


@FUZZ
@given(text=texts, kind=st.one_of(st.sampled_from(sorted(blt_core.PERTURBATIONS)), st.text(max_size=6)),
       rate=numbers, seed=st.integers(0, 2**32))
def test_noise(text, kind, rate, seed):
    out = clear(blt_core.perturb, text, kind=kind, rate=rate, seed=seed)
    assert out is None or isinstance(out, str)
    rows = clear(blt_core.noise_report, text, count_tokens=len, count_patches=lambda b: len(b) // 2 + 1,
                 rate=rate, seed=seed)
    for r in rows or []:
        assert r["bytes_after"] >= 0 and math.isfinite(r["token_change"])


@FUZZ
@given(data=inputs)
def test_bytes_rendering(data):
    raw = clear(blt_core.to_bytes, data)
    if raw is None:
        return
    units = blt_core.byte_units(raw)
    check_cut([u.start for u in units], len(raw), [u.length for u in units])
    shown = blt_core.render_bytes(raw)
    assert not any(c in shown for c in "\u202e\u200b\x00"), "invisible characters must be shown as escapes"


@FUZZ
@given(ref=st.lists(st.integers(0, 30), max_size=8), pred=st.lists(st.integers(-2, 40), max_size=8),
       n=st.integers(-1, 30))
def test_boundary_prf(ref, pred, n):
    r = clear(blt_core.boundary_prf, np.array(sorted(set(ref))), np.array(sorted(set(pred))), n_bytes=n)
    if r is not None:
        assert all(0 <= v <= 1 for v in r.values() if isinstance(v, float))


@settings(FUZZ, max_examples=12)
@given(prompt=st.one_of(st.binary(max_size=24), texts), max_bytes=st.one_of(st.integers(-2, 3), st.floats(), st.none()),
       temperature=numbers, top_k=st.one_of(st.none(), st.integers(-1, 300)), seed=st.integers(-1, 2**31))
def test_generate(prompt, max_bytes, temperature, top_k, seed):
    if not blt_core.DEFAULT_GENERATOR_CARD.exists():
        pytest.skip("no generator card shipped")
    g = clear(blt_core.generate, prompt, max_bytes=max_bytes, temperature=temperature, top_k=top_k, seed=seed,
              backend="onnx")
    if g is not None:
        assert len(g.generated_bytes) <= max_bytes
        n = len(blt_core.to_bytes(prompt)) + len(g.generated_bytes)
        if n:
            check_cut(g.patch_starts, n)
