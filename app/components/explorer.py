"""The client-side patch explorer: a Streamlit v2 component whose JS lives in explorer_assets/.

The server sends the input's payload once (app/views/explorer.payload: bytes, float32
entropies, surprisal, top-k, units) through a mount of its own whose message never changes,
so Streamlit's message cache does not resend it on reruns; a second, small mount carries the
settings. The browser re-patches on every animation frame and reports the settings on release.
"""

from __future__ import annotations

from pathlib import Path
from typing import Callable

import streamlit as st

ASSETS = Path(__file__).with_name("explorer_assets")
# Classic scripts first (they define the bltXxx functions), the module with `export default` last.
JS_FILES = ("rules.js", "text.js", "strip.js", "chart.js", "render.js", "ui.js", "main.js")


def js_source() -> str:
    """The component's JavaScript: the asset files joined in dependency order."""
    return "\n".join((ASSETS / name).read_text(encoding="utf-8") for name in JS_FILES)


_COMPONENT = st.components.v2.component(
    "blt_explorer", js=js_source(), css=(ASSETS / "explorer.css").read_text(encoding="utf-8"))


def explorer(payload: bytes, view: dict, *, key: str, on_change: Callable[[], None]) -> None:
    """Mount the payload (cached by content) and the view (settings, unit, colours).

    `view["payload"]` must be the payload's id (views.explorer.payload_id); `on_change` runs
    when the user releases a control, with the new settings in st.session_state[key].settings.
    """
    _COMPONENT(data=payload, key=f"{key}_payload", height=0)
    _COMPONENT(data=view, key=key, default={"settings": None}, on_settings_change=on_change)
