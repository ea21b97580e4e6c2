"""Tokenize the corpus splits once, on the CPU, so the GPU machine needs no `tokenizers` wheel.

    python -m blt_core.evidence.pretokenize --data data/corpus \
        --tokenizer assets/evidence/bpe_4096.json --out data/evidence/bpe_4096

Writes, for each split, `<split>.bin` (uint16 token ids, documents back to back) and
`<split>_docs.npy` (each document's first token, then the total), the same layout as the byte
corpus, so one loader serves both families; `token_bytes.npy` (bytes per token id, for bits per
byte); `tokens.json` (the tokenizer's sha256, and bytes, tokens and bytes per token per split).
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np

from blt_core.checkpoints import sha256_file
from blt_core.evidence.bpe import load_tokenizer, token_byte_lengths
from blt_core.evidence.corpus import as_text, documents

BATCH_DOCS = 512  # documents per encode_batch call (bounds memory, keeps both cores busy)


def encode_documents(tok, docs: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """Documents -> (uint16 ids back to back, start of each document's tokens + the total).

    >>> from blt_core.evidence.bpe import train_tokenizer
    >>> tok = train_tokenizer(["ab ab"], vocab_size=262)
    >>> ids, starts = encode_documents(tok, [np.frombuffer(b"ab", np.uint8), np.frombuffer(b"b", np.uint8)])
    >>> starts.tolist(), len(ids)
    ([0, 1, 2], 2)
    """
    if tok.get_vocab_size() > 2**16:
        raise ValueError(f"vocabulary {tok.get_vocab_size()} does not fit uint16")
    parts, lengths = [], []
    for i in range(0, len(docs), BATCH_DOCS):
        for enc in tok.encode_batch([as_text(d) for d in docs[i:i + BATCH_DOCS]]):
            parts.append(np.asarray(enc.ids, dtype=np.uint16))
            lengths.append(len(enc.ids))
    ids = np.concatenate(parts) if parts else np.zeros(0, np.uint16)
    return ids, np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64)


def pretokenize(data: Path, tokenizer: Path, out: Path, *, splits: tuple[str, ...] = ("train", "heldout")) -> dict:
    """Write the files listed in the module docstring; returns tokens.json's content."""
    tok = load_tokenizer(tokenizer)
    out.mkdir(parents=True, exist_ok=True)
    lengths = token_byte_lengths(tok)
    np.save(out / "token_bytes.npy", lengths)
    meta = {"tokenizer": str(tokenizer), "tokenizer_sha256": sha256_file(tokenizer), "vocab_size": tok.get_vocab_size(),
            "splits": {}}
    for split in splits:
        docs = documents(data, split)
        ids, starts = encode_documents(tok, docs)
        ids.tofile(out / f"{split}.bin")
        np.save(out / f"{split}_docs.npy", starts)
        n_bytes = int(sum(len(d) for d in docs))
        meta["splits"][split] = {"documents": len(docs), "bytes": n_bytes, "tokens": int(len(ids)),
                                 "bytes_per_token": n_bytes / max(1, len(ids))}
    (out / "tokens.json").write_text(json.dumps(meta, indent=2))
    return meta


def main(argv=None) -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--data", required=True, help="corpus folder (train.bin, train_docs.npy, heldout.*)")
    p.add_argument("--tokenizer", required=True, help="tokenizer JSON from blt_core.evidence.bpe")
    p.add_argument("--out", required=True)
    a = p.parse_args(argv)
    print(json.dumps(pretokenize(Path(a.data), Path(a.tokenizer), Path(a.out)), indent=2))


if __name__ == "__main__":
    main()
