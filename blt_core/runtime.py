"""ONNX Runtime backend for the entropy model: numpy only, never imports torch.

>>> m = OnnxEntropyModel.from_card(load_card())          # doctest: +SKIP
>>> m.forward(np.full((1, 512), 70, dtype=np.int64)).shape  # doctest: +SKIP
(1, 512, 260)
"""

from __future__ import annotations

import os
import threading

import numpy as np

from blt_core.checkpoints import WeightsError, verified_file


class OnnxEntropyModel:
    name = "onnx"

    def __init__(self, path: str, *, window: int, threads: int | None = None):
        import onnxruntime as ort

        opts = ort.SessionOptions()
        opts.intra_op_num_threads = threads or min(os.cpu_count() or 1, 8)
        opts.inter_op_num_threads = 1
        opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        try:
            self.session = ort.InferenceSession(path, opts, providers=["CPUExecutionProvider"])
        except Exception as e:  # onnxruntime raises its own exception types for bad files
            raise WeightsError(f"cannot load ONNX model {path}: {e}") from None
        self.window = window
        self.device = "cpu"
        self._lock = threading.Lock()  # one run at a time keeps the two cores from thrashing

    @classmethod
    def from_card(cls, card: dict) -> "OnnxEntropyModel":
        return cls(str(verified_file(card, "onnx")), window=int(card["config"]["window"]))

    def forward(self, ids: np.ndarray) -> np.ndarray:
        """ids (B, L) int64 with L a multiple of the window -> logits (B, L, 260) float32."""
        if ids.shape[1] % self.window:
            raise ValueError(f"ONNX input length must be a multiple of {self.window}")
        with self._lock:
            return self.session.run(["logits"], {"ids": np.ascontiguousarray(ids, dtype=np.int64)})[0]
