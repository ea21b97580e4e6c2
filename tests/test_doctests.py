"""Every docstring example in blt_core, and in the bench helpers that compute measures, runs and holds
(STYLE.md: docstrings give one worked example)."""

from __future__ import annotations

import doctest
import importlib
import pkgutil

import pytest

import blt_core

MODULES = sorted(m.name for m in pkgutil.walk_packages(blt_core.__path__, "blt_core.")
                 if not m.name.endswith("__main__"))
# bench modules whose pure functions decide a reported measure (word-start breakdown, run hazard)
BENCH_MODULES = ["bench.bench_entropy", "bench.run_hazard"]


def test_modules_found():
    assert {"blt_core.patching", "blt_core.nn.functional", "blt_core.generator.decoding"} <= set(MODULES)


@pytest.mark.parametrize("name", MODULES + BENCH_MODULES)
def test_docstring_examples(name):
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert result.failed == 0, f"{result.failed} of {result.attempted} examples failed in {name}"
