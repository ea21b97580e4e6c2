"""AppTest of Explore's explorer component: what the server hands the browser, and when."""

from __future__ import annotations

import json

import pytest


def mounts(at) -> tuple[bytes, dict]:
    payload, view = at.get("bidi_component")
    return payload.proto.bytes, json.loads(view.proto.json)


def test_the_view_follows_the_widgets(app):
    app.session_state["text"] = "to be or not to be"
    app.run()
    blob, view = mounts(app)
    assert view["unit"] == "nats" and view["settings"]["mode"] == "entropy"
    app.session_state["unit"] = "bits"
    app.slider(key="threshold").set_value(2.5).run()
    _, view = mounts(app)
    assert view["unit"] == "bits" and view["settings"]["threshold"] == pytest.approx(2.5)


def test_the_payload_is_the_same_blob_across_reruns(app):
    """Moving the threshold re-sends the small view, never a different payload (the message cache
    then sends the payload once)."""
    app.session_state["text"] = "hello patches"
    app.run()
    blob, view = mounts(app)
    app.slider(key="threshold").set_value(0.5).run()
    blob2, view2 = mounts(app)
    assert blob2 == blob and view2["payload"] == view["payload"]
    assert view2["settings"]["threshold"] == pytest.approx(0.5)


def test_user_text_reaches_the_browser_as_bytes_not_markup(app):
    evil = "<img src=x onerror=alert(1)><script>window.__pwned=1</script>"
    app.session_state["text"] = evil
    app.run()
    blob, view = mounts(app)
    assert evil.encode() in blob  # raw bytes, which the component renders with textContent
    assert "<script" not in json.dumps(view)
    assert all("<script" not in h.proto.body for h in app.get("html"))
