"""ONNX Runtime backend for the entropy model: numpy only, never imports torch.

>>> m = OnnxEntropyModel.from_card(load_card())          # doctest: +SKIP
>>> logits, past = m.forward_chunk(np.full((1, 512), 70, dtype=np.int64), 0, None, np.array([False]))  # doctest: +SKIP
>>> logits.shape                                                        # doctest: +SKIP
(1, 512, 260)
"""

from __future__ import annotations

import threading
from pathlib import Path

import numpy as np

from blt_core.backends import onnx_session
from blt_core.checkpoints import Card, WeightsError
from blt_core.constants import NGRAM_PAD_ID
from blt_core.entropy.scoring import numpy_score_chunk


class OnnxEntropyModel:
    name = "onnx"

    def __init__(self, path: str, *, window: int, threads: int | None = None):
        self.session = onnx_session(path, threads=threads)
        self.window = window
        self.device = "cpu"
        names = {i.name for i in self.session.get_inputs()}
        if "positions" not in names:  # graphs exported before packed rows took start_pos instead
            raise WeightsError(f"{Path(path).name} is an entropy graph without positions and segments inputs: "
                               "re-export it (python -m blt_core.entropy.export)")
        past = next(i for i in self.session.get_inputs() if i.name == "past_kv")
        self.layers, _, _, self.heads, _, self.head_dim = past.shape  # batch is the only symbolic axis
        ctx = next((i for i in self.session.get_inputs() if i.name == "context"), None)
        self.context = int(ctx.shape[1]) if ctx is not None else 0  # ids before a chunk (n-gram models)
        self._lock = threading.Lock()  # one run at a time keeps the two cores from thrashing
        self.score_chunk = numpy_score_chunk(self.forward_chunk)

    @classmethod
    def from_card(cls, card: Card) -> "OnnxEntropyModel":
        return cls(str(card.verified("onnx")), window=int(card.config["window"]))

    def forward_chunk(self, ids: np.ndarray, start_pos: int, past_kv: np.ndarray | None, has_past: np.ndarray, *,
                      positions: np.ndarray | None = None, segments: np.ndarray | None = None,
                      context: np.ndarray | None = None):
        """One chunk (see scoring.py): ids (B, L), L a multiple of the window -> (logits, present_kv).

        Without positions and segments the rows are plain chunks: positions start_pos, start_pos + 1, ...
        and one segment per row.
        """
        B, L = ids.shape
        if L % self.window:
            raise ValueError(f"ONNX input length must be a multiple of {self.window}")
        if past_kv is None:
            past_kv = np.zeros((self.layers, 2, B, self.heads, self.window, self.head_dim), dtype=np.float32)
        if positions is None:
            positions = np.broadcast_to(np.arange(start_pos, start_pos + L, dtype=np.int64), (B, L))
            segments = np.zeros((B, L), dtype=np.int64)
        feed = {"ids": np.ascontiguousarray(ids, dtype=np.int64),
                "positions": np.ascontiguousarray(positions, dtype=np.int64),
                "segments": np.ascontiguousarray(segments, dtype=np.int64),
                "past_kv": np.ascontiguousarray(past_kv, dtype=np.float32), "has_past": np.asarray(has_past, dtype=bool)}
        if self.context:  # an n-gram model: the ids before each row's chunk (scoring.chunk_context), padding if none
            feed["context"] = (np.full((B, self.context), NGRAM_PAD_ID, dtype=np.int64) if context is None
                               else np.ascontiguousarray(context, dtype=np.int64))
        with self._lock:
            logits, present = self.session.run(["logits", "present_kv"], feed)
        return logits, present
