"""Deterministic text perturbations, and how token and patch counts react to them.

Each kind visits the text once, left to right, and touches each eligible character
with probability `rate`, drawing from `random.Random(seed)`; the same (text, kind,
rate, seed) always gives the same output:

>>> perturb("hello world", kind="case_flip", rate=1.0)
'HELLO WORLD'
"""

from __future__ import annotations

import random
from collections.abc import Callable
from typing import Any

from blt_core.bytes_codec import to_bytes

PERTURBATIONS = {"case_flip", "typo", "double_letter", "spacing"}

# Neighbours on a QWERTY keyboard: a typo hits a key next to the intended one.
_ROWS = ("qwertyuiop", "asdfghjkl", "zxcvbnm")
_NEIGHBOURS: dict[str, str] = {}
for _r, _row in enumerate(_ROWS):
    for _c, _ch in enumerate(_row):
        near = [_row[j] for j in (_c - 1, _c + 1) if 0 <= j < len(_row)]
        # Each row sits half a key right of the one above: above are columns c and c+1,
        # below are c-1 and c ("s" touches w, e, z, x).
        for _other, cols in ((_r - 1, (_c, _c + 1)), (_r + 1, (_c - 1, _c))):
            if 0 <= _other < len(_ROWS):
                near += [_ROWS[_other][j] for j in cols if 0 <= j < len(_ROWS[_other])]
        _NEIGHBOURS[_ch] = "".join(near)


def _case_flip(text: str, rng: random.Random, rate: float) -> str:
    out = []
    for ch in text:
        flipped = ch.swapcase()
        # "ß".swapcase() is "SS": skip characters whose flip changes the length.
        if ch.isalpha() and len(flipped) == 1 and rng.random() < rate:
            ch = flipped
        out.append(ch)
    return "".join(out)


def _typo(text: str, rng: random.Random, rate: float) -> str:
    chars = list(text)
    i = 0
    while i < len(chars):
        ch = chars[i]
        if ch.isalpha() and rng.random() < rate:
            near = _NEIGHBOURS.get(ch.lower())
            if near:  # ASCII letter: hit a neighbouring key, keeping the case
                sub = rng.choice(near)
                chars[i] = sub.upper() if ch.isupper() else sub
            elif i + 1 < len(chars) and chars[i + 1].isalpha():  # other scripts: transpose
                chars[i], chars[i + 1] = chars[i + 1], chars[i]
                i += 1
        i += 1
    return "".join(chars)


def _double_letter(text: str, rng: random.Random, rate: float) -> str:
    return "".join(ch * 2 if ch.isalpha() and rng.random() < rate else ch for ch in text)


def _spacing(text: str, rng: random.Random, rate: float) -> str:
    out = []
    for ch in text:
        if ch == " " and rng.random() < rate:
            # Half the hits drop the space (words run together), half double it.
            out.append("" if rng.random() < 0.5 else "  ")
        else:
            out.append(ch)
    return "".join(out)


_KINDS: dict[str, Callable[[str, random.Random, float], str]] = {
    "case_flip": _case_flip,
    "typo": _typo,
    "double_letter": _double_letter,
    "spacing": _spacing,
}


def perturb(text: str, *, kind: str, rate: float = 0.1, seed: int = 0) -> str:
    """Apply one perturbation kind (see PERTURBATIONS) at the given rate.

    >>> perturb("a b c d", kind="spacing", rate=0.0)
    'a b c d'
    """
    if kind not in _KINDS:
        raise ValueError(f"unknown perturbation {kind!r}; choose one of {sorted(PERTURBATIONS)}")
    if not 0.0 <= rate <= 1.0:
        raise ValueError(f"rate must be in [0, 1], got {rate}")
    return _KINDS[kind](text, random.Random(seed), rate)


def noise_report(
    text: str,
    *,
    count_tokens: Callable[[bytes], int],
    count_patches: Callable[[bytes], int],
    rate: float = 0.1,
    seed: int = 0,
) -> list[dict[str, Any]]:
    """Token and patch counts before and after each perturbation, with relative change.

    Relative change = (after - before) / before: 0.25 means a quarter more units.
    >>> rows = noise_report("ab cd", count_tokens=len, count_patches=len, rate=1.0)
    >>> [(r["kind"], r["tokens_after"]) for r in rows]
    [('case_flip', 5), ('double_letter', 9), ('spacing', 6), ('typo', 5)]
    """
    before = to_bytes(text)  # the one text -> bytes coercion, and its messages
    if not before:
        raise ValueError("empty input: nothing to perturb")
    tokens0, patches0 = count_tokens(before), count_patches(before)
    rows = []
    for kind in sorted(PERTURBATIONS):
        after = to_bytes(perturb(text, kind=kind, rate=rate, seed=seed))
        tokens1, patches1 = count_tokens(after), count_patches(after)
        rows.append({
            "kind": kind,
            "rate": rate,
            "seed": seed,
            "bytes_before": len(before),
            "bytes_after": len(after),
            "tokens_before": tokens0,
            "tokens_after": tokens1,
            "token_change": (tokens1 - tokens0) / tokens0,
            "patches_before": patches0,
            "patches_after": patches1,
            "patch_change": (patches1 - patches0) / patches0,
        })
    return rows
