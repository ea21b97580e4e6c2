"""How a BLT run draws its patches over token ids (BOS, bytes + OFFSET, EOS): entropy or space.

Both rules go through the generator's own `masks.patch_starts`, so its BOS rules hold for both
(token 0, a BOS and the token after it always start a patch). The space rule is `patching.py`'s
SpaceByte-like rule in token terms: a byte starts a patch when it is not spacelike and the
token before it is (special ids count as spacelike).

>>> from blt_core.constants import BOS_ID, OFFSET
>>> ids = torch.tensor([[BOS_ID, *(b + OFFSET for b in b"hi, you")]])
>>> space_starts(ids)[0].int().tolist()   # BOS | "hi, " | "you"
[1, 1, 0, 0, 0, 1, 0, 0]
"""

from __future__ import annotations

from pathlib import Path

import torch

from blt_core.backends import load_card_weights
from blt_core.checkpoints import Card
from blt_core.constants import OFFSET
from blt_core.entropy.model import EntropyModel, EntropyModelConfig
from blt_core.generator.masks import patch_starts, token_entropies
from blt_core.train.common import autocast

PATCHINGS = ("entropy", "space")


def spacelike_tokens(ids: torch.Tensor) -> torch.Tensor:
    """(B, T) ids -> bool: specials, ASCII non-alphanumerics and UTF-8 lead bytes (patching.spacelike)."""
    b = ids - OFFSET
    alnum = ((b >= 48) & (b <= 57)) | ((b >= 65) & (b <= 90)) | ((b >= 97) & (b <= 122))
    continuation = (b >= 0) & ((b & 0xC0) == 0x80)
    return ~alnum & ~continuation


def space_starts(ids: torch.Tensor) -> torch.Tensor:
    """(B, T) ids -> (B, T) bool patch starts by the space rule."""
    s = spacelike_tokens(ids)
    opens = torch.zeros_like(s)
    opens[:, 1:] = ~s[:, 1:] & s[:, :-1]
    # as an "entropy" of +inf where the rule opens a patch, so the generator's BOS rules apply too
    return patch_starts(ids, torch.where(opens, torch.inf, -torch.inf), 0.0)


@torch.no_grad()
def entropy_starts(model: EntropyModel, ids: torch.Tensor, threshold: float) -> torch.Tensor:
    """(B, T) ids -> (B, T) bool patch starts by the global rule over the frozen entropy model."""
    with autocast(ids.device):
        ent = token_entropies(model(ids))
    return patch_starts(ids, ent, threshold)


def load_entropy_model(card_path: str | Path, device: torch.device) -> tuple[EntropyModel, Card]:
    """The shipped entropy model (sha256-checked against its card), frozen, on `device`."""
    card = Card.load(card_path)
    model = load_card_weights(EntropyModel(EntropyModelConfig.from_dict(card.config)), card, "safetensors")
    model = model.to(device).eval()
    for p in model.parameters():
        p.requires_grad_(False)
    return model, card


def starts_function(patching: dict, device: torch.device):
    """A run's `patching` entry ({"mode": "space"} or {"mode": "entropy", "threshold", "entropy_card",
    "entropy_sha256"}) -> ids -> starts; ValueError when the card's weights are not the calibrated ones."""
    if patching["mode"] == "space":
        return space_starts
    if patching["mode"] != "entropy":
        raise ValueError(f"unknown patching {patching['mode']!r}; choose one of {', '.join(PATCHINGS)}")
    model, card = load_entropy_model(patching["entropy_card"], device)
    if patching.get("entropy_sha256") not in (None, card.files["safetensors"].sha256):
        # the thresholds belong to the model they were calibrated with; the card has been replaced since
        raise ValueError(f"{patching['entropy_card']} now holds another entropy model than the plan was calibrated "
                         f"with (sha256 {patching['entropy_sha256'][:12]}...): rerun calibrate, then plan")
    return lambda ids: entropy_starts(model, ids, patching["threshold"])
