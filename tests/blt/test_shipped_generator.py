"""The trained generator that ships in assets/: its card, its files, and both backends on it.

The other generator tests use tiny random models; these pin what a user of the app gets.
"""

from __future__ import annotations

import json

import pytest

from blt_core.checkpoints import Card
from blt_core.generator.generate import DEFAULT_GENERATOR_CARD, generate

PROMPTS = ["The Byte Latent Transformer ", "def main():\n    ", "Привет, "]

pytestmark = pytest.mark.skipif(not DEFAULT_GENERATOR_CARD.exists(), reason="no generator card shipped")


@pytest.fixture(scope="module")
def card() -> Card:
    return Card.load(DEFAULT_GENERATOR_CARD)


def test_every_file_is_present_small_and_checksummed(card):
    assert {"safetensors", "onnx_entropy_step", "onnx_local_step", "onnx_global_step"} <= set(card.files)
    for kind in card.files:
        path = card.verified(kind)  # raises on a sha256 mismatch
        assert path.stat().st_size <= 16 * 2**20, path


def test_card_reports_heldout_bits_for_both_models(card):
    h = card.data["heldout"]
    assert 0 < h["bits_per_byte"] < 8 and 0 < h["entropy_model_bits_per_byte"] < 8
    assert h["mean_patch_length"] > 1
    assert {"en", "ru", "zh", "ar", "hi"} <= set(h["by_lang"])
    stages = card.data["training"]["stages"]
    assert stages and all(s["steps"] > 0 for s in stages)
    assert stages[-1]["skipped_updates"] == 0  # the cuDNN attention fix held on the last call


def test_trained_model_beats_uniform_and_writes_text():
    r = generate("The quick brown fox ", max_bytes=40, backend="onnx")
    text = r.text
    assert len(r.generated_bytes) > 0
    # a trained model writes mostly letters and spaces after an English prompt
    letters = sum(c.isalpha() or c.isspace() for c in text)
    assert letters >= 0.7 * len(text), text


@pytest.mark.parametrize("prompt", PROMPTS)
def test_torch_and_onnx_agree_on_the_shipped_model(prompt):
    a = generate(prompt, max_bytes=48, backend="onnx")
    b = generate(prompt, max_bytes=48, backend="torch")
    assert a.text == b.text, json.dumps({"onnx": a.text, "torch": b.text}, ensure_ascii=False)
    assert a.patch_starts == b.patch_starts
