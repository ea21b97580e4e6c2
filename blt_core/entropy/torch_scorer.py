"""PyTorch backend for the entropy model (GPU when present, else CPU), and official-weight loading.

The official `facebook/blt-entropy` original layout is a folder with `params.json` and
`consolidated.pth`; parameter names already match `EntropyModel`, so loading is a key
check plus a config translation:

>>> m = TorchEntropyModel.from_official("/models/blt-entropy")    # doctest: +SKIP
>>> m.config.hidden_size, m.config.num_hidden_layers              # doctest: +SKIP
(768, 14)
"""

from __future__ import annotations

import json
import math
import threading
from pathlib import Path

import numpy as np
import torch

from blt_core.backends import check_keys, load_card_weights, torch_device
from blt_core.checkpoints import Card, WeightsError
from blt_core.constants import OFFICIAL_WINDOW, OFFSET, VOCAB_SIZE
from blt_core.entropy.model import EntropyModel, EntropyModelConfig, official_ffn_width
from blt_core.nn import log_probs_and_entropy


def official_config(params: dict) -> EntropyModelConfig:
    """params.json (flat, or nested under "entropy_model") -> EntropyModelConfig."""
    p = params.get("entropy_model", params)
    dim = int(p["dim"])
    heads = int(p.get("n_heads") or dim // int(p.get("head_dim") or 64))
    return EntropyModelConfig(
        vocab_size=int(p.get("vocab_size", VOCAB_SIZE)), hidden_size=dim, num_hidden_layers=int(p["n_layers"]),
        num_attention_heads=heads,
        intermediate_size=official_ffn_width(dim, multiple_of=int(p.get("multiple_of", 256)),
                                             ffn_dim_multiplier=p.get("ffn_dim_multiplier")),
        window=int(p.get("sliding_window") or p.get("attn_window") or OFFICIAL_WINDOW),
        rope_theta=float(p.get("rope_theta", 10000.0)), norm_eps=float(p.get("norm_eps", 1e-5)),
    )


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
        folder = Path(folder)
        params_path, weights_path = folder / "params.json", folder / "consolidated.pth"
        for f in (params_path, weights_path):
            if not f.is_file():
                raise WeightsError(f"official weights folder {folder} lacks {f.name}")
        try:
            params = json.loads(params_path.read_text())
            state = torch.load(weights_path, map_location="cpu", weights_only=True)  # never unpickle code
        except Exception as e:
            raise WeightsError(f"cannot read official weights in {folder}: {e}") from None
        if isinstance(state, dict) and "model" in state and isinstance(state["model"], dict):
            state = state["model"]
        model = EntropyModel(official_config(params))
        model.load_state_dict({k: v.float() for k, v in check_keys(model, state, str(weights_path)).items()})
        return cls(model, device=device)

    @torch.no_grad()
    def forward_chunk(self, ids: np.ndarray, start_pos: int, past_kv: np.ndarray | None, has_past: np.ndarray):
        """One chunk (see scoring.py), on the block-wise path exactly as the ONNX graph."""
        with self._lock:
            x = torch.from_numpy(np.ascontiguousarray(ids)).to(self.device)
            past = None if past_kv is None else torch.from_numpy(past_kv).to(self.device)
            has = torch.from_numpy(np.asarray(has_past, dtype=bool)).to(self.device)
            logits, present = self.model.forward_chunk(x, blocked=True, start_pos=int(start_pos), past_kv=past, has_past=has)
            return logits.float().cpu().numpy(), present.float().cpu().numpy()

    @torch.no_grad()
    def score_chunk(self, ids, targets, start_pos, past_kv, has_past, top_k, *, dtype=torch.float32):
        """Like scoring.numpy_score_chunk, but the reductions run on the model's device: on a GPU
        only a few numbers per byte cross to the host, not 260 logits."""
        with self._lock:
            dev = self.device
            x = torch.from_numpy(np.ascontiguousarray(ids)).to(dev)
            past = None if past_kv is None else torch.as_tensor(past_kv, device=dev)
            has = torch.from_numpy(np.asarray(has_past, dtype=bool)).to(dev)
            with torch.autocast(torch.device(dev).type, dtype=dtype, enabled=dtype != torch.float32):
                logits, present = self.model.forward_chunk(x, blocked=True, start_pos=int(start_pos), past_kv=past,
                                                           has_past=has)
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
