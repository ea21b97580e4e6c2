"""A chart over a window of a long input, moved in the browser: Compare's lanes and Compute's FLOPs per
patch, with a caption saying which bytes are shown, an overview of the whole input with the window
shaded, a slider for the window's first byte and a choice of its width.

The page sends the whole input's data once (app/views/window_data.py packs it); the component's JS
(window_assets/, with the explorer's text.js for spelling bytes) windows it, so moving the window never
reruns the page. Its axes stay fixed to the window, so the caption always tells the truth.
"""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from app.components.explorer import ASSETS as EXPLORER_ASSETS

ASSETS = Path(__file__).with_name("window_assets")
# Classic scripts first (text.js: units and bltUpperBound), the module with `export default` last.
JS_FILES = (EXPLORER_ASSETS / "text.js", ASSETS / "lanes.js", ASSETS / "flops.js", ASSETS / "window.js")


def js_source() -> str:
    """The component's JavaScript: the asset files joined in dependency order."""
    return "\n".join(path.read_text(encoding="utf-8") for path in JS_FILES)


_COMPONENT = st.components.v2.component(
    "blt_window", js=js_source(), css=(ASSETS / "window.css").read_text(encoding="utf-8"))


def window_chart(blob: bytes, *, key: str) -> None:
    """Mount the window component on `blob` (window_data.lanes_blob or flops_blob); the window's place and
    width live in the browser and survive reruns that bring the same input."""
    _COMPONENT(data=blob, key=key)
