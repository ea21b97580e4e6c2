"""Model shapes the accountant counts: transformers, BLTs, and the BPE models they are compared with.

Shapes are data: frozen dataclasses holding only what FLOPs and parameter counts need.

>>> BLT_CONFIGS["blt-1b"].global_model.hidden_size, BPE_TOKENIZER["llama3-8b"]
(2048, 'llama3')
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from blt_core.constants import VOCAB_SIZE


@dataclass(frozen=True)
class TransformerConfig:
    """Shape of a decoder-only transformer, enough to count its FLOPs and parameters."""

    name: str
    hidden_size: int  # h
    num_hidden_layers: int  # L
    intermediate_size: int  # f, the SwiGLU hidden width
    vocab_size: int  # output head width; 0 when the model has no head (BLT global model)
    window: int | None = None  # sliding attention window: caps the attended context
    kv_size: int | None = None  # width of K and V under grouped-query attention; None: h
    swiglu: bool = True  # SwiGLU has three feed-forward matrices, a plain MLP two
    source: str = ""  # where the numbers come from

    @property
    def non_embedding_params(self) -> int:
        """Parameters in the layers (norms left out): L * (2h^2 + 2h*kv + 3hf)."""
        h, kv = self.hidden_size, self.kv_size or self.hidden_size
        ffn = (3 if self.swiglu else 2) * h * self.intermediate_size
        return self.num_hidden_layers * (2 * h * h + 2 * h * kv + ffn)

    @property
    def embedding_params(self) -> int:
        """Input embedding plus untied output head: 2 h |V|."""
        return 2 * self.hidden_size * self.vocab_size


@dataclass(frozen=True)
class BLTShape:
    """A BLT: byte-level local encoder and decoder around a global transformer over patches.

    (Not the generator's `blt_core.generator.config.BLTConfig`, which builds a model.)
    """

    name: str
    global_model: TransformerConfig  # vocab_size 0: reads and writes patch vectors
    local_encoder: TransformerConfig  # vocab_size 0: bytes enter by embedding lookup
    local_decoder: TransformerConfig  # vocab_size 260: predicts the next byte
    cross_attn_k: int  # query vectors per patch in the encoder's pooling cross-attention
    decoder_cross_attn_layers: int  # cross-attention layers in the decoder (one per layer)
    entropy_model: TransformerConfig | None
    source: str = ""

    @property
    def local_params(self) -> int:
        """Non-embedding parameters of encoder + decoder (cross-attention left out)."""
        return self.local_encoder.non_embedding_params + self.local_decoder.non_embedding_params


# The official entropy model, facebook/blt-entropy (DESIGN.md "Models"): SwiGLU width is
# Llama's rounding of 8h/3 up to a multiple of 256.
BLT_ENTROPY_OFFICIAL = TransformerConfig(
    "blt-entropy", 768, 14, 2048, VOCAB_SIZE, window=512, source="facebook/blt-entropy"
)

# BLT-1B as released (facebook/blt-1b params, also Hugging Face BltConfig defaults).
BLT_1B = BLTShape(
    name="blt-1b",
    global_model=TransformerConfig("blt-1b-global", 2048, 25, 5632, 0, source="blt-1b"),
    local_encoder=TransformerConfig("blt-1b-enc", 1024, 1, 2816, 0, window=512, source="blt-1b"),
    local_decoder=TransformerConfig(
        "blt-1b-dec", 1024, 9, 2816, VOCAB_SIZE, window=512, source="blt-1b"
    ),
    cross_attn_k=2,
    decoder_cross_attn_layers=9,
    entropy_model=BLT_ENTROPY_OFFICIAL,
    source="facebook/blt-1b release config (global 2048x25, local 1024, enc 1 / dec 9 layers)",
)

# BLT-8B as the paper's architecture table gives it (global 4096 x 32; local width 1280,
# encoder 1 layer, decoder 6 layers). The local sizes were taken from the paper's table
# from memory of the text, not a machine-readable file: treat them as approximate.
BLT_8B = BLTShape(
    name="blt-8b",
    global_model=TransformerConfig("blt-8b-global", 4096, 32, 14336, 0, source="BLT paper"),
    local_encoder=TransformerConfig("blt-8b-enc", 1280, 1, 3584, 0, window=512, source="BLT paper"),
    local_decoder=TransformerConfig(
        "blt-8b-dec", 1280, 6, 3584, VOCAB_SIZE, window=512, source="BLT paper"
    ),
    cross_attn_k=2,
    decoder_cross_attn_layers=6,
    entropy_model=BLT_ENTROPY_OFFICIAL,
    source="BLT paper architecture table (approximate local sizes, see comment)",
)

LLAMA3_8B = TransformerConfig(
    "llama3-8b", 4096, 32, 14336, 128256, kv_size=1024, source="Llama 3 8B params.json (8 KV heads)"
)
LLAMA2_7B = TransformerConfig("llama2-7b", 4096, 32, 11008, 32000, source="Llama 2 7B params.json")

# Bytes per token where no measurement on the user's text is possible. No Llama 2
# tokenizer ships offline, so Llama 2 uses the paper's 3.7 bytes per token.
PAPER_BYTES_PER_TOKEN = {"llama2-7b": 3.7, "llama3-8b": 4.4}

# The one map from a BPE model to the offline tokenizer (blt_core.bpe name) that measures its
# bytes per token on the user's text; None where no tokenizer ships offline.
BPE_TOKENIZER: dict[str, str | None] = {"llama3-8b": "llama3", "llama2-7b": None}

BPE_CONFIGS = {c.name: c for c in (LLAMA3_8B, LLAMA2_7B)}
BLT_CONFIGS = {c.name: c for c in (BLT_1B, BLT_8B)}


def blt_shape(name: str) -> BLTShape:
    """A BLT shape by name; ValueError naming the choices for an unknown one.

    >>> blt_shape("blt-8b").global_model.num_hidden_layers
    32
    """
    if name not in BLT_CONFIGS:
        raise ValueError(f"unknown BLT config {name!r}; choose one of {', '.join(BLT_CONFIGS)}")
    return BLT_CONFIGS[name]


def bpe_shape(name: str) -> TransformerConfig:
    """A BPE model's shape by name; ValueError naming the choices for an unknown one.

    >>> bpe_shape("llama3-8b").kv_size
    1024
    """
    if name not in BPE_CONFIGS:
        raise ValueError(f"unknown BPE model {name!r}; choose one of {', '.join(BPE_CONFIGS)}")
    return BPE_CONFIGS[name]


def config_from_dict(d: dict[str, Any], *, name: str = "blt-entropy-tiny") -> TransformerConfig:
    """A model card's `config` -> TransformerConfig.

    >>> config_from_dict({"hidden_size": 256, "num_hidden_layers": 4,
    ...                   "intermediate_size": 768, "vocab_size": 260, "window": 512}).window
    512
    """
    return TransformerConfig(
        name=name,
        hidden_size=int(d["hidden_size"]),
        num_hidden_layers=int(d["num_hidden_layers"]),
        intermediate_size=int(d["intermediate_size"]),
        vocab_size=int(d.get("vocab_size", VOCAB_SIZE)),
        window=int(d["window"]) if d.get("window") else None,
        source="model card config",
    )


def blt_with_entropy_model(blt: BLTShape, entropy_model: TransformerConfig) -> BLTShape:
    """The same BLT, its boundaries drawn by another entropy model (e.g. our shipped one).

    >>> blt_with_entropy_model(BLT_1B, LLAMA2_7B).name
    'blt-1b+llama2-7b'
    """
    return replace(blt, entropy_model=entropy_model, name=f"{blt.name}+{entropy_model.name}")
