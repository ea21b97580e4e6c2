"""Comparison metrics between segmentations of the same bytes (patches, tokens, words).

Every segmentation is a starts array (int64, first 0, strictly increasing, all < n_bytes);
a boundary is a start other than 0, so two segmentations agree on b"ab|cd" when both
hold 2:

>>> boundary_prf(np.array([0, 2]), np.array([0, 2, 3]), n_bytes=4)
{'precision': 0.5, 'recall': 1.0, 'f1': 0.6666666666666666}

BLT patches end after a space ("Last·|spring") while BPE tokens begin with it
("Last|·spring"), so on plain prose the exact score misses every word boundary. Passing the
bytes attaches whitespace to the following unit on both sides first, and the two agree:

>>> blt, bpe = np.array([0, 5]), np.array([0, 4])
>>> boundary_prf(bpe, blt, n_bytes=11)["f1"], boundary_prf(bpe, blt, n_bytes=11, data=b"Last spring")["f1"]
(0.0, 1.0)
"""

from __future__ import annotations

import json
import unicodedata
from collections import Counter
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import numpy as np

SAMPLES_DIR = Path(__file__).resolve().parents[1] / "assets" / "samples"

# ASCII whitespace: space, \t, \n, \v, \f, \r.
_SPACE = np.zeros(256, dtype=bool)
_SPACE[[0x20, 0x09, 0x0A, 0x0B, 0x0C, 0x0D]] = True


def word_starts(data: bytes) -> np.ndarray:
    """Start of every whitespace-separated word (a word keeps its trailing spaces).

    Scripts written without spaces (Chinese, Japanese) give one word per line or run.
    >>> word_starts(b"to be  or").tolist()
    [0, 3, 7]
    """
    if not data:
        raise ValueError("empty input: no words")
    raw = np.frombuffer(data, dtype=np.uint8)
    space = _SPACE[raw]
    starts = np.flatnonzero(~space[1:] & space[:-1]) + 1
    return np.concatenate([[0], starts]).astype(np.int64)


def _boundaries(starts: np.ndarray, n_bytes: int) -> np.ndarray:
    s = np.asarray(starts, dtype=np.int64)
    if len(s) == 0 or s[0] != 0 or (np.diff(s) <= 0).any() or s[-1] >= n_bytes:
        raise ValueError("starts must begin at 0, increase strictly and stay below n_bytes")
    return s[1:]


def attach_whitespace(starts: np.ndarray, data: bytes) -> np.ndarray:
    """The same units with whitespace attached to the following unit (ASCII whitespace only).

    A boundary right after a run of whitespace moves to the start of that run; boundaries
    that meet are merged, and one that reaches byte 0 disappears.
    >>> attach_whitespace(np.array([0, 5]), b"Last spring").tolist()   # "Last·|spring" -> "Last|·spring"
    [0, 4]
    >>> attach_whitespace(np.array([0, 2, 3, 4]), b"a  \tb").tolist()  # inside and after a run -> its start
    [0, 1]
    """
    b = _boundaries(starts, len(data))
    space = _SPACE[np.frombuffer(data, dtype=np.uint8)]
    # last non-whitespace index at or before each position (-1 when there is none)
    last_word = np.maximum.accumulate(np.where(space, -1, np.arange(len(data))))
    moved = last_word[b - 1] + 1
    return np.unique(np.concatenate([[0], moved])).astype(np.int64)


def boundary_prf(
    reference_starts: np.ndarray, predicted_starts: np.ndarray, *, n_bytes: int, data: bytes | None = None
) -> dict[str, float]:
    """Precision, recall and F1 of predicted boundaries against reference ones (0 excluded).

    With `data` (the n_bytes being segmented), both sides first get attach_whitespace.
    With no boundaries on a side its score is vacuously 1 (nothing claimed, nothing missed).
    >>> boundary_prf(np.array([0]), np.array([0]), n_bytes=3)["f1"]
    1.0
    """
    if data is not None:
        if len(data) != n_bytes:
            raise ValueError(f"data holds {len(data)} bytes, n_bytes is {n_bytes}")
        reference_starts = attach_whitespace(reference_starts, data)
        predicted_starts = attach_whitespace(predicted_starts, data)
    ref = _boundaries(reference_starts, n_bytes)
    pred = _boundaries(predicted_starts, n_bytes)
    hits = len(np.intersect1d(ref, pred, assume_unique=True))
    precision = hits / len(pred) if len(pred) else 1.0
    recall = hits / len(ref) if len(ref) else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"precision": precision, "recall": recall, "f1": f1}


def compare(a_starts: np.ndarray, b_starts: np.ndarray, *, n_bytes: int) -> dict[str, float]:
    """Counts, bytes per unit and boundary P/R/F1 of b against a as reference.

    >>> compare(np.array([0, 2]), np.array([0]), n_bytes=4)["bytes_per_b"]
    4.0
    """
    out: dict[str, float] = {
        "n_bytes": n_bytes,
        "n_a": len(a_starts),
        "n_b": len(b_starts),
        "bytes_per_a": n_bytes / len(a_starts),
        "bytes_per_b": n_bytes / len(b_starts),
    }
    out.update(boundary_prf(a_starts, b_starts, n_bytes=n_bytes))
    return out


def _char_script(ch: str) -> str | None:
    cp = ord(ch)
    if 0x4E00 <= cp <= 0x9FFF or 0x3040 <= cp <= 0x30FF or 0x3400 <= cp <= 0x4DBF or 0xAC00 <= cp <= 0xD7AF:
        return "CJK"
    if unicodedata.category(ch) == "So":
        return "emoji"
    if not ch.isalpha():
        return None
    name = unicodedata.name(ch, "")
    for script in ("LATIN", "CYRILLIC", "DEVANAGARI", "ARABIC", "GREEK", "HEBREW"):
        if name.startswith(script):
            return script.capitalize() if script != "LATIN" else "Latin"
    return "other"


_CODE_CHARS = set("{}[]()=;:<>_\"'#")


def script_of_bytes(data: bytes) -> str:
    """Dominant script of the letters: Latin, Cyrillic, CJK, Devanagari, Arabic, ...

    Latin text dense in brackets, quotes and "=" is called "code".
    >>> script_of_bytes("Привет, мир".encode()), script_of_bytes(b'{"a": [1, 2]}')
    ('Cyrillic', 'code')
    """
    text = data.decode("utf-8", errors="replace")
    counts = Counter(s for s in map(_char_script, text) if s)
    code_chars = sum(ch in _CODE_CHARS for ch in text)
    latin_or_none = not counts or counts.most_common(1)[0][0] == "Latin"
    if latin_or_none and code_chars >= 0.05 * max(len(text), 1):
        return "code"
    return counts.most_common(1)[0][0] if counts else "other"


def load_samples(directory: Path = SAMPLES_DIR) -> dict[str, tuple[bytes, str]]:
    """The shipped samples: name -> (bytes, script) from assets/samples/index.json."""
    index = json.loads((directory / "index.json").read_text(encoding="utf-8"))
    return {name: ((directory / e["file"]).read_bytes(), e["script"]) for name, e in index.items()}


def per_script_table(
    samples: dict[str, tuple[bytes, str]],
    patch_fn: Callable[[bytes], np.ndarray],
    tokenizers: Iterable[str],
) -> list[dict[str, Any]]:
    """One row per script: bytes per patch vs bytes per token, and patch/token boundary F1.

    Samples of the same script are pooled (bytes and unit counts summed; F1 is the
    byte-weighted mean). `patch_fn(bytes) -> starts` is passed in so this module never
    depends on a model. Keys: script, samples, n_bytes, n_patches, bytes_per_patch and,
    per tokenizer T, n_tokens_T, bytes_per_token_T, patch_token_f1_T (exact boundaries) and
    patch_token_f1_ws_T (whitespace attached to the following unit, see attach_whitespace).
    """
    from blt_core.bpe import tokenize

    tokenizers = tuple(tokenizers)
    rows: dict[str, dict[str, Any]] = {}
    for name, (data, script) in samples.items():
        row = rows.setdefault(script, {"script": script, "samples": [], "n_bytes": 0, "n_patches": 0})
        patches = np.asarray(patch_fn(data), dtype=np.int64)
        row["samples"].append(name)
        row["n_bytes"] += len(data)
        row["n_patches"] += len(patches)
        for tok in tokenizers:
            starts = tokenize(data, tokenizer=tok).token_byte_starts
            row[f"n_tokens_{tok}"] = row.get(f"n_tokens_{tok}", 0) + len(starts)
            for key, ws in ((f"_f1w_{tok}", None), (f"_f1ws_{tok}", data)):
                f1 = boundary_prf(starts, patches, n_bytes=len(data), data=ws)["f1"]
                row[key] = row.get(key, 0.0) + f1 * len(data)
    for row in rows.values():
        row["bytes_per_patch"] = row["n_bytes"] / row["n_patches"]
        for tok in tokenizers:
            row[f"bytes_per_token_{tok}"] = row["n_bytes"] / row[f"n_tokens_{tok}"]
            row[f"patch_token_f1_{tok}"] = row.pop(f"_f1w_{tok}") / row["n_bytes"]
            row[f"patch_token_f1_ws_{tok}"] = row.pop(f"_f1ws_{tok}") / row["n_bytes"]
    return list(rows.values())
