"""Parquet shards (one row per document) and the JSON files beside them, each written atomically.

Shards are `part-RANK-NNNNN.parquet`; every file goes to a temporary name first and is renamed
into place (checkpoints.atomic_write_bytes), so a reader or a resumed run never sees half a shard.

>>> shard_name(1, 7)
'part-00001-00007.parquet'
>>> t = shard_table([row(Document(0, "a.txt", 0, b"ab"), np.array([2.0, 0.5]), np.array([2], np.int32), False)])
>>> str(t.column("entropies").type), t.column("mean_patch_length").to_pylist()
('list<item: halffloat>', [2.0])
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from blt_core.checkpoints import atomic_write_bytes
from blt_core.corpus.readers import Document

SHARD_RE = re.compile(r"part-\d{5}-\d{5}\.parquet")  # the only file names a manifest may list
SCHEMA = pa.schema([
    ("doc_index", pa.int64()),  # global position among all inputs' records
    ("source", pa.string()),  # input file as given on the command line
    ("source_index", pa.int64()),  # line or row in it (0: the whole file)
    ("n_bytes", pa.int64()),  # bytes scored (after --max-doc-bytes)
    ("truncated", pa.bool_()),  # the document was longer and was cut
    ("entropies", pa.list_(pa.float16())),  # nats, one per byte (float16: about 3 significant digits)
    ("patch_lengths", pa.list_(pa.int32())),
    ("mean_entropy", pa.float32()),
    ("patch_count", pa.int32()),
    ("mean_patch_length", pa.float32()),
])


def shard_name(rank: int, number: int) -> str:
    return f"part-{rank:05d}-{number:05d}.parquet"


def row(doc: Document, entropies: np.ndarray, lengths: np.ndarray, truncated: bool) -> dict:
    """One document's row (doc.data already cut to what was scored)."""
    n = len(doc.data)
    return {"doc_index": doc.index, "source": doc.source, "source_index": doc.source_index, "n_bytes": n,
            "truncated": truncated, "entropies": np.asarray(entropies, dtype=np.float16),
            "patch_lengths": np.asarray(lengths, dtype=np.int32), "mean_entropy": float(np.mean(entropies)),
            "patch_count": len(lengths), "mean_patch_length": n / len(lengths)}


def shard_table(rows: list[dict]) -> pa.Table:
    cols = {f.name: [r[f.name] for r in rows] for f in SCHEMA}
    lists = {"entropies": (pa.float16(), np.float16), "patch_lengths": (pa.int32(), np.int32)}
    arrays = [_list_array(cols[f.name], *lists[f.name]) if f.name in lists else pa.array(cols[f.name], f.type)
              for f in SCHEMA]
    return pa.Table.from_arrays(arrays, schema=SCHEMA)


def _list_array(values: list[np.ndarray], typ: pa.DataType, dtype) -> pa.Array:
    """A list column built from numpy arrays without a Python float per element."""
    offsets = np.concatenate([[0], np.cumsum([len(v) for v in values])]).astype(np.int32)
    flat = np.concatenate(values) if values else np.zeros(0)
    return pa.ListArray.from_arrays(pa.array(offsets), pa.array(flat.astype(dtype), typ))


def write_shard(path: Path, rows: list[dict]) -> int:
    """Write `rows` as one Parquet file at `path`, atomically; returns the row count."""
    sink = pa.BufferOutputStream()
    # no dictionary for the per-byte entropies (tens of thousands of float16 values: trying one took
    # half of write_table's time for nothing) nor the patch lengths; the source names keep theirs
    pq.write_table(shard_table(rows), sink, compression="zstd", use_dictionary=["source"])
    atomic_write_bytes(path, sink.getvalue().to_pybytes())
    return len(rows)


def write_json(path: Path, obj: dict) -> None:
    atomic_write_bytes(path, (json.dumps(obj, indent=1, sort_keys=True) + "\n").encode())


def read_json(path: Path) -> dict | None:
    """The JSON object in `path`, or None when there is no such file."""
    try:
        return json.loads(Path(path).read_text())
    except FileNotFoundError:
        return None
