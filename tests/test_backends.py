"""torch and ONNX Runtime give one answer; the ONNX path never imports torch."""

import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest

from blt_core.checkpoints import WeightsError, load_card

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def test_torch_and_onnx_agree_on_tiny_model(tiny_card):
    pytest.importorskip("torch")
    import blt_core

    data = bytes(np.random.default_rng(0).integers(0, 256, 3000, dtype=np.uint8)) + "héllo 😀 мир".encode()
    a = blt_core.analyze(data, backend="onnx", model=str(tiny_card), top_k=3)
    b = blt_core.analyze(data, backend="torch", model=str(tiny_card), top_k=3)
    assert a.backend.startswith("onnx") and b.backend.startswith("torch")
    assert np.abs(a.entropies - b.entropies).max() < 1e-4
    # no byte sits within 1e-4 of the threshold (4.0) here, so the ~300 patch starts must agree exactly
    assert len(a.patch_starts) > 100 and a.patch_starts.tolist() == b.patch_starts.tolist()
    assert np.abs(np.asarray(a.top_k_probs) - np.asarray(b.top_k_probs)).max() < 1e-4  # sorted: robust to near-ties


def test_shipped_model_torch_onnx_parity(shipped_card):
    """Every byte of a multilingual text: within 1e-3 nats (the card records the whole subset)."""
    pytest.importorskip("torch")
    import blt_core

    text = ("The river was wide. Le fleuve était large. Река была широкой. 河は広かった。 नदी चौड़ी थी। "
            "كان النهر واسعا. def f(x): return {'a': [1, 2]}\n") * 20
    a = blt_core.analyze(text, backend="onnx")
    b = blt_core.analyze(text, backend="torch")
    assert np.abs(a.entropies - b.entropies).max() < 1e-3
    card = load_card(shipped_card)
    assert card.data["heldout"]["max_torch_onnx_entropy_diff_nats"] < 1e-3


def test_onnx_path_imports_no_torch(tiny_card):
    code = textwrap.dedent(f"""
        import sys
        import blt_core
        a = blt_core.analyze("hello world " * 100, backend="onnx", model={str(tiny_card)!r})
        assert a.n_bytes == 1200
        assert "torch" not in sys.modules, "torch was imported on the ONNX path"
        print("ok")
    """)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "ok"


def test_onnx_backend_runs_with_torch_absent(tiny_card, tmp_path):
    """Simulate a CPU deployment without torch: a shadowing package that raises on import."""
    fake = tmp_path / "torch"
    fake.mkdir()
    (fake / "__init__.py").write_text("raise ImportError('torch is not installed here')\n")
    env = dict(os.environ, PYTHONPATH=f"{tmp_path}{os.pathsep}{ROOT}")
    out = subprocess.run([sys.executable, "-m", "blt_core", "analyze", "--text", "hello", "--backend", "auto",
                          "--model", str(tiny_card), "--json"], capture_output=True, text=True, cwd=ROOT, env=env)
    assert out.returncode == 0, out.stderr
    assert '"backend": "onnx:cpu"' in out.stdout


def test_corrupt_weights_give_a_clear_error(tiny_card, tmp_path):
    import shutil

    import blt_core

    d = tmp_path / "m"
    shutil.copytree(tiny_card.parent, d)
    with open(d / "m.onnx", "r+b") as f:
        f.seek(100)
        f.write(b"\x00\x01\x02")
    with pytest.raises(WeightsError, match="corrupt"):
        blt_core.analyze("hello", backend="onnx", model=str(d / "card.json"))
    (d / "m.onnx").unlink()
    with pytest.raises(WeightsError, match="missing"):
        blt_core.analyze("hello", backend="onnx", model=str(d / "card.json"))
    (d / "card.json").write_text("{not json")
    with pytest.raises(WeightsError, match="not valid JSON"):
        load_card(d / "card.json")


def test_the_app_lets_idle_onnx_threads_sleep(monkeypatch):
    """A shared server's ONNX sessions do not spin (app/scheduler.py sets BLT_ONNX_SPIN=0 unless the host
    set it); the library's default keeps spinning, which suits one stream."""
    pytest.importorskip("onnxruntime")
    from blt_core.backends import onnx_session

    graph = os.path.join(ROOT, "assets", "entropy_model.onnx")
    def spin() -> str:  # unset: ONNX Runtime's default, which spins
        try:
            return onnx_session(graph).get_session_options().get_session_config_entry("session.intra_op.allow_spinning")
        except RuntimeError:  # "does not have configuration with key"
            return "default"

    monkeypatch.delenv("BLT_ONNX_SPIN", raising=False)
    assert spin() == "default"
    env = {k: v for k, v in os.environ.items() if k != "BLT_ONNX_SPIN"}
    out = subprocess.run([sys.executable, "-c", "import os, app.scheduler; print(os.environ['BLT_ONNX_SPIN'])"],
                         cwd=ROOT, env=env, capture_output=True, text=True, check=True).stdout.strip()
    assert out == "0"
    monkeypatch.setenv("BLT_ONNX_SPIN", "0")
    assert spin() == "0"
