"""Deterministic perturbations and the noise report."""

import pytest

from blt_core import noise

TEXT = "The river behind the old library rises every spring, fast and loud."


@pytest.mark.parametrize("kind", sorted(noise.PERTURBATIONS))
def test_deterministic_and_seed_dependent(kind):
    a = noise.perturb(TEXT, kind=kind, rate=0.3, seed=7)
    assert a == noise.perturb(TEXT, kind=kind, rate=0.3, seed=7)
    assert a != TEXT
    assert noise.perturb(TEXT, kind=kind, rate=0.0, seed=7) == TEXT


def test_kinds_do_what_they_say():
    assert noise.perturb("abc", kind="case_flip", rate=1.0) == "ABC"
    assert noise.perturb("ab", kind="double_letter", rate=1.0) == "aabb"
    typo = noise.perturb("aaaa", kind="typo", rate=1.0)
    assert len(typo) == 4 and all(c in "qwsz" for c in typo)
    spaced = noise.perturb("a b c d e f g h", kind="spacing", rate=1.0, seed=0)
    assert spaced.replace(" ", "") == "abcdefgh" and spaced != "a b c d e f g h"
    assert noise.perturb("Straße", kind="case_flip", rate=1.0) == "sTRAßE"


def test_unknown_kind_and_bad_rate():
    with pytest.raises(ValueError, match="unknown perturbation"):
        noise.perturb("x", kind="shout")
    with pytest.raises(ValueError):
        noise.perturb("x", kind="typo", rate=2.0)


def test_noise_report_counts_with_real_tokenizer():
    from blt_core.bpe import count_tokens

    rows = noise.noise_report(
        TEXT, count_tokens=lambda b: count_tokens(b, tokenizer="cl100k"), count_patches=len, rate=0.2
    )
    assert [r["kind"] for r in rows] == sorted(noise.PERTURBATIONS)
    by = {r["kind"]: r for r in rows}
    # Byte "patches" (count_patches=len) grow exactly with the doubled letters.
    d = by["double_letter"]
    assert d["patches_after"] == d["bytes_after"] > d["bytes_before"]
    assert d["patch_change"] == pytest.approx((d["bytes_after"] - d["bytes_before"]) / d["bytes_before"])
    # Case flips break BPE merges: more tokens, same bytes.
    assert by["case_flip"]["tokens_after"] > by["case_flip"]["tokens_before"]
    assert by["case_flip"]["bytes_after"] == by["case_flip"]["bytes_before"]
