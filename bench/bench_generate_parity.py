"""Torch vs ONNX Runtime on the shipped generator: same prompt and seed, same bytes?

    python bench/bench_generate_parity.py      # writes bench/results/generate_parity.json

Both backends generate from the same prompts (greedy, and sampled at temperature 0.8 with the
same seed; sampling happens in numpy, so both draw the same random numbers). For each pair the
first differing byte is reported with both backends' log-probabilities of their top two bytes
at that step: a divergence is a near-tie when the gap between the two is tiny on both sides.
The ONNX local and global steps compute in float16-rounded weights exactly as torch does, so
any divergence comes from summation order, and should only happen at near-ties.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent

from blt_core.generator.decoding import Passthrough, run  # noqa: E402
from blt_core.generator.generate import load_generator  # noqa: E402

PROMPTS = ["The Byte Latent Transformer ", "def main():\n    ", "Привет, как ", "日本語の文章は", "SELECT * FROM ",
           "Once upon a time ", "<html><body>", "42 + 17 = ", "La biblioteca de ", "मेरा नाम ",
           "مرحبا بكم في ", "import numpy as np\n", "Der schnelle braune ", "{\"name\": \"", "# Chapter 1\n\n",
           "Whoever would lie ", "fn main() {\n", "Le petit prince ", "1. Open the file\n2. ", "Q: Why is the sky "]


class Recorder(Passthrough):
    """Wraps a stepper and keeps each local step's log-probabilities (batch 1)."""

    def __init__(self, inner):
        super().__init__(inner)
        self.logp = []

    def start(self, batch):
        self.logp = []
        self.inner.start(batch)

    def local_step(self, window, pos, patch_index):
        logits = np.asarray(self.inner.local_step(window, pos, patch_index), dtype=np.float64)
        z = logits[0] - logits[0].max()
        self.logp.append(z - np.log(np.exp(z).sum()))
        return logits


def top2(logp: np.ndarray) -> dict:
    i = np.argsort(logp)[::-1][:2]
    return {"ids": i.tolist(), "logp": [round(float(logp[j]), 5) for j in i], "gap": round(float(logp[i[0]] - logp[i[1]]), 5)}


def compare(gens, prompt: bytes, *, n_bytes: int, temperature: float, seed: int) -> dict:
    outs = []
    for g in gens:
        rec = Recorder(g.new_stepper(False))
        cfg = g.config
        r = run(rec, [prompt], max_bytes=n_bytes, threshold=cfg.patch_threshold, max_patch_length=cfg.max_patch_length,
                temperature=temperature, top_k=None, seed=seed, max_ngram=cfg.max_ngram)
        outs.append((r.data[0], r.patch_starts[0], rec.logp))
    (a, sa, la), (b, sb, lb) = outs
    row = {"prompt": prompt.decode("utf-8"), "temperature": temperature, "identical": a == b and sa == sb,
           "bytes": len(a) - len(prompt)}
    if a != b:
        n = min(len(a), len(b))
        k = next((i for i in range(n) if a[i] != b[i]), n)
        # local step t predicts token t+1, which is byte t (token 0 is BOS): byte k came from step k
        row["first_difference_at_byte"] = k
        row["onnx_top2"], row["torch_top2"] = top2(la[k]), top2(lb[k])
        row["max_logp_diff_before"] = round(float(max((np.abs(x - y).max() for x, y in zip(la[:k], lb[:k])),
                                                      default=0.0)), 6)
    elif sa != sb:
        row["patch_starts_differ"] = True
    return row


def main(argv=None) -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--bytes", type=int, default=160)
    p.add_argument("--out", default=str(ROOT / "bench" / "results" / "generate_parity.json"))
    a = p.parse_args(argv)
    gens = [load_generator(backend="onnx"), load_generator(backend="torch")]
    rows = []
    for temperature in (0.0, 0.8):
        for i, prompt in enumerate(PROMPTS):
            rows.append(compare(gens, prompt.encode("utf-8"), n_bytes=a.bytes, temperature=temperature, seed=i))
            print(json.dumps(rows[-1], ensure_ascii=False), flush=True)
    same = sum(r["identical"] for r in rows)
    out = {"bench": "generate_parity", "backends": ["onnx", gens[1].name], "bytes_per_run": a.bytes,
           "runs": len(rows), "identical_runs": same, "rows": rows}
    Path(a.out).write_text(json.dumps(out, indent=1, ensure_ascii=False) + "\n")
    print(f"{same}/{len(rows)} runs byte-identical; wrote {a.out}")


if __name__ == "__main__":
    main()
