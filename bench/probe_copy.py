"""How well a training run's raw weights copy, without finalizing it (issue 13, entropy11).

    python -m bench.probe_copy data/runs/n112b-a data/runs/n112b --out RESULT.json

A run folder (train_entropy's `config.json` + `entropy_model.safetensors`) or a model card
(`assets/entropy_model.json`: the weights it names, sha256 not checked) is loaded in torch and
scores each text twice within one window, separated by a blank line: bench_model's 8 held-out English paragraphs (its
repetition measure, so a finished run's "prose" figure equals bench_model's second-copy mean)
and 6 seeded strings of 200 random letters and spaces (pure induction: no prior helps). Mean
entropy in nats of each copy; phase A and phase B of one run can be told apart this way (entropy11:
phase A 0.607, phase B 0.831 on prose).
"""

from __future__ import annotations

import argparse
import json
import random
from pathlib import Path

import torch

from bench.bench_entropy import RUNNING_PROSE, heldout_text
from bench.bench_model import paragraphs
from blt_core.backends import load_weights
from blt_core.constants import BOS_ID, OFFSET
from blt_core.entropy.model import EntropyModel, EntropyModelConfig


def random_letters(n: int = 6, size: int = 200, seed: int = 0) -> list[bytes]:
    """Seeded strings of lowercase letters and spaces (a space about one byte in six)."""
    rng = random.Random(seed)
    return [bytes(rng.choice(b"abcdefghijklmnopqrstuvwxyz     ") for _ in range(size)) for _ in range(n)]


def copy_entropies(model: EntropyModel, text: bytes) -> tuple[float, float]:
    """Mean entropy (nats) of the first copy and of the second in `text + b"\\n\\n" + text`."""
    data = text + b"\n\n" + text
    ids = torch.tensor([[BOS_ID] + [b + OFFSET for b in data]])
    with torch.no_grad():
        logp = model(ids).float().log_softmax(-1)[0, :-1]  # row i predicts byte i
    entropy = -(logp.exp() * logp).sum(-1)
    return float(entropy[:len(text)].mean()), float(entropy[len(text) + 2:].mean())


def load(run: Path) -> EntropyModel:
    """A run folder's or a card's weights, float32, in eval mode."""
    if run.suffix == ".json":
        card = json.loads(run.read_text())
        config, weights = card["config"], run.parent / card["files"]["safetensors"]["path"]
    else:
        config, weights = json.loads((run / "config.json").read_text())["config"], run / "entropy_model.safetensors"
    return load_weights(EntropyModel(EntropyModelConfig.from_dict(config)), weights).eval()


def probe(run: Path, texts: dict[str, list[bytes]]) -> dict:
    model = load(run)
    out = {"run": str(run)}
    for name, items in texts.items():
        pairs = [copy_entropies(model, t) for t in items]
        out[name] = {"first_mean_nats": round(sum(a for a, _ in pairs) / len(pairs), 4),
                     "second_mean_nats": round(sum(b for _, b in pairs) / len(pairs), 4)}
    return out


def main(argv=None) -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("runs", nargs="+", type=Path, help="run folders (config.json + entropy_model.safetensors) or model cards")
    p.add_argument("--out", type=Path)
    a = p.parse_args(argv)
    torch.set_num_threads(1)
    texts = {"prose": paragraphs(heldout_text(langs=("en",), sources=RUNNING_PROSE)), "random_letters": random_letters()}
    r = {"benchmark": "probe_copy", "runs": [probe(run, texts) for run in a.runs]}
    print(json.dumps(r["runs"], indent=1))
    if a.out:
        a.out.write_text(json.dumps(r, indent=1) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
