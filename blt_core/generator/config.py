"""The generator's configuration and its parameter count (standard library only).

No torch here: the ONNX runtime reads the same config to size its caches. Its FLOPs are
counted by the one accountant, `blt_core.flops.generator_patch_flops`.

>>> cfg = BLTConfig()
>>> cfg.global_hidden_size == cfg.patch_k * cfg.local_hidden_size
True
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields

from blt_core.constants import OFFICIAL_THRESHOLD, VOCAB_SIZE


@dataclass(frozen=True)
class BLTConfig:
    vocab_size: int = VOCAB_SIZE  # 256 byte values + 4 special ids (constants.py)
    # local models (encoder and decoder) run once per byte, so they stay narrow
    local_hidden_size: int = 192
    local_num_attention_heads: int = 3  # head dim 64, as everywhere else
    local_intermediate_size: int = 512  # SwiGLU width of the local blocks
    num_encoder_layers: int = 1  # the paper's BLT uses 1 encoder layer
    num_decoder_layers: int = 2
    local_window: int = 512  # sliding window of local self-attention, in bytes (the official value)
    # hashed n-gram embeddings: one table per n, summed into the byte embedding after a projection
    hash_ngram_sizes: tuple[int, ...] = (3, 4, 5, 6, 7, 8)  # the paper's n = 3..8
    hash_buckets: int = 16384  # rows per table; many buckets, few dims keeps files small
    hash_dim: int = 16  # width of each table, projected up to local_hidden_size
    # patches: k query vectors pool each patch; their concatenation is the global width
    patch_k: int = 2  # official cross_attn_k
    global_hidden_size: int = 384  # must equal patch_k * local_hidden_size
    global_num_attention_heads: int = 6
    global_intermediate_size: int = 512
    num_global_layers: int = 4
    global_window: int = 512  # sliding window over patches (~2 KB of text at 4.5 bytes/patch)
    # patching rule used in training and generation (train_blt sets it from the entropy card)
    patch_threshold: float = OFFICIAL_THRESHOLD  # byte k > 0 opens a patch when entropy[k] > this
    max_patch_length: int = 0  # 0: no limit; else longer patches are split
    rope_theta: float = 10000.0
    norm_eps: float = 1e-5

    def __post_init__(self):
        if self.global_hidden_size != self.patch_k * self.local_hidden_size:
            raise ValueError("global_hidden_size must equal patch_k * local_hidden_size")
        for name in ("local", "global"):
            h, n = getattr(self, f"{name}_hidden_size"), getattr(self, f"{name}_num_attention_heads")
            if h % n or (h // n) % 2:
                raise ValueError(f"{name}_hidden_size must split into heads of even width")
        if min(self.hash_ngram_sizes, default=1) < 1:
            raise ValueError("hash n-gram sizes must be >= 1")

    @property
    def local_head_dim(self) -> int:
        return self.local_hidden_size // self.local_num_attention_heads

    @property
    def global_head_dim(self) -> int:
        return self.global_hidden_size // self.global_num_attention_heads

    @property
    def max_ngram(self) -> int:
        """How many past ids the local step needs to hash its n-grams (the current one included)."""
        return max(self.hash_ngram_sizes, default=1)

    def to_dict(self) -> dict:
        d = asdict(self)
        d["hash_ngram_sizes"] = list(self.hash_ngram_sizes)
        return d

    @classmethod
    def from_dict(cls, d: dict) -> "BLTConfig":
        kw = {f.name: d[f.name] for f in fields(cls) if f.name in d}
        if "hash_ngram_sizes" in kw:
            kw["hash_ngram_sizes"] = tuple(kw["hash_ngram_sizes"])
        return cls(**kw)


def num_parameters(cfg: BLTConfig) -> dict[str, int]:
    """Parameter count per part, from the config alone (norm weights included)."""
    L, G, V = cfg.local_hidden_size, cfg.global_hidden_size, cfg.vocab_size
    attn_l, ffn_l = 4 * L * L, 3 * L * cfg.local_intermediate_size
    enc = V * L + len(cfg.hash_ngram_sizes) * cfg.hash_buckets * cfg.hash_dim
    enc += len(cfg.hash_ngram_sizes) * cfg.hash_dim * L + cfg.num_encoder_layers * (attn_l + ffn_l + 2 * L)
    enc += cfg.patch_k * L + attn_l + L  # pooling queries, cross-attention, its norm
    glob = cfg.num_global_layers * (4 * G * G + 3 * G * cfg.global_intermediate_size + 2 * G) + G + G
    dec = cfg.num_decoder_layers * (2 * attn_l + ffn_l + 3 * L) + L + L * V
    return {"local_encoder": enc, "global_transformer": glob, "local_decoder": dec, "total": enc + glob + dec}
