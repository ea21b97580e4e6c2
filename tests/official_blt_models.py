"""Tiny transformers BltForCausalLM models of the released shape, shared by the official BLT tests.

`build(global_size, seed)` makes one with sharpened random weights and a patch threshold that
splits its entropies; its `save_pretrained` writes the transformers layout the project loads.
"""

import numpy as np
import torch
from transformers import BltConfig, BltForCausalLM

from blt_core.constants import BOS_ID, OFFSET
from blt_core.entropy.model import official_ffn_width

TEXTS = {
    "english": "The quick brown fox jumps over the lazy dog, then naps under a warm sun.".encode(),
    "chinese": "字节潜变换器按熵切分补丁，而不是使用固定的词表。".encode(),
    "arabic": "يقسم النموذج البايتات إلى رقع حسب الإنتروبيا.".encode(),
    "random": np.random.default_rng(3).integers(0, 256, 90, dtype=np.uint8).tobytes(),
}
WINDOW, PATCHER_WINDOW, BUCKETS = 16, 24, 97
ROPE = {"rope_type": "default", "rope_theta": 500000.0}


def config(global_size: int, threshold: float = 2.5) -> BltConfig:
    local = dict(vocab_size=260, hidden_size=32, num_attention_heads=4, cross_attn_k=2, hidden_size_global=global_size,
                 intermediate_size=official_ffn_width(32), rope_parameters=ROPE)
    return BltConfig(
        vocab_size=260, patching_threshold=threshold, local_attention_window_len=WINDOW, cross_attn_k=2,
        encoder_hash_byte_group_size=[3, 4, 5, 6, 7, 8], encoder_hash_byte_group_vocab=BUCKETS,
        encoder_hash_byte_group_nb_functions=1,
        patcher_config=dict(vocab_size=260, hidden_size=32, num_hidden_layers=2, num_attention_heads=2,
                            intermediate_size=official_ffn_width(32), sliding_window=PATCHER_WINDOW,
                            rope_parameters={"rope_type": "default", "rope_theta": 10000.0}),
        encoder_config=dict(local, num_hidden_layers=1, cross_attn_all_layers=False),
        decoder_config=dict(local, num_hidden_layers=2, cross_attn_all_layers=True),
        global_config=dict(hidden_size=global_size, num_attention_heads=4, num_hidden_layers=2,
                           intermediate_size=official_ffn_width(global_size), rope_parameters=ROPE))


def ids(data: bytes) -> torch.Tensor:
    return torch.tensor([[BOS_ID] + [b + OFFSET for b in data]])


def threshold_between(values: np.ndarray) -> float:
    """Near the median entropy, midway between two entropies at least 1e-3 apart, so float noise
    cannot flip a patch decision and about half the bytes open a patch."""
    e = np.sort(values.astype(np.float64))
    gaps = np.flatnonzero(np.diff(e) > 1e-3)
    i = gaps[np.argmin(np.abs(gaps - len(e) // 2))]
    return float((e[i] + e[i + 1]) / 2)


def build(global_size: int, seed: int) -> BltForCausalLM:
    """A BltForCausalLM with sharpened random weights and a threshold that splits its entropies."""
    torch.manual_seed(seed)
    model = BltForCausalLM(config(global_size)).eval()
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, p in model.named_parameters():
            if p.dim() == 2:  # std 0.02 leaves every entropy near ln 260: no patch decision to test
                p.copy_(torch.randn(p.shape, generator=g) * (0.5 if "embed" in name or "lm_head" in name else 0.2))
        ent = np.concatenate([model.model.patcher(ids(d), patch_size=1, threshold=0.0)[0][0].numpy()
                              for d in TEXTS.values()])
    model.config.patching_threshold = threshold_between(ent)
    return model
