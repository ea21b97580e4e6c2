"""Shared fixtures: a tiny random-init entropy model saved as a complete card (safetensors + ONNX)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="session")
def tiny_card(tmp_path_factory) -> Path:
    """A card for a 2-layer, 32-wide model with window 16: small enough to test chunking fast."""
    torch = pytest.importorskip("torch")
    from safetensors.torch import save_file

    from blt_core.checkpoints import file_entry, write_card
    from blt_core.entropy.model import EntropyModel, EntropyModelConfig
    from blt_core.entropy.export import export

    d = tmp_path_factory.mktemp("tiny_model")
    cfg = EntropyModelConfig(hidden_size=32, num_hidden_layers=2, num_attention_heads=2, intermediate_size=64, window=16)
    torch.manual_seed(0)
    model = EntropyModel(cfg).init_weights(seed=1)
    with torch.no_grad():  # sharper outputs than the 0.02 init, so entropies vary byte to byte
        for p in model.parameters():
            if p.dim() > 1:
                p.mul_(20)
    save_file({k: v.contiguous() for k, v in model.state_dict().items()}, str(d / "m.safetensors"))
    export(model, d / "m.onnx")
    card = {"name": "tiny-test", "config": cfg.to_dict(),
            "files": {"safetensors": file_entry(d / "m.safetensors", relative_to=d),
                      "onnx": file_entry(d / "m.onnx", relative_to=d)},
            "defaults": {"threshold": 4.0, "theta_r": 0.2, "patch_size": 4}}
    write_card(d / "card.json", card)
    return d / "card.json"


@pytest.fixture(scope="session")
def shipped_card() -> Path:
    p = ROOT / "assets" / "entropy_model.json"
    if not p.exists():
        pytest.skip("shipped model card not present")
    return p


def load_json(p: Path) -> dict:
    return json.loads(Path(p).read_text())


@pytest.fixture
def no_hang():
    """Fail a test whose I/O blocks (a FIFO with no writer) after 20 s instead of stalling CI."""
    import signal

    def timeout(*_):
        raise TimeoutError("a read blocked")
    old = signal.signal(signal.SIGALRM, timeout)
    signal.alarm(20)
    yield
    signal.alarm(0)
    signal.signal(signal.SIGALRM, old)


@pytest.hookimpl(tryfirst=True)  # before xdist's own hook, which turns the marks into groups
def pytest_collection_modifyitems(items):
    """Under pytest-xdist (`-n 2 --dist loadgroup`, as .ci/run runs), the tests that share the generator's
    tiny card go to one worker: building it exports five ONNX graphs (about 100 s), once, not per worker."""
    for item in items:
        if "tiny_card" in getattr(item, "fixturenames", ()) and "tests/blt/" in item.nodeid:
            item.add_marker(pytest.mark.xdist_group("blt_tiny_card"))
