"""Held-out split and the frozen eval subset: which documents the models never train on.

Pure functions over ``Doc`` records (corpus_sources.py); corpus.py calls them between reading
and writing.
"""
from __future__ import annotations

import json
from pathlib import Path

from blt_core.train.corpus_sources import Doc
from blt_core.train.text_clean import is_heldout, split_unit, truncate_utf8

HELDOUT_MIN_LANG_BYTES = 40_000  # top up a language's held-out bytes to this ...
HELDOUT_MAX_LANG_SHARE = 0.05  # ... but never hold out more than this share of the language
EVAL_MAX_BYTES = 1_900_000  # budget for the committed eval subset (hard limit 2 MB)
EVAL_DOC_MAX_BYTES = 8_000  # eval texts are truncated to this many bytes


def split_docs(docs: list[Doc], *, forced: frozenset[str] = frozenset()) -> tuple[list[Doc], list[Doc]]:
    """Held-out by id hash, plus every id in ``forced``; then top up each language to
    ``HELDOUT_MIN_LANG_BYTES`` (at least one doc, at most ``HELDOUT_MAX_LANG_SHARE`` of it)
    taking the next docs in hash order."""
    held = {d.id for d in docs if is_heldout(d.id) or d.id in forced}
    by_lang: dict[str, list[Doc]] = {}
    for d in docs:
        by_lang.setdefault(d.lang, []).append(d)
    for lang, ldocs in by_lang.items():
        total = sum(len(d.data) for d in ldocs)
        have = sum(len(d.data) for d in ldocs if d.id in held)
        n_held = sum(1 for d in ldocs if d.id in held)
        for d in sorted(ldocs, key=lambda d: split_unit(d.id)):
            if n_held >= 1 and (have >= HELDOUT_MIN_LANG_BYTES
                                or have + len(d.data) > HELDOUT_MAX_LANG_SHARE * total):
                break
            if d.id not in held:
                held.add(d.id)
                have += len(d.data)
                n_held += 1
    return [d for d in docs if d.id not in held], [d for d in docs if d.id in held]


def round_robin_by_source(docs: list[Doc]) -> list[Doc]:
    """Docs in hashed-id order within each source, taking one from each source in turn, so a
    language's eval share holds all its sources (English: scripture, fortunes and manuals as
    well as dictionary entries), not just whichever source's ids hash lowest.

    >>> d = lambda i, s: Doc(id=i, source=s, package=s, lang="en", kind="prose", data=b"x")
    >>> [x.source for x in round_robin_by_source([d("a", "dict"), d("b", "dict"), d("c", "bible")])]
    ['bible', 'dict', 'dict']
    """
    queues = {}
    for d in sorted(docs, key=lambda d: split_unit(d.id)):
        queues.setdefault(d.source, []).append(d)
    order = []
    for depth in range(max((len(q) for q in queues.values()), default=0)):
        order += [queues[s][depth] for s in sorted(queues) if depth < len(queues[s])]
    return order


def eval_records(heldout: list[Doc]) -> list[dict]:
    """Per language, held-out docs round-robin over their sources, truncated to
    ``EVAL_DOC_MAX_BYTES``, until the language's share of ``EVAL_MAX_BYTES``; every language
    (and so every script) appears."""
    langs = sorted({d.lang for d in heldout})
    per_lang = min(150_000, EVAL_MAX_BYTES // max(1, len(langs)))
    records = []
    for lang in langs:
        used = 0
        for d in round_robin_by_source([d for d in heldout if d.lang == lang]):
            if used >= per_lang:
                break
            data = truncate_utf8(d.data, min(EVAL_DOC_MAX_BYTES, per_lang - used))
            if not data:
                continue
            rec = {"id": d.id, "source": d.source, "lang": d.lang, "script": d.script, "kind": d.kind}
            if d.kind == "binary":
                rec["hex"] = data.hex()
                used += len(data) * 2
            else:
                rec["text"] = data.decode("utf-8")
                used += len(data)
            records.append(rec)
    return records


def frozen_ids(eval_path: Path) -> frozenset[str]:
    """Document ids of the frozen eval subset (empty when there is none)."""
    if not eval_path.exists():
        return frozenset()
    return frozenset(json.loads(line)["id"] for line in eval_path.read_text(encoding="utf-8").splitlines())
