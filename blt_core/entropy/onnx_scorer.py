"""ONNX Runtime backend for the entropy model: numpy only, never imports torch.

>>> m = OnnxEntropyModel.from_card(load_card())          # doctest: +SKIP
>>> logits, past = m.forward_chunk(np.full((1, 512), 70, dtype=np.int64), 0, None, np.array([False]))  # doctest: +SKIP
>>> logits.shape                                                        # doctest: +SKIP
(1, 512, 260)
"""

from __future__ import annotations

import threading

import numpy as np

from blt_core.backends import onnx_session
from blt_core.checkpoints import Card
from blt_core.entropy.scoring import numpy_score_chunk


class OnnxEntropyModel:
    name = "onnx"

    def __init__(self, path: str, *, window: int, threads: int | None = None):
        self.session = onnx_session(path, threads=threads)
        self.window = window
        self.device = "cpu"
        past = next(i for i in self.session.get_inputs() if i.name == "past_kv")
        self.layers, _, _, self.heads, _, self.head_dim = past.shape  # batch is the only symbolic axis
        self._lock = threading.Lock()  # one run at a time keeps the two cores from thrashing
        self.score_chunk = numpy_score_chunk(self.forward_chunk)

    @classmethod
    def from_card(cls, card: Card) -> "OnnxEntropyModel":
        return cls(str(card.verified("onnx")), window=int(card.config["window"]))

    def forward_chunk(self, ids: np.ndarray, start_pos: int, past_kv: np.ndarray | None, has_past: np.ndarray):
        """One chunk (see scoring.py): ids (B, L), L a multiple of the window -> (logits, present_kv)."""
        if ids.shape[1] % self.window:
            raise ValueError(f"ONNX input length must be a multiple of {self.window}")
        if past_kv is None:
            past_kv = np.zeros((self.layers, 2, ids.shape[0], self.heads, self.window, self.head_dim), dtype=np.float32)
        feed = {"ids": np.ascontiguousarray(ids, dtype=np.int64), "start_pos": np.array(start_pos, dtype=np.int64),
                "past_kv": np.ascontiguousarray(past_kv, dtype=np.float32), "has_past": np.asarray(has_past, dtype=bool)}
        with self._lock:
            logits, present = self.session.run(["logits", "present_kv"], feed)
        return logits, present
