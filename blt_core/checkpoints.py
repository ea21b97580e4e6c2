"""Weights that describe themselves: a JSON model card beside safetensors / ONNX files.

Standard library only, so the ONNX serving path can verify files without torch.
A card looks like {"name": ..., "config": {...}, "files": {"onnx": {"path": "x.onnx",
"sha256": "ab12..", "bytes": 123}}, "defaults": {"threshold": 1.2, ...}, ...}; paths are
relative to the card's folder, which `Card` carries beside the JSON (never inside it).
"""

from __future__ import annotations

import copy
import hashlib
import json
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

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


def check_sha256(path: str | os.PathLike, expected: str) -> Path:
    """`path` after checking that the file exists and its sha256 is `expected`; WeightsError otherwise."""
    path = Path(path)
    if not path.is_file():
        raise WeightsError(f"weight file missing: {path}")
    got = sha256_file(path)
    if got != expected:
        raise WeightsError(f"weight file {path} is corrupt or changed: sha256 {got[:12]}... != expected {expected[:12]}...")
    return path


@dataclass(frozen=True)
class FileEntry:
    """One weight file of a card: its path relative to the card's folder, sha256 and size."""

    path: str
    sha256: str
    bytes: int | None = None  # informative only: the sha256 is what loading checks


def _problem(data: Any) -> str | None:
    """What makes `data` not a card's JSON object, or None when it is one."""
    if not isinstance(data, dict) or not isinstance(data.get("config"), dict) or not isinstance(data.get("files"), dict):
        return "lacks 'config' or 'files'"
    bad = [k for k, e in data["files"].items() if not (isinstance(e, dict) and {"path", "sha256"} <= e.keys())]
    return f"has files without 'path' and 'sha256': {bad}" if bad else None


@dataclass(frozen=True)
class Card:
    """A model card: its JSON object and the folder its file paths are relative to.

    `data` is the JSON exactly as on disk (key order kept, so writing it back gives the same
    bytes); `name`, `config`, `files` and `defaults` are typed views of it, `data["heldout"]`
    and the like the rest. The card owns a copy of `data`: treat both as read-only.

    >>> c = Card(Path("assets"), {"name": "m", "config": {"window": 512},
    ...                           "files": {"onnx": {"path": "m.onnx", "sha256": "ab12", "bytes": 3}}})
    >>> c.config["window"], c.files["onnx"].sha256, c.path_of("onnx").as_posix(), c.defaults
    (512, 'ab12', 'assets/m.onnx', {})
    """

    folder: Path  # where the card lives; every file path in it is relative to this folder
    data: dict[str, Any] = field(repr=False)

    def __post_init__(self) -> None:
        if (problem := _problem(self.data)) is not None:
            raise WeightsError(f"model card in {self.folder} {problem}")
        object.__setattr__(self, "folder", Path(self.folder))
        object.__setattr__(self, "data", copy.deepcopy(self.data))

    @classmethod
    def load(cls, path: str | os.PathLike = DEFAULT_CARD) -> "Card":
        """Read a card; a clear WeightsError when it is missing, not JSON, or lacks 'config' or 'files'."""
        from blt_core.file_guard import MAX_JSON_BYTES, FileGuard  # it imports WeightsError from here

        path = Path(path)
        if not os.path.lexists(path):
            raise WeightsError(f"model card not found: {path}")
        try:  # a regular file of at most 1 MiB: a FIFO or device given as --model is refused, not read
            data = json.loads(FileGuard(path.parent).read_bytes(path, max_bytes=MAX_JSON_BYTES).decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError) as e:
            raise WeightsError(f"model card {path} is not valid JSON: {e}") from None
        if (problem := _problem(data)) is not None:
            raise WeightsError(f"model card {path} {problem}")
        return cls(path.parent, data)

    @property
    def name(self) -> str | None:
        return self.data.get("name")

    @property
    def config(self) -> dict[str, Any]:
        """The model's config, as the model's `from_dict` reads it."""
        return self.data["config"]

    @property
    def defaults(self) -> dict[str, Any]:
        """Calibrated patching defaults ({} when the card has none)."""
        return self.data.get("defaults") or {}

    @property
    def files(self) -> dict[str, FileEntry]:
        """kind ("onnx", "safetensors", ...) -> FileEntry."""
        return {k: FileEntry(e["path"], e["sha256"], e.get("bytes")) for k, e in self.data["files"].items()}

    def path_of(self, kind: str) -> Path:
        """Where the card's file of `kind` lives (not checked); WeightsError when the card lists none."""
        entry = self.data["files"].get(kind)
        if entry is None:
            raise WeightsError(f"model card has no {kind!r} file")
        return self.folder / entry["path"]

    def verified(self, kind: str) -> Path:
        """Path of the card's file of `kind` after its sha256 check (WeightsError when missing or changed).

        A graph whose entry names "weights" reads them from that file of the card (onnx_weights.py):
        that file is checked first, so a corrupt shared safetensors fails every graph that reads it.
        """
        if self.path_of(kind) and (weights := self.data["files"][kind].get("weights")) is not None:
            self.verified(weights)
        return check_sha256(self.path_of(kind), self.data["files"][kind]["sha256"])

    def to_json(self) -> dict[str, Any]:
        """The card's JSON object (a copy): what `write_card` writes."""
        return copy.deepcopy(self.data)


def load_card(path: str | os.PathLike = DEFAULT_CARD) -> Card:
    """Card.load(path): the shipped entropy model's card by default."""
    return Card.load(path)


def write_card(path: str | os.PathLike, card: Card | dict[str, Any]) -> Card:
    """Write a card (or its JSON object, checked as one) atomically; returns it as read from `path`.

    Paths in the card stay as they are: relative to the folder the card is written to.
    """
    path = Path(path)
    card = card if isinstance(card, Card) else Card(path.parent, card)
    atomic_write_bytes(path, (json.dumps(card.to_json(), indent=2, sort_keys=False) + "\n").encode())
    return Card(path.parent, card.data)


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
