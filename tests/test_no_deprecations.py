"""Supported APIs only: no TorchScript, no legacy ONNX exporter, no deprecation warning from
what the project's code calls (an export with dynamic shapes, a cached torch generation)."""

from __future__ import annotations

import re
import warnings
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parent.parent
DEPRECATIONS = (DeprecationWarning, PendingDeprecationWarning, FutureWarning)
BANNED = {  # pattern -> why
    r"torch\.jit\b": "TorchScript is deprecated",
    r"dynamo\s*=\s*False": "the TorchScript-based ONNX exporter is deprecated",
    r"dynamic_axes\s*=": "an option of the legacy exporter; torch.export takes dynamic_shapes",
    r"torch\.onnx\.export\(": "call blt_core.onnx_export.export_graph, the one place that calls the exporter",
}


def project_sources() -> list[Path]:
    files = [p for d in ("blt_core", "app", "bench", "tests") for p in (ROOT / d).rglob("*.py")]
    return [p for p in files if p != Path(__file__).resolve() and p != ROOT / "blt_core" / "onnx_export.py"]


@pytest.mark.parametrize("pattern", sorted(BANNED))
def test_no_deprecated_api_in_the_sources(pattern):
    hits = [f"{p.relative_to(ROOT)}:{i}" for p in project_sources()
            for i, line in enumerate(p.read_text(encoding="utf-8").splitlines(), 1) if re.search(pattern, line)]
    assert not hits, f"{BANNED[pattern]}: {hits}"


def deprecations(fn) -> list[str]:
    """Run fn with every warning recorded; the deprecations among them, as readable lines."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        fn()
    return [f"{w.category.__name__} at {w.filename}:{w.lineno}: {w.message}" for w in caught
            if issubclass(w.category, DEPRECATIONS)]


def test_deprecations_are_caught():
    """The recorder itself: a deprecation raised inside fn is reported (else the tests below prove nothing)."""
    assert deprecations(lambda: warnings.warn("old", DeprecationWarning)) != []


def test_entropy_export_warns_no_deprecation(tmp_path):
    """The exporter with dynamic batch and length (the path both exports share)."""
    pytest.importorskip("onnxscript")
    from blt_core.entropy.export import export
    from blt_core.entropy.model import EntropyModel, EntropyModelConfig

    model = EntropyModel(EntropyModelConfig(hidden_size=16, num_hidden_layers=1, num_attention_heads=2,
                                            intermediate_size=32, window=8)).init_weights()
    assert deprecations(lambda: export(model, tmp_path / "m.onnx")) == []
    assert (tmp_path / "m.onnx").stat().st_size > 0


def test_torch_generation_warns_no_deprecation():
    from blt_core.generator.decoding import run
    from blt_core.generator.torch_stepper import TorchStepper

    from .blt.conftest import TINY, tiny_models

    blt, ent = tiny_models()
    out = []
    assert deprecations(lambda: out.append(run(TorchStepper(blt, ent), [b"abc", b""], max_bytes=24, temperature=0.8,
                                               threshold=TINY.patch_threshold, max_patch_length=0, top_k=None,
                                               seed=0, max_ngram=TINY.max_ngram))) == []
    assert out[0].local_steps > 0 and np.isfinite(out[0].entropies[0]).all()
