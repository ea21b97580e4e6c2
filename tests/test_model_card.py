"""The shipped entropy model meets its card's promises (measured by finalize_entropy on the subset)."""

from pathlib import Path

import numpy as np
import pytest

from blt_core.checkpoints import load_card, sha256_file

ROOT = Path(__file__).resolve().parent.parent


def test_card_describes_the_files(shipped_card):
    card = load_card(shipped_card)
    for kind in ("safetensors", "onnx"):
        f = ROOT / "assets" / card["files"][kind]["path"]
        assert f.stat().st_size <= 16 * 2**20  # every weight file at most 16 MiB
        assert sha256_file(f) == card["files"][kind]["sha256"]
    assert card["corpus_manifest_sha256"] == sha256_file(ROOT / "assets" / "corpus_manifest.json")
    assert card["heldout"]["subset_sha256"] == sha256_file(ROOT / "assets" / "eval" / "heldout_eval.jsonl")
    assert card["config"]["window"] == 512 and card["config"]["vocab_size"] == 260


def test_card_quality_figures(shipped_card):
    h = load_card(shipped_card)["heldout"]
    assert h["bits_per_byte"] <= 1.6
    assert all(v["bits_per_byte"] < 8.0 for v in h["by_lang"].values())
    assert {"Latin", "Cyrillic", "CJK", "Devanagari", "Arabic"} <= set(h["by_script"])
    assert h["random_bytes_bits_per_byte"] <= 8.1 and h["binary_bits_per_byte"] <= 8.1
    assert h["max_torch_onnx_entropy_diff_nats"] < 1e-3


def test_defaults_calibrated_to_4_5(shipped_card):
    d = load_card(shipped_card)["defaults"]
    assert abs(d["threshold_mean_patch_length"] - 4.5) <= 0.09
    assert abs(d["theta_r_mean_patch_length"] - 4.5) <= 0.09


def test_assets_under_60_mb():
    total = sum(f.stat().st_size for f in (ROOT / "assets").rglob("*") if f.is_file())
    assert total < 60e6


@pytest.mark.parametrize("name", ["english.txt", "russian.txt", "chinese.txt", "hindi.txt", "arabic.txt", "code.py"])
def test_every_script_scores_below_uniform(shipped_card, name):
    """The shipped model on the shipped samples: text in any script beats uniform guessing (8 bits)."""
    import blt_core

    data = (ROOT / "assets" / "samples" / name).read_bytes()
    assert blt_core.analyze(data, backend="onnx").bits_per_byte < 8.0


@pytest.mark.parametrize("size", [256, 512, 4096, 65536])
def test_random_bytes_near_uniform(shipped_card, size):
    """Random bytes cost at most 8.1 bits per byte, even for short inputs."""
    import blt_core

    for seed in range(3):
        data = np.random.default_rng(seed).integers(0, 256, size, dtype=np.uint8).tobytes()
        assert blt_core.analyze(data, backend="onnx").bits_per_byte <= 8.1


def test_compressed_bytes_near_uniform(shipped_card):
    import gzip

    import blt_core

    data = gzip.compress((ROOT / "assets" / "eval" / "heldout_eval.jsonl").read_bytes())[1000:9000]
    assert blt_core.analyze(data, backend="onnx").bits_per_byte <= 8.1
