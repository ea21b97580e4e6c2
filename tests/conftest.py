"""Shared fixtures: a tiny random-init entropy model saved as a complete card (safetensors + ONNX)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def build_once(request, tmp_path_factory, name: str, build) -> Path:
    """`build(folder) -> path` run once per test session, also under pytest-xdist (.ci/run's two workers):
    the first worker builds into a folder of the run's shared temporary root while holding a file lock,
    the others wait and reuse it; without xdist, a fresh folder."""
    workerinput = getattr(request.config, "workerinput", None)
    if workerinput is None:
        return build(tmp_path_factory.mktemp(name))
    from filelock import FileLock  # torch's own dependency

    shared = tmp_path_factory.getbasetemp().parent / f"{name}_{workerinput['testrunuid']}"
    done = shared / "built.json"
    with FileLock(f"{shared}.lock"):
        if not done.exists():
            shared.mkdir(exist_ok=True)
            done.write_text(json.dumps({"path": str(build(shared))}))
    return Path(json.loads(done.read_text())["path"])


@pytest.fixture(scope="session")
def tiny_card(request, tmp_path_factory) -> Path:
    """A card for a 2-layer, 32-wide model with window 16: small enough to test chunking fast."""
    pytest.importorskip("torch")
    return build_once(request, tmp_path_factory, "tiny_model", _build_tiny_entropy_card)


def _build_tiny_entropy_card(d: Path) -> Path:
    import torch
    from safetensors.torch import save_file

    from blt_core.checkpoints import file_entry, write_card
    from blt_core.entropy.export import export
    from blt_core.entropy.model import EntropyModel, EntropyModelConfig

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


def pytest_collection_modifyitems(items):
    """Under pytest-xdist a worker that needs a `build_once` fixture another worker is building waits for
    it. So only the first test of each tiny card stays in place (its worker builds the card while the
    other runs the rest of the suite) and that card's other tests move to the end, when it exists."""
    for in_blt in (True, False):  # tests/blt's generator card, and the entropy card everywhere else
        users = [i for i in items if "tiny_card" in getattr(i, "fixturenames", ())
                 and i.nodeid.startswith("tests/blt/") == in_blt]
        later = {id(i) for i in users[1:]}
        items[:] = [i for i in items if id(i) not in later] + users[1:]


@pytest.fixture(scope="module")
def one_torch_thread():
    """One torch thread for a module of tiny models (a few thousand small ops per byte): on a shared
    2-core machine a second thread spins more than it helps (greedy tests ran 5-10x slower with two)."""
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


def run_torchrun(cmd: list[str], **kw) -> "subprocess.CompletedProcess":
    """subprocess.run(cmd, capture_output=True, text=True, **kw) for a two-process torchrun test,
    retried once when a worker aborts (SIGABRT), the first attempt's stderr kept in the result's.

    Clean-clone CI runs saw a gloo worker abort twice, each time in a different torchrun test while
    the other xdist worker drove Chromium ("terminate called without an active exception" at
    23:44 on 2026-11-30); never alone. The likeliest cause, torchrun's free-port window or gloo's
    threads at exit under load, is not confirmed.
    """
    import subprocess

    r = subprocess.run(cmd, capture_output=True, text=True, **kw)
    if r.returncode != 0 and "Signal 6 (SIGABRT)" in r.stderr:
        first = r.stderr[-1500:]
        r = subprocess.run(cmd, capture_output=True, text=True, **kw)
        r.stderr = f"first attempt: {first}\nretry: {r.stderr}"
    return r
