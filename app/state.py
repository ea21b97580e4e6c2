"""Session state shared by the pages: the current input, scoring options, and the URL.

No caching here (app/caching.py holds all of it). Widgets that several pages read keep
their values for the whole session (persist_state="session"); short text, page options
and tokenizers live in the URL so a view can be shared.
"""

from __future__ import annotations

from dataclasses import dataclass

import streamlit as st

from blt_core import (BACKENDS, PATCH_MODES, THRESHOLD_CEILING, TOKENIZERS, AllowedFolder, allowed_roots,
                      WeightsError, offered_weights, resolve_weights, to_bytes)

from app.views.literal import md_literal

MAX_BYTES = 200_000  # inputs beyond this are cut, and the page says so
URL_TEXT_MAX = 1_500  # longer text is left out of the URL (browsers and proxies cap URLs)
DEFAULT_TEXT = ("Byte Latent Transformer reads raw bytes, not tokens. Entropy decides where a patch ends: "
                "predictable bytes join long patches, surprising ones start new patches. "
                "Ça marche aussi en français, по-русски и 日本語でも。")
EMPTY_HINT = "Type or paste some text above, pick a sample, or upload a file to see its patches."
UNITS = ("nats", "bits")  # entropy unit of every chart, slider and legend (the library works in nats)
# One sentence under each page title: what the page shows.
ABOUT = {
    "Explore": "Paste text or upload any file: a small byte model scores how hard each byte is to predict, and every "
               "byte whose entropy exceeds the threshold θ starts a new patch.",
    "Compare": "BLT's patches beside byte, space, static and BPE-token cuts of the same bytes: how many units each "
               "makes, where their boundaries agree, and what noise does to each.",
    "Tune": "How the threshold θ sets the mean patch length, on this text and on the shipped samples, and the "
            "inference compute each choice implies.",
    "Compute": "The forward FLOPs a BLT model spends on this text, patch by patch, against a BPE model at the text's "
               "own bytes per token.",
    "Learn": "A guided walk through BLT on the first bytes of your text (bytes, entropy, threshold, patches, global "
             "steps), then the paper's results and other ways to cut text.",
    "Generate": "A small BLT trained for this app writes bytes one at a time; the entropy of each new byte decides "
                "when a new patch, and so one step of the global model, begins.",
}


@dataclass(frozen=True)
class Input:
    data: bytes  # at most MAX_BYTES
    source: str  # "text box", "file NAME"
    note: str | None = None  # set when the input was cut to MAX_BYTES


def _parse_bool(v: str) -> bool:
    return v.lower() in ("1", "true", "yes", "on")


def _parse_threshold(v: str) -> float:
    x = float(v)
    if not 0.0 <= x <= THRESHOLD_CEILING:  # also rejects nan and inf
        raise ValueError(v)
    return x


def _parse_choice(options):
    def parse(v: str) -> str:
        if v not in options:
            raise ValueError(v)
        return v
    return parse


# Options shared in the URL and kept across pages by hand: Streamlit's page links drop the
# query string, so widget binding alone would lose them on a page switch.
URL_OPTIONS = {
    "threshold": _parse_threshold,
    "mode": _parse_choice(PATCH_MODES),
    "backend": _parse_choice(BACKENDS),
    "newline_reset": _parse_bool,
    "unit": _parse_choice(UNITS),
}


def url_value(v) -> str:
    """How an option is written in the URL: floats in full (repr), so a shared link re-patches exactly.

    >>> url_value(1.335442066192627), url_value(True), url_value("entropy")
    ('1.335442066192627', 'true', 'entropy')
    """
    if isinstance(v, bool):
        return str(v).lower()
    if isinstance(v, float):
        return repr(v)
    return str(v)


def init() -> None:
    """Once per session: take ?text= (the stable sharing contract) and the shared options from the URL.

    Invalid values are ignored: a hand-edited URL never breaks the page.
    """
    ss = st.session_state
    if "_init" in ss:
        return
    ss["_init"] = True
    qp = st.query_params
    if "text" in qp:
        ss["text"] = qp["text"]
    elif "text" not in ss:
        ss["text"] = DEFAULT_TEXT
    for key, parse in URL_OPTIONS.items():
        if key in qp:
            try:
                ss[key] = parse(qp[key])
            except ValueError:
                pass
    if "tokenizers" in qp:
        toks = [t for t in qp.get_all("tokenizers") if t in TOKENIZERS]
        if toks:
            ss["tokenizers"] = toks


def sync_url() -> None:
    """Write the shared options (and short text) to the URL, so any page's address can be shared."""
    ss = st.session_state
    want = {key: url_value(ss[key]) for key in URL_OPTIONS if ss.get(key) is not None}
    for key, v in want.items():
        if st.query_params.get(key) != v:
            st.query_params[key] = v
    toks = ss.get("tokenizers")
    if toks and st.query_params.get_all("tokenizers") != list(toks):
        st.query_params["tokenizers"] = list(toks)
    sync_text_to_url()


def default(key: str, value) -> None:
    """Give a keyed widget its first value through session state (never both ways at once)."""
    if st.session_state.get(key) is None:
        st.session_state[key] = value


def current_input() -> Input:
    """The bytes every page analyzes: an uploaded file if there is one, else the text box."""
    init()
    ss = st.session_state
    up = ss.get("uploaded")
    if up is not None:
        name, raw = up
        source = f"file {md_literal(name)}"  # shown in captions: a name with markup stays text
    else:
        raw = to_bytes(ss.get("text") or "")
        source = "text box"
    note = None
    if len(raw) > MAX_BYTES:
        note = (f"The input is {len(raw):,} bytes ({len(raw) / 1000:.0f} KB); the app analyzes the first "
                f"{MAX_BYTES:,} bytes (cap: {MAX_BYTES // 1000} KB).")
        raw = raw[:MAX_BYTES]
    return Input(raw, source, note)


def sync_text_to_url() -> None:
    """Put the text box in ?text= when it is short and not the default; drop it otherwise."""
    ss = st.session_state
    text = ss.get("text") or ""
    if ss.get("uploaded") is None and text != DEFAULT_TEXT and 0 < len(text) <= URL_TEXT_MAX:
        if st.query_params.get("text") != text:
            st.query_params["text"] = text
    elif "text" in st.query_params:
        del st.query_params["text"]


def scoring_options() -> dict:
    """Sidebar controls that change the model's output (so they key the score cache)."""
    init()
    sb = st.sidebar
    default("backend", "auto")
    default("newline_reset", False)
    sb.markdown("**Entropy model**")
    backend = sb.selectbox("Backend", BACKENDS, key="backend", persist_state="session",
                           help="onnx: ONNX Runtime on CPU; torch: PyTorch; auto: PyTorch on a GPU, else ONNX. "
                                "Official weights need PyTorch.")
    model = official_weights_choice()
    sb.caption(entropy_model_caption(model.name if model is not None else None, shipped_entropy_name()))
    newline_reset = sb.checkbox("Reset context at each newline", key="newline_reset", persist_state="session",
                                help="Each line is scored as if it started the text (mentioned in the paper).")
    return {"newline_reset": newline_reset, "backend": backend, "model": model}


def entropy_model_caption(official_name: str | None, shipped_name: str | None) -> str:
    """The sidebar's line saying which entropy model this page's numbers come from.

    >>> entropy_model_caption(None, "blt-explorer-entropy6-s192")
    'This page uses the shipped entropy model blt-explorer-entropy6-s192.'
    """
    if official_name is not None:
        return f"This page uses the official entropy weights {official_name}."
    return f"This page uses the shipped entropy model {shipped_name or '(unnamed)'}."


def shipped_entropy_name() -> str | None:
    """The default entropy model's card name (None when its card cannot be read: the page says so elsewhere)."""
    from app import caching
    from blt_core import WeightsError

    try:
        return caching.model_card().name
    except (WeightsError, OSError):
        return None


def generator_entropy_names() -> tuple[str | None, str | None]:
    """(the shipped generator's own entropy model, the default entropy model), by card name."""
    from app import caching
    from blt_core import WeightsError

    try:
        return caching.generator_entropy_name(), shipped_entropy_name()
    except (WeightsError, OSError):  # the page says the generator is missing elsewhere
        return None, shipped_entropy_name()


WEIGHTS_SECRET = "weights_dirs"  # .streamlit/secrets.toml key naming allowed folders (as BLT_WEIGHTS_DIRS does)


def _weights_secret():
    """The weights_dirs secret, or None (no secrets file is the usual case, not an error)."""
    try:
        return st.secrets.get(WEIGHTS_SECRET) if st.secrets.load_if_toml_exists() else None
    except Exception:  # a secrets file Streamlit cannot parse: no weights are offered, the page still works
        return None


def official_weights_choice() -> AllowedFolder | None:
    """The sidebar's model choice: the shipped model, or official weights chosen by folder name.

    Visitors never type a path: the server names allowed folders (BLT_WEIGHTS_DIRS or the
    weights_dirs secret), and only the weights folders found there are offered, by name. With
    none, the choice is hidden and the shipped model is used.
    """
    ss, sb = st.session_state, st.sidebar
    roots = allowed_roots(_weights_secret())
    names = list(offered_weights(roots)) if roots else []
    if not names:
        return None
    if ss.get("model_name") not in names:
        ss["model_name"] = names[0]
    source = sb.radio("Model", ["shipped", "official"], key="model_source", persist_state="session",
                      format_func={"shipped": "shipped model", "official": "official weights"}.get)
    if source != "official":
        return None
    name = sb.selectbox("Official weights", names, key="model_name", persist_state="session",
                        help="Folders of official BLT entropy weights that this server offers.")
    try:
        return resolve_weights(name, roots)
    except WeightsError as e:  # the folder went away since the list was made
        sb.error(str(e))
        return None


def unit() -> str:
    """The entropy unit chosen on any page ("nats" or "bits"; nats until one is chosen)."""
    return st.session_state.get("unit") or "nats"


def unit_control() -> str:
    """The Units switch in the sidebar; it shares "unit" with Explore's own switch, so one choice holds everywhere.

    The widget has a key of its own (a key bound to widgets on two pages loses its value on a page
    switch); it shows the shared value and writes it back when clicked.
    """
    ss = st.session_state
    ss["_unit_choice"] = unit()
    st.sidebar.segmented_control("Units", UNITS, key="_unit_choice", required=True, on_change=_take_unit,
                                 help="Entropy in nats (natural log, as the paper's thresholds) or bits (log2).")
    return unit()


def _take_unit() -> None:
    st.session_state["unit"] = st.session_state["_unit_choice"]


def heading(title: str) -> None:
    """The page title and the one sentence under it that says what the page shows."""
    st.title(title)
    st.markdown(ABOUT[title])


def input_caption(inp: Input) -> str:
    return (f"Analyzing the {inp.source}: {len(inp.data):,} bytes (inputs are capped at {MAX_BYTES // 1000} KB). "
            "Change the input on the Explore page.")


def patch_options(scores) -> dict:
    """The patching settings chosen on Explore (or the model's defaults when none were chosen)."""
    ss = st.session_state
    d = scores.defaults
    max_len = ss.get("max_len") or None
    return {
        "mode": ss.get("mode") or "entropy",
        "threshold": float(ss["threshold"]) if ss.get("threshold") is not None else d.get("threshold"),
        "theta_r": float(ss["theta_r"]) if ss.get("theta_r") is not None else d.get("theta_r"),
        "patch_size": int(ss.get("patch_size") or d.get("patch_size") or 4),
        "max_patch_length": None if max_len is None else int(max_len),
    }


def score_or_stop(data: bytes, opts: dict):
    """caching.scores, or an st.error and a stop when the model cannot run."""
    from app import caching
    from blt_core import WeightsError

    try:
        return caching.scores(data, opts["newline_reset"], opts["backend"], opts["model"])
    except (ValueError, WeightsError) as e:
        st.error(str(e))
    except Exception as e:  # a broken model file or backend: say so instead of a traceback
        # an official folder's unexpected errors may carry server paths: only their type is shown
        detail = type(e).__name__ if isinstance(opts["model"], AllowedFolder) else f"{type(e).__name__}: {e}"
        st.error(f"The entropy model failed ({detail}). Try another backend in the sidebar.")
    st.stop()


def open_page(title: str):
    """The opening every analysis page shares: title, options, input caption and URL sync.

    Returns (scoring options, input, scores); stops the page with a friendly hint on empty input.
    """
    heading(title)
    opts = scoring_options()
    unit_control()
    inp = current_input()
    sync_url()
    st.caption(input_caption(inp))
    if inp.note:
        st.warning(inp.note)
    if not inp.data:
        st.info(EMPTY_HINT)
        st.stop()
    return opts, inp, score_or_stop(inp.data, opts)
