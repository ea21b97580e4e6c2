"""bench/replay_generate_page.py: the recorded GPU run replays as the page's generate_stream, and
refuses a run it did not record."""

import json

import pytest

from bench.replay_generate_page import TRACE, replaying
from blt_core.generator.decoding import Trace


def test_trace_replays_the_recorded_bytes_and_patches():
    trace = json.loads(TRACE.read_text())
    s = trace["settings"]
    assert trace["stepper"] == "GraphedStepper" and "H200" in trace["device"]
    events = list(replaying(trace)(s["prompt"], max_bytes=s["max_bytes"], temperature=s["temperature"],
                                   top_k=s["top_k"], seed=s["seed"], backend=s["backend"]))
    tr = Trace(len(s["prompt"].encode()))
    for e in events:
        tr.add(e)
    assert bytes(tr.data) == bytes(e["byte"] for e in trace["events"])
    assert len(tr.output) == trace["output_bytes"] == s["max_bytes"]
    assert tr.patch_starts == [e["index"] for e in trace["events"] if e["opened_patch"]]


def test_other_settings_are_refused_with_a_message():
    trace = json.loads(TRACE.read_text())
    with pytest.raises(ValueError, match="recorded on NVIDIA H200"):
        next(replaying(trace)("another prompt", backend="torch"))
