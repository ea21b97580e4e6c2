"""AppTest: the Generate page generates with a released-BLT folder chosen in the sidebar among
the server's allowed folders, and refuses a model the server cannot hold with the clear message."""

from __future__ import annotations

from pathlib import Path

import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("transformers", reason="transformers cannot import; it is a pinned test dependency in "
                    "requirements-dev.txt")
import streamlit as st  # noqa: E402
from streamlit.testing.v1 import AppTest  # noqa: E402

from blt_core.official_blt import load as official_load  # noqa: E402
from tests.official_blt_models import build  # noqa: E402
from tests.test_official_formats import write_tiny_official  # noqa: E402

APP = str(Path(__file__).resolve().parents[1] / "app" / "streamlit_app.py")


@pytest.fixture(scope="module")
def root(tmp_path_factory):
    r = tmp_path_factory.mktemp("allowed")
    build(64, seed=9).save_pretrained(r / "blt-tiny")
    write_tiny_official(r / "entropy-only")  # official entropy weights without a generator
    return r


def _open(root, monkeypatch, name: str):
    """The Generate page with `name` chosen as official weights, as a visitor chooses it: by name."""
    monkeypatch.setenv("BLT_WEIGHTS_DIRS", str(root))
    monkeypatch.setattr(official_load, "_CURRENT", {})  # each test loads (or refuses) afresh
    st.cache_data.clear()
    at = AppTest.from_file(APP, default_timeout=120)
    at.session_state["model_source"] = "official"
    at.session_state["model_name"] = name
    at.run()
    at.switch_page("app_pages/generate.py").run()
    at.slider(key="gen_max").set_value(12)
    at.slider(key="gen_temp").set_value(0.0)
    return at


@pytest.fixture
def page(root, monkeypatch):
    return _open(root, monkeypatch, "blt-tiny")


def _texts(at) -> list[str]:
    return [str(e.value) for e in (*at.error, *at.warning, *at.caption, *at.sidebar.error)]


def test_generate_page_runs_the_official_folder(page):
    assert not page.exception
    assert any("released BLT in official weights blt-tiny" in c.value for c in page.caption)
    page.button(key="gen_go").click().run()
    assert not page.exception and not page.error
    assert next(m.value for m in page.metric if m.label == "Bytes out") == "12"
    assert next(m.value for m in page.metric if m.label == "Global steps") not in ("0", None)


def test_a_model_too_big_for_the_server_is_refused(page, root, monkeypatch):
    monkeypatch.setattr(official_load, "available_bytes", lambda device: 1000)
    page.button(key="gen_go").click().run()
    assert not page.exception
    errors = [e.value for e in page.error]
    assert any("refused rather than swapped" in e and "blt-tiny" in e for e in errors), errors
    assert not any(str(root) in t for t in _texts(page))  # the folder is named by its label, never its path


def test_entropy_only_weights_say_they_cannot_generate(root, monkeypatch):
    at = _open(root, monkeypatch, "entropy-only")
    at.button(key="gen_go").click().run()
    assert not at.exception
    assert any("entropy-only holds no BLT generator" in e.value for e in at.error)
    assert not any(str(root) in t for t in _texts(at))
