"""Turn a training run into shipped assets: safetensors + ONNX + a model card with measured figures.

    python -m blt_core.train.finalize_entropy --run runs/entropy --assets assets

Measures on the committed held-out subset `assets/eval/heldout_eval.jsonl`: bits per byte
overall and per language and script (ONNX backend, chunked exactly as served), the
largest torch-vs-ONNX entropy difference, random-byte bits per byte, and calibrates the
default thresholds to a mean patch length of 4.5 bytes over all text documents.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import time
from collections import defaultdict
from pathlib import Path

import numpy as np

from blt_core.calibrate import calibrate_threshold
from blt_core.checkpoints import Card, archive_run, file_entry, sha256_file, write_card
from blt_core.entropy.scoring import score_bytes
from blt_core.train.train_entropy import ROW_MIX

TARGET = 4.5


def load_eval(path: Path) -> list[dict]:
    """Held-out documents with their bytes: [{"lang", "script", "kind", "data": bytes}, ...]."""
    docs = []
    for line in path.read_text(encoding="utf-8").splitlines():
        d = json.loads(line)
        d["data"] = bytes.fromhex(d["hex"]) if "hex" in d else d["text"].encode("utf-8")
        docs.append(d)
    return docs


def joined_for_calibration(entropies: list[np.ndarray]) -> np.ndarray:
    """Concatenate per-document entropies, forcing a patch start at every document start.

    >>> joined_for_calibration([np.array([1.0, 0.5]), np.array([2.0])]).tolist()
    [1.0, 0.5, inf]
    """
    parts = []
    for i, e in enumerate(entropies):
        e = e.astype(np.float64).copy()
        if i:
            e[0] = np.inf
        parts.append(e)
    return np.concatenate(parts)


def group_bpb(docs: list[dict], surprisal: list[np.ndarray], key: str) -> dict[str, dict]:
    """Byte-weighted bits per byte per value of `key` ("lang" or "script")."""
    bits, count = defaultdict(float), defaultdict(int)
    for d, s in zip(docs, surprisal):
        bits[d[key]] += float(s.sum())
        count[d[key]] += len(s)
    return {k: {"bits_per_byte": round(bits[k] / count[k], 4), "bytes": count[k]} for k in sorted(bits)}


def heldout_measures(onnx, torch_m, docs: list[dict], window: int) -> tuple[dict, list[np.ndarray]]:
    """The card's "heldout" section (ONNX scores, torch parity) and the text documents' entropies."""
    t0 = time.time()
    scored = [score_bytes(onnx.score_chunk, d["data"], window=window, context=onnx.context) for d in docs]
    eval_seconds = time.time() - t0
    text = [(d, s) for d, s in zip(docs, scored) if d.get("kind") != "binary"]
    surpr = [s.surprisal for _, s in text]
    total_bits, total_bytes = sum(float(s.sum()) for s in surpr), sum(len(s) for s in surpr)
    # parity: torch eager vs ONNX on every byte of the subset
    max_diff = 0.0
    for d, s in zip(docs, scored):
        ref = score_bytes(torch_m.score_chunk, d["data"], window=window, stack=torch_m.stack_pasts,
                          context=torch_m.context)
        max_diff = max(max_diff, float(np.abs(ref.entropies - s.entropies).max()))
    random_bytes = np.random.default_rng(0).integers(0, 256, 65536, dtype=np.uint8).tobytes()
    random_bpb = float(score_bytes(onnx.score_chunk, random_bytes, window=window, context=onnx.context).surprisal.mean())
    binary = [s for d, s in zip(docs, scored) if d.get("kind") == "binary"]
    heldout = {
        "bits_per_byte": round(total_bits / total_bytes, 4), "bytes": total_bytes,
        "by_lang": group_bpb([d for d, _ in text], surpr, "lang"),
        "by_script": group_bpb([d for d, _ in text], surpr, "script"),
        "binary_bits_per_byte": round(float(np.mean(np.concatenate([s.surprisal for s in binary]))), 4) if binary else None,
        "random_bytes_bits_per_byte": round(random_bpb, 4),
        "max_torch_onnx_entropy_diff_nats": max_diff,
        "onnx_scoring_seconds": round(eval_seconds, 1),
    }
    return heldout, [s.entropies for _, s in text]


def calibrated_defaults(text_entropies: list[np.ndarray]) -> dict:
    """The card's "defaults": theta and theta_r calibrated to TARGET bytes per patch on the held-out text."""
    joined = joined_for_calibration(text_entropies)
    joined_bytes = b"\x00" * len(joined)  # bytes only matter for the space and static modes
    cal_t = calibrate_threshold(joined, joined_bytes, target=TARGET, mode="entropy")
    cal_r = calibrate_threshold(joined, joined_bytes, target=TARGET, mode="monotonic")
    return {
        "target_patch_size": TARGET,
        "threshold": cal_t.threshold, "threshold_mean_patch_length": round(cal_t.mean_patch_length, 4),
        "theta_r": cal_r.threshold, "theta_r_mean_patch_length": round(cal_r.mean_patch_length, 4),
        "patch_size": 4,
        "note": "threshold and theta_r calibrated on the held-out subset's text documents to a mean patch "
                "length of 4.5 bytes (the paper's BLT-Entropy setting); static patch_size 4 is the nearest "
                "integer below it.",
    }


def main(argv=None) -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--run", required=True, help="training output folder (entropy_model.safetensors, config.json)")
    p.add_argument("--assets", default="assets")
    p.add_argument("--name", default=None, help="default: blt-explorer-entropy-<parameters>m")
    p.add_argument("--pretrain-run", action="append", default=[],
                   help="a run that --run fine-tuned from, oldest first, repeatable (summaries and logs join the card)")
    p.add_argument("--tables", choices=("int8", "float16"), default="int8",
                   help="how n-gram tables are stored: int8 rows with a scale each (shipped), or float16 "
                        "(bench_card_agreement measures what int8 changes)")
    a = p.parse_args(argv)
    run, assets = Path(a.run), Path(a.assets)
    summary = json.loads((run / "config.json").read_text())
    from blt_core.backends import load_weights
    from blt_core.entropy.export import export
    from blt_core.entropy.model import EntropyModel, EntropyModelConfig
    from blt_core.entropy.onnx_scorer import OnnxEntropyModel
    from blt_core.entropy.torch_scorer import TorchEntropyModel
    from blt_core.onnx_weights import link_weights

    st = assets / "entropy_model.safetensors"
    model = load_weights(EntropyModel(EntropyModelConfig.from_dict(summary["config"])),
                         run / "entropy_model.safetensors").eval()
    if model.config.ngram_sizes:  # the tables are most of the bytes: shipped (and measured here) as int8 rows
        from safetensors.torch import save_file

        stored = model.quantize_tables() if a.tables == "int8" else model.half_tables()
        save_file({k: v.contiguous() for k, v in stored.state_dict().items()}, str(st))
    else:
        shutil.copyfile(run / "entropy_model.safetensors", st)
    onnx_path = export(model, assets / "entropy_model.onnx")
    link_weights(onnx_path, st)  # the graph reads the safetensors: each weight stored once
    window = summary["config"]["window"]
    onnx = OnnxEntropyModel(str(onnx_path), window=window, threads=os.cpu_count())
    eval_path = assets / "eval" / "heldout_eval.jsonl"
    heldout, text_entropies = heldout_measures(onnx, TorchEntropyModel(model, device="cpu"), load_eval(eval_path),
                                               window)
    manifest = assets / "corpus_manifest.json"
    n_params = int(sum(np.prod(v) for v in _shapes(st).values()))
    card = {
        "name": a.name or f"blt-explorer-entropy-{n_params / 1e6:.1f}m",
        "kind": "entropy-model",
        "description": describe(len(a.pretrain_run) + 1),
        "config": model.config.to_dict(),  # the run's, plus how its tables are stored
        "parameters": n_params,
        "files": {"safetensors": file_entry(st, relative_to=assets),
                  "onnx": {**file_entry(onnx_path, relative_to=assets), "weights": "safetensors"}},
        "training": {"stages": [_stage(Path(r), assets) for r in a.pretrain_run + [a.run]]},
        "corpus_manifest_sha256": sha256_file(manifest) if manifest.exists() else None,
        "heldout": {"subset": str(eval_path.relative_to(assets)), "subset_sha256": sha256_file(eval_path), **heldout},
        "defaults": calibrated_defaults(text_entropies),
    }
    write_card(assets / "entropy_model.json", card)
    Card.load(assets / "entropy_model.json")  # round-trip check
    print(json.dumps({k: card[k] for k in ("heldout", "defaults")}, indent=2))


def describe(stages: int) -> str:
    """The card's description; a model fine-tuned from earlier runs says so (its card lists each stage).

    >>> describe(3).split("; ")[0][-63:]
    'trained in 3 stages, the first from scratch, on offline corpora'
    """
    how = "trained from scratch" if stages == 1 else f"trained in {stages} stages, the first from scratch,"
    return ("Llama-style causal byte LM (RMSNorm, SwiGLU, interleaved RoPE, sliding-window attention) "
            f"{how} on offline corpora; entropies in nats over 260 outputs.")


def _stage(run: Path, assets: Path) -> dict:
    """One training stage for the card: its summary and its held-out curve."""
    summary = json.loads((run / "config.json").read_text())
    keys = ("init_from", "steps", "train_seconds", "tokens", "world_size", "batch_size_per_process",
            "seq_len", "lr", "device", "heldout_bpb_windows")
    # the row mix (random, copy, run, binary rows) is what each fine-tune stage changed; runs from
    # before a share existed lack its key and record none
    mix = {k: summary[k] for k in ROW_MIX if k in summary}
    log = [json.loads(x) for x in (run / "log.jsonl").read_text().splitlines()] if (run / "log.jsonl").exists() else []
    # a stage that trained only some weights (train_entropy --train-only) names them, the rest frozen; one
    # that shipped its final weights whatever its best evaluation (--ship final) says so, and one fitted
    # on statistics read from the frozen model (fit_run_boost) gives the fit
    only = {k: summary[k] for k in ("train_only", "ship", "fit") if summary.get(k)}
    # a summary corrected by hand after the run (entropy21-m112ud) says so, in every later card too
    note = {"correction": summary["correction"]} if summary.get("correction") else {}
    return {"run": archive_run(run, assets), **{k: summary.get(k) for k in keys}, **only, "row_mix": mix,
            "log": [{k: r[k] for k in ("step", "elapsed", "train_bpb", "heldout_bpb") if k in r}
                    for r in log if "heldout_bpb" in r], **note}


def _shapes(path: Path) -> dict:
    """Tensor shapes from a safetensors header (8-byte length + JSON), without loading tensors."""
    with open(path, "rb") as f:
        n = int.from_bytes(f.read(8), "little")
        header = json.loads(f.read(n))
    return {k: v["shape"] for k, v in header.items() if k != "__metadata__"}


if __name__ == "__main__":
    main()
