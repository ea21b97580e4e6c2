"""Book-length documentation from Debian packages: more prose, in more languages and scripts.

The first corpus held about 100 MB because its prose sources ran dry (fortunes, manual pages and
LibreOffice help give 3-5 MB per language after paragraph dedup), and models over-fit it. These
packages add whole books: The Debian Administrator's Handbook in 26 languages (Arabic, Persian,
Greek, Korean among them), the installation guide in 19, the Python 3.11 documentation, Perl's
manual pages (pod) and Emacs's tutorial in 22 languages (Hebrew and Thai too).

Like every reader in corpus_sources.py, each one skips a package that is absent, so the tests'
sample tree runs them as they are.

>>> handbook_lang("pt-BR"), handbook_lang("zh-TW"), tutorial_lang("TUTORIAL.pt_BR"), tutorial_lang("TUTORIAL")
('pt', 'zh', 'pt', 'en')
"""
from __future__ import annotations

from pathlib import Path
from typing import Iterator

from blt_core.train.corpus_sources import Doc, _files, _read_text
from blt_core.train.text_clean import html_to_text

HANDBOOK = "debian-handbook"
INSTALL_GUIDE = "installation-guide-amd64"
PYTHON_DOCS = "python3.11-doc"
PERL_DOCS = "perl-doc"
EMACS = "emacs-common"
DOC_PACKAGES = [HANDBOOK, INSTALL_GUIDE, PYTHON_DOCS, PERL_DOCS, EMACS]
# Emacs names a few tutorials by country or script, not language
TUTORIAL_LANGS = {"cn": "zh", "translators": ""}


def handbook_lang(code: str) -> str:
    """A handbook or guide folder name (``de-DE``, ``zh_CN``) -> language code."""
    return code.replace("_", "-").split("-")[0].lower()


def tutorial_lang(name: str) -> str:
    """``TUTORIAL.de`` -> ``de``; the English original has no suffix; "" for notes to translators."""
    suffix = name.partition(".")[2]
    if not suffix:
        return "en"
    return TUTORIAL_LANGS.get(suffix, handbook_lang(suffix))


def _html_books(base: Path, package: str, source_prefix: str) -> Iterator[Doc]:
    """One source per language folder under ``base``: each HTML page a document."""
    if not base.is_dir():
        return
    for folder in sorted(p for p in base.iterdir() if p.is_dir()):
        lang = handbook_lang(folder.name)
        source = f"{source_prefix}-{lang}"
        for path in _files(folder, "*.html"):
            text = html_to_text(_read_text(path))
            yield Doc(f"{source}/{path.relative_to(base)}", source, package, lang, "prose", text.encode("utf-8"))


def read_handbook(x: Path) -> Iterator[Doc]:
    yield from _html_books(x / HANDBOOK / "usr/share/doc/debian-handbook/html", HANDBOOK, "handbook")


def read_install_guide(x: Path) -> Iterator[Doc]:
    yield from _html_books(x / INSTALL_GUIDE / "usr/share/doc/installation-guide-amd64", INSTALL_GUIDE,
                           "install-guide")


def read_python_docs(x: Path) -> Iterator[Doc]:
    base = x / PYTHON_DOCS / "usr/share/doc/python3.11/html"
    for path in _files(base, "*.html"):
        if path.parent == base and path.name in ("genindex-all.html", "py-modindex.html"):
            continue  # long link lists, not prose
        text = html_to_text(_read_text(path))
        yield Doc(f"python-docs/{path.relative_to(base)}", "python-docs", PYTHON_DOCS, "en", "prose",
                  text.encode("utf-8"))


def read_perl_pods(x: Path) -> Iterator[Doc]:
    for path in _files(x / PERL_DOCS / "usr/share/perl", "*.pod"):
        yield Doc(f"perl-pod/{path.name}", "perl-pod", PERL_DOCS, "en", "prose", _read_text(path).encode("utf-8"))


def read_emacs_tutorials(x: Path) -> Iterator[Doc]:
    for path in _files(x / EMACS / "usr/share/emacs", "TUTORIAL*"):
        lang = tutorial_lang(path.name)
        if lang:
            yield Doc(f"emacs-tutorial/{path.name}", "emacs-tutorials", EMACS, lang, "prose",
                      _read_text(path).encode("utf-8"))
