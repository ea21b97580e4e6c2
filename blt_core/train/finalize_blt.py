"""Turn a trained generator run into shipped assets: fp16 safetensors, ONNX steps, model card.

    python -m blt_core.train.finalize_blt --run runs/blt --assets assets

Reads `<run>/blt_generator.safetensors` + `<run>/config.json` (from train_blt.py) and the
entropy model's card (default assets/entropy_model.json, whose weights must be the ones the
run trained with: their sha256 is checked). Writes into --assets:
  blt_generator.safetensors  (float16; the ONNX graphs hold the same rounded numbers)
  blt_entropy_step.onnx, blt_local_step.onnx, blt_global_step.onnx
  blt_prefill.onnx           the prompt prefill (weights read from the safetensors); its entropy part
                             is the entropy card's onnx graph (blt_entropy_prefill.onnx if it has none)
  blt_generator.json         the card: config, files + sha256, training, held-out bits per byte
                             per language for the generator and the entropy model on the same
                             texts (assets/eval/heldout_eval.jsonl, when present), mean patch length.
Every weight file must stay <= 16 MiB.
"""

from __future__ import annotations

import argparse
import json
import math
from pathlib import Path

import torch
import torch.nn.functional as F
from safetensors.torch import save_file

from blt_core.generator.config import BLTConfig, num_parameters
from blt_core.generator.masks import patch_starts, token_entropies
from blt_core.generator.model import BLT
from blt_core.generator.export import PREFILL_FILE, export_prefill, export_steps, round_to_half
from blt_core.backends import load_card_weights, load_weights
from blt_core.checkpoints import ASSETS, archive_run, Card, DEFAULT_CARD, file_entry, sha256_file, write_card
from blt_core.constants import BOS_ID, OFFSET
from blt_core.entropy.model import EntropyModel, EntropyModelConfig

MAX_FILE_BYTES = 16 * 2**20
EVAL_MAX_BYTES = 4096  # longer eval texts are cut: one teacher-forced pass each


def read_eval(path: Path) -> list[dict]:
    """JSON lines {lang, script, text | hex} -> [{lang, script, data: bytes}]."""
    rows = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        r = json.loads(line)
        data = bytes.fromhex(r["hex"]) if "hex" in r else r["text"].encode("utf-8")
        if data:
            rows.append({"lang": r.get("lang", "?"), "script": r.get("script", "?"), "data": data[:EVAL_MAX_BYTES]})
    return rows


@torch.no_grad()
def heldout_bits(blt: BLT, ent: EntropyModel, rows: list[dict]) -> dict:
    """Bits per byte of both models per language and overall, and the mean patch length."""
    by: dict[str, list[float]] = {}
    bits_blt = bits_ent = 0.0
    n_bytes = n_patches = 0
    cfg = blt.config
    for r in rows:
        ids = torch.tensor([[BOS_ID, *(b + OFFSET for b in r["data"])]])
        x, y = ids[:, :-1], ids[:, 1:]
        ent_logits = ent(ids)
        starts = patch_starts(ids, token_entropies(ent_logits), cfg.patch_threshold, cfg.max_patch_length)
        # bits over the bytes: the generator's input excludes the last byte, its targets are all bytes
        b = F.cross_entropy(blt(x, starts[:, :-1])[0], y[0], reduction="sum").item() / math.log(2)
        e = F.cross_entropy(ent_logits[0, :-1], y[0], reduction="sum").item() / math.log(2)
        n = y.shape[1]
        acc = by.setdefault(r["lang"], [0.0, 0.0, 0])
        acc[0] += b
        acc[1] += e
        acc[2] += n
        bits_blt, bits_ent, n_bytes = bits_blt + b, bits_ent + e, n_bytes + n
        n_patches += int(starts[0, 1:].sum())  # patches over the bytes (BOS's own patch excluded)
    per = {k: {"bits_per_byte": round(v[0] / v[2], 4), "entropy_model_bits_per_byte": round(v[1] / v[2], 4),
               "bytes": v[2]} for k, v in sorted(by.items())}
    return {"bits_per_byte": round(bits_blt / max(1, n_bytes), 4),
            "entropy_model_bits_per_byte": round(bits_ent / max(1, n_bytes), 4), "bytes": n_bytes,
            "mean_patch_length": round(n_bytes / max(1, n_patches), 3), "by_lang": per}


TRAINING_KEYS = ("steps", "train_seconds", "tokens", "world_size", "batch_size_per_process", "seq_len", "lr",
                 "device", "heldout_bpb_windows", "heldout_mean_patch_length", "skipped_updates", "init_from")


def _stage(run: Path, assets: Path) -> dict:
    """One training call for the card: its summary and held-out curve (from its log.jsonl)."""
    summary = json.loads((run / "config.json").read_text())
    log = run / "log.jsonl"
    rows = [json.loads(x) for x in log.read_text().splitlines()] if log.exists() else []
    return {"run": archive_run(run, assets), **{k: summary.get(k) for k in TRAINING_KEYS},
            "log": [{k: r[k] for k in ("step", "elapsed", "train_bpb", "heldout_bpb") if k in r}
                    for r in rows if "heldout_bpb" in r]}


def finalize(run: str | Path, assets: str | Path = ASSETS, *, entropy_card: str | Path = DEFAULT_CARD,
             eval_path: str | Path | None = None, name: str = "blt-explorer-generator",
             previous_runs: tuple[str | Path, ...] = (), graphs: bool = True) -> Card:
    """Write the assets listed in the module docstring; returns the card. graphs=False writes no ONNX
    graph (a card the torch backend serves), for checking a run's bookkeeping without the exports,
    which are most of the time this takes."""
    run, assets = Path(run), Path(assets)
    summary = json.loads((run / "config.json").read_text())
    cfg = BLTConfig.from_dict(summary["config"])
    ecard = Card.load(entropy_card)
    ent_path = ecard.path_of("safetensors")
    if summary.get("entropy_weights_sha256") not in (None, ecard.files["safetensors"].sha256):
        raise SystemExit(f"{ent_path} is not the entropy model this run trained with (sha256 differs)")
    ent = load_card_weights(EntropyModel(EntropyModelConfig.from_dict(ecard.config)), ecard, "safetensors").eval()
    blt = load_weights(BLT(cfg), run / "blt_generator.safetensors")
    round_to_half(blt.eval())  # what ships; the evaluation below measures exactly these numbers

    assets.mkdir(parents=True, exist_ok=True)
    st = assets / "blt_generator.safetensors"
    save_file({k: v.detach().half().contiguous() for k, v in blt.state_dict().items()}, str(st))
    files = {"safetensors": st, "entropy_safetensors": ent_path}
    linked: dict[str, str] = {}
    if graphs:
        # the entropy step stays float32: it must match the shipped float32 entropy weights
        paths = export_steps(blt, ent, assets, prefix="blt_", half={"entropy_step": False, "local_step": True,
                                                                    "global_step": True})
        files |= {"onnx_entropy_step": paths["entropy_step"], "onnx_local_step": paths["local_step"],
                  "onnx_global_step": paths["global_step"], **prefill_files(blt, ent, ecard, assets)}
        linked = link_graphs(files, ecard)
    for kind, p in files.items():
        if kind != "entropy_safetensors" and p.stat().st_size > MAX_FILE_BYTES:
            raise SystemExit(f"{p} is {p.stat().st_size / 2**20:.1f} MiB, over the 16 MiB limit: shrink the config")

    eval_path = Path(eval_path) if eval_path is not None else assets / "eval" / "heldout_eval.jsonl"
    heldout = None
    if eval_path.is_file():
        heldout = {"subset": str(eval_path.name), "subset_sha256": sha256_file(eval_path),
                   **heldout_bits(blt, ent, read_eval(eval_path))}
    card = {
        "name": name, "kind": "blt-generator",
        "description": "Small Byte Latent Transformer: hashed n-gram local encoder, patch pooling by "
                       "cross-attention, causal global transformer over entropy patches, local decoder "
                       "reading the previous patch's global output.",
        "config": cfg.to_dict(), "parameters": num_parameters(cfg),
        "entropy_config": ecard.config, "entropy_card": ecard.name,
        "files": {k: {**file_entry(p, relative_to=assets), **({"weights": linked[k]} if k in linked else {})}
                  for k, p in files.items()},
        "training": {**{k: summary.get(k) for k in TRAINING_KEYS},
                     "stages": [_stage(Path(r), assets) for r in [*previous_runs, run]]},
        "defaults": {"threshold": cfg.patch_threshold, "max_patch_length": cfg.max_patch_length},
        "heldout": heldout,
    }
    return write_card(assets / "blt_generator.json", card)


def link_graphs(files: dict[str, Path], ecard: Card) -> dict[str, str]:
    """Make the step graphs (and an entropy prefill graph exported here) read their weights from the
    safetensors beside them (onnx_weights.py: each weight stored once); -> {graph kind: weights kind}.
    The entropy card's own scoring graph is that card's business: linked already or left alone."""
    from blt_core.onnx_weights import link_weights

    want = {"onnx_entropy_step": "entropy_safetensors", "onnx_local_step": "safetensors",
            "onnx_global_step": "safetensors", "onnx_entropy_prefill": "entropy_safetensors"}
    linked = {}
    for kind, weights in want.items():
        same_folder = files[kind].parent.resolve() == files[weights].parent.resolve()
        if kind == "onnx_entropy_prefill" and "onnx" in ecard.files and files[kind] == ecard.path_of("onnx"):
            if ecard.data["files"]["onnx"].get("weights") == "safetensors" and same_folder:
                linked[kind] = weights
        elif same_folder:
            link_weights(files[kind], files[weights])
            linked[kind] = weights
    return linked


def prefill_files(blt: BLT, ent: EntropyModel, ecard: Card, assets: Path) -> dict[str, Path]:
    """The prompt prefill's two graphs: prefill.onnx (no weights inside) and the entropy model's
    scoring graph, the entropy card's own when it has one (not stored twice), else exported here."""
    from blt_core.entropy.export import export

    ent_onnx = ecard.path_of("onnx") if "onnx" in ecard.files else export(ent, assets / "blt_entropy_prefill.onnx")
    return {"onnx_prefill": export_prefill(blt, assets / ("blt_" + PREFILL_FILE)), "onnx_entropy_prefill": ent_onnx}


def main(argv=None) -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--run", required=True, help="train_blt.py --out folder")
    p.add_argument("--assets", default=str(ASSETS))
    p.add_argument("--entropy-card", default=str(DEFAULT_CARD))
    p.add_argument("--eval", default=None, help="default: <assets>/eval/heldout_eval.jsonl")
    p.add_argument("--previous-runs", nargs="*", default=(),
                   help="earlier training calls that --run continued from (--init-from), oldest first")
    a = p.parse_args(argv)
    card = finalize(a.run, a.assets, entropy_card=a.entropy_card, eval_path=a.eval, previous_runs=a.previous_runs)
    print(json.dumps({k: card.data[k] for k in ("files", "heldout")}, indent=2))


if __name__ == "__main__":
    main()
