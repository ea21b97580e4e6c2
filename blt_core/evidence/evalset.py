"""The committed held-out subset, clean and perturbed, cut and tokenized once on the CPU.

    python -m blt_core.evidence.evalset --eval assets/eval/heldout_eval.jsonl \
        --tokenizer assets/evidence/bpe_4096.json --out data/evidence/evalset.json

Every text document (the subset's binary chunks are left out: the noise module and a text
tokenizer apply to text only) is cut to its first `max_bytes` bytes at a character boundary,
then perturbed by `blt_core.noise.perturb` with a fixed seed, one variant per kind (case flips,
typos, spacing). Each variant keeps its text (the byte models read its UTF-8) and its BPE ids,
so evaluation needs no `tokenizers`.

>>> cut_text("héllo", 2)
'h'
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from blt_core.checkpoints import sha256_file
from blt_core.noise import perturb

NOISE_KINDS = ("case_flip", "typo", "spacing")
SCRIPTS = ("Latin", "Cyrillic", "CJK", "Devanagari", "Arabic")


def cut_text(text: str, max_bytes: int) -> str:
    """The longest prefix of `text` whose UTF-8 is at most max_bytes (no character split)."""
    return text.encode("utf-8")[:max_bytes].decode("utf-8", errors="ignore")


def build_evalset(eval_path: Path, tokenizer_path: Path | None, *, max_bytes: int, rate: float, seed: int,
                  max_docs: int | None = None) -> dict:
    """The evaluation set as described in the module docstring."""
    tok = None
    if tokenizer_path is not None:
        from blt_core.evidence.bpe import load_tokenizer

        tok = load_tokenizer(tokenizer_path)
    docs = []
    for line in eval_path.read_text(encoding="utf-8").splitlines():
        row = json.loads(line) if line.strip() else {}
        if not row.get("text"):
            continue
        clean = cut_text(row["text"], max_bytes)
        variants = {"clean": clean, **{k: perturb(clean, kind=k, rate=rate, seed=seed) for k in NOISE_KINDS}}
        docs.append({"id": row.get("id"), "lang": row.get("lang", "?"), "script": row.get("script", "?"),
                     "variants": {k: {"text": t, "tokens": tok.encode(t).ids if tok else None}
                                  for k, t in variants.items()}})
        if max_docs is not None and len(docs) >= max_docs:
            break
    return {"source": str(eval_path), "source_sha256": sha256_file(eval_path),
            "tokenizer": str(tokenizer_path) if tokenizer_path else None,
            "tokenizer_sha256": sha256_file(tokenizer_path) if tokenizer_path else None,
            "max_bytes": max_bytes, "noise": {"kinds": list(NOISE_KINDS), "rate": rate, "seed": seed}, "docs": docs}


def main(argv=None) -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--eval", default="assets/eval/heldout_eval.jsonl")
    p.add_argument("--tokenizer", default="assets/evidence/bpe_4096.json")
    p.add_argument("--max-bytes", type=int, default=2048, help="bytes kept of each document")
    p.add_argument("--noise-rate", type=float, default=0.1)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--max-docs", type=int, default=None)
    p.add_argument("--out", default="data/evidence/evalset.json")
    a = p.parse_args(argv)
    es = build_evalset(Path(a.eval), Path(a.tokenizer), max_bytes=a.max_bytes, rate=a.noise_rate, seed=a.seed,
                       max_docs=a.max_docs)
    Path(a.out).parent.mkdir(parents=True, exist_ok=True)
    Path(a.out).write_text(json.dumps(es, ensure_ascii=False))
    print(f"{a.out}: {len(es['docs'])} documents x {1 + len(NOISE_KINDS)} variants")


if __name__ == "__main__":
    main()
