"""Documents from text, JSONL and Parquet files, one at a time, in a fixed order.

A document is identified by its source file and its index there (line, row or 0 for a whole
file), and numbered globally across all inputs in the order given. Every record counts in the
numbering, empty ones too, so the numbering does not depend on the content and a rank can skip
what it does not own without decoding it (`keep`).

- `.txt` (or any other name): the whole file is one document, or one per line with `lines=True`
  (the newline stays with its line). Bytes are scored as bytes: invalid UTF-8 is not an error.
- `.jsonl`: one JSON object per line; the document is its `field` (a string, encoded as UTF-8).
- `.parquet`: the `field` column (string or binary), read in row-group batches, never whole.

>>> import tempfile, pathlib
>>> p = pathlib.Path(tempfile.mkdtemp()) / "a.txt"; _ = p.write_bytes(b"one\\ntwo\\n")
>>> [(d.index, d.source_index, d.data) for d in iter_documents([str(p)], lines=True)]
[(0, 0, b'one\\n'), (1, 1, b'two\\n')]
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from functools import partial
from typing import Callable, Iterator

DEFAULT_FIELD = "text"
PARQUET_BATCH_ROWS = 1024  # rows decoded at a time: memory stays bounded whatever the file size


@dataclass(frozen=True)
class Document:
    index: int  # global: position among all records of all inputs
    source: str  # the input file as given
    source_index: int  # line, row, or 0 for a whole file
    data: bytes


def kind(path: str) -> str:
    """How a file is read, from its name.

    >>> kind("x.JSONL"), kind("y.parquet"), kind("z.md")
    ('jsonl', 'parquet', 'text')
    """
    ext = os.path.splitext(path)[1].lower()
    return {".jsonl": "jsonl", ".parquet": "parquet"}.get(ext, "text")


def check_inputs(paths: list[str]) -> None:
    """ValueError naming the first input that is missing or not a regular file (before any scoring)."""
    if not paths:
        raise ValueError("no input: give one or more files")
    for p in paths:
        if not os.path.exists(p):
            raise ValueError(f"file not found: {p}")
        if not os.path.isfile(p):
            raise ValueError(f"not a file: {p}")


def _text(path: str, lines: bool, limit: int | None) -> Iterator[tuple[int, Callable[[], bytes]]]:
    with open(path, "rb") as f:
        if not lines:
            data = f.read() if limit is None else f.read(limit + 1)  # one byte more: the caller sees it was cut
            yield 0, lambda: data
            return
        for i, line in enumerate(f):
            yield i, (lambda line=line: line)


def _field_value(value, where: str, field: str) -> bytes:
    if isinstance(value, str):
        return value.encode("utf-8", "surrogatepass")
    if isinstance(value, (bytes, bytearray)):
        return bytes(value)
    raise ValueError(f"{where}: field {field!r} is {type(value).__name__}, not text")


def _jsonl(path: str, field: str) -> Iterator[tuple[int, Callable[[], bytes]]]:
    with open(path, "rb") as f:
        for i, line in enumerate(f):
            def decode(line=line, i=i) -> bytes:
                where = f"{path} line {i + 1}"
                if not line.strip():  # a blank line is an empty document, not an error
                    return b""
                try:
                    obj = json.loads(line)
                except ValueError as e:
                    raise ValueError(f"{where} is not JSON: {e}") from None
                if not isinstance(obj, dict) or field not in obj:
                    raise ValueError(f"{where} has no field {field!r} (choose the field with --field)")
                return _field_value(obj[field], where, field)
            yield i, decode


def _parquet(path: str, field: str) -> Iterator[tuple[int, Callable[[], bytes]]]:
    import pyarrow.parquet as pq

    try:
        f = pq.ParquetFile(path)
    except Exception as e:  # pyarrow raises its own error types for a file that is not Parquet
        raise ValueError(f"{path} is not a Parquet file: {e}") from None
    if field not in f.schema_arrow.names:
        raise ValueError(f"{path} has no column {field!r} (choose the column with --field); "
                         f"it has {', '.join(f.schema_arrow.names)}")
    i = 0
    for batch in f.iter_batches(batch_size=PARQUET_BATCH_ROWS, columns=[field]):
        col = batch.column(0)
        for j in range(len(col)):  # only the rows kept are turned into Python values
            yield i, partial(_cell, col, j, f"{path} row {i}", field)
            i += 1


def _cell(col, j: int, where: str, field: str) -> bytes:
    """Row j of a Parquet column as bytes (a null is an empty document)."""
    v = col[j].as_py()
    return b"" if v is None else _field_value(v, where, field)


def iter_documents(paths: list[str], *, field: str = DEFAULT_FIELD, lines: bool = False,
                   keep: Callable[[int], bool] = lambda i: True, limit: int | None = None) -> Iterator[Document]:
    """Every document of `paths` whose global index `keep` accepts, in order (see the module doc).

    `limit`: a whole text file is read only up to limit + 1 bytes (the caller cuts documents to limit).
    """
    check_inputs(paths)
    n = 0
    for path in paths:
        k = kind(path)
        records = (_jsonl(path, field) if k == "jsonl" else _parquet(path, field) if k == "parquet"
                   else _text(path, lines, limit))
        for source_index, get in records:
            if keep(n):
                yield Document(n, path, source_index, get())
            n += 1
