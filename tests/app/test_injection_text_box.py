"""The injection corpus through the text box and an upload's name on every page (AppTest).

Streamlit draws markdown (captions too) and st.html from strings: a user string reaching them raw
could become a link or an element. Every element that renders HTML must carry the payloads
escaped, and markdown must never carry a payload's markup or link syntax verbatim.
"""

from __future__ import annotations

import pytest

from tests.e2e.injection_helpers import joined, payloads

PAGES = ["explore", "compare", "tune", "compute", "learn", "generate"]
RAW = ("<script", "onerror=", "class=pwn", "javascript:", "<svg", "<img")  # markup that must never reach HTML raw
LINKS = ("](javascript", "](data:", "![img](")  # markdown link syntax that must never reach markdown raw


def _walk(node):
    yield node
    for child in getattr(node, "children", {}).values():
        yield from _walk(child)


def _rendered(at) -> list[tuple[str, str, bool]]:
    """(kind, body, renders html) of every markdown-like element (captions, alerts too) and html element."""
    out = []
    for node in _walk(at._tree):
        proto = getattr(node, "proto", None)
        body = getattr(proto, "body", None)
        if isinstance(body, str) and node.type != "code":
            out.append((node.type, body, node.type == "html" or bool(getattr(proto, "allow_html", False))))
    return out


def test_the_walk_sees_captions_and_html(app):
    app.run()
    kinds = {k for k, _, _ in _rendered(app)}
    assert {"markdown", "html"} <= kinds, kinds


def _check(at) -> None:
    assert not at.exception, [e.value for e in at.exception]
    for kind, body, html in _rendered(at):
        if html:
            bad = [r for r in RAW if r in body.lower()]
            assert not bad, f"{kind} renders {bad} raw: {body[:200]!r}"
        else:
            bad = [r for r in LINKS if r in body]
            assert not bad, f"{kind} carries {bad} raw: {body[:200]!r}"


@pytest.mark.parametrize("page", PAGES)
def test_text_box(app, page):
    app.session_state["text"] = joined()[0]
    app.session_state["gen_prompt"] = joined(limit=1500)[0]
    app.run()
    if page != "explore":
        app.switch_page(f"app_pages/{page}.py").run()
    if page == "generate":
        app.button(key="gen_go").click().run()
    _check(app)


def test_upload_names(app):
    name = " ".join(payloads()["file_names"])  # every file-name payload in one name
    app.session_state["uploaded"] = (name, "\n".join(joined()).encode("utf-8", errors="surrogateescape"))
    app.run()
    _check(app)
    app.switch_page("app_pages/compare.py").run()
    _check(app)
