"""How often a run of one byte goes on in the training corpus (issue 13's run measure, in context).

    python -m bench.run_hazard --corpus data/corpus/train.bin --out bench/results/entropy16/run_hazard.json

Issue 13 asks that a byte repeated 16 times cost under 0.2 nats from the 16th copy on. That is
only as likely as the corpus makes it: a model that has seen runs of L spaces end one time in
five should pay about 0.5 nats for the (L+1)-th. For each byte value of bench_model's run
measure and each length L this counts the corpus's runs of at least L (n) and the share of them
that go on (p_continue), and gives the entropy of that yes/no choice alone (the least a
calibrated model pays there, with no other context: a run that ends still has to say what comes
next). Compare with bench_model's `runs` rows, the model's entropy at the same places.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np

from bench.bench_model import RUN_BYTES

LENGTHS = (16, 18, 20, 24, 32, 48)


def run_lengths(data: np.ndarray, value: int) -> np.ndarray:
    """Lengths of the maximal runs of `value` in `data`.

    >>> run_lengths(np.frombuffer(b"a  b   c ", dtype=np.uint8), 32).tolist()
    [2, 3, 1]
    """
    edges = np.flatnonzero(np.diff(np.concatenate([[0], (data == value).astype(np.int8), [0]])))
    return edges[1::2] - edges[::2]


def continue_rates(lengths: np.ndarray, at: tuple[int, ...] = LENGTHS) -> list[dict]:
    """For each L: runs of at least L, the share of them at least L + 1 long, and that choice's entropy (nats).

    >>> continue_rates(np.array([16, 16, 17, 40]), at=(16,))
    [{'length': 16, 'n': 4, 'p_continue': 0.5, 'choice_nats': 0.6931}]
    """
    rows = []
    for k in at:
        n = int((lengths >= k).sum())
        p = float((lengths >= k + 1).sum() / n) if n else float("nan")
        h = 0.0 if p in (0.0, 1.0) or n == 0 else float(-(p * np.log(p) + (1 - p) * np.log(1 - p)))
        rows.append({"length": k, "n": n, "p_continue": round(p, 4), "choice_nats": round(h, 4)})
    return rows


def main(argv=None) -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--corpus", type=Path, default=Path("data/corpus/train.bin"), help="a built corpus's train.bin")
    p.add_argument("--out", type=Path)
    a = p.parse_args(argv)
    data = np.fromfile(a.corpus, dtype=np.uint8)
    rows = {b.hex(): continue_rates(run_lengths(data, b[0])) for b in RUN_BYTES}
    result = {"benchmark": "run_hazard", "corpus": str(a.corpus), "corpus_bytes": int(data.size), "by_byte": rows}
    for hexbyte, r in rows.items():
        print(hexbyte, "  ".join(f"L>={x['length']}: n {x['n']} p {x['p_continue']:.3f} ({x['choice_nats']:.2f})"
                                 for x in r))
    if a.out:
        a.out.parent.mkdir(parents=True, exist_ok=True)
        a.out.write_text(json.dumps(result, indent=1) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
