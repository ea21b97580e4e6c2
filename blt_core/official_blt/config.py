"""The released BLT generator's shape, read from either official config format.

facebookresearch/blt names its args flat (`dim_local_encoder`, `n_layers_global`,
`cross_attn_k`, ...) in `params.json` (or under `config.json`'s "args"); transformers nests
them in `encoder_config`, `global_config`, `decoder_config`. Both map onto one frozen config.
The Llama rule sizes every SwiGLU (official_ffn_width: 1024 -> 2816, 2048 -> 5632).

>>> cfg = OfficialBLTConfig()  # the released BLT-1B shape
>>> cfg.global_input_size, cfg.needs_global_projection, cfg.num_hash_tables
(2048, False, 6)
>>> round(num_parameters(cfg)["total"] / 1e9, 2), round(num_parameters(cfg)["compute"] / 1e9, 2)
(4.53, 1.46)
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

from blt_core.checkpoints import WeightsError
from blt_core.constants import OFFICIAL_THRESHOLD, VOCAB_SIZE
from blt_core.entropy.model import official_ffn_width


REQUIRED_ARGS = ("dim_local_encoder", "dim_local_decoder", "dim_global", "n_layers_local_encoder",
                 "n_layers_local_decoder", "n_layers_global")


@dataclass(frozen=True)
class OfficialBLTConfig:
    vocab_size: int = VOCAB_SIZE  # 256 bytes + BOE, BOS, EOS, BPE delimiter
    encoder_hidden_size: int = 1024  # dim_local_encoder
    encoder_layers: int = 1  # n_layers_local_encoder
    encoder_heads: int = 16  # n_heads_local_encoder
    decoder_hidden_size: int = 1024  # dim_local_decoder (must equal the encoder's: the decoder reads its states)
    decoder_layers: int = 9  # n_layers_local_decoder
    decoder_heads: int = 16  # n_heads_local_decoder
    cross_attn_heads: int = 16  # cross_attn_nheads (transformers: the local models' own head count)
    global_hidden_size: int = 2048  # dim_global
    global_layers: int = 25  # n_layers_global
    global_heads: int = 16  # n_heads_global
    encoder_intermediate_size: int = 2816  # SwiGLU widths (Llama rule, multiple_of 256)
    decoder_intermediate_size: int = 2816
    global_intermediate_size: int = 5632
    cross_attn_k: int = 2  # queries per patch: the encoder's patch vector is k local vectors wide
    cross_attn_all_layers_encoder: bool = False  # released: cross-attention after the last encoder layer only
    cross_attn_all_layers_decoder: bool = True  # released: before every decoder layer
    local_window: int | None = 512  # local_attention_window_len: keys each byte sees, itself included
    hash_sizes: tuple[int, ...] = (3, 4, 5, 6, 7, 8)  # encoder_hash_byte_group_size: n-gram lengths
    hash_buckets: int = 500002  # encoder_hash_byte_group_vocab: rows of each hash table
    hash_functions: int = 1  # encoder_hash_byte_group_nb_functions: primes used
    rope_theta: float = 500000.0  # the local models' RoPE base
    global_rope_theta: float = 500000.0
    norm_eps: float = 1e-5
    patch_threshold: float = OFFICIAL_THRESHOLD  # nats: byte k > 0 opens a patch when entropies[k] exceeds it

    @property
    def global_input_size(self) -> int:
        return self.encoder_hidden_size * self.cross_attn_k

    @property
    def needs_global_projection(self) -> bool:
        """Where k local vectors are not global-wide (7B), the global model projects them first."""
        return self.global_input_size != self.global_hidden_size

    @property
    def num_hash_tables(self) -> int:
        return self.hash_functions * len(self.hash_sizes)

    @property
    def max_ngram(self) -> int:
        return max(self.hash_sizes)

    @property
    def max_patch_length(self) -> int:
        """0: no maximum (the released models set none; a config that does is refused on load)."""
        return 0

    def to_dict(self) -> dict:
        return asdict(self)


def _check(cfg: OfficialBLTConfig) -> OfficialBLTConfig:
    if cfg.encoder_hidden_size != cfg.decoder_hidden_size:
        raise WeightsError(f"local encoder and decoder widths differ ({cfg.encoder_hidden_size} vs "
                           f"{cfg.decoder_hidden_size}); the released BLT shares one width")
    for name, width, heads in (("encoder", cfg.encoder_hidden_size, cfg.encoder_heads),
                               ("decoder", cfg.decoder_hidden_size, cfg.decoder_heads),
                               ("global", cfg.global_hidden_size, cfg.global_heads),
                               ("cross-attention", cfg.encoder_hidden_size, cfg.cross_attn_heads)):
        if width % heads:
            raise WeightsError(f"{name} width {width} is not a multiple of its {heads} heads")
    return cfg


def _unsupported(field: str, value) -> WeightsError:
    return WeightsError(f"BLT generator config: {field}={value!r} is not supported (the released BLT-1B and 7B "
                        "do not use it)")


def from_official_args(args: dict, patcher_args: dict | None = None) -> OfficialBLTConfig:
    """facebookresearch/blt's flat args (params.json's "model", or config.json's "args")."""
    missing = [k for k in REQUIRED_ARGS if k not in args]
    if missing:
        raise WeightsError(f"BLT generator config lacks {', '.join(missing)}")
    checks = {"n_kv_heads": args.get("n_kv_heads") not in (None, args.get("n_heads_local_encoder")),
              "n_kv_heads_global": args.get("n_kv_heads_global") not in (None, args.get("n_heads_global")),
              "cross_attn_encoder": args.get("cross_attn_encoder") is False,
              "cross_attn_decoder": args.get("cross_attn_decoder") is False,
              "cross_attn_init_by_pooling": args.get("cross_attn_init_by_pooling") is False,
              "downsampling_by_pooling": args.get("downsampling_by_pooling") not in (None, "max"),
              "cross_attn_window_encoder": args.get("cross_attn_window_encoder") is not None,
              "cross_attn_window_decoder": args.get("cross_attn_window_decoder") is not None,
              "pm_size": bool(args.get("pm_size")), "use_rope": args.get("use_rope") is False,
              "dim_token": args.get("dim_token") not in (None, args.get("dim_local_encoder")),
              "monotonicity": bool(args.get("monotonicity")),
              "patching_mode": args.get("patching_mode") not in (None, "entropy"),
              "max_patch_length": args.get("max_patch_length") is not None or
              (patcher_args or {}).get("max_patch_length") is not None}
    for field, bad in checks.items():
        if bad:
            raise _unsupported(field, args.get(field, (patcher_args or {}).get(field)))
    multiple_of, mult = int(args.get("multiple_of", 256)), args.get("ffn_dim_multiplier")
    width = lambda dim: official_ffn_width(dim, multiple_of=multiple_of, ffn_dim_multiplier=mult)  # noqa: E731
    enc, dec, glob = int(args["dim_local_encoder"]), int(args["dim_local_decoder"]), int(args["dim_global"])
    sizes = args.get("encoder_hash_byte_group_size") or (3, 4, 5, 6, 7, 8)
    if isinstance(sizes, str):  # the official args also accept "3,4,5"
        sizes = [int(s) for s in sizes.split(",") if s]
    threshold = args.get("patching_threshold")
    if threshold is None:
        threshold = (patcher_args or {}).get("threshold", OFFICIAL_THRESHOLD)
    enc_heads = int(args.get("n_heads_local_encoder", 8))
    return _check(OfficialBLTConfig(
        vocab_size=int(args.get("vocab_size", VOCAB_SIZE)), encoder_hidden_size=enc,
        encoder_layers=int(args["n_layers_local_encoder"]), encoder_heads=enc_heads, decoder_hidden_size=dec,
        decoder_layers=int(args["n_layers_local_decoder"]), decoder_heads=int(args.get("n_heads_local_decoder", 8)),
        cross_attn_heads=int(args.get("cross_attn_nheads") or enc_heads), global_hidden_size=glob,
        global_layers=int(args["n_layers_global"]), global_heads=int(args.get("n_heads_global", 8)),
        encoder_intermediate_size=width(enc), decoder_intermediate_size=width(dec), global_intermediate_size=width(glob),
        cross_attn_k=int(args.get("cross_attn_k") or 1),
        cross_attn_all_layers_encoder=bool(args.get("cross_attn_all_layers_encoder", False)),
        cross_attn_all_layers_decoder=bool(args.get("cross_attn_all_layers_decoder", False)),
        local_window=args.get("local_attention_window_len"), hash_sizes=tuple(int(s) for s in sizes),
        hash_buckets=int(args.get("encoder_hash_byte_group_vocab", 30000)),
        hash_functions=int(args.get("encoder_hash_byte_group_nb_functions", 3)),
        rope_theta=float(args.get("rope_theta", 10000.0)), global_rope_theta=float(args.get("rope_theta", 10000.0)),
        norm_eps=float(args.get("norm_eps", 1e-5)), patch_threshold=float(threshold)))


def _theta(part: dict, default: float = 500000.0) -> float:
    rope = part.get("rope_parameters") or part.get("rope_scaling") or {}
    if rope.get("rope_type", "default") != "default":
        raise _unsupported("rope_type", rope["rope_type"])
    return float(rope.get("rope_theta", part.get("rope_theta", default)))


def from_transformers(config: dict) -> OfficialBLTConfig:
    """A transformers BltConfig (config.json, model_type "blt"); missing fields take its defaults."""
    enc, dec, glob = (config.get(k) or {} for k in ("encoder_config", "decoder_config", "global_config"))
    for name, part in (("encoder_config", enc), ("decoder_config", dec), ("global_config", glob)):
        heads = part.get("num_attention_heads", 16)
        if part.get("num_key_value_heads") not in (None, heads):
            raise _unsupported(f"{name}.num_key_value_heads", part["num_key_value_heads"])
    if config.get("max_patch_length") is not None:
        raise _unsupported("max_patch_length", config["max_patch_length"])
    if config.get("patching_mode", "entropy") != "entropy" or config.get("patch_in_forward") is False:
        raise _unsupported("patching_mode", config.get("patching_mode"))
    enc_hidden = int(enc.get("hidden_size", 1024))
    k = int(config.get("cross_attn_k", 2))
    window = config.get("local_attention_window_len", 512)
    return _check(OfficialBLTConfig(
        vocab_size=int(config.get("vocab_size", VOCAB_SIZE)), encoder_hidden_size=enc_hidden,
        encoder_layers=int(enc.get("num_hidden_layers", 1)), encoder_heads=int(enc.get("num_attention_heads", 16)),
        decoder_hidden_size=int(dec.get("hidden_size", 1024)), decoder_layers=int(dec.get("num_hidden_layers", 9)),
        decoder_heads=int(dec.get("num_attention_heads", 16)), cross_attn_heads=int(enc.get("num_attention_heads", 16)),
        global_hidden_size=int(glob.get("hidden_size", 2048)), global_layers=int(glob.get("num_hidden_layers", 25)),
        global_heads=int(glob.get("num_attention_heads", 16)),
        encoder_intermediate_size=int(enc.get("intermediate_size") or 8 * enc_hidden // 3),
        decoder_intermediate_size=int(dec.get("intermediate_size") or 2816),
        global_intermediate_size=int(glob.get("intermediate_size") or 5632), cross_attn_k=k,
        cross_attn_all_layers_encoder=bool(enc.get("cross_attn_all_layers", False)),
        cross_attn_all_layers_decoder=bool(dec.get("cross_attn_all_layers", True)),
        local_window=None if window is None else int(window),
        hash_sizes=tuple(int(s) for s in config.get("encoder_hash_byte_group_size") or (3, 4, 5, 6, 7, 8)),
        hash_buckets=int(config.get("encoder_hash_byte_group_vocab", 500002)),
        hash_functions=int(config.get("encoder_hash_byte_group_nb_functions", 1)),
        rope_theta=_theta(enc), global_rope_theta=_theta(glob), norm_eps=float(enc.get("rms_norm_eps", 1e-5)),
        patch_threshold=float(config.get("patching_threshold", OFFICIAL_THRESHOLD))))


def num_parameters(cfg: OfficialBLTConfig) -> dict[str, int]:
    """Parameter counts (without the entropy model): "total" decides the memory a load needs;
    "compute" leaves out the embedding tables (lookups, not matmuls), so it says how heavy a step is;
    "local" (encoder + decoder, used once per byte) and "global" (once per patch) split it."""
    def block(d: int, ffn: int) -> int:
        return 4 * d * d + 3 * d * ffn + 2 * d

    e, g, k = cfg.encoder_hidden_size, cfg.global_hidden_size, cfg.cross_attn_k
    cross = 4 * e * e + 2 * e
    enc = (cfg.encoder_layers * block(e, cfg.encoder_intermediate_size) + e * e * k
           + cross * (cfg.encoder_layers if cfg.cross_attn_all_layers_encoder else 1))
    glob = cfg.global_layers * block(g, cfg.global_intermediate_size) + cfg.needs_global_projection * cfg.global_input_size * g
    dec = (cfg.decoder_layers * block(e, cfg.decoder_intermediate_size) + g * e * k + e + e * cfg.vocab_size
           + cross * (cfg.decoder_layers if cfg.cross_attn_all_layers_decoder else 1))
    embeddings = (cfg.vocab_size + cfg.num_hash_tables * cfg.hash_buckets) * e
    return {"total": enc + glob + dec + embeddings, "compute": enc + glob + dec, "local": enc + dec, "global": glob}
