"""Tiny random-init generator + entropy model, finalized once per session into a temporary
assets folder (card, fp16 safetensors, three ONNX step graphs), so tests stay fast."""
import json

import pytest
import torch
from safetensors.torch import save_file

from blt_core.generator.config import BLTConfig
from blt_core.generator.model import BLT
from blt_core.checkpoints import file_entry, write_card
from blt_core.entropy.model import EntropyModel, EntropyModelConfig
from tests.conftest import build_once

TINY = BLTConfig(local_hidden_size=32, local_num_attention_heads=2, local_intermediate_size=64,
                 global_hidden_size=64, global_num_attention_heads=2, global_intermediate_size=128,
                 num_global_layers=2, hash_buckets=64, hash_dim=4, local_window=16, global_window=8,
                 patch_threshold=2.5)
TINY_ENTROPY = EntropyModelConfig(hidden_size=32, num_hidden_layers=2, num_attention_heads=2,
                                  intermediate_size=64, window=16)


def tiny_models(seed: int = 1):
    """Random models whose outputs are far from uniform (scaled weights), so patches and
    greedy choices are decided by clear margins."""
    blt = BLT(TINY).init_weights(seed=seed)
    ent = EntropyModel(TINY_ENTROPY).init_weights(seed=seed + 1)
    with torch.no_grad():
        for p in blt.parameters():
            if p.dim() > 1:
                p.mul_(5)
        for p in ent.parameters():
            if p.dim() > 1:
                p.mul_(30)
    return blt.eval(), ent.eval()


@pytest.fixture(scope="session")
def tiny_models_fixture():
    return tiny_models()


@pytest.fixture(scope="session")
def tiny_card(request, tmp_path_factory):
    """Path of a generator card made by finalize_blt from a tiny run folder (five ONNX exports, about
    100 s on 2 cores: built once per test run, also across pytest-xdist workers)."""
    return build_once(request, tmp_path_factory, "blt_assets", _build_tiny_generator_card)


def _build_tiny_generator_card(root):
    from blt_core.train.finalize_blt import finalize

    blt, ent = tiny_models()
    save_file({k: v.contiguous() for k, v in ent.state_dict().items()}, str(root / "entropy_model.safetensors"))
    write_card(root / "entropy_model.json", {
        "name": "tiny-entropy", "config": TINY_ENTROPY.to_dict(),
        "files": {"safetensors": file_entry(root / "entropy_model.safetensors", relative_to=root)},
        "defaults": {"threshold": 2.5}})
    run = root / "run"
    run.mkdir()
    save_file({k: v.contiguous() for k, v in blt.state_dict().items()}, str(run / "blt_generator.safetensors"))
    (run / "config.json").write_text(json.dumps({"config": TINY.to_dict(), "steps": 0, "train_seconds": 0.0}))
    (root / "eval").mkdir()
    (root / "eval" / "heldout_eval.jsonl").write_text(
        json.dumps({"lang": "en", "script": "Latin", "text": "Hello there, world."}) + "\n"
        + json.dumps({"lang": "ru", "script": "Cyrillic", "text": "Привет, мир"}) + "\n"
        + json.dumps({"lang": "none", "script": "none", "hex": "00ff10"}) + "\n", encoding="utf-8")
    finalize(run, root, entropy_card=root / "entropy_model.json")
    return root / "blt_generator.json"
