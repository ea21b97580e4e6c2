"""Official weights a hosted app may load: folders named by the server, chosen by visitors by name only.

The operator lists allowed folders (roots) in the environment variable BLT_WEIGHTS_DIRS
(os.pathsep-separated, like PATH) or, in the app, the `weights_dirs` key of
.streamlit/secrets.toml. Each root that is itself an official weights folder, and each of its
immediate subfolders that is one, is offered under its folder name; a visitor picks a name, and
`resolve_weights` turns it back into a folder that is checked (after resolving symlinks) to lie inside
its root. Loading then reads only through `file_guard.FileGuard` confined to that root. With no
setting, nothing is offered.

>>> import tempfile, pathlib
>>> root = pathlib.Path(tempfile.mkdtemp())
>>> (root / "tiny").mkdir(); _ = (root / "tiny" / "params.json").write_text("{}")
>>> offered = offered_weights(parse_setting(str(root)))
>>> list(offered), offered["tiny"].name
(['tiny'], 'tiny')
>>> resolve_weights("../tiny", parse_setting(str(root)))
Traceback (most recent call last):
blt_core.checkpoints.WeightsError: not a weights folder name: choose one of the names offered
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from blt_core.checkpoints import WeightsError
from blt_core.entropy.official import detect_layout
from blt_core.file_guard import FileGuard, within

ENV_VAR = "BLT_WEIGHTS_DIRS"  # os.pathsep-separated allowed roots
SECRET_KEY = "weights_dirs"  # the same, in .streamlit/secrets.toml: a string or a list of strings
MAX_SUBFOLDERS = 200  # entries looked at per root, so a huge folder cannot make every page load slow


@dataclass(frozen=True)
class AllowedFolder:
    """An official weights folder a page may load: the name visitors see, and (server-side only) where it is."""

    name: str
    folder: str = field(repr=False)  # real path, inside root
    root: str = field(repr=False)  # the allowed root's real path


def parse_setting(setting: str | Sequence[str] | None) -> list[str]:
    """Allowed roots (real paths of existing folders, first occurrence kept) from an env or secrets value.

    >>> parse_setting(None), parse_setting(""), parse_setting(["/no/such/folder"])
    ([], [], [])
    """
    if not setting:
        return []
    parts = setting.split(os.pathsep) if isinstance(setting, str) else [str(p) for p in setting]
    roots = [os.path.realpath(p) for p in parts if p.strip()]
    return list(dict.fromkeys(r for r in roots if os.path.isdir(r)))


def allowed_roots(*settings: str | Sequence[str] | None, environ: Mapping[str, str] = os.environ) -> list[str]:
    """The allowed roots: BLT_WEIGHTS_DIRS first, then each further setting (the app's secret), no repeats.

    >>> allowed_roots(None, environ={})
    []
    """
    roots = [r for s in (environ.get(ENV_VAR), *settings) for r in parse_setting(s)]
    return list(dict.fromkeys(roots))


def _offered(folder: str, root: str) -> bool:
    """Whether `folder` (a real path inside root) holds a supported layout; unreadable folders are not offered."""
    try:
        return detect_layout(Path(folder), FileGuard(folder, root=root, label=Path(folder).name)) is not None
    except (WeightsError, OSError):
        return False


def offered_weights(roots: Sequence[str]) -> dict[str, AllowedFolder]:
    """{name: AllowedFolder} of every root and immediate subfolder that holds official weights.

    Names are folder names; where two roots offer the same name, the first root's wins. Hidden
    folders (.cache, ...) and a subfolder that is a symlink leading out of its root are not offered.
    """
    found: dict[str, AllowedFolder] = {}
    for root in roots:
        for name, folder in root_and_subfolders(root):
            if name not in found and os.path.isdir(folder) and within(folder, root) and _offered(folder, root):
                found[name] = AllowedFolder(name, folder, root)
    return found


def root_and_subfolders(root: str) -> list[tuple[str, str]]:
    """(name, real path) of `root` and of its first MAX_SUBFOLDERS non-hidden entries; [] if unreadable."""
    try:
        entries = sorted(e.name for e in os.scandir(root) if not e.name.startswith("."))[:MAX_SUBFOLDERS]
    except OSError:
        return []
    return [(Path(root).name, root)] + [(e, os.path.realpath(os.path.join(root, e))) for e in entries]


def resolve_weights(name: str, roots: Sequence[str]) -> AllowedFolder:
    """The offered folder called `name`; WeightsError (naming no path) for anything else.

    A name is a bare folder name: separators, '..', absolute paths and NUL are refused before
    the disk is looked at, and the folder found is checked again to lie inside its root.
    """
    if (not isinstance(name, str) or not name or name in (".", "..") or "\0" in name
            or any(sep and sep in name for sep in (os.sep, os.altsep, "/", "\\"))):
        raise WeightsError("not a weights folder name: choose one of the names offered")
    if not roots:
        raise WeightsError("no official weights are offered on this server")
    offered = offered_weights(roots)
    if name not in offered:
        raise WeightsError("no weights folder of that name is offered on this server")
    choice = offered[name]
    if not within(os.path.realpath(choice.folder), choice.root):
        raise WeightsError(f"weights folder {name} points outside the allowed folders")
    return choice
