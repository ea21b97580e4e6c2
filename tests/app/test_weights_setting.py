"""AppTest: official weights are offered only from server-allowed folders, by name; no widget or URL carries a path."""

from __future__ import annotations

import os

import pytest

pytest.importorskip("torch")

from tests.test_official_formats import write_tiny_official  # noqa: E402

ENV = "BLT_WEIGHTS_DIRS"


def _texts(at) -> list[str]:
    """Every message, caption and label the page shows (where a leaked path would appear)."""
    elements = [*at.error, *at.warning, *at.info, *at.caption, *at.markdown, *at.sidebar.error]
    return [str(e.value) for e in elements] + [str(getattr(w, "label", "")) for w in at.sidebar]


def _metric(at, label: str) -> str:
    return next(m.value for m in at.metric if m.label == label)


@pytest.fixture
def root(tmp_path):
    r = tmp_path / "weights"
    write_tiny_official(r / "tiny-blt")
    (r / "notes").mkdir()
    return r


def test_with_no_setting_the_official_option_is_hidden(app):
    app.run()
    assert not app.exception
    assert not [r for r in app.sidebar.radio if r.key == "model_source"]
    assert not app.sidebar.text_input and not [s for s in app.sidebar.selectbox if s.key == "model_name"]


def test_an_allowed_folder_is_offered_and_loads_by_name(app, root, monkeypatch):
    monkeypatch.setenv(ENV, str(root))
    app.run()
    shipped_bpb = _metric(app, "Bits per byte")
    app.sidebar.radio(key="model_source").set_value("official").run()
    picker = app.sidebar.selectbox(key="model_name")
    assert picker.options == ["tiny-blt"]  # notes/ holds no weights, so it is not offered
    assert not app.exception and not app.error
    assert _metric(app, "Bits per byte") != shipped_bpb  # the random tiny model scores differently
    assert any("official:tiny-blt" in c.value for c in app.caption)
    assert not any(str(root) in t for t in _texts(app))


def test_the_secret_names_allowed_folders_too(app, root):
    app.secrets["weights_dirs"] = [str(root)]
    app.run()
    app.sidebar.radio(key="model_source").set_value("official").run()
    assert app.sidebar.selectbox(key="model_name").options == ["tiny-blt"]


def test_a_broken_folder_fails_in_words_naming_no_path(app, root, monkeypatch):
    broken = write_tiny_official(root / "broken")
    (broken / "consolidated.pth").unlink()
    os.mkfifo(broken / "consolidated.pth")
    monkeypatch.setenv(ENV, str(root))
    app.run()
    app.sidebar.radio(key="model_source").set_value("official").run()
    app.sidebar.selectbox(key="model_name").set_value("broken").run()
    assert not app.exception
    assert [e.value for e in app.error] == ["broken/consolidated.pth is a FIFO (named pipe), not a regular file"]
    assert not any(str(root) in t for t in _texts(app))


def test_the_url_cannot_carry_a_path(app, root, monkeypatch):
    monkeypatch.setenv(ENV, str(root))
    for key, value in {"model": str(root / "tiny-blt"), "model_path": "/etc/passwd", "model_name": "../tiny-blt",
                       "model_source": "official"}.items():
        app.query_params[key] = value
    app.run()
    assert not app.exception and not app.error
    assert app.sidebar.radio(key="model_source").value == "shipped"
    assert not any("official" in c.value for c in app.caption)
