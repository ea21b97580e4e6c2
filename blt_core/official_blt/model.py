"""The released BLT generator in one module: patcher, hash embeddings, encoder, global, decoder.

`forward` is the full recompute over a token sequence (BOS first), as facebookresearch/blt's
generate_nocache and transformers' BltForCausalLM compute it: the entropy model's entropies
place the patches (patch_layout), the byte embedding plus one hash-table row per n-gram size
and hash function feeds the encoder, each patch's vector goes through the global transformer,
and the decoder turns the byte states and patch outputs into next-token logits. Parameter
names are the official checkpoint's (`local_encoder.*`, `global_transformer.*`,
`local_decoder.*`, `encoder_hash_tok_embedding.N.*`, and the entropy model as `patcher.*`).

>>> from blt_core.entropy.model import EntropyModelConfig
>>> cfg = OfficialBLTConfig(encoder_hidden_size=16, encoder_heads=2, encoder_intermediate_size=32,
...     decoder_hidden_size=16, decoder_heads=2, decoder_layers=1, decoder_intermediate_size=32, cross_attn_heads=2,
...     global_hidden_size=32, global_heads=2, global_layers=1, global_intermediate_size=64, hash_buckets=50)
>>> ent = EntropyModelConfig(hidden_size=16, num_hidden_layers=1, num_attention_heads=2, intermediate_size=32)
>>> OfficialBLT(cfg, ent)(torch.tensor([[1, 108, 105]])).shape
torch.Size([1, 3, 260])
"""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

from blt_core.entropy.model import EntropyModel, EntropyModelConfig
from blt_core.nn import entropy_nats, rope_tables
from blt_core.official_blt.config import OfficialBLTConfig
from blt_core.official_blt.global_transformer import GlobalTransformer
from blt_core.official_blt.hashing import hash_ids
from blt_core.official_blt.local_decoder import LocalDecoder
from blt_core.official_blt.local_encoder import LocalEncoder
from blt_core.official_blt.patch_layout import patch_layout


def local_mask(T: int, window: int | None, device=None) -> torch.Tensor:
    """(T, T) bool: token i sees tokens i-window+1 .. i (all earlier ones when window is None).

    >>> local_mask(3, 2).int().tolist()
    [[1, 0, 0], [1, 1, 0], [0, 1, 1]]
    """
    i = torch.arange(T, device=device)
    mask = i[None, :] <= i[:, None]
    return mask if window is None else mask & (i[:, None] - i[None, :] < window)


class OfficialBLT(nn.Module):
    def __init__(self, cfg: OfficialBLTConfig, entropy_config: EntropyModelConfig):
        super().__init__()
        self.config = cfg
        self.patcher = EntropyModel(entropy_config)
        self.local_encoder = LocalEncoder(cfg)
        self.global_transformer = GlobalTransformer(cfg)
        self.local_decoder = LocalDecoder(cfg)
        self.encoder_hash_tok_embedding = nn.ModuleList(nn.Embedding(cfg.hash_buckets, cfg.encoder_hidden_size)
                                                        for _ in range(cfg.num_hash_tables))

    @property
    def local_head_dim(self) -> int:
        return self.config.encoder_hidden_size // self.config.encoder_heads

    def embed(self, ids: torch.Tensor, hashes: torch.Tensor) -> torch.Tensor:
        """ids (B, T), hash rows (B, T, tables) -> byte embedding plus every table's row (B, T, C)."""
        x = self.local_encoder.tok_embeddings(ids)
        for table, emb in enumerate(self.encoder_hash_tok_embedding):
            x = x + emb(hashes[..., table])
        return x

    def entropies(self, ids: torch.Tensor) -> torch.Tensor:
        """(B, T) tokens -> (B, T) entropy (nats) of the prediction at each token."""
        return entropy_nats(self.patcher(ids))

    def forward(self, ids: torch.Tensor, *, entropies: np.ndarray | None = None) -> torch.Tensor:
        """(B, T) tokens, BOS first -> (B, T, V) logits of each next token; rows are patched one by one.

        entropies: (B, T) patcher entropies when the caller has them (else computed here).
        """
        if entropies is None:
            entropies = self.entropies(ids).detach().float().cpu().numpy()
        return torch.cat([self._row(ids[b:b + 1], np.asarray(entropies[b])) for b in range(ids.shape[0])])

    def _row(self, ids: torch.Tensor, entropies: np.ndarray) -> torch.Tensor:
        cfg, dev = self.config, ids.device
        T = ids.shape[1]
        patch_ids, decoder_ids, P = patch_layout(entropies, threshold=cfg.patch_threshold)
        patch_ids, decoder_ids = (torch.as_tensor(a, device=dev)[None] for a in (patch_ids, decoder_ids))
        x = self.embed(ids, hash_ids(ids, cfg.hash_sizes, buckets=cfg.hash_buckets, functions=cfg.hash_functions))
        cos, sin = rope_tables(self.local_head_dim, torch.arange(T, device=dev), cfg.rope_theta)
        mask = local_mask(T, cfg.local_window, dev)
        states = self.local_encoder.layer_states(x, cos, sin, mask)
        g = self.global_transformer(self.local_encoder.patches(states, patch_ids, P))
        return self.local_decoder(states[-1], g, decoder_ids, cos, sin, mask)
