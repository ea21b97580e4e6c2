"""Corpus builder: the committed manifest and eval subset, and the pure stages on tiny inputs.

Needs neither network nor the built corpus (data/ is not committed)."""
import hashlib
import json
import struct

import pytest

from blt_core.train import corpus as C
from blt_core.train import corpus_sources as S
from blt_core.train import text_clean as T

MANIFEST = json.loads(C.MANIFEST_PATH.read_text(encoding="utf-8"))
TOTALS = MANIFEST["totals"]


# ----------------------------------------------------------------------------- manifest

def test_manifest_structure():
    assert MANIFEST["schema"] == 1
    assert MANIFEST["built_with"].startswith("python -m blt_core.train.corpus")
    keys = {"source", "package", "lang", "script", "kind", "bytes", "docs", "sha256"}
    for src in MANIFEST["sources"]:
        assert keys <= set(src), src["source"]
        assert src["kind"] in ("prose", "code", "data", "binary", "compressed", "random")
    assert sum(s["bytes"] for s in MANIFEST["sources"]) == TOTALS["train_bytes"]
    assert sum(TOTALS["by_lang"].values()) == TOTALS["train_bytes"]
    assert sum(TOTALS["by_script"].values()) == TOTALS["train_bytes"]
    for name in ("train.bin", "heldout.bin", "heldout_eval.jsonl"):
        assert set(MANIFEST["files"][name]) >= {"bytes", "sha256"}


def test_manifest_sizes_and_balance():
    text_bytes = TOTALS["train_bytes"] - TOTALS["by_lang"].get("none", 0)
    assert text_bytes >= 40_000_000
    assert 0 < TOTALS["heldout_bytes"] < 0.05 * TOTALS["train_bytes"]
    for src in MANIFEST["sources"]:
        assert src["bytes"] <= 0.4 * TOTALS["train_bytes"], src["source"]
    # real binaries (ELF, .pyc, SQLite, fonts, images, .mo, PDF) a modest share, so the corpus still
    # travels to the GPU machine; random and compressed bytes, labelled as such, a small one
    kinds = {}
    for src in MANIFEST["sources"]:
        kinds[src["kind"]] = kinds.get(src["kind"], 0) + src["bytes"]
    assert 0 < kinds["binary"] <= 0.08 * TOTALS["train_bytes"]
    assert 0 < kinds["compressed"] + kinds["random"] <= 0.015 * TOTALS["train_bytes"]
    assert TOTALS["by_lang"]["none"] == kinds["binary"] + kinds["compressed"] + kinds["random"]


def test_manifest_languages():
    natural = {k: v for k, v in TOTALS["by_lang"].items() if k not in ("code", "data", "none")}
    assert sum(v >= 200_000 for v in natural.values()) >= 10, natural
    for lang in ("en", "de", "fr", "es", "ru", "ja", "zh", "hi", "ar"):
        assert natural.get(lang, 0) >= 200_000, lang
    assert TOTALS["by_lang"]["code"] >= 1_000_000


@pytest.mark.parametrize("script,minimum", [
    ("Latin", 10_000_000), ("Cyrillic", 1_000_000), ("CJK", 1_000_000),
    ("Devanagari", 500_000), ("Arabic", 500_000)])
def test_manifest_scripts(script, minimum):
    assert TOTALS["by_script"].get(script, 0) >= minimum


# ----------------------------------------------------------------------------- eval subset

EVAL_BYTES = C.EVAL_PATH.read_bytes()
EVAL = [json.loads(line) for line in EVAL_BYTES.decode("utf-8").splitlines()]


def test_eval_matches_manifest():
    meta = MANIFEST["files"]["heldout_eval.jsonl"]
    assert hashlib.sha256(EVAL_BYTES).hexdigest() == meta["sha256"]
    assert len(EVAL_BYTES) == meta["bytes"] <= 2_000_000


def test_eval_covers_every_language_and_script():
    assert set(TOTALS["by_lang"]) <= {r["lang"] for r in EVAL}
    scripts = {r["script"] for r in EVAL}
    assert {"Latin", "Cyrillic", "CJK", "Devanagari", "Arabic", "binary"} <= scripts


def test_eval_records_well_formed():
    for r in EVAL:
        assert {"id", "source", "lang", "script", "kind"} <= set(r)
        if r["kind"] == "binary":
            assert "text" not in r and bytes.fromhex(r["hex"])
        else:
            assert isinstance(r["text"], str) and r["text"]


# ----------------------------------------------------------------------------- pure stages

def test_split_fortunes():
    assert T.split_fortunes("a\n%\nb\nc\n%\n") == ["a", "b\nc"]
    assert T.split_fortunes("") == []
    assert T.split_fortunes("one 50% off\n") == ["one 50% off"]  # % inside a line is text


def test_group_texts():
    assert T.group_texts(["aa", "bb", "cc"], target_bytes=5, sep="|") == ["aa|bb", "cc"]
    assert T.group_texts([], target_bytes=5) == []


def test_html_to_text():
    assert T.html_to_text("<p>a &amp; b</p><p>c</p>") == "a & b\n\nc"
    markup = "<html><head><title>t</title><style>p{}</style></head><body>x&lt;y<script>z</script></body>"
    assert T.html_to_text(markup) == "x<y"
    assert T.html_to_text("<p>caf&eacute; &#x4e2d;</p>") == "café 中"


@pytest.mark.parametrize("text,script", [
    ("Привет", "Cyrillic"), ("你好", "CJK"), ("こんにちは", "CJK"), ("नमस्ते", "Devanagari"),
    ("مرحبا", "Arabic"), ("hello", "Latin"), ("", "Other"), ("1 + 2 = 3", "Other"),
    ("ls -l でファイル一覧を表示します", "CJK"),  # technical Japanese: mostly ASCII, still CJK
    ("hello world, this is English with one ж", "Latin"),
])
def test_detect_script(text, script):
    assert T.detect_script(text) == script


def test_clean_text():
    assert T.clean_text("a\r\n\x00b\n\n\n\n\nc  \n") == "a\nb\n\nc\n"
    assert T.clean_text("b\x08bo\x08ol\x1b[1md\x1b[0m\t!") == "bold\t!\n"
    assert T.clean_text("\n\n") == ""


def test_dedup_paragraphs():
    para = "the same paragraph repeated in two documents, long enough to count"
    seen: set = set()
    assert T.dedup_paragraphs(f"{para}\n\nfirst", seen) == f"{para}\n\nfirst"
    # Case and whitespace do not hide a duplicate; short paragraphs are kept.
    assert T.dedup_paragraphs(f"{para.upper()}\n\nfirst", seen) == "first"
    assert T.dedup_paragraphs("}\n\n}", seen) == "}\n\n}"


def test_process_drops_exact_duplicates_and_short_docs():
    long = "word " * 60
    docs = [S.Doc("s/a", "s", "p", "en", "prose", long.encode()),
            S.Doc("s/b", "s", "p", "en", "prose", long.encode()),
            S.Doc("s/c", "s", "p", "en", "prose", b"too short"),
            S.Doc("s/d", "s", "p", "ru", "prose", ("untranslated " * 30).encode())]
    out = list(C.process(docs, seen_docs=set(), seen_paras=set()))
    assert [d.id for d in out] == ["s/a"]
    assert out[0].script == "Latin"


def test_split_is_deterministic_and_about_one_percent():
    ids = [f"src/doc{i}" for i in range(20_000)]
    first = [T.is_heldout(i) for i in ids]
    assert first == [T.is_heldout(i) for i in ids]
    assert 0.007 < sum(first) / len(ids) < 0.013


def test_split_docs_holds_out_every_language():
    docs = [S.Doc(f"s/{lang}{i}", "s", "p", lang, "prose", b"x" * 1000)
            for lang in ("en", "ga") for i in range(50)]
    train, held = C.split_docs(docs)
    assert {d.lang for d in held} == {"en", "ga"}
    assert len(train) + len(held) == len(docs)
    assert not {d.id for d in train} & {d.id for d in held}
    assert C.split_docs(docs) == (train, held)


def test_parse_mo_round_trip():
    pairs = [("", "Content-Type: text/plain; charset=UTF-8\n"), ("File", "ملف"),
             ("Open", "فتح")]
    ids = b"".join(k.encode() + b"\0" for k, _ in pairs)
    strs = b"".join(v.encode() + b"\0" for _, v in pairs)
    n = len(pairs)
    head = 28
    id_tab, str_tab = head, head + 8 * n
    data_off = head + 16 * n
    ids_table, strs_table = b"", b""
    pos = data_off
    for k, _ in pairs:
        ids_table += struct.pack("<2I", len(k.encode()), pos)
        pos += len(k.encode()) + 1
    for _, v in pairs:
        strs_table += struct.pack("<2I", len(v.encode()), pos)
        pos += len(v.encode()) + 1
    blob = struct.pack("<7I", 0x950412DE, 0, n, id_tab, str_tab, 0, 0) + ids_table + strs_table + ids + strs
    assert T.parse_mo(blob) == pairs
    assert T.mo_to_text(T.parse_mo(blob)) == "ملف\nفتح"


def test_split_bible_books():
    text = "\nGenesis 1\n\n  1 In the beginning\n\nGenesis 2\n\n  1 Thus\n\nExodus 1\n\n  1 Now\n"
    books = T.split_bible_books(text)
    assert [b for b, _ in books] == ["Genesis", "Exodus"]
    assert "Genesis 2" in books[0][1] and "Thus" in books[0][1]


@pytest.mark.parametrize("text,limit,expected", [
    ("né", 2, "n"), ("né", 3, "né"), ("中文", 4, "中"), ("", 5, ""), ("abc", 0, "")])
def test_truncate_utf8(text, limit, expected):
    assert T.truncate_utf8(text.encode(), limit) == expected.encode()


def test_lang_of():
    assert T.lang_of("zh-cn") == "zh" and T.lang_of("pt-br") == "pt" and T.lang_of("de") == "de"
