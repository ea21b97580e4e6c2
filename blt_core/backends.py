"""Where models run: one device probe, one backend resolver, one ONNX session factory, one weight loader.

Importing this module never imports torch, so the ONNX serving path stays torch-free;
torch is imported only where a torch backend or a weight load asks for it.

>>> resolve_backend("onnx")
'onnx'
>>> resolve_backend("auto", torch_only="no_cache")   # doctest: +SKIP
'torch'
"""

from __future__ import annotations

import glob
import importlib.util
import os
from pathlib import Path

from blt_core.checkpoints import Card, WeightsError

BACKENDS = ("auto", "onnx", "torch")


def torch_available() -> bool:
    """PyTorch is installed (found without importing it)."""
    return importlib.util.find_spec("torch") is not None


def gpu_present() -> bool:
    """A CUDA device is usable. Checks for an NVIDIA device node first, so a CPU host never imports torch."""
    if not glob.glob("/dev/nvidia[0-9]*") or not torch_available():
        return False
    import torch

    return torch.cuda.is_available()


def resolve_backend(backend: str, *, torch_only: str | None = None) -> str:
    """"auto" / "onnx" / "torch" -> "onnx" or "torch"; a clear ValueError for an unknown or impossible choice.

    auto takes torch only where a GPU exists (on a CPU the ONNX graphs are faster and need no
    torch). torch_only names a feature that exists on torch alone (official weights, no_cache):
    it forces torch and makes "onnx" an error that says why.
    """
    if backend not in BACKENDS:
        raise ValueError(f"unknown backend {backend!r}; choose one of {', '.join(BACKENDS)}")
    if torch_only is not None:
        if backend == "onnx":
            raise ValueError(f"{torch_only}: torch backend only; use backend 'torch' or 'auto'")
        backend = "torch"
    if backend == "auto":
        backend = "torch" if gpu_present() else "onnx"
    if backend == "torch" and not torch_available():
        raise ValueError("the torch backend needs PyTorch, which is not installed; use backend 'onnx'")
    return backend


def torch_device(device: str | None = None) -> str:
    """The device a torch model runs on: the one asked for, else cuda when usable, else cpu."""
    if device is not None:
        return device
    return "cuda" if gpu_present() else "cpu"


def onnx_session(path: str | os.PathLike, *, threads: int | None = None, spin: bool | None = None):
    """An ONNX Runtime CPU session; WeightsError when the file cannot be loaded.

    threads=None uses up to 8 cores (long scoring passes); one-token generation steps pass 1,
    since hundreds of tiny ops lose more to a thread pool's hand-offs than they gain.
    BLT_ONNX_SPIN=0 (the app sets it: app/scheduler.py) makes idle pool threads sleep, not spin;
    spin=False does so for one session whatever the setting: sessions run one after another
    (the prompt prefill's two graphs) each have their own pool, and the first one's spinning
    threads took the cores from the second (a 64-byte prompt's prefill 0.18 s spinning, 0.10 s not).
    """
    import onnxruntime as ort

    opts = ort.SessionOptions()
    opts.intra_op_num_threads = threads or min(os.cpu_count() or 1, 8)
    opts.inter_op_num_threads = 1
    opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    if spin is False or os.environ.get("BLT_ONNX_SPIN") == "0":  # leave idle cores to other work
        opts.add_session_config_entry("session.intra_op.allow_spinning", "0")
    try:
        return ort.InferenceSession(str(path), opts, providers=["CPUExecutionProvider"])
    except Exception as e:  # onnxruntime raises its own exception types for bad files
        raise WeightsError(f"cannot load ONNX model {path}: {e}") from None


def check_keys(model, state: dict, source: str) -> dict:
    """state with "model." prefixes and recomputable RoPE buffers dropped, after checking it has
    exactly the model's keys; WeightsError naming the first missing and unexpected ones."""
    want = set(model.state_dict())
    state = {k.removeprefix("model."): v for k, v in state.items()}
    state = {k: v for k, v in state.items() if k in want or "freqs" not in k}
    missing, unexpected = want - set(state), set(state) - want
    if missing or unexpected:
        raise WeightsError(f"{source}: missing keys {sorted(missing)[:5]}, unexpected keys {sorted(unexpected)[:5]}")
    return state


def load_weights(model, path: str | os.PathLike):
    """Load safetensors into `model` (float32) after a key check; returns model.

    A bare path is for a training run's own fresh output; shipped files go through
    `load_card_weights`, which checks their sha256 against the card first.
    """
    from safetensors.torch import load_file

    path = Path(path)
    if not path.is_file():
        raise WeightsError(f"weight file missing: {path}")
    try:
        state = load_file(str(path))
    except Exception as e:  # safetensors raises its own error types for truncated or foreign files
        raise WeightsError(f"cannot read weights {path}: {e}") from None
    model.load_state_dict({k: v.float() for k, v in check_keys(model, state, str(path)).items()})
    return model


def load_card_weights(model, card: Card, kind: str):
    """Load the card's file of `kind` ("safetensors", "entropy_safetensors") into model, sha256- and key-checked."""
    return load_weights(model, card.verified(kind))
