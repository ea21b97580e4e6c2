"""PyTorch backend for the entropy model (GPU when present, else CPU).

On CUDA, score_chunk runs the compiled flex_attention forward (entropy/flex_forward.py) unless
fused=False: the same function, one fused windowed-attention kernel instead of the block-wise
gather. On CPU it keeps the block-wise path, whose outputs the tests pin.

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
from blt_core.entropy.flex_forward import FlexForward
from blt_core.entropy.model import EntropyModel, EntropyModelConfig
from blt_core.entropy.official import load_official
from blt_core.nn import log_probs_and_entropy


def _stacked(logp: torch.Tensor, ent: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
    """(2, B, L): entropy in nats and the targets' surprisal in bits, stacked so one copy brings both to the host."""
    return torch.stack((ent, -logp.gather(-1, targets[..., None])[..., 0] / math.log(2)))


def entropy_and_surprisal(logits: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
    """logits (B, L, V), target ids (B, L) -> (2, B, L) entropy and surprisal (_stacked)."""
    return _stacked(*log_probs_and_entropy(logits), targets)


def _evenly_spaced(pasts: list, axis: int) -> torch.Tensor | None:
    """The pasts as one view with a new dimension `axis`, when they lie evenly spaced in one storage
    with one shape and layout (slices b, b+1, ... of one present along its batch axis); else None."""
    first = pasts[0]
    step = pasts[1].storage_offset() - first.storage_offset() if len(pasts) > 1 else 1
    storage = first.untyped_storage().data_ptr()
    if step <= 0 or any(p.untyped_storage().data_ptr() != storage or p.dtype != first.dtype
                        or p.shape != first.shape or p.stride() != first.stride()
                        or p.storage_offset() != first.storage_offset() + i * step for i, p in enumerate(pasts)):
        return None
    size, stride = list(first.shape), list(first.stride())
    size.insert(axis, len(pasts))
    stride.insert(axis, step)
    return first.as_strided(size, stride, first.storage_offset())


class InFlight:
    """One call's outputs on their way to the host (score_chunk(deferred=True)): wait() blocks until
    they have landed and gives (entropy, surprisal, top) as score_chunk does."""

    def __init__(self, host: list[torch.Tensor], event, has_top: bool):
        self.host, self.event, self.has_top = host, event, has_top

    def wait(self) -> tuple:
        if self.event is not None:
            self.event.synchronize()
        es, *top = [h.numpy() for h in self.host]
        return es[0], es[1], tuple(top) if self.has_top else None


class TorchEntropyModel:
    name = "torch"

    def __init__(self, model: EntropyModel, *, device: str | None = None, fused: bool | None = None):
        """fused: score through FlexForward (None: on CUDA only; True on CPU runs it eagerly, for tests)."""
        self.device = torch_device(device)
        self.model = model.eval().to(self.device)
        self.config = model.config
        self.window = model.config.window
        self._lock = threading.Lock()
        self._cuda = torch.device(self.device).type == "cuda"
        self.fused = self._cuda if fused is None else fused
        self._flex = FlexForward(self.model) if self.fused else None
        # compiled with the forward: the 260 float32 log-probabilities per byte then never reach memory;
        # dynamic, since batch and chunk lengths vary call to call and the kernels do not care
        compiled = self._flex is not None and self._flex.compiled
        self._reduce = torch.compile(entropy_and_surprisal, dynamic=True) if compiled else entropy_and_surprisal

    @classmethod
    def from_card(cls, card: Card, *, device: str | None = None, fused: bool | None = None) -> "TorchEntropyModel":
        model = EntropyModel(EntropyModelConfig.from_dict(card.config))
        return cls(load_card_weights(model, card, "safetensors"), device=device, fused=fused)

    @classmethod
    def from_official(cls, folder: str | Path, *, device: str | None = None,
                      fused: bool | None = None) -> "TorchEntropyModel":
        """An official folder of any layout (official.LAYOUTS), recognised by its files."""
        return cls(load_official(folder)[0], device=device, fused=fused)

    def _upload(self, a: np.ndarray, dtype=None) -> torch.Tensor:
        """A host array on the model's device; on CUDA through pinned memory without blocking the host."""
        t = torch.from_numpy(np.ascontiguousarray(a, dtype=dtype))
        return t.pin_memory().to(self.device, non_blocking=True) if self._cuda else t.to(self.device)

    @property
    def defers(self) -> bool:
        """Whether score_bytes should run this model lagged (lag=True): on CUDA, where copies are asynchronous."""
        return self._cuda

    def _to_host(self, *ts: torch.Tensor, has_top: bool) -> InFlight:
        """Device tensors copied to the host; on CUDA into pinned memory without waiting for them."""
        if not self._cuda:
            return InFlight([t.cpu() for t in ts], None, has_top)
        host = [torch.empty(t.shape, dtype=t.dtype, pin_memory=True) for t in ts]
        for h, t in zip(host, ts):
            h.copy_(t, non_blocking=True)
        event = torch.cuda.Event()
        event.record(torch.cuda.current_stream(self.device))
        return InFlight(host, event, has_top)

    @property
    def context(self) -> int:
        """How many ids before a chunk the model reads (EntropyModelConfig.context; 0 for a plain model)."""
        return self.model.config.context

    def _packed(self, positions, segments, context=None) -> dict:
        """The packed-row and context keywords of EntropyModel.forward_chunk as tensors on the model's device."""
        kw = {} if context is None else {"context": self._upload(context, np.int64)}
        if positions is None:
            return kw
        return {**kw, "positions": self._upload(positions, np.int64), "segments": self._upload(segments, np.int64)}

    @torch.no_grad()
    def forward_chunk(self, ids: np.ndarray, start_pos: int, past_kv: np.ndarray | None, has_past: np.ndarray, *,
                      positions: np.ndarray | None = None, segments: np.ndarray | None = None,
                      context: np.ndarray | None = None):
        """One chunk (see scoring.py), on the block-wise path exactly as the ONNX graph."""
        with self._lock:
            x = torch.from_numpy(np.ascontiguousarray(ids)).to(self.device)
            past = None if past_kv is None else torch.from_numpy(past_kv).to(self.device)
            has = torch.from_numpy(np.asarray(has_past, dtype=bool)).to(self.device)
            logits, present = self.model.forward_chunk(x, blocked=True, start_pos=int(start_pos), past_kv=past,
                                                       has_past=has, **self._packed(positions, segments, context))
            return logits.float().cpu().numpy(), present.float().cpu().numpy()

    @torch.no_grad()
    def score_chunk(self, ids, targets, start_pos, past_kv, has_past, top_k, *, dtype=torch.float32,
                    positions=None, segments=None, context=None, deferred: bool = False):
        """Like scoring.numpy_score_chunk, but the reductions run on the model's device: on a GPU
        only a few numbers per byte cross to the host, not 260 logits. deferred: return
        (InFlight, None, None, present) at once instead, the copies still under way (score_bytes' lag)."""
        with self._lock:
            dev = self.device
            x = self._upload(ids)
            past = None if past_kv is None else torch.as_tensor(past_kv, device=dev)
            has = self._upload(np.asarray(has_past, dtype=bool))
            tgt = self._upload(targets)
            kw = {"start_pos": int(start_pos), "past_kv": past, "has_past": has,
                  **self._packed(positions, segments, context)}
            with torch.autocast(torch.device(dev).type, dtype=dtype, enabled=dtype != torch.float32):
                if self._flex is not None:
                    logits, present = self._flex(x, **kw)
                else:
                    logits, present = self.model.forward_chunk(x, blocked=True, **kw)
            if top_k:  # top-k reads the whole log-probabilities, so they are computed here once for both
                logp, ent = log_probs_and_entropy(logits)
                p, i = logp.topk(top_k, dim=-1)
                top_ids = torch.where(i >= OFFSET, i - OFFSET, -1).to(torch.int16)
                outputs = self._to_host(_stacked(logp, ent, tgt), top_ids, p.exp(), has_top=True)
            else:
                outputs = self._to_host(self._reduce(logits, tgt), has_top=False)
            # present stays on the device, in the dtype it was computed in (bf16 under autocast: the
            # next chunk casts it back to that anyway, so a float32 copy would be 2.8 GB a call for nothing)
            if deferred:
                return outputs, None, None, present
            return (*outputs.wait(), present)

    @staticmethod
    def stack_pasts(pasts: list, axis: int) -> torch.Tensor:
        """Batch carried pasts without leaving the device (see scoring.score_bytes).

        When the pasts are consecutive slices of one earlier present (the same streams, in the same
        order, going on to their next chunk: the common case) the result is a view of it, not a
        copy (an official-size batch's past is 1.4 GB):
        >>> present = torch.zeros(2, 2, 4, 3, 8, 5)
        >>> both = TorchEntropyModel.stack_pasts([present[:, :, b] for b in (1, 2)], 2)
        >>> both.data_ptr() == present[:, :, 1].data_ptr(), tuple(both.shape)
        (True, (2, 2, 2, 3, 8, 5))
        """
        view = _evenly_spaced(pasts, axis)
        return torch.stack(pasts, dim=axis) if view is None else view
