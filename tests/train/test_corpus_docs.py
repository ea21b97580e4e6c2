"""Book-length documentation readers: languages from folder names, prose from HTML, absent packages skipped."""

from pathlib import Path

from blt_core.train.corpus import build_packages, readers
from blt_core.train.corpus_docs import (
    read_emacs_tutorials, read_handbook, read_install_guide, read_perl_pods, read_python_docs,
)


HANDBOOK = "debian-handbook/usr/share/doc/debian-handbook/html"
PYDOC = "python3.11-doc/usr/share/doc/python3.11/html"
TUTORIALS = "emacs-common/usr/share/emacs/28.2/etc/tutorials"


def make_tree(x: Path, files: dict[str, str]) -> Path:
    """Write {path under x: text} as an extracted-packages tree; returns x."""
    for rel, text in files.items():
        (x / rel).parent.mkdir(parents=True, exist_ok=True)
        (x / rel).write_text(text, encoding="utf-8")
    return x


def test_books_give_one_source_per_language_with_html_stripped(tmp_path):
    x = make_tree(tmp_path / "x", {
        f"{HANDBOOK}/de-DE/apt.html": "<html><head><title>t</title></head><body><p>Paketverwaltung &amp; APT</p></body></html>",
        f"{HANDBOOK}/ar-MA/apt.html": "<p>إدارة الحزم</p>",
        "installation-guide-amd64/usr/share/doc/installation-guide-amd64/zh_CN/ch01.html": "<p>安装</p>",
    })
    docs = list(read_handbook(x)) + list(read_install_guide(x))
    assert [(d.source, d.lang) for d in docs] == [("handbook-ar", "ar"), ("handbook-de", "de"),
                                                  ("install-guide-zh", "zh")]
    de = next(d for d in docs if d.lang == "de")
    assert de.data.decode().strip() == "Paketverwaltung & APT" and de.kind == "prose"
    assert len({d.id for d in docs}) == len(docs)


def test_python_perl_and_emacs_readers(tmp_path):
    x = make_tree(tmp_path / "x", {
        f"{PYDOC}/library/os.html": "<p>Miscellaneous operating system interfaces</p>",
        f"{PYDOC}/genindex-all.html": "<p>index</p>",
        "perl-doc/usr/share/perl/5.36.0/pod/perlintro.pod": "=head1 NAME\n\nperlintro - a brief introduction\n",
        f"{TUTORIALS}/TUTORIAL": "Emacs tutorial.", f"{TUTORIALS}/TUTORIAL.he": "מדריך",
        f"{TUTORIALS}/TUTORIAL.cn": "教程", f"{TUTORIALS}/TUTORIAL.translators": "notes",
    })
    assert [d.id for d in read_python_docs(x)] == ["python-docs/library/os.html"]
    assert [d.source for d in read_perl_pods(x)] == ["perl-pod"]
    assert sorted(d.lang for d in read_emacs_tutorials(x)) == ["en", "he", "zh"]  # no translators' notes


def test_books_are_opt_in_and_absent_packages_are_skipped(tmp_path):
    x, site = tmp_path / "x", tmp_path / "site"
    x.mkdir()
    site.mkdir()
    assert len(readers(x, site, books=True)) == len(readers(x, site)) + 5
    assert "debian-handbook" in build_packages(books=True) and "debian-handbook" not in build_packages()
    assert list(read_handbook(x)) == [] and list(read_emacs_tutorials(x)) == []
