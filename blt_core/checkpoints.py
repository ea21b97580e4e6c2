"""Weights that describe themselves: a JSON model card beside safetensors / ONNX files.

Standard library only, so the ONNX serving path can verify files without torch.
A card looks like {"name": ..., "config": {...}, "files": {"onnx": {"path": "x.onnx",
"sha256": "ab12..", "bytes": 123}}, "defaults": {"threshold": 1.2, ...}, ...}; paths are
relative to the card's folder.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from pathlib import Path

ASSETS = Path(__file__).resolve().parent.parent / "assets"
DEFAULT_CARD = ASSETS / "entropy_model.json"


class WeightsError(ValueError):
    """A weight file or model card is missing, unreadable or fails its sha256 check."""


def sha256_file(path: str | os.PathLike) -> str:
    """Hex sha256 of a file's bytes, read in 1 MiB blocks."""
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def atomic_write_bytes(path: str | os.PathLike, data: bytes) -> None:
    """Write to a temporary file in the same folder, then rename: readers never see half a file."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=path.name + ".")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.chmod(tmp, 0o644)  # mkstemp makes 0600; shipped files must be readable by all
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_card(path: str | os.PathLike, card: dict) -> None:
    atomic_write_bytes(path, (json.dumps(card, indent=2, sort_keys=False) + "\n").encode())


def load_card(path: str | os.PathLike = DEFAULT_CARD) -> dict:
    """Read a model card; a clear WeightsError when it is missing or not JSON."""
    path = Path(path)
    if not path.is_file():
        raise WeightsError(f"model card not found: {path}")
    try:
        card = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as e:
        raise WeightsError(f"model card {path} is not valid JSON: {e}") from None
    if not isinstance(card, dict) or "config" not in card or "files" not in card:
        raise WeightsError(f"model card {path} lacks 'config' or 'files'")
    card["_dir"] = str(path.parent)
    return card


def verified_file(card: dict, kind: str) -> Path:
    """Path of the card's file of `kind` ("onnx", "safetensors", ...) after its sha256 check."""
    entry = card["files"].get(kind)
    if entry is None:
        raise WeightsError(f"model card has no {kind!r} file")
    path = Path(card.get("_dir", ".")) / entry["path"]
    if not path.is_file():
        raise WeightsError(f"weight file missing: {path}")
    got = sha256_file(path)
    if got != entry["sha256"]:
        raise WeightsError(
            f"weight file {path} is corrupt or changed: sha256 {got[:12]}... != expected {entry['sha256'][:12]}..."
        )
    return path


def file_entry(path: str | os.PathLike, *, relative_to: str | os.PathLike) -> dict:
    """{"path", "sha256", "bytes"} of a file, for a card's "files" section."""
    path = Path(path)
    return {"path": os.path.relpath(path, relative_to), "sha256": sha256_file(path), "bytes": path.stat().st_size}


RUN_LOGS = ("config.json", "log.jsonl", "*.log", "check_finite*.json")  # what a training run leaves to keep


def archive_run(run: str | os.PathLike, assets: str | os.PathLike = ASSETS) -> str:
    """Copy a run's logs (not its weights) to assets/training/<run name>; the card's reference to them.

    runs/entropy3 -> "training/entropy3" (relative to the cards' folder), holding config.json, log.jsonl, ...
    """
    run, dest = Path(run), Path(assets) / "training" / Path(run).name
    if run.resolve() != dest.resolve():
        dest.mkdir(parents=True, exist_ok=True)
        for pattern in RUN_LOGS:
            for f in run.glob(pattern):
                atomic_write_bytes(dest / f.name, f.read_bytes())
    return f"training/{dest.name}"
