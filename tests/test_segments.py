"""Comparison metrics between segmentations."""

import numpy as np
import pytest

from blt_core import segments


def test_word_starts_hand_checked():
    assert segments.word_starts(b"to be  or").tolist() == [0, 3, 7]
    assert segments.word_starts(b"  lead").tolist() == [0, 2]
    assert segments.word_starts("你好 世界".encode()).tolist() == [0, 7]


def test_boundary_prf_hand_checked():
    # reference boundaries {2, 5}, predicted {2, 3, 4}: 1 hit -> P 1/3, R 1/2, F1 0.4
    r = segments.boundary_prf(np.array([0, 2, 5]), np.array([0, 2, 3, 4]), n_bytes=6)
    assert r == pytest.approx({"precision": 1 / 3, "recall": 0.5, "f1": 0.4})


def test_boundary_prf_rejects_bad_starts():
    with pytest.raises(ValueError):
        segments.boundary_prf(np.array([1, 2]), np.array([0]), n_bytes=4)
    with pytest.raises(ValueError):
        segments.boundary_prf(np.array([0, 4]), np.array([0]), n_bytes=4)


def test_compare_counts_and_bytes_per_unit():
    c = segments.compare(np.array([0, 4]), np.array([0, 2, 4, 6]), n_bytes=8)
    assert (c["n_a"], c["n_b"], c["bytes_per_a"], c["bytes_per_b"]) == (2, 4, 4.0, 2.0)
    assert c["recall"] == 1.0 and c["precision"] == pytest.approx(1 / 3)


@pytest.mark.parametrize(
    "text, script",
    [("The river rose.", "Latin"), ("Река поднялась.", "Cyrillic"), ("河水上涨了。", "CJK"),
     ("नदी बढ़ गई", "Devanagari"), ("ارتفع النهر", "Arabic"), ("def f(x): return {'a': [x]}", "code")],
)
def test_script_of_bytes(text, script):
    assert segments.script_of_bytes(text.encode()) == script


def test_samples_index_scripts_match_detection_for_prose():
    samples = segments.load_samples()
    assert len(samples) == 12
    for name, (data, script) in samples.items():
        assert 300 <= len(data) <= 1500, name
        data.decode("utf-8")
        if script in {"Latin", "Cyrillic", "CJK", "Devanagari", "Arabic"} and name != "noisy":
            assert segments.script_of_bytes(data) == script, name


def test_per_script_table_with_word_patches():
    samples = segments.load_samples()
    rows = segments.per_script_table(samples, segments.word_starts, ["cl100k", "gpt2"])
    by = {r["script"]: r for r in rows}
    assert {"Latin", "Cyrillic", "CJK", "Devanagari", "Arabic", "code"} <= by.keys()
    latin = by["Latin"]
    assert latin["n_bytes"] == sum(len(samples[n][0]) for n in latin["samples"])
    # cl100k packs English better than GPT-2 packs Hindi: a sanity check on direction.
    assert latin["bytes_per_token_cl100k"] > by["Devanagari"]["bytes_per_token_gpt2"]
    assert 0.0 <= latin["patch_token_f1_cl100k"] <= 1.0


def test_attach_whitespace_hand_checked():
    # "to be  or": BLT-like starts after spaces [0, 3, 7] -> starts of the space runs [0, 2, 5]
    assert segments.attach_whitespace(np.array([0, 3, 7]), b"to be  or").tolist() == [0, 2, 5]
    # BPE-like starts already at the spaces stay put
    assert segments.attach_whitespace(np.array([0, 2, 5]), b"to be  or").tolist() == [0, 2, 5]
    # a boundary after leading whitespace reaches byte 0 and disappears; newline and tab count
    assert segments.attach_whitespace(np.array([0, 2, 5]), b" \nab\tc").tolist() == [0, 4]
    # non-whitespace punctuation is not moved over
    assert segments.attach_whitespace(np.array([0, 2]), b"a,b").tolist() == [0, 2]


def test_boundary_prf_with_whitespace_attached():
    data = b"Last spring the"
    blt = np.array([0, 5, 12])  # "Last·|spring·|the"
    bpe = np.array([0, 4, 11])  # "Last|·spring|·the"
    assert segments.boundary_prf(bpe, blt, n_bytes=len(data))["f1"] == 0.0
    assert segments.boundary_prf(bpe, blt, n_bytes=len(data), data=data) == {"precision": 1.0, "recall": 1.0,
                                                                             "f1": 1.0}
    # a real disagreement survives: BLT also splits "spr|ing"
    m = segments.boundary_prf(bpe, np.array([0, 5, 8, 12]), n_bytes=len(data), data=data)
    assert m == pytest.approx({"precision": 2 / 3, "recall": 1.0, "f1": 0.8})
    with pytest.raises(ValueError, match="n_bytes"):
        segments.boundary_prf(bpe, blt, n_bytes=3, data=data)


def test_whitespace_f1_on_real_tokens_beats_exact():
    from blt_core.bpe import tokenize

    data = b"Last spring the river rose over the old stone bridge and the town watched it."
    tokens = tokenize(data, tokenizer="llama3").token_byte_starts
    words = segments.word_starts(data)  # BLT-like: each unit keeps its trailing space
    exact = segments.boundary_prf(tokens, words, n_bytes=len(data))["f1"]
    attached = segments.boundary_prf(tokens, words, n_bytes=len(data), data=data)["f1"]
    assert exact < 0.2 and attached > 0.9, (exact, attached)
