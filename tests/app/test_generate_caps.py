"""The Generate page states its caps before anything runs and refuses a prompt past them (issue 12)."""

from __future__ import annotations

import pytest


def _open_generate(app):
    from blt_core.generator import generate as generation

    if not generation.DEFAULT_GENERATOR_CARD.exists():
        pytest.skip("no generator card shipped")
    app.run()
    app.switch_page("app_pages/generate.py").run()


def test_caps_are_stated_before_a_run(app, model_calls):
    _open_generate(app)
    assert not app.exception
    assert any("Prompt: 28 / 2,048 bytes. Output: at most 1,000 bytes." in c.value for c in app.caption)
    assert not app.button(key="gen_go").disabled


def test_prompt_past_the_cap_is_refused_on_the_page(app):
    _open_generate(app)
    app.text_area(key="gen_prompt").set_value("é" * 1024 + "x").run()  # 2,049 bytes, 1,025 characters
    assert not app.exception
    assert any("capped at 2,048 bytes" in e.value for e in app.error)
    assert any("Prompt: 2,049 / 2,048 bytes" in c.value for c in app.caption)
    assert app.button(key="gen_go").disabled
