"""The entropy model: a Llama-style causal byte LM (torch only, no I/O).

RMSNorm pre-norm blocks, SwiGLU feed-forward, RoPE on interleaved pairs, untied input
and output embeddings, vocabulary 260, sliding-window attention. Parameter names match
the official `facebook/blt-entropy` original layout (`tok_embeddings`, `layers.N.attention.wq`,
`layers.N.feed_forward.w1`, `norm`, `output`) so its `consolidated.pth` loads unchanged.

Sliding window W: position i attends to positions i-W+1 .. i (W keys, itself included).
For sequences longer than W the attention is computed block-wise: queries in block b
(W positions) see only blocks b-1 and b, so a pass over n bytes costs O(n * W), not O(n^2),
and a single pass over a long input equals the official sliding-window mask exactly.

>>> cfg = EntropyModelConfig(hidden_size=32, num_hidden_layers=1, num_attention_heads=2,
...                          intermediate_size=64, window=8)
>>> EntropyModel(cfg)(torch.ones(1, 20, dtype=torch.long)).shape
torch.Size([1, 20, 260])
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, replace

import torch
import torch.nn.functional as F
from torch import nn

from blt_core.entropy.matches import NONE, context_size, match_inputs
from blt_core.entropy.ngrams import PAD_ID, ngram_buckets
from blt_core.nn import Block, RMSNorm, rope_tables


@dataclass(frozen=True)
class EntropyModelConfig:
    vocab_size: int = 260  # 256 byte values + 4 special ids (constants.py)
    hidden_size: int = 256  # small enough to score ~30 KB/s on two CPU cores
    num_hidden_layers: int = 4
    num_attention_heads: int = 4  # head dim 64, as in the official model
    intermediate_size: int = 768  # SwiGLU width (3x hidden)
    window: int = 512  # sliding attention window, as the official entropy model
    rope_theta: float = 10000.0  # official value
    norm_eps: float = 1e-5  # official value
    ngram_sizes: tuple[int, ...] = ()  # hashed n-gram embeddings added to the byte's (ngrams.py); () = none
    ngram_buckets: int = 0  # rows of each n-gram table
    ngram_tables: str = "float"  # "int8": tables stored as int8 rows with a float32 scale each (Int8Table)
    match_orders: tuple[int, ...] = ()  # match-model inputs, one per k-gram length (matches.py); () = none
    match_boost: bool = False  # a learned logit boost for each match order's predicted byte (EntropyModel.head)
    match_boost_bytes: bool = False  # and a run boost per byte value on top of the shared one (EntropyModel.head)

    def __post_init__(self):
        object.__setattr__(self, "ngram_sizes", tuple(sorted(self.ngram_sizes)))  # JSON gives a list
        object.__setattr__(self, "match_orders", tuple(sorted(self.match_orders)))
        if self.match_orders and not 1 <= min(self.match_orders) <= max(self.match_orders) < self.window:
            raise ValueError(f"match orders must lie in 1 .. window - 1, got {self.match_orders}")
        if self.match_boost and not self.match_orders:
            raise ValueError("a match boost needs match orders")
        if self.match_boost_bytes and not self.match_boost:
            raise ValueError("a run boost per byte value needs match_boost")

    @property
    def context(self) -> int:
        """Ids before a chunk the model reads (scoring.chunk_context): its n-grams' longest less one,
        or the rest of a window with match inputs; 0 for a plain model."""
        return max(max(self.ngram_sizes, default=1) - 1, context_size(self.window) if self.match_orders else 0)

    @property
    def head_dim(self) -> int:
        return self.hidden_size // self.num_attention_heads

    def to_dict(self) -> dict:
        """The card's config; n-gram keys only for a model that has them (older cards stay as they are)."""
        d = asdict(self)
        if not self.ngram_sizes:
            del d["ngram_sizes"], d["ngram_buckets"]
        if self.ngram_tables == "float":  # float32 or float16, as the safetensors holds them
            del d["ngram_tables"]
        if not self.match_orders:
            del d["match_orders"]
        if not self.match_boost:
            del d["match_boost"]
        if not self.match_boost_bytes:
            del d["match_boost_bytes"]
        return d

    @classmethod
    def from_dict(cls, d: dict) -> "EntropyModelConfig":
        return cls(**{k: d[k] for k in cls.__dataclass_fields__ if k in d})


def official_ffn_width(dim: int, *, multiple_of: int = 256, ffn_dim_multiplier: float | None = None) -> int:
    """Llama's SwiGLU width rule, used by the official params.json: 768 -> 2048."""
    hidden = int(2 * 4 * dim / 3)
    if ffn_dim_multiplier is not None:
        hidden = int(ffn_dim_multiplier * hidden)
    return multiple_of * ((hidden + multiple_of - 1) // multiple_of)


class Int8Table(nn.Module):
    """An embedding table stored as int8 rows and a float32 scale per row: row r reads
    weight[r] * scale[r]. Symmetric per-row quantization keeps each element within scale / 2.

    >>> t = Int8Table.quantize(torch.tensor([[0.5, -1.0], [0.0, 0.0]]))
    >>> t.weight.tolist(), t(torch.tensor([0, 1])).tolist()
    ([[64, -127], [0, 0]], [[0.5039370059967041, -1.0], [0.0, 0.0]])
    """

    def __init__(self, rows: int, dim: int):
        super().__init__()
        self.register_buffer("weight", torch.zeros(rows, dim, dtype=torch.int8))
        self.register_buffer("scale", torch.ones(rows))

    @classmethod
    def quantize(cls, weight: torch.Tensor) -> "Int8Table":
        w = weight.detach().float()
        t = cls(*w.shape)
        scale = w.abs().amax(dim=1).clamp(min=1e-12) / 127
        t.weight.copy_((w / scale[:, None]).round().clamp(-127, 127).to(torch.int8))
        t.scale.copy_(scale)
        return t

    def forward(self, h: torch.Tensor) -> torch.Tensor:
        return self.weight[h].float() * self.scale[h].unsqueeze(-1)


class EntropyModel(nn.Module):
    def __init__(self, cfg: EntropyModelConfig):
        super().__init__()
        self.config = cfg
        self.tok_embeddings = nn.Embedding(cfg.vocab_size, cfg.hidden_size)
        table = Int8Table if cfg.ngram_tables == "int8" else nn.Embedding
        self.ngram_embeddings = nn.ModuleList(table(cfg.ngram_buckets, cfg.hidden_size) for _ in cfg.ngram_sizes)
        # one row per predicted id and one for "no match" (matches.NONE), per order
        self.match_embeddings = nn.ModuleList(nn.Embedding(cfg.vocab_size + 1, cfg.hidden_size)
                                              for _ in cfg.match_orders)
        self.layers = nn.ModuleList(
            Block(cfg.hidden_size, cfg.num_attention_heads, cfg.intermediate_size, cfg.norm_eps)
            for _ in range(cfg.num_hidden_layers))
        self.norm = RMSNorm(cfg.hidden_size, cfg.norm_eps)
        self.output = nn.Linear(cfg.hidden_size, cfg.vocab_size, bias=False)
        # per position, one boost per match order, added to the logit of the byte that order's match
        # predicts (head): how far to trust a copy, read from the same normed state as the output
        if cfg.match_boost:
            self.match_boost = nn.Linear(cfg.hidden_size, len(cfg.match_orders))
            # and one more per order where the match predicts the current byte again: a run, whatever its value
            self.match_boost_run = nn.Parameter(torch.zeros(len(cfg.match_orders)))
        if cfg.match_boost_bytes:
            # plus one per byte value and order: a shared constant leaves the runs of values the corpus
            # never repeats where their input rows put them (entropy21-m112ud: 0xb4 0.270 nats after 16)
            self.match_boost_run_byte = nn.Embedding(cfg.vocab_size, len(cfg.match_orders))
        # training only (train_entropy --ngram-dropout): each n-gram row is dropped at this rate
        # per position, so the transformer cannot lean on memorised rows alone; not in the config
        self.ngram_dropout = 0.0

    def init_weights(self, *, seed: int = 0) -> "EntropyModel":
        """Small-normal init (std 0.02, residual outputs scaled by depth) for training from scratch."""
        g = torch.Generator().manual_seed(seed)
        for name, p in self.named_parameters():
            if p.dim() == 1:
                continue
            std = 0.02 / math.sqrt(2 * self.config.num_hidden_layers) if name.endswith(("wo.weight", "w2.weight")) else 0.02
            with torch.no_grad():
                p.copy_(torch.randn(p.shape, generator=g) * std)
        return self

    def forward(self, ids: torch.Tensor, *, blocked: bool | None = None) -> torch.Tensor:
        """ids (B, T) -> logits (B, T, vocab). Output t predicts the token after input t.

        `blocked` defaults to T > window (pads T up to a multiple of the window on the right,
        which never changes earlier, causal outputs).
        """
        B, T = ids.shape
        W = self.config.window
        blocked = T > W if blocked is None else blocked
        pad = (-T) % W if blocked else 0
        if pad:
            ids = F.pad(ids, (0, pad))
        logits, _ = self.forward_chunk(ids, blocked=blocked)
        return logits[:, :T] if pad else logits

    def embed(self, ids: torch.Tensor, context: torch.Tensor | None = None,
              segments: torch.Tensor | None = None) -> torch.Tensor:
        """(B, T) ids -> (B, T, C): the byte embedding plus, with n-grams, each n-gram table's row and,
        with match inputs, each order's row for the byte its match predicts.

        context (B, config.context): the ids before the chunk (ngrams.py, matches.py); None: the
        input starts here.
        """
        return self.embed_and_match(ids, context, segments)[0]

    def embed_and_match(self, ids: torch.Tensor, context: torch.Tensor | None = None,
                        segments: torch.Tensor | None = None) -> tuple[torch.Tensor, list[torch.Tensor]]:
        """(embed's (B, T, C), each match order's (B, T) predicted ids, matches.NONE where none; [] without)."""
        x = self.tok_embeddings(ids)
        cfg = self.config
        if context is None and cfg.context:
            context = torch.full((ids.shape[0], cfg.context), PAD_ID, dtype=ids.dtype, device=ids.device)
        sizes = cfg.ngram_sizes
        if sizes:
            for table, h in zip(self.ngram_embeddings, ngram_buckets(ids, context[:, context.shape[1] - max(sizes) + 1:],
                                                                      sizes=sizes, buckets=cfg.ngram_buckets,
                                                                      segments=segments)):
                row = table(h).to(x.dtype)  # float16 tables as shipped (half_tables): exact in float32
                if self.training and self.ngram_dropout > 0:
                    row = F.dropout(row.new_ones(row.shape[:-1] + (1,)), self.ngram_dropout) * row
                x = x + row
        preds = []
        if cfg.match_orders:
            preds = [pred for pred, _ in match_inputs(ids, context, orders=cfg.match_orders, window=cfg.window,
                                                      segments=segments)]
            for table, pred in zip(self.match_embeddings, preds):
                x = x + table(pred).to(x.dtype)
        return x, preds

    def head(self, x: torch.Tensor, preds: list[torch.Tensor], ids: torch.Tensor) -> torch.Tensor:
        """The last layer's (B, T, C) -> (B, T, vocab) logits: final norm and output layer, then, with
        match_boost, each order's boost added to the logit of the byte its match predicts (preds,
        embed_and_match): a linear read of the normed state, plus a learned constant where the match
        predicts the byte it reads (ids) again, as inside a run. The match inputs alone left runs of
        bytes the corpus rarely repeats at 0.2-0.3 nats after 16 copies (bench_model, entropy18-m112u):
        they are rows per byte value, learned value by value, while a boost is the same for every value.
        With match_boost_bytes the run constant also has a part per byte value (the current byte's).
        A boost of zero (a model grown from one without: init_from) changes nothing.

        >>> cfg = EntropyModelConfig(hidden_size=8, num_hidden_layers=1, num_attention_heads=2,
        ...                          intermediate_size=16, window=8, match_orders=(2,), match_boost=True)
        >>> m = EntropyModel(cfg)
        >>> _ = torch.nn.init.zeros_(m.match_boost.weight), torch.nn.init.constant_(m.match_boost.bias, 3.0)
        >>> _ = torch.nn.init.constant_(m.match_boost_run, 1.0)
        >>> x = torch.randn(1, 3, 8)
        >>> d = m.head(x, [torch.tensor([[65, 66, 260]])], torch.tensor([[70, 66, 66]])) - m.output(m.norm(x))
        >>> [round(v, 4) for v in (d[0, 0, 65].item(), d[0, 1, 66].item(), *d[0].abs().sum(-1).tolist())]
        [3.0, 4.0, 3.0, 4.0, 0.0]
        """
        h = self.norm(x)
        logits = self.output(h)
        if self.config.match_boost:
            pred = torch.stack(preds, dim=-1)  # (B, T, orders)
            run = self.match_boost_run
            if self.config.match_boost_bytes:
                run = run + self.match_boost_run_byte(ids)  # (B, T, orders): the current byte's own
            boost = self.match_boost(h) + (pred == ids[..., None]).to(h.dtype) * run
            boost = torch.where(pred == NONE, torch.zeros_like(boost), boost)  # no match: no boost
            # one scatter for every order (orders predicting the same byte add up): B*T*orders adds, where
            # a one-hot over the 260 outputs per order cost the 4 KB ONNX pass 1.5-3.6% (bench_onnx_ab)
            logits = logits.scatter_add(-1, pred.clamp(max=self.config.vocab_size - 1), boost.to(logits.dtype))
        return logits

    def quantize_tables(self) -> "EntropyModel":
        """Store the n-gram tables as int8 rows with one float32 scale each (Int8Table): half the bytes
        of float16, so an n-gram model's safetensors stays the size of the shipped dense one."""
        if self.config.ngram_tables != "int8":
            self.ngram_embeddings = nn.ModuleList(Int8Table.quantize(t.weight) for t in self.ngram_embeddings)
            self.config = replace(self.config, ngram_tables="int8")
        return self

    def half_tables(self) -> "EntropyModel":
        """Store the n-gram tables as float16 (most of an n-gram model's bytes; finalize_entropy shipped
        them so until quantize_tables): lookups are cast back to float32, so every backend computes the
        same numbers."""
        self.ngram_embeddings.half()
        return self

    def forward_chunk(self, ids: torch.Tensor, *, blocked: bool = True, start_pos: torch.Tensor | int = 0,
                      past_kv: torch.Tensor | None = None, has_past: torch.Tensor | None = None,
                      positions: torch.Tensor | None = None, segments: torch.Tensor | None = None,
                      context: torch.Tensor | None = None):
        """One chunk of a long input: (logits, present_kv).

        past_kv / present_kv: (layers, 2, B, H, window, D), keys and values of the last window
        positions before / of this chunk; has_past (B,) bool says which rows have a past.
        start_pos is the chunk's first position (RoPE is relative, so it only has to be
        consistent with the past). With blocked=True, T must be a multiple of the window.
        context: the ids before the chunk, for a model with n-gram embeddings (ngrams.py).
        Packed rows (scoring.pack_rows) instead give each token its own position, positions
        (B, T) (replacing start_pos), and its segment, segments (B, T): a token sees only its
        own segment's earlier tokens, so each segment is scored exactly as if alone.
        """
        x, preds = self.embed_and_match(ids, context, segments)  # (B, T, C)
        if positions is None:
            pos = torch.arange(ids.shape[1], device=ids.device) + start_pos
            cos, sin = rope_tables(self.config.head_dim, pos, self.config.rope_theta)  # (T, D/2)
        else:
            cos, sin = (t[:, None] for t in rope_tables(self.config.head_dim, positions, self.config.rope_theta))
        presents = []
        for i, layer in enumerate(self.layers):
            past = None if past_kv is None else (past_kv[i, 0], past_kv[i, 1], has_past)
            x, present = layer.forward_chunk(x, cos, sin, window=self.config.window, blocked=blocked, past=past,
                                             segments=segments)
            presents.append(torch.stack(present))
        return self.head(x, preds, ids), torch.stack(presents)

    def num_parameters(self) -> int:
        return sum(p.numel() for p in self.parameters())
