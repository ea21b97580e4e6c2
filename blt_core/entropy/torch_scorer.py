"""PyTorch backend for the entropy model (GPU when present, else CPU).

Official weights in any released layout load through `entropy/official.py`:

>>> m = TorchEntropyModel.from_official("/models/blt-entropy")    # doctest: +SKIP
>>> m.config.hidden_size, m.config.num_hidden_layers              # doctest: +SKIP
(768, 14)
"""

from __future__ import annotations

import math
import threading
from pathlib import Path

import numpy as np
import torch

from blt_core.backends import load_card_weights, torch_device
from blt_core.checkpoints import Card
from blt_core.constants import OFFSET
from blt_core.entropy.model import EntropyModel, EntropyModelConfig
from blt_core.entropy.official import load_official
from blt_core.nn import log_probs_and_entropy


class TorchEntropyModel:
    name = "torch"

    def __init__(self, model: EntropyModel, *, device: str | None = None):
        self.device = torch_device(device)
        self.model = model.eval().to(self.device)
        self.config = model.config
        self.window = model.config.window
        self._lock = threading.Lock()

    @classmethod
    def from_card(cls, card: Card, *, device: str | None = None) -> "TorchEntropyModel":
        model = EntropyModel(EntropyModelConfig.from_dict(card.config))
        return cls(load_card_weights(model, card, "safetensors"), device=device)

    @classmethod
    def from_official(cls, folder: str | Path, *, device: str | None = None) -> "TorchEntropyModel":
        """An official folder of any layout (official.LAYOUTS), recognised by its files."""
        return cls(load_official(folder)[0], device=device)

    def _packed(self, positions, segments) -> dict:
        """The packed-row keywords of EntropyModel.forward_chunk as tensors on the model's device."""
        if positions is None:
            return {}
        t = lambda a: torch.from_numpy(np.ascontiguousarray(a, dtype=np.int64)).to(self.device)  # noqa: E731
        return {"positions": t(positions), "segments": t(segments)}

    @torch.no_grad()
    def forward_chunk(self, ids: np.ndarray, start_pos: int, past_kv: np.ndarray | None, has_past: np.ndarray, *,
                      positions: np.ndarray | None = None, segments: np.ndarray | None = None):
        """One chunk (see scoring.py), on the block-wise path exactly as the ONNX graph."""
        with self._lock:
            x = torch.from_numpy(np.ascontiguousarray(ids)).to(self.device)
            past = None if past_kv is None else torch.from_numpy(past_kv).to(self.device)
            has = torch.from_numpy(np.asarray(has_past, dtype=bool)).to(self.device)
            logits, present = self.model.forward_chunk(x, blocked=True, start_pos=int(start_pos), past_kv=past,
                                                       has_past=has, **self._packed(positions, segments))
            return logits.float().cpu().numpy(), present.float().cpu().numpy()

    @torch.no_grad()
    def score_chunk(self, ids, targets, start_pos, past_kv, has_past, top_k, *, dtype=torch.float32,
                    positions=None, segments=None):
        """Like scoring.numpy_score_chunk, but the reductions run on the model's device: on a GPU
        only a few numbers per byte cross to the host, not 260 logits."""
        with self._lock:
            dev = self.device
            x = torch.from_numpy(np.ascontiguousarray(ids)).to(dev)
            past = None if past_kv is None else torch.as_tensor(past_kv, device=dev)
            has = torch.from_numpy(np.asarray(has_past, dtype=bool)).to(dev)
            with torch.autocast(torch.device(dev).type, dtype=dtype, enabled=dtype != torch.float32):
                logits, present = self.model.forward_chunk(x, blocked=True, start_pos=int(start_pos), past_kv=past,
                                                           has_past=has, **self._packed(positions, segments))
            logp, ent = log_probs_and_entropy(logits)
            tgt = torch.from_numpy(np.ascontiguousarray(targets)).to(dev)
            sur = -logp.gather(-1, tgt[..., None])[..., 0] / math.log(2)
            top = None
            if top_k:
                p, i = logp.topk(top_k, dim=-1)
                top = (torch.where(i >= OFFSET, i - OFFSET, -1).to(torch.int16).cpu().numpy(), p.exp().cpu().numpy())
            return ent.cpu().numpy(), sur.cpu().numpy(), top, present.float()  # present stays on the device

    @staticmethod
    def stack_pasts(pasts: list, axis: int) -> torch.Tensor:
        """Batch carried pasts without leaving the device (see scoring.score_bytes)."""
        return torch.stack(pasts, dim=axis)
