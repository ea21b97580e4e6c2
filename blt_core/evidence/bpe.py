"""Train the BPE baseline's tokenizer: byte-level BPE (Hugging Face `tokenizers`) on a corpus sample.

    python -m blt_core.evidence.bpe --data data/corpus --vocab 4096 --sample-mb 8 \
        --out assets/evidence/bpe_4096.json

Vocabulary 4096 (the default): at the sizes trained here (hidden 256-384) the untied input
embedding and output head hold 2·h·|V| parameters, about as many as the transformer layers
(2.1M against 3.2M at h = 256), and the head's 2·h·|V| FLOPs per token already a fifth of the
model's; 8192 would double both and the comparison would mostly measure the embedding.
The four special tokens take ids 0-3 in the byte models' order (BOE, BOS, EOS, BPE delimiter),
so the training code masks and separates documents the same way for both families.

>>> tok = train_tokenizer(["abab abab ab"] * 3, vocab_size=260)
>>> [tok.token_to_id(s) for s in SPECIAL_TOKENS]
[0, 1, 2, 3]
>>> tok.decode(tok.encode("abab").ids)
'abab'
"""

from __future__ import annotations

import argparse
from collections.abc import Iterable
from pathlib import Path

import numpy as np

from blt_core.evidence.corpus import as_text, sample_documents

SPECIAL_TOKENS = ("<boe>", "<s>", "</s>", "<bpe>")  # ids 0-3, as BOE_ID, BOS_ID, EOS_ID and BPE_DELIM
DEFAULT_VOCAB = 4096


def train_tokenizer(texts: Iterable[str], *, vocab_size: int = DEFAULT_VOCAB):
    """A byte-level BPE (GPT-2 style pre-splitting, all 256 byte symbols kept) with SPECIAL_TOKENS first."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers

    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(vocab_size=vocab_size, special_tokens=list(SPECIAL_TOKENS),
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet(), show_progress=False)
    tok.train_from_iterator(texts, trainer)
    return tok


def load_tokenizer(path: str | Path):
    from tokenizers import Tokenizer

    return Tokenizer.from_file(str(path))


def token_byte_lengths(tok) -> np.ndarray:
    """UTF-8 bytes each token id stands for (specials: 0 for BOE/BOS/delimiter, 1 for EOS, which the
    byte models also predict as one extra symbol per document).

    >>> lengths = token_byte_lengths(train_tokenizer(["é é"], vocab_size=262))
    >>> lengths[:4].tolist(), int(lengths.max())  # the longest merge is " é": 3 bytes
    ([0, 0, 1, 0], 3)
    """
    # every character of a byte-level token stands for exactly one byte (GPT-2's byte -> printable map)
    out = np.zeros(tok.get_vocab_size(), dtype=np.int64)
    for piece, i in tok.get_vocab().items():
        out[i] = 0 if piece in SPECIAL_TOKENS else len(piece)
    out[SPECIAL_TOKENS.index("</s>")] = 1
    return out


def main(argv=None) -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--data", required=True, help="corpus folder with train.bin and train_docs.npy")
    p.add_argument("--vocab", type=int, default=DEFAULT_VOCAB)
    p.add_argument("--sample-mb", type=float, default=8.0, help="MB of training documents to fit on")
    p.add_argument("--seed", type=int, default=0, help="the sample's document order")
    p.add_argument("--out", required=True, help="tokenizer JSON to write")
    a = p.parse_args(argv)
    docs = sample_documents(Path(a.data), max_bytes=int(a.sample_mb * 1e6), seed=a.seed)
    tok = train_tokenizer((as_text(d) for d in docs), vocab_size=a.vocab)
    Path(a.out).parent.mkdir(parents=True, exist_ok=True)
    tok.save(str(a.out))
    n_bytes = sum(len(d) for d in docs)
    n_tokens = sum(len(e.ids) for e in tok.encode_batch([as_text(d) for d in docs]))
    print(f"{a.out}: vocab {tok.get_vocab_size()}, fitted on {len(docs)} documents, {n_bytes:,} bytes, "
          f"{n_bytes / n_tokens:.3f} bytes per token on them")


if __name__ == "__main__":
    main()
