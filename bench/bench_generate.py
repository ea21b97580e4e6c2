"""Benchmark the BLT generator: bytes/s per backend, KV cache vs no cache, a batch of 64 on GPU.

    python bench/bench_generate.py                  # the shipped card (assets/blt_generator.json)
    python bench/bench_generate.py --random         # default-size random weights (before training)
    python bench/bench_generate.py --bytes 128 --repeats 1 --skip-no-cache   # quick look
    python bench/bench_generate.py --torch-only     # on the GPU machine (no ONNX Runtime there)

Every run generates exactly --bytes bytes (EOS is masked, so random or early-stopping weights
time the same work) from a short prompt; numbers are the median of --repeats runs. Results go
to bench/results/generate_<device>.json and a table is printed.
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent

from blt_core.generator.decoding import Passthrough, run  # noqa: E402
from blt_core.constants import EOS_ID  # noqa: E402
from blt_core.generator.generate import DEFAULT_GENERATOR_CARD, load_generator  # noqa: E402

PROMPT = b"The Byte Latent Transformer reads raw bytes and "
PROMPTS_64 = [f"Document {i}: {w} ".encode() for i, w in enumerate(
    ["the river", "def main():", "Привет", "日本語の", "SELECT *", "Once upon", "<html>", "42 + 17 ="] * 8)]


class NoEOS(Passthrough):
    """Wraps a stepper so EOS is never chosen: every run does the same amount of work."""

    def local_step(self, window, pos, patch_index):
        logits = np.array(self.inner.local_step(window, pos, patch_index), dtype=np.float32)
        logits[:, EOS_ID] = -np.inf
        return logits


def random_card(folder: Path) -> Path:
    """A default-size generator with random weights, finalized like a trained one."""
    import json as _json

    from safetensors.torch import save_file

    from blt_core.generator.config import BLTConfig
    from blt_core.generator.model import BLT
    from blt_core.checkpoints import DEFAULT_CARD
    from blt_core.train.finalize_blt import finalize

    cfg = BLTConfig()
    run_dir = folder / "run"
    run_dir.mkdir(parents=True)
    save_file({k: v.contiguous() for k, v in BLT(cfg).init_weights().state_dict().items()},
              str(run_dir / "blt_generator.safetensors"))
    (run_dir / "config.json").write_text(_json.dumps({"config": cfg.to_dict(), "steps": 0}))
    finalize(run_dir, folder, entropy_card=DEFAULT_CARD, eval_path=folder / "none.jsonl")
    return folder / "blt_generator.json"


def timed(gen, prompts, *, n_bytes, no_cache=False, temperature=0.0, top_k=None) -> tuple[float, int]:
    stepper = NoEOS(gen.new_stepper(no_cache))
    cfg = gen.config
    r = run(stepper, prompts, max_bytes=n_bytes, threshold=cfg.patch_threshold, max_patch_length=cfg.max_patch_length,
            temperature=temperature, top_k=top_k, seed=0, max_ngram=cfg.max_ngram)
    produced = sum(len(d) - n for d, n in zip(r.data, r.prompt_lengths))
    return r.seconds, produced


def median_rate(gen, prompts, repeats, **kw) -> dict:
    """Median over `repeats` timed runs, after one short untimed run of the same shape.

    The warm-up matters on a GPU: the first batch of a new size builds its cuDNN/cuBLAS plans
    (a batch of 64 ran at 2,542 bytes/s cold, 6,241 warm, when the steps were still traced).
    """
    timed(gen, prompts, **{**kw, "n_bytes": 16})
    runs = []
    for _ in range(repeats):
        s, n = timed(gen, prompts, **kw)
        runs.append((n / s, s))
    return summary(runs)


def summary(runs: list[tuple[float, float]]) -> dict:
    """[(bytes/s, seconds)] -> medians and every run's rate."""
    return {"bytes_per_second": round(statistics.median(r for r, _ in runs), 1),
            "seconds": round(statistics.median(s for _, s in runs), 3), "runs": [round(r, 1) for r, _ in runs]}


def paired_rates(gen, prompts, repeats, **kw) -> tuple[dict, dict]:
    """Cached and no_cache runs alternated, so a machine that speeds up or slows down during the
    benchmark (a shared 2-core host does) moves both; the speed-up is the median of the per-pair
    ratios, not a ratio of medians taken minutes apart."""
    timed(gen, prompts, **{**kw, "n_bytes": 16})
    timed(gen, prompts, **{**kw, "n_bytes": 16, "no_cache": True})
    runs = {False: [], True: []}
    for _ in range(repeats):
        for no_cache in (False, True):
            s, n = timed(gen, prompts, **kw, no_cache=no_cache)
            runs[no_cache].append((n / s, s))
    out = [summary(runs[False]), summary(runs[True])]
    ratios = [c / n for (c, _), (n, _) in zip(runs[False], runs[True])]
    out[1]["cached_speedup"] = round(statistics.median(ratios), 1)
    out[1]["speedup_per_pair"] = [round(r, 1) for r in ratios]
    return out[0], out[1]


def main(argv=None) -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--card", default=str(DEFAULT_GENERATOR_CARD))
    p.add_argument("--random", action="store_true", help="benchmark default-size random weights instead")
    p.add_argument("--bytes", type=int, default=512)
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--skip-no-cache", action="store_true")
    p.add_argument("--torch-only", action="store_true", help="skip ONNX Runtime (the GPU machine has none)")
    p.add_argument("--out", default=None, help="default: bench/results/generate_<device>.json")
    a = p.parse_args(argv)

    tmp = tempfile.TemporaryDirectory()
    card = random_card(Path(tmp.name)) if a.random else Path(a.card)
    rows: dict[str, dict] = {}
    if not a.torch_only:
        gen = load_generator(card=card, backend="onnx")
        rows["onnx-cpu cached"] = median_rate(gen, [PROMPT], a.repeats, n_bytes=a.bytes)

    import torch

    torch.set_num_threads(2)
    gen_t = load_generator(card=card, backend="torch")
    name = gen_t.name
    if a.skip_no_cache:
        rows[f"{name} cached"] = median_rate(gen_t, [PROMPT], a.repeats, n_bytes=a.bytes)
    else:
        rows[f"{name} cached"], rows[f"{name} no_cache"] = paired_rates(gen_t, [PROMPT], a.repeats, n_bytes=a.bytes)
    if torch.cuda.is_available():
        rows[f"{name} batch64 sampled"] = median_rate(gen_t, PROMPTS_64, a.repeats, n_bytes=a.bytes,
                                                      temperature=0.8, top_k=40)
    device = torch.cuda.get_device_name(0) if torch.cuda.is_available() else f"cpu-{platform.machine()}"
    label = Path(card).resolve()
    label = label.relative_to(ROOT) if label.is_relative_to(ROOT) else label  # no machine's paths in the JSON
    result = {"bench": "generate", "card": str(label) if not a.random else "random default-size weights",
              "bytes": a.bytes, "repeats": a.repeats, "device": device, "torch_threads": torch.get_num_threads(),
              "time": time.strftime("%Y-%m-%dT%H:%M:%S"), "rows": rows}
    out = Path(a.out) if a.out else ROOT / "bench" / "results" / f"generate_{device.replace(' ', '_')}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2) + "\n")
    print(f"{'backend':32s} {'bytes/s':>10s} {'seconds':>9s}  note")
    for k, v in rows.items():
        note = f"cached is {v['cached_speedup']}x faster" if "cached_speedup" in v else ""
        print(f"{k:32s} {v['bytes_per_second']:10.1f} {v['seconds']:9.3f}  {note}")
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
