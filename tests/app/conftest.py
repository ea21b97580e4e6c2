"""AppTest fixtures: a fresh app per test; BLT_APP_BACKEND (default auto) and BLT_APP_MODEL pick the model."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

APP = str(Path(__file__).resolve().parents[2] / "app" / "streamlit_app.py")
BACKEND = os.environ.get("BLT_APP_BACKEND", "auto")
MODEL = os.environ.get("BLT_APP_MODEL")  # an official weights folder to use instead of the shipped model


@pytest.fixture
def app(monkeypatch):
    """An AppTest of the whole app, not yet run; call .run() (and switch_page) in the test."""
    st.cache_data.clear()
    at = AppTest.from_file(APP, default_timeout=120)
    at.session_state["backend"] = BACKEND
    if MODEL:  # offered the way a server offers it: its parent folder allowed, chosen by name
        monkeypatch.setenv("BLT_WEIGHTS_DIRS", str(Path(MODEL).resolve().parent))
        at.session_state["model_source"] = "official"
        at.session_state["model_name"] = Path(MODEL).resolve().name
    else:
        monkeypatch.delenv("BLT_WEIGHTS_DIRS", raising=False)
    return at


@pytest.fixture
def model_calls(monkeypatch):
    """Count calls of blt_core.score (the only function that runs the entropy model)."""
    import blt_core

    calls = []
    real = blt_core.score

    def counting(*args, **kwargs):
        calls.append(kwargs.get("backend"))
        return real(*args, **kwargs)

    monkeypatch.setattr(blt_core, "score", counting)
    return calls
