"""The app reaches the library only through top-level `blt_core` names (and the public
`blt_core.flops` accountant), never through its internals."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import blt_core

APP = Path(__file__).resolve().parents[2] / "app"
FILES = sorted(APP.rglob("*.py"))


def blt_imports(path: Path) -> list[tuple[str, str]]:
    """(module, name) for every import of blt_core in a file: `from blt_core.x import y` -> ("blt_core.x", "y")."""
    out = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("blt_core"):
            out += [(node.module, a.name) for a in node.names]
        elif isinstance(node, ast.Import):
            out += [(a.name, "") for a in node.names if a.name.startswith("blt_core")]
    return out


def test_app_files_found():
    assert len(FILES) > 10 and any(f.name == "explore.py" for f in FILES)


@pytest.mark.parametrize("path", FILES, ids=lambda p: str(p.relative_to(APP)))
def test_only_top_level_names(path):
    for module, name in blt_imports(path):
        assert module in ("blt_core", "blt_core.flops"), f"{path.name} imports {module}.{name}"
        if module == "blt_core":
            assert not name or name in blt_core.__all__, f"{path.name} imports blt_core.{name}, not in __all__"
