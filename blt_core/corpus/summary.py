"""What the Tune page reads back: score-corpus outputs in server-allowed folders, summarised.

The operator lists folders in BLT_CORPUS_DIRS (os.pathsep-separated, like BLT_WEIGHTS_DIRS);
each of them, and each immediate subfolder, that holds a `manifest.json` is offered by its
folder name. A visitor picks a name, never a path. Reading is bounded: the manifest at most
MAX_MANIFEST_BYTES, shards only by the file names the manifest lists (part-RANK-NNNNN.parquet,
regular files inside the folder), and of them only the patch-length column, until MAX_PATCHES
patches have been counted.

>>> patch_length_histogram([np.array([1, 2, 2]), np.array([70])], max_length=4).tolist()
[0, 1, 2, 0, 0, 1]
"""

from __future__ import annotations

import json
import os
import stat
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from blt_core.file_guard import within
from blt_core.weights_dirs import parse_setting, root_and_subfolders

ENV_VAR = "BLT_CORPUS_DIRS"
MANIFEST = "manifest.json"
MAX_MANIFEST_BYTES = 16 << 20
MAX_PATCHES = 20_000_000  # patch lengths read per summary (80 MB of int32 at most, in batches)
MAX_LENGTH = 64  # histogram bins 1..64, then one bin for longer patches


@dataclass(frozen=True)
class CorpusSummary:
    name: str
    manifest: dict  # as written by corpus/run.py
    histogram: np.ndarray  # index k: patches of length k (k = 1..MAX_LENGTH), last: longer
    documents_read: int  # documents whose patches the histogram counts
    complete: bool  # False when MAX_PATCHES stopped the reading early


def patch_length_histogram(lengths: list[np.ndarray], *, max_length: int = MAX_LENGTH) -> np.ndarray:
    """Counts per patch length (index = length; index 0 unused; the last index: longer than max_length)."""
    out = np.zeros(max_length + 2, dtype=np.int64)
    for x in lengths:
        out += np.bincount(np.minimum(np.asarray(x, dtype=np.int64), max_length + 1), minlength=max_length + 2)
    return out


def corpus_roots(environ: Mapping[str, str] = os.environ) -> list[str]:
    """The allowed folders (real paths of existing folders) from BLT_CORPUS_DIRS; [] when unset."""
    return parse_setting(environ.get(ENV_VAR))


def _regular(path: str, root: str) -> bool:
    real = os.path.realpath(path)
    try:
        return within(real, root) and stat.S_ISREG(os.stat(real).st_mode)
    except OSError:
        return False


def offered_corpora(roots: list[str]) -> dict[str, str]:
    """{name: folder} of every root and immediate subfolder holding a manifest (first root wins a name)."""
    found: dict[str, str] = {}
    for root in roots:
        for name, folder in root_and_subfolders(root):
            if name not in found and within(folder, root) and _regular(os.path.join(folder, MANIFEST), root):
                found[name] = folder
    return found


def _manifest(folder: str, name: str) -> dict:
    try:
        with open(os.path.join(folder, MANIFEST), "rb") as f:
            raw = f.read(MAX_MANIFEST_BYTES + 1)
    except OSError:
        raise ValueError(f"corpus {name}: manifest.json cannot be read") from None
    if len(raw) > MAX_MANIFEST_BYTES:
        raise ValueError(f"corpus {name}: manifest.json is larger than {MAX_MANIFEST_BYTES:,} bytes")
    try:
        m = json.loads(raw)
    except ValueError:
        raise ValueError(f"corpus {name}: manifest.json is not JSON") from None
    if not isinstance(m, dict) or not isinstance(m.get("shards"), list) or "totals" not in m:
        raise ValueError(f"corpus {name}: manifest.json is not a score-corpus manifest")
    return m


def corpus_summary(name: str, roots: list[str], *, max_patches: int = MAX_PATCHES) -> CorpusSummary:
    """The manifest and patch-length histogram of the offered corpus `name` (ValueError naming no path)."""
    import pyarrow.parquet as pq

    from blt_core.corpus.writer import SHARD_RE

    offered = offered_corpora(roots)
    if name not in offered:
        raise ValueError("no corpus of that name is offered on this server")
    folder = offered[name]
    root = next(r for r in roots if within(folder, r))
    m = _manifest(folder, name)
    hist, docs, total = patch_length_histogram([]), 0, 0
    for shard in m["shards"]:
        file = str(shard.get("file", "")) if isinstance(shard, dict) else ""
        path = os.path.join(folder, file)
        if not SHARD_RE.fullmatch(file) or not _regular(path, root):
            raise ValueError(f"corpus {name}: shard {file[:60]!r} is missing or not a shard file")
        try:
            for batch in pq.ParquetFile(path).iter_batches(batch_size=4096, columns=["patch_lengths"]):
                col = batch.column(0)
                x = col.values.to_numpy(zero_copy_only=False)
                hist += patch_length_histogram([x])
                docs, total = docs + len(col), total + len(x)
                if total >= max_patches:
                    return CorpusSummary(name, m, hist, docs, False)
        except (OSError, ValueError, KeyError):  # pyarrow's errors derive from these; their text may hold a path
            raise ValueError(f"corpus {name}: shard {file} cannot be read as a score-corpus shard") from None
    return CorpusSummary(name, m, hist, docs, True)
