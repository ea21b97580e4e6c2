"""The released local encoder: bytes -> byte states -> one vector per patch (torch only).

Its layers are the shared pre-norm Blocks under a sliding window. A patch's vector starts as
the max over its bytes' states (pooling init), projected to k local-wide queries
(`patch_embedding_projection`, C -> k*C); cross-attention from those k queries to the patch's
bytes then refines it, after the last layer only (the released `cross_attn_all_layers_encoder`
is false) or after every layer, carrying the queries from layer to layer as
facebookresearch/blt does (transformers' BltLocalEncoder instead re-pools at every layer; with the
released flag, one cross-attention after the last layer, the two agree, and that is what the
parity tests check). The k outputs side by side are the patch's global input (k*C wide).

>>> from blt_core.nn import rope_tables
>>> from blt_core.official_blt.config import OfficialBLTConfig
>>> cfg = OfficialBLTConfig(encoder_hidden_size=8, encoder_heads=2, encoder_intermediate_size=16,
...                         decoder_hidden_size=8, cross_attn_heads=2)
>>> enc = LocalEncoder(cfg)
>>> states = enc.layer_states(torch.randn(1, 4, 8), *rope_tables(4, torch.arange(4), 1e4), None)
>>> enc.patches(states, torch.tensor([[0, 1, 1, 1]]), 2).shape  # BOS patch, then a 3-byte patch
torch.Size([1, 2, 16])
"""

from __future__ import annotations

import torch
from torch import nn

from blt_core.nn import Block
from blt_core.official_blt.config import OfficialBLTConfig
from blt_core.official_blt.layers import CrossAttention, block_kv


def max_pool(h: torch.Tensor, patch_ids: torch.Tensor, num_patches: int) -> torch.Tensor:
    """h (B, T, C), patch_ids (B, T) -> (B, P, C): each patch's elementwise max over its bytes.

    >>> max_pool(torch.tensor([[[1.], [3.], [2.]]]), torch.tensor([[0, 1, 1]]), 2).tolist()
    [[[1.0], [3.0]]]
    """
    B, _, C = h.shape
    out = h.new_zeros(B, num_patches, C)
    return out.scatter_reduce(1, patch_ids[..., None].expand(-1, -1, C), h, reduce="amax", include_self=False)


class LocalEncoder(nn.Module):
    def __init__(self, cfg: OfficialBLTConfig):
        super().__init__()
        self.config = cfg
        C = cfg.encoder_hidden_size
        self.tok_embeddings = nn.Embedding(cfg.vocab_size, C)
        self.layers = nn.ModuleList(Block(C, cfg.encoder_heads, cfg.encoder_intermediate_size, cfg.norm_eps)
                                    for _ in range(cfg.encoder_layers))
        self.patch_embedding_projection = nn.Linear(C, C * cfg.cross_attn_k, bias=False)
        n_cross = cfg.encoder_layers if cfg.cross_attn_all_layers_encoder else 1
        self.cross_attn_layers = nn.ModuleList(CrossAttention(C, cfg.cross_attn_heads, cfg.norm_eps)
                                               for _ in range(n_cross))

    def cross_layers(self) -> list[int]:
        """Indices of the layers after which the patches cross-attend to the bytes."""
        n = len(self.layers)
        return list(range(n)) if self.config.cross_attn_all_layers_encoder else [n - 1]

    def layer_states(self, x: torch.Tensor, cos, sin, mask, *, kv: list | None = None) -> list[torch.Tensor]:
        """Embeddings (B, T, C) -> the states after each layer that feeds a cross-attention
        (in cross_layers order); the last is the byte states the decoder starts from.
        kv: a list that receives each layer's keys and values (prefill)."""
        wanted, out = set(self.cross_layers()), []
        for i, layer in enumerate(self.layers):
            if kv is not None:
                kv.append(block_kv(layer, x, cos, sin))
            x = layer(x, cos, sin, mask)
            if i in wanted:
                out.append(x)
        return out

    def patches(self, states: list[torch.Tensor], patch_ids: torch.Tensor, num_patches: int) -> torch.Tensor:
        """Per-layer byte states (as layer_states returns them), patch_ids (B, T) -> (B, P, k*C).

        A step passes one patch's bytes with patch_ids all 0 and num_patches 1: the same function.
        """
        k, C = self.config.cross_attn_k, self.config.encoder_hidden_size
        B = patch_ids.shape[0]
        allowed = (patch_ids[:, None, :] == torch.arange(num_patches, device=patch_ids.device)[None, :, None])
        allowed = allowed.repeat_interleave(k, dim=1)  # (B, P*k, T): query j of patch p reads patch p's bytes
        x = self.patch_embedding_projection(max_pool(states[0], patch_ids, num_patches)).reshape(B, num_patches * k, C)
        for cross, h in zip(self.cross_attn_layers, states):
            x = x + cross(x, h, allowed)
        return x.reshape(B, num_patches, k * C)
