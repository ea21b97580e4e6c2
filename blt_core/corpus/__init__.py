"""Corpus scoring (`python -m blt_core score-corpus`): many documents -> entropies, patches, Parquet shards.

One module per job: readers (documents from .txt, .jsonl, .parquet), shard (which documents a
rank owns), score (a batch of documents through the entropy model, patched), calibrate (one
global threshold from a sample), writer (shards and manifest, atomically), run (the resumable
driver), summary (what the Tune page reads back). pyarrow is needed here only (it ships with
streamlit).
"""
