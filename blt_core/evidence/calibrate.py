"""Calibrate the BLT runs' patching on a sample of the training split, with the shipped entropy model.

    python -m blt_core.evidence.calibrate --data data/corpus --entropy-card assets/entropy_model.json \
        --sample-mb 4 --seq-len 1024 --targets 4.5 8 --out assets/evidence/patching.json

The sample holds text documents only (corpus.is_text): the evaluation is on text, and the
split's binaries and random bytes (about 7% of it) make a patch of nearly every byte at any
threshold, so calibrating over them pushed the "4.5 bytes" threshold to 2.77 nats (15 bytes per
patch on held-out text) and the "8 bytes" one to the entropy ceiling (886 bytes per patch).
The sample is cut into training windows exactly as train.py sees them (token_stream: BOS, bytes,
EOS per document; `seq_len` tokens per window), scored by the frozen entropy model, and for each
target the threshold whose mean patch length (tokens / patches, BOS rules included) is nearest is
found by `blt_core.calibrate.calibrate_threshold`. Space patching has no knob: its mean length on
the same windows is measured. The entropy model's sha256 is recorded with the thresholds.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np
import torch

from blt_core.calibrate import calibrate_threshold
from blt_core.constants import BOS_ID
from blt_core.evidence.corpus import sample_documents
from blt_core.evidence.patch_rules import load_entropy_model, space_starts
from blt_core.generator.masks import token_entropies
from blt_core.train.common import autocast
from blt_core.train.train_blt import token_stream

BATCH = 16  # windows per entropy-model call


def sample_windows(docs: list[np.ndarray], seq_len: int) -> torch.Tensor:
    """Documents -> (N, seq_len) int64 windows of their token stream (the ragged tail dropped).

    >>> sample_windows([np.frombuffer(b"abc", np.uint8)], 2).tolist()
    [[1, 101], [102, 103]]
    """
    raw = np.concatenate(docs)
    ids, _ = token_stream(raw, np.concatenate([[0], np.cumsum([len(d) for d in docs])]))
    n = len(ids) // seq_len
    return torch.from_numpy(ids[:n * seq_len].astype(np.int64)).view(n, seq_len)


def forced_starts(ids: torch.Tensor) -> torch.Tensor:
    """Positions that start a patch whatever the threshold: each window's first token, a BOS, the token after.

    >>> forced_starts(torch.tensor([[5, 1, 7, 8]])).int().tolist()
    [[1, 1, 1, 0]]
    """
    bos = ids == BOS_ID
    out = bos.clone()
    out[:, 1:] |= bos[:, :-1]
    out[:, 0] = True
    return out


@torch.no_grad()
def window_entropies(model, windows: torch.Tensor, device: torch.device) -> np.ndarray:
    """Flat float64 entropies of every token (nats), +inf where a patch starts regardless."""
    out = []
    for i in range(0, len(windows), BATCH):
        x = windows[i:i + BATCH].to(device)
        with autocast(device):
            ent = token_entropies(model(x)).float()
        out.append(torch.where(forced_starts(x), torch.inf, ent).cpu().numpy().astype(np.float64).ravel())
    return np.concatenate(out)


def calibrate(data: Path, entropy_card: Path, *, sample_mb: float, seq_len: int, targets: list[float],
              seed: int = 0, device: torch.device | None = None) -> dict:
    """Thresholds for each target mean patch length and space patching's measured length (see module)."""
    device = device or torch.device("cuda" if torch.cuda.is_available() else "cpu")
    docs = sample_documents(data, max_bytes=int(sample_mb * 1e6), seed=seed, text_only=True)
    windows = sample_windows(docs, seq_len)
    if not len(windows):
        raise ValueError(f"the sample holds fewer than {seq_len} tokens: raise --sample-mb")
    model, card = load_entropy_model(entropy_card, device)
    ent = window_entropies(model, windows, device)
    placeholder = bytes(len(ent))  # the entropy rule reads only the entropies
    entropy_rows = []
    for t in targets:
        c = calibrate_threshold(ent, placeholder, target=t)
        entropy_rows.append({"target": t, "threshold": c.threshold, "mean_patch_length": c.mean_patch_length,
                             "within_tolerance": c.within_tolerance})
    n_space = int(space_starts(windows).sum())
    return {
        "entropy_model": {"card": str(entropy_card), "name": card.name, "config": card.config,
                          "safetensors_sha256": card.files["safetensors"].sha256},
        "sample": {"documents": len(docs), "bytes": int(sum(len(d) for d in docs)), "seed": seed,
                   "windows": len(windows), "seq_len": seq_len, "text_only": True},
        "entropy": entropy_rows,
        "space": {"mean_patch_length": windows.numel() / n_space},
    }


def main(argv=None) -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--data", required=True)
    p.add_argument("--entropy-card", default="assets/entropy_model.json")
    p.add_argument("--sample-mb", type=float, default=4.0)
    p.add_argument("--seq-len", type=int, default=1024, help="tokens per training window (the runs' seq_len)")
    p.add_argument("--targets", type=float, nargs="+", default=[4.5, 8.0])
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--out", required=True)
    a = p.parse_args(argv)
    result = calibrate(Path(a.data), Path(a.entropy_card), sample_mb=a.sample_mb, seq_len=a.seq_len,
                       targets=a.targets, seed=a.seed)
    Path(a.out).parent.mkdir(parents=True, exist_ok=True)
    Path(a.out).write_text(json.dumps(result, indent=2))
    print(json.dumps({k: result[k] for k in ("entropy", "space")}, indent=2))


if __name__ == "__main__":
    main()
