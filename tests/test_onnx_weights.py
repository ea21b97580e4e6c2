"""ONNX graphs read their weights from the cards' safetensors (blt_core/onnx_weights.py): each
weight is stored once, the sessions compute what the self-contained graphs computed, and a
corrupt shared file fails every graph that reads it."""
import json
import shutil

import numpy as np
import pytest

from blt_core.checkpoints import Card, WeightsError
from tests.conftest import ROOT

onnx = pytest.importorskip("onnx")
ort = pytest.importorskip("onnxruntime")
CARDS = {"entropy_model.json": ("onnx",),
         "blt_generator.json": ("onnx_entropy_step", "onnx_local_step", "onnx_global_step", "onnx_entropy_prefill")}


@pytest.mark.parametrize("card,kind", [(c, k) for c, kinds in CARDS.items() for k in kinds])
def test_shipped_graphs_hold_no_weights_of_their_own(card, kind):
    c = Card.load(ROOT / "assets" / card)
    model = onnx.load(str(c.verified(kind)), load_external_data=False)
    own = [i.name for i in model.graph.initializer
           if i.data_location != onnx.TensorProto.EXTERNAL and np.prod(i.dims) >= 1024]
    assert own == [] and c.path_of(kind).stat().st_size < 400_000
    weights = c.path_of(c.data["files"][kind]["weights"]).name
    assert {e.value for i in model.graph.initializer for e in i.external_data if e.key == "location"} == {weights}


def test_linking_changes_no_output(tiny_card, tmp_path):
    """A self-contained graph and its linked copy give identical outputs, bit for bit."""
    from blt_core.onnx_weights import link_weights

    d = tmp_path / "m"
    shutil.copytree(tiny_card.parent, d)
    card = Card.load(d / "card.json")
    before = ort.InferenceSession(str(card.path_of("onnx")), providers=["CPUExecutionProvider"])
    assert link_weights(card.path_of("onnx"), card.path_of("safetensors")) > 0
    after = ort.InferenceSession(str(card.path_of("onnx")), providers=["CPUExecutionProvider"])
    rng = np.random.default_rng(0)
    T, cfg = 48, card.config
    feeds = {"ids": rng.integers(4, 260, (2, T)), "positions": np.tile(np.arange(T), (2, 1)),
             "segments": np.zeros((2, T), dtype=np.int64), "has_past": np.array([True, False]),
             "past_kv": rng.normal(size=(cfg["num_hidden_layers"], 2, 2, cfg["num_attention_heads"], cfg["window"],
                                         cfg["hidden_size"] // cfg["num_attention_heads"])).astype(np.float32)}
    for a, b in zip(before.run(None, feeds), after.run(None, feeds)):
        assert np.array_equal(a, b)


def test_a_corrupt_shared_safetensors_fails_the_graphs_that_read_it(tmp_path):
    d = tmp_path / "assets"
    d.mkdir()
    for name in ("entropy_model.json", "entropy_model.onnx", "entropy_model.safetensors"):
        shutil.copy(ROOT / "assets" / name, d / name)
    raw = bytearray((d / "entropy_model.safetensors").read_bytes())
    raw[-1] ^= 1
    (d / "entropy_model.safetensors").write_bytes(bytes(raw))
    card = Card.load(d / "entropy_model.json")
    with pytest.raises(WeightsError, match="entropy_model.safetensors is corrupt or changed"):
        card.verified("onnx")
    entry = json.loads((d / "entropy_model.json").read_text())["files"]["onnx"]
    assert entry["weights"] == "safetensors"
