"""Downloads: one row per byte (value, glyph, entropy, surprisal, patch id, token ids) as CSV or JSON.

Spreadsheets run cells that begin with = + - @ (and tab or CR) as formulas, so text cells
that begin so get a leading quote:

>>> neutralise("=1+1"), neutralise("a"), neutralise(3)
("'=1+1", 'a', 3)
"""

from __future__ import annotations

import csv
import io
import json

import numpy as np

from app.views.glyphs import byte_labels

_FORMULA_LEADS = ("=", "+", "-", "@", "\t", "\r")


def neutralise(cell):
    """Quote a text cell a spreadsheet would read as a formula; numbers pass unchanged."""
    if isinstance(cell, str) and cell.startswith(_FORMULA_LEADS):
        return "'" + cell
    return cell


def byte_rows(data: bytes, entropies: np.ndarray, surprisal: np.ndarray, starts: np.ndarray,
              token_ids: dict[str, np.ndarray] | None = None) -> list[dict]:
    """One dict per byte. token_ids maps tokenizer -> (n_bytes,) id of the token covering each byte.

    >>> byte_rows(b"=", np.array([1.0]), np.array([2.0]), np.array([0]))[0]["char"]
    '= 3d'
    """
    patch_id = np.cumsum(np.isin(np.arange(len(data)), starts)) - 1
    labels = byte_labels(data)
    rows = []
    for k, b in enumerate(data):
        row = {"offset": k, "byte": b, "hex": f"{b:02x}", "char": labels[k],
               "entropy_nats": round(float(entropies[k]), 6), "surprisal_bits": round(float(surprisal[k]), 6),
               "patch_id": int(patch_id[k])}
        for name, ids in (token_ids or {}).items():
            row[f"token_id_{name}"] = int(ids[k])
        rows.append(row)
    return rows


def token_id_per_byte(token_ids, starts: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    """Spread token ids over their bytes: ids [7, 9], lengths [2, 1] -> [7, 7, 9].

    >>> token_id_per_byte([7, 9], np.array([0, 2]), np.array([2, 1])).tolist()
    [7, 7, 9]
    """
    return np.repeat(np.asarray(token_ids, dtype=np.int64), np.asarray(lengths, dtype=np.int64))


def to_csv(rows: list[dict]) -> str:
    """CSV text with formula-like text cells neutralised."""
    if not rows:
        return ""
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=list(rows[0]))
    w.writeheader()
    for r in rows:
        w.writerow({k: neutralise(v) for k, v in r.items()})
    return buf.getvalue()


def to_json(meta: dict, rows: list[dict]) -> str:
    """JSON: the analysis settings plus column arrays (bytes, entropies, patch ids, token ids)."""
    cols = {k: [r[k] for r in rows] for k in (rows[0] if rows else {})}
    return json.dumps({**meta, "columns": cols}, ensure_ascii=False)
