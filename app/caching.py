"""The app's only st.cache_* wrappers. Each depends on its arguments alone.

Scores (the model's output) are cached by the bytes and the scoring options, so moving
the threshold or changing the mode re-patches in numpy and never re-runs the model.

Bounds (st.cache_data keeps each entry pickled, in memory): a scores entry is ~39 bytes per input
byte (data, entropies, surprisal, top-5 ids and probabilities), so 7.8 MB at the 200 KB cap and
SCORES_ENTRIES of them at most ~94 MB; a segmentation is ~1 MB per 200 KB per tokenizer, at most
SEGMENTATION_ENTRIES of them (~38 MB). Model and tokenizer work runs under the fair pool (turns.py).
"""

from __future__ import annotations

import json

import streamlit as st

import blt_core
from blt_core import SAMPLES_DIR, per_script_table

from app.scheduler import CHUNK_BYTES
from app.turns import model_turn

TOP_K = 5  # candidates shown in the entropy chart's hover
SCORES_ENTRIES = 12  # cached model outputs (see the bounds above)
SEGMENTATION_ENTRIES = 32  # cached BPE cuts


@st.cache_data(max_entries=SCORES_ENTRIES, show_spinner=False)
def scores(data: bytes, newline_reset: bool, backend: str, model: str | None) -> blt_core.Scores:
    """The model's entropies, surprisal and top candidates for `data` (one model run per key).

    The progress bar lives inside the cached function (Streamlit replays what a cached
    function draws, and it ends empty), so a cache hit shows nothing. The scoring loop reports
    after every model call (at most scheduler.CHUNK_BYTES bytes), and there gives the worker
    slot to any visitor waiting.
    """
    bar = st.progress(0.0, text=f"Scoring {len(data):,} bytes with the entropy model…")
    shown = [0.0]

    def progress(done: int, total: int) -> None:
        frac = done / max(total, 1)
        if frac - shown[0] >= 0.05 or done >= total:  # a few updates, not one per chunk
            shown[0] = frac
            bar.progress(frac, text=f"Scoring bytes with the entropy model: {done:,} / {total:,}")
        if done < total:  # after the last call there is nothing left to queue for
            turn.between_chunks()

    try:
        with model_turn() as turn:
            return blt_core.score(data, newline_reset=newline_reset, top_k=TOP_K, backend=backend, model=model,
                                  progress=progress)
    finally:
        bar.empty()


@st.cache_data(max_entries=SEGMENTATION_ENTRIES, show_spinner=False)
def segmentation(data: bytes, tokenizer: str):
    """A BPE tokenizer's cut of `data` (blt_core.bpe.tokenizers Segmentation).

    Up to a chunk's worth of bytes it runs at once (milliseconds, less than a wait in the queue
    would cost); a bigger input takes one turn of the pool (200 KB: about 1.5 s on 2 cores).
    """
    if len(data) <= CHUNK_BYTES:
        return blt_core.tokenize(data, tokenizer=tokenizer)
    with model_turn():
        return blt_core.tokenize(data, tokenizer=tokenizer)


@st.cache_data(show_spinner=False)
def samples() -> dict[str, dict]:
    """Shipped samples: name -> {label, script, data} (assets/samples/index.json)."""
    index = json.loads((SAMPLES_DIR / "index.json").read_text(encoding="utf-8"))
    return {name: {"label": e["label"], "script": e["script"], "data": (SAMPLES_DIR / e["file"]).read_bytes()}
            for name, e in index.items()}




@st.cache_data(max_entries=16, show_spinner=False)
def script_table(patch: tuple, tokenizers: tuple[str, ...], newline_reset: bool, backend: str,
                 model: str | None) -> list[dict]:
    """Per-script bytes per patch vs bytes per token over the shipped samples.

    `patch` is a sorted tuple of patch_scores keyword items (mode, threshold, ...).
    """
    kw = dict(patch)
    shipped = {name: (s["data"], s["script"]) for name, s in samples().items()}

    def patch_fn(data: bytes):
        return blt_core.patch_scores(scores(data, newline_reset, backend, model), **kw).patch_starts

    return per_script_table(shipped, patch_fn, tokenizers)


@st.cache_data(show_spinner=False)
def model_card() -> blt_core.Card:
    """The shipped entropy model's card (config, files, training summary)."""
    return blt_core.load_card(blt_core.DEFAULT_CARD)


@st.cache_data(show_spinner=False)
def generator_entropy_name() -> str | None:
    """The shipped generator's own entropy model, by name (its card's "entropy_card")."""
    return blt_core.load_card(blt_core.DEFAULT_GENERATOR_CARD).data.get("entropy_card")


@st.cache_data(max_entries=4, ttl=60, show_spinner=False)
def corpus_summary(name: str, roots: tuple[str, ...]):
    """A score-corpus summary (manifest + patch-length histogram); a minute's cache, since a run may still be writing."""
    return blt_core.corpus_summary(name, list(roots))
