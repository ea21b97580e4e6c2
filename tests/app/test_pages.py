"""AppTest: every page opens, and each control changes what it should."""

from __future__ import annotations

import html as _html
import json
import re

import numpy as np
import pytest

PAGES = ["explore", "compare", "tune", "compute", "learn", "generate"]


def _metric(at, label: str) -> str:
    return next(m.value for m in at.metric if m.label == label)


def _patches(at) -> int:
    return int(_metric(at, "Patches").replace(",", ""))


@pytest.mark.parametrize("page", PAGES)
def test_every_page_opens(app, page):
    app.run()
    if page != "explore":
        app.switch_page(f"app_pages/{page}.py").run()
    assert not app.exception, [e.value for e in app.exception]
    assert app.title[0].value.lower() == page


def test_threshold_repatches_without_rerunning_the_model(app, model_calls):
    app.run()
    assert len(model_calls) == 1
    before = _patches(app)
    for value in (0.0, 2.0, 5.6):
        app.slider(key="threshold").set_value(value).run()
    assert len(model_calls) == 1, "moving the threshold must re-patch from cached entropies"
    app.run()
    assert len(model_calls) == 1
    assert _patches(app) == 1 < before  # 5.6 nats exceeds ln(260) = 5.56: only byte 0 opens a patch
    app.slider(key="threshold").set_value(0.0).run()
    assert _patches(app) == int(_metric(app, "Bytes").replace(",", ""))  # every entropy > 0 starts a patch


def test_newline_reset_rescores(app, model_calls):
    app.session_state["text"] = "line one\nline two\n"
    app.run()
    app.sidebar.checkbox(key="newline_reset").check().run()
    assert len(model_calls) == 2  # a scoring option keys the cache


@pytest.mark.parametrize("mode,expect", [("byte", lambda n, p: p == n), ("static", lambda n, p: p == -(-n // 4)),
                                         ("space", lambda n, p: 1 < p < n)])
def test_mode_changes_the_patching(app, mode, expect):
    app.session_state["text"] = "to be or not to be, that is the question"
    app.run()
    app.selectbox(key="mode").set_value(mode).run()
    n = int(_metric(app, "Bytes").replace(",", ""))
    assert expect(n, _patches(app))


def test_max_patch_length_splits(app):
    app.session_state["text"] = "a" * 40
    app.run()
    app.slider(key="threshold").set_value(5.6).run()
    assert _patches(app) == 1
    app.number_input(key="max_len").set_value(8).run()
    assert _patches(app) == 5


def test_calibrate_to_target(app):
    app.session_state["text"] = "The quick brown fox jumps over the lazy dog. " * 4
    app.run()
    app.number_input(key="target").set_value(6.0).run()
    app.button[0].click().run()
    assert not app.error, [e.value for e in app.error]
    msg = app.success[0].value
    assert "Threshold set to" in msg
    # the message's achieved mean is what the page now shows (the nearest reachable to the target)
    achieved = msg.split("mean patch length ")[1].split(" bytes")[0]
    assert _metric(app, "Mean patch length") == f"{achieved} B"
    assert app.slider(key="threshold").value == pytest.approx(float(msg.split("Threshold set to ")[1].split()[0]),
                                                              abs=1e-3)


def _figures(at) -> list[dict]:
    return [json.loads(c.proto.spec) for c in at.get("plotly_chart")]


def _axis_title(fig: dict, axis: str) -> str:
    return fig["layout"][axis]["title"]["text"]


def test_units_switch_everywhere_at_once(app):
    """One switch: the URL's unit=bits relabels Tune's axis, metric and button, Learn's chart and sentence,
    and Compare's caption, and the sidebar switch shows it."""
    app.query_params["unit"] = "bits"
    app.run()
    app.switch_page("app_pages/tune.py").run()
    assert not app.exception
    assert _axis_title(_figures(app)[0], "xaxis") == "threshold θ (bits)"
    assert _metric(app, "Threshold for the target").endswith(" bits")
    assert app.button[0].label.endswith(" bits on every page")
    app.switch_page("app_pages/learn.py").run()
    fig = _figures(app)[0]
    assert _axis_title(fig, "yaxis") == "entropy (bits)"
    assert "bits" in fig["data"][1]["text"][0]  # the hover labels too
    assert any(re.search(r"θ = \*\*[\d.]+ bits\*\*", m.value) for m in app.markdown)
    app.switch_page("app_pages/compare.py").run()
    assert any(re.search(r"θ [\d.]+ bits", c.value) for c in app.caption)
    app.session_state["unit"] = "nats"
    app.switch_page("app_pages/tune.py").run()
    assert _axis_title(_figures(app)[0], "xaxis") == "threshold θ (nats)"
    assert app.query_params["unit"] == "nats"


def test_tune_reference_lines_are_labelled_and_clear_of_the_legend(app):
    app.run()
    app.switch_page("app_pages/tune.py").run()
    curve, cost = _figures(app)[:2]
    names = [t.get("name", "") for t in curve["data"]]
    assert any(n.startswith("θ now: ") for n in names) and any(n.startswith("target: 4.5") for n in names)
    assert {a["text"] for a in curve["layout"]["annotations"]} == {"θ now", "target 4.5"}
    assert any(t.get("name", "").startswith("llama3-8b at ") and "GFLOP/byte" in t["name"] for t in cost["data"])
    for fig in (curve, cost):  # the legend sits below the plot, so no line label lands on it
        assert fig["layout"]["legend"]["y"] < 0 and fig["layout"]["legend"]["yanchor"] == "top"
        assert all(a.get("yref", "y") == "y" for a in fig["layout"].get("annotations", []))


def test_empty_text_shows_a_hint(app):
    app.session_state["text"] = ""
    app.run()
    assert not app.exception and not app.error
    assert "Type or paste" in app.info[0].value


def test_sample_picker_fills_the_text(app):
    app.run()
    app.selectbox(key="sample").set_value("russian").run()
    assert "Ð" not in app.text_area(key="text").value
    assert any("\u0400" <= ch <= "\u04ff" for ch in app.text_area(key="text").value)


def test_script_text_is_escaped(app):
    """Learn's byte chips and patches (HTML) and its chart, and Compare's lanes (plotly), show markup as text."""
    evil = "<img src=x onerror=alert(1)><script>window.__pwned=1</script>"
    app.session_state["text"] = evil
    app.run()
    app.switch_page("app_pages/learn.py").run()
    bodies = [h.proto.body for h in app.get("html")]
    assert not any("<script" in b or "<img" in b for b in bodies)
    shown = [_html.unescape(re.sub(r"<[^>]+>", "", b.split("</style>")[-1])).replace("·", " ") for b in bodies]
    assert any(evil in t for t in shown)  # the patch view holds the text itself, literally
    for page in ("learn", "compare"):
        app.switch_page(f"app_pages/{page}.py").run()
        for chart in app.get("plotly_chart"):
            assert "<script" not in chart.proto.spec and "<img" not in chart.proto.spec


def test_plotly_text_is_escaped_exactly_once(app):
    """Quotes reach plotly as they are (plotly shows &quot; literally), markup as &lt; &gt;."""
    app.session_state["text"] = 'say "hi" <b>'
    app.run()
    app.switch_page("app_pages/learn.py").run()
    spec = app.get("plotly_chart")[0].proto.spec
    assert "&quot;" not in spec and "&#x27;" not in spec and "&amp;lt;" not in spec
    hover = json.loads(spec)["data"][1]["text"]
    assert hover[4].startswith('byte 4: <b>" 22</b>') and "&lt; 3c" in hover[9]
    assert " · " not in hover[4].split("next byte:")[1]  # " | " separates candidates, never the space glyph


def test_query_text_prefills(app):
    app.query_params["text"] = "hello from the URL"
    app.run()
    assert app.text_area(key="text").value == "hello from the URL"
    assert _metric(app, "Bytes") == "18"


def test_long_input_is_capped(app, monkeypatch):
    from app import state

    monkeypatch.setattr(state, "MAX_BYTES", 100)
    app.session_state["text"] = "x" * 150
    app.run()
    assert _metric(app, "Bytes") == "100"
    assert "150 bytes" in app.warning[0].value and "cap" in app.warning[0].value


def test_tune_carries_threshold_to_explore(app):
    app.run()
    app.switch_page("app_pages/tune.py").run()
    app.number_input(key="tune_target").set_value(3.0).run()
    app.button[0].click().run()
    carried = app.session_state["threshold"]
    app.switch_page("app_pages/explore.py").run()
    assert app.slider(key="threshold").value == pytest.approx(carried)


def test_compare_tokenizer_choice_changes_lanes(app):
    app.run()
    app.switch_page("app_pages/compare.py").run()
    rows = len(app.dataframe[0].value)
    app.multiselect(key="tokenizers").set_value(["llama3", "o200k", "cl100k", "gpt2"]).run()
    assert len(app.dataframe[0].value) == rows + 2
    names = set(app.dataframe[0].value["segmentation"])
    assert {"GPT-2", "GPT-4 (cl100k)"} <= names


def test_compare_noise_changes_counts(app):
    app.session_state["text"] = "the cat sat on the mat and looked at the dog"
    app.run()
    app.switch_page("app_pages/compare.py").run()
    app.slider(key="noise_rate").set_value(1.0).run()
    noise = app.dataframe[-1].value
    assert (noise["token change"] != "+0.0%").any()


def test_compute_model_choice_changes_totals(app):
    app.run()
    app.switch_page("app_pages/compute.py").run()
    before = _metric(app, "BLT FLOPs / byte")
    app.selectbox(key="blt_cfg").set_value("blt-8b").run()
    assert _metric(app, "BLT FLOPs / byte") != before
    assert any("L·[2(2h² + 2h·kv)" in m.value for m in app.markdown)


def test_generate_page_says_when_no_generator_ships(app, monkeypatch, tmp_path):
    from blt_core.generator import generate as generation

    monkeypatch.setattr(generation, "DEFAULT_GENERATOR_CARD", tmp_path / "missing.json")
    app.run()
    app.switch_page("app_pages/generate.py").run()
    assert not app.exception
    assert any("No trained generator" in w.value for w in app.warning)
    assert not any(b.label == "Generate" for b in app.button)


def test_backend_choice_switches_the_engine(app):
    pytest.importorskip("torch")
    app.run()
    assert any(" on onnx:" in c.value for c in app.caption)  # "Model <name> on <backend>."
    app.selectbox(key="backend").set_value("torch").run()
    assert not app.exception
    assert any(" on torch:" in c.value for c in app.caption)


def test_generate_page_streams_with_the_shipped_generator(app):
    """The trained generator writes bytes; counters, the coloured stream and the curve appear,
    and a prompt with markup is shown as text, never as HTML."""
    from blt_core.generator import generate as generation

    if not generation.DEFAULT_GENERATOR_CARD.exists():
        pytest.skip("no generator card shipped")
    app.run()
    app.switch_page("app_pages/generate.py").run()
    app.text_area(key="gen_prompt").set_value("<b>bold</b> & the ").run()
    app.slider(key="gen_max").set_value(24).run()
    app.slider(key="gen_temp").set_value(0.0).run()
    app.button(key="gen_go").click().run(timeout=60)
    assert not app.exception
    out = int(_metric(app, "Bytes out"))
    assert 0 < out <= 24
    assert int(_metric(app, "Local steps")) >= out
    assert 1 <= int(_metric(app, "Global steps")) <= int(_metric(app, "Local steps"))
    html = "".join(h.proto.body for h in app.get("html"))
    assert ">&lt;<" in html and ">&amp;<" in html and "<b>" not in html  # one span per character
    assert 'title="patch 1"' in html  # more than one patch, each in its own span
    assert app.session_state["gen_result"]["status"] == "done"


@pytest.mark.parametrize("page", ["compare", "tune", "compute", "learn", "generate"])
def test_one_sentence_under_each_title(app, page):
    from app.state import ABOUT

    app.run()
    app.switch_page(f"app_pages/{page}.py").run()
    title = app.title[0].value
    first = app.main.children[1]  # the element right after the title
    assert first.type == "markdown" and first.value == ABOUT[title]
    assert first.value.count(". ") == 0 and first.value.endswith(".")  # one sentence


def test_shared_link_reproduces_the_patch_count(app):
    """θ travels in the URL in full: a θ equal to one byte's entropy (strict '>' leaves that byte in its
    patch) opens with the sender's patch count, where a rounded θ would add a patch."""
    from app.state import DEFAULT_TEXT
    from blt_core import patch_scores, score

    e = score(DEFAULT_TEXT.encode(), backend="onnx").entropies.astype(np.float64)
    theta = next(float(x) for x in e[1:] if round(float(x), 4) < float(x) and 1.0 < x < 3.0)
    rounded = float(f"{theta:.4f}")
    n_exact = patch_scores(score(DEFAULT_TEXT.encode(), backend="onnx"), threshold=theta).n_patches
    assert patch_scores(score(DEFAULT_TEXT.encode(), backend="onnx"), threshold=rounded).n_patches > n_exact

    app.session_state["threshold"] = theta
    app.session_state["mode"] = "entropy"
    app.switch_page("app_pages/compute.py").run()
    sent = _metric(app, "Patches (global steps)")
    assert sent == f"{n_exact:,}"
    link = dict(app.query_params)
    assert float(link["threshold"]) == theta

    from streamlit.testing.v1 import AppTest

    from tests.app.conftest import APP

    other = AppTest.from_file(APP, default_timeout=120)
    other.session_state["backend"] = app.session_state["backend"]
    for k, v in link.items():
        other.query_params[k] = v
    other.switch_page("app_pages/compute.py").run()
    assert _metric(other, "Patches (global steps)") == sent


def test_compare_reports_exact_and_whitespace_attached_agreement(app):
    app.session_state["text"] = "Last spring the river rose over the old stone bridge and the town watched it rise."
    app.run()
    app.switch_page("app_pages/compare.py").run()
    table = app.dataframe[0].value.set_index("segmentation")
    exact, attached = table["F1 vs BLT (entropy), exact"], table["F1 vs BLT (entropy), whitespace attached"]
    assert attached["space"] > exact["space"] and attached["Llama 3"] > exact["Llama 3"]
    assert exact["BLT (entropy)"] == attached["BLT (entropy)"] == 1.0
    assert any("BPE tokens begin with it" in c.value for c in app.caption)
    scripts = app.dataframe[1].value
    assert {"boundary F1, exact", "boundary F1, whitespace attached"} <= set(scripts.columns)
    assert set(scripts["tokenizer"]) == {"Llama 3", "GPT-4o (o200k)"}


def test_compute_badge_says_the_share_in_words(app):
    app.run()
    app.switch_page("app_pages/compute.py").run()
    m = next(m for m in app.metric if m.label == "llama3-8b FLOPs / byte")
    assert re.fullmatch(r"BLT uses \d+% of llama3-8b's FLOPs", m.proto.delta)
    from streamlit.proto.Metric_pb2 import Metric as MetricProto

    assert m.proto.direction == MetricProto.MetricDirection.NONE  # no arrow: an up arrow read as a cost
    ratio = int(re.search(r"(\d+)%", m.proto.delta).group(1))
    assert m.proto.color == (MetricProto.MetricColor.GREEN if ratio <= 100 else MetricProto.MetricColor.RED)
    assert re.fullmatch(r"[\d.]+ [kMGT]?FLOP", m.value) and "e+" not in _metric(app, "BLT FLOPs / byte")
    assert not any("e+0" in str(v) for v in app.dataframe[0].value.to_numpy().ravel())
