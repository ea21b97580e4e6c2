"""Documents of a corpus split (data/corpus: <split>.bin + <split>_docs.npy) and a fixed sample of them.

The BPE tokenizer and the patching thresholds are both fitted on the same sample: documents
drawn in a seeded random order until `max_bytes` is reached (the corpus is stored source by
source, so a prefix would see one source only).

>>> import tempfile; from pathlib import Path
>>> d = Path(tempfile.mkdtemp()); _ = (d / "train.bin").write_bytes(b"abcdef")
>>> np.save(d / "train_docs.npy", np.array([0, 2, 6]))
>>> [bytes(x) for x in documents(d, "train")]
[b'ab', b'cdef']
>>> sorted(bytes(x) for x in sample_documents(d, max_bytes=3, seed=0))
[b'ab', b'cdef']
"""

from __future__ import annotations

from pathlib import Path

import numpy as np


def doc_starts(data: Path, split: str, n_bytes: int) -> np.ndarray:
    """Document start offsets with the split's length appended (tolerates files without it)."""
    starts = np.load(Path(data) / f"{split}_docs.npy").astype(np.int64)
    return starts if starts[-1] == n_bytes else np.append(starts, n_bytes)


def documents(data: Path, split: str) -> list[np.ndarray]:
    """Every document of the split, as uint8 views into one memory-mapped file."""
    raw = np.memmap(Path(data) / f"{split}.bin", dtype=np.uint8, mode="r")
    starts = doc_starts(data, split, len(raw))
    return [raw[a:b] for a, b in zip(starts[:-1], starts[1:])]


def is_text(doc: np.ndarray) -> bool:
    """Valid UTF-8 with no NUL byte: prose, code and tables, not the split's binaries or random bytes.

    >>> is_text(np.frombuffer("naïve code()".encode(), np.uint8)), is_text(np.frombuffer(b"ELF\\x00\\xff", np.uint8))
    (True, False)
    """
    raw = bytes(doc)
    if b"\x00" in raw:
        return False
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def sample_documents(data: Path, *, max_bytes: int, seed: int = 0, split: str = "train",
                     text_only: bool = False) -> list[np.ndarray]:
    """Whole documents in a seeded random order until at least `max_bytes` bytes (or all of them);
    with `text_only`, only documents that `is_text`."""
    docs = documents(data, split)
    out, total = [], 0
    for i in np.random.default_rng(seed).permutation(len(docs)):
        if total >= max_bytes:
            break
        if text_only and not is_text(docs[i]):
            continue
        out.append(docs[i])
        total += len(docs[i])
    return out


def as_text(doc: np.ndarray) -> str:
    """A document as text for the tokenizer; the few binary documents get U+FFFD for invalid bytes.

    >>> as_text(np.frombuffer(b"a\\xffb", np.uint8))
    'a\\ufffdb'
    """
    return bytes(doc).decode("utf-8", errors="replace")
