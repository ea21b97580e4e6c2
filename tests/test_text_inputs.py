"""Every public function that takes text gives the library's message for a lone surrogate, not the codec's;
extreme thresholds cut without a numpy warning."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import blt_core
from blt_core.results import Scores

SURROGATE = "ab\ud800c"  # no UTF-8 bytes stand for U+D800
MESSAGE = "text holds a lone surrogate U+D800 at index 2: it has no UTF-8 bytes (only U+DC80..U+DCFF stand for bytes)"

TEXT_FUNCTIONS = {
    "to_bytes": lambda t: blt_core.to_bytes(t),
    "score": lambda t: blt_core.score(t),
    "analyze": lambda t: blt_core.analyze(t, mode="space"),
    "tokenize": lambda t: blt_core.tokenize(t, tokenizer="gpt2"),
    "count_tokens": lambda t: blt_core.count_tokens(t, tokenizer="gpt2"),
    "noise_report": lambda t: blt_core.noise_report(t, count_tokens=len, count_patches=len),
    "generate": lambda t: blt_core.generate(t, max_bytes=1),
    "generate_stream": lambda t: next(iter(blt_core.generate_stream(t, max_bytes=1))),
}


@pytest.mark.parametrize("name", TEXT_FUNCTIONS)
def test_a_lone_surrogate_gets_the_library_message(name):
    with pytest.raises(ValueError) as e:
        TEXT_FUNCTIONS[name](SURROGATE)
    assert type(e.value) is ValueError and str(e.value) == MESSAGE  # not UnicodeEncodeError's wording


@pytest.mark.parametrize("cp", [0xD800, 0xDBFF, 0xDC00, 0xDC7F, 0xDFFF])
def test_every_surrogate_outside_the_escape_range_is_named(cp):
    with pytest.raises(ValueError, match=f"U\\+{cp:04X} at index 1"):
        blt_core.to_bytes("x" + chr(cp))


def test_escaped_bytes_still_round_trip():
    """U+DC80..U+DCFF are bytes kept by surrogateescape (a file name read from disk): they stay those bytes."""
    raw = b"caf\xe9 \xff"
    assert blt_core.to_bytes(raw.decode("utf-8", errors="surrogateescape")) == raw
    assert blt_core.tokenize(raw.decode("utf-8", errors="surrogateescape"), tokenizer="gpt2").n_bytes == len(raw)


def _scores(entropies) -> Scores:
    e = np.asarray(entropies, dtype=np.float32)  # both backends return float32
    return Scores(data=bytes(len(e)), entropies=e, surprisal=e, top_k_bytes=None, top_k_probs=None, backend="test",
                  model="test", defaults={}, newline_reset=False)


@pytest.mark.parametrize("threshold,patches", [(1e308, 1), (3.4e38, 1), (5.6, 1), (2.0, 3), (1e-308, 6), (0.0, 6)])
def test_any_finite_threshold_cuts_without_a_warning(threshold, patches):
    s = _scores([3.0, 0.2, 0.1, 2.5, 0.4, 5.56])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        a = blt_core.patch_scores(s, mode="entropy", threshold=threshold)
    assert a.n_patches == patches and a.threshold == threshold  # the threshold asked for is the one reported


@pytest.mark.parametrize("threshold", [float("inf"), float("nan"), -1.0])
def test_infinite_and_negative_thresholds_are_refused_in_words(threshold):
    with pytest.raises(ValueError, match="threshold must"):
        blt_core.patch_scores(_scores([1.0, 2.0]), threshold=threshold)
