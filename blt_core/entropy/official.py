"""Official entropy-model folders: which layout a folder holds (told by its files), and loading it.

The released entropy model (Llama-style, 260 byte ids, sliding window 512) ships in three layouts,
all the same network as `EntropyModel`, in float32 or bfloat16:

- consolidated: `params.json` (flat, or nested under "entropy_model") + `consolidated.pth`, the
  `entropy_model/` folder of facebook/blt, facebook/blt-1b and facebook/blt-7b. Keys already
  match `EntropyModel`.
- blt-entropy: `config.json` holding `{"args": {...}}` + `model.safetensors`, facebook/blt-entropy
  (the huggingface_hub mixin's save of the same model). Same args, same keys.
- transformers: `config.json` with model_type "blt" (its "patcher_config") or "blt_patcher", and
  `model.safetensors` (or shards named by `model.safetensors.index.json`); keys
  `model.patcher.*` (BltForCausalLM), `patcher.*` (BltModel) or bare (BltPatcher), in Llama's
  names (`self_attn.q_proj`, `mlp.gate_proj`, `embed_tokens`, `lm_head`).

A facebook/blt root folder (the generator's `config.json`) is read through its `entropy_model/`.
Detection reads only JSON, never torch, so the ONNX serving path stays torch-free. Every file is
read through one `FileGuard` per load (regular files only, bounded bytes and time, and, for a
folder a page offers, nothing outside its allowed root); messages name the folder by its label:

>>> detect_layout(Path("no/such/folder")) is None
True
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import TYPE_CHECKING

from blt_core.checkpoints import WeightsError
from blt_core.file_guard import MAX_FILE_BYTES, MAX_JSON_BYTES, FileGuard
from blt_core.constants import OFFICIAL_WINDOW, VOCAB_SIZE

if TYPE_CHECKING:
    from blt_core.entropy.model import EntropyModel, EntropyModelConfig

CONSOLIDATED, BLT_ENTROPY, TRANSFORMERS = "consolidated", "blt-entropy", "transformers"
LAYOUTS = {
    CONSOLIDATED: "params.json + consolidated.pth (the entropy_model/ folder of facebook/blt, blt-1b, blt-7b)",
    BLT_ENTROPY: 'config.json holding {"args": ...} + model.safetensors (facebook/blt-entropy)',
    TRANSFORMERS: 'config.json with model_type "blt" or "blt_patcher" + model.safetensors (transformers-converted)',
}
GENERATOR_ARGS = ("dim_global", "n_layers_global", "dim_local_encoder")  # only a BLT generator's args have these
# transformers' Llama names -> the official names EntropyModel uses, one dotted part at a time
TRANSFORMERS_NAMES = {
    "embed_tokens": "tok_embeddings", "lm_head": "output", "self_attn": "attention", "mlp": "feed_forward",
    "input_layernorm": "attention_norm", "post_attention_layernorm": "ffn_norm", "q_proj": "wq", "k_proj": "wk",
    "v_proj": "wv", "o_proj": "wo", "gate_proj": "w1", "up_proj": "w3", "down_proj": "w2",
}
PATCHER_PREFIXES = ("model.patcher.", "patcher.", "")  # BltForCausalLM, BltModel, a bare BltPatcher


def _read_json(path: Path, guard: FileGuard) -> dict | None:
    """The JSON object in `path`, None when there is no such file; WeightsError when it is not an object."""
    if not os.path.lexists(path):
        return None
    try:
        data = json.loads(guard.read_bytes(path, max_bytes=MAX_JSON_BYTES))
    except (UnicodeDecodeError, json.JSONDecodeError) as e:
        raise WeightsError(f"cannot read {guard.name(path)}: {e}") from None
    if not isinstance(data, dict):
        raise WeightsError(f"{guard.name(path)} is not a JSON object")
    return data


def _is_generator(config: dict | None) -> bool:
    """Does a config.json ({"args": ...}) or params.json ({"model": ...}, or flat) describe a BLT generator?"""
    return any(isinstance(args, dict) and any(k in args for k in GENERATOR_ARGS)
               for args in ((config or {}).get("args"), (config or {}).get("model"), config))


def detect_layout(folder: Path, guard: FileGuard | None = None) -> tuple[str, Path] | None:
    """(layout, folder holding it) for an official entropy model, or None when `folder` holds none.

    One of a layout's files is enough to name it (a name present is enough, whatever it is), so
    that a half-copied folder is told which file it lacks, or what is wrong with it, rather than
    that it is unknown.
    """
    guard = guard or FileGuard(folder)
    if os.path.lexists(folder / "params.json") or os.path.lexists(folder / "consolidated.pth"):
        # a consolidated BLT generator (blt_core/official_blt) keeps its entropy model in entropy_model/
        if not ((folder / "entropy_model").is_dir() and _is_generator(_read_json(folder / "params.json", guard))):
            return CONSOLIDATED, folder
    config = _read_json(folder / "config.json", guard)
    if config is not None and config.get("model_type") in ("blt", "blt_patcher"):
        return TRANSFORMERS, folder
    if config is not None and isinstance(config.get("args"), dict) and not _is_generator(config):
        return BLT_ENTROPY, folder
    if folder.name != "entropy_model" and (folder / "entropy_model").is_dir():
        return detect_layout(folder / "entropy_model", guard)
    return None


def unsupported_message(folder: Path, guard: FileGuard | None = None) -> str:
    """Why `folder` cannot be loaded: what it holds, and the layouts that can."""
    guard = guard or FileGuard(folder)
    names = sorted(p.name + "/" * p.is_dir() for p in folder.iterdir()) if folder.is_dir() else []
    config = _read_json(folder / "config.json", guard)
    if config is not None and "model_type" in config:
        names[names.index("config.json")] = f"config.json (model_type {config['model_type']!r})"
    found = ", ".join(names[:12]) + (", ..." if len(names) > 12 else "") or "nothing"
    supported = "; ".join(LAYOUTS.values()) + "; or a model card (*.json) of this project"
    if _is_generator(config):
        return (f"model folder {guard.label} holds a BLT generator (facebook/blt layout), not an entropy model, and lacks "
                f"the entropy_model/ folder that ships beside it (found: {found}); supported: {supported}")
    return f"model folder {guard.label} lacks the files of every supported layout (found: {found}); supported: {supported}"


def official_config(params: dict) -> "EntropyModelConfig":
    """params.json (flat, or nested under "entropy_model") or blt-entropy's "args" -> EntropyModelConfig."""
    from blt_core.entropy.model import EntropyModelConfig, official_ffn_width

    p = params.get("entropy_model", params)
    dim = int(p["dim"])
    heads = int(p.get("n_heads") or dim // int(p.get("head_dim") or 64))
    if p.get("n_kv_heads") not in (None, heads):
        raise WeightsError(f"grouped key/value heads (n_kv_heads={p['n_kv_heads']}, n_heads={heads}) are not supported")
    if p.get("weight_tying"):
        raise WeightsError("tied input and output embeddings (weight_tying) are not supported")
    return EntropyModelConfig(
        vocab_size=int(p.get("vocab_size", VOCAB_SIZE)), hidden_size=dim, num_hidden_layers=int(p["n_layers"]),
        num_attention_heads=heads,
        intermediate_size=official_ffn_width(dim, multiple_of=int(p.get("multiple_of", 256)),
                                             ffn_dim_multiplier=p.get("ffn_dim_multiplier")),
        window=int(p.get("sliding_window") or p.get("attn_window") or OFFICIAL_WINDOW),
        rope_theta=float(p.get("rope_theta", 10000.0)), norm_eps=float(p.get("norm_eps", 1e-5)),
    )


def transformers_config(config: dict) -> "EntropyModelConfig":
    """A transformers config.json (BltConfig's "patcher_config", or a BltPatcherConfig) -> EntropyModelConfig.

    Missing fields take BltPatcherConfig's defaults (the released 768 x 14 shape).
    """
    from blt_core.entropy.model import EntropyModelConfig

    p = config.get("patcher_config") if config.get("model_type") == "blt" else config
    if not isinstance(p, dict):
        raise WeightsError("transformers BLT config.json lacks a patcher_config")
    hidden, heads = int(p.get("hidden_size", 768)), int(p.get("num_attention_heads", 12))
    rope = p.get("rope_parameters") or {}
    unsupported = {"num_key_value_heads": p.get("num_key_value_heads") not in (None, heads),
                   "rope_type": rope.get("rope_type", "default") != "default",
                   "sliding_window": "sliding_window" in p and p["sliding_window"] is None}  # None: full attention
    for field, bad in unsupported.items():
        if bad:
            value = p.get(field, rope.get(field))
            raise WeightsError(f"transformers patcher config: {field}={value!r} is not supported")
    return EntropyModelConfig(
        vocab_size=int(p.get("vocab_size", VOCAB_SIZE)), hidden_size=hidden,
        num_hidden_layers=int(p.get("num_hidden_layers", 14)), num_attention_heads=heads,
        intermediate_size=int(p.get("intermediate_size") or 8 * hidden // 3),
        window=int(p.get("sliding_window", OFFICIAL_WINDOW)),
        rope_theta=float(rope.get("rope_theta", p.get("rope_theta", 10000.0))),
        norm_eps=float(p.get("rms_norm_eps", p.get("norm_eps", 1e-5))),
    )


def _safetensors_files(folder: Path, layout: str, guard: FileGuard) -> list[Path]:
    """The weight files of a Hugging Face style folder: one model.safetensors, or the shards its index names."""
    index = _read_json(folder / "model.safetensors.index.json", guard)
    if index is not None:
        names = sorted(set((index.get("weight_map") or {}).values()))
        if any(not isinstance(n, str) or Path(n).name != n or n in ("", ".", "..") for n in names):
            raise WeightsError(f"{guard.name(folder / 'model.safetensors.index.json')} names a shard outside its folder")
        return [folder / name for name in names]
    if not os.path.lexists(folder / "model.safetensors"):
        raise WeightsError(f"{layout} folder {guard.label} lacks model.safetensors")
    return [folder / "model.safetensors"]


def _read_tensors(files: list[Path], guard: FileGuard, prefix: str | None = None) -> dict:
    """{name without prefix: tensor} of the tensors whose names start with `prefix`; with prefix None,
    the first of PATCHER_PREFIXES that names an embedding is used. Other tensors are never read,
    so a 7B folder costs only its patcher's bytes (and those count against the per-file cap)."""
    from contextlib import ExitStack

    from blt_core.entropy.safetensors_read import read_header, read_tensors

    with ExitStack() as stack:
        opened = [(f, stack.enter_context(guard.open(f, whole=False))) for f in files]
        headers = [(f, handle, *read_header(handle, guard.name(f))) for f, handle in opened]
        names = {k for *_, header, _ in headers for k in header}
        if prefix is None:
            prefix = next((p for p in PATCHER_PREFIXES if p + "embed_tokens.weight" in names), None)
            if prefix is None:
                raise WeightsError(f"{guard.label} holds no patcher weights (model.patcher.*, patcher.* or "
                                   "embed_tokens.*): the entropy model was not saved with this BLT")
        state = {}
        for f, handle, header, start in headers:
            keys = [k for k in header if k.startswith(prefix)]
            state.update(read_tensors(handle, header, start, keys, guard.name(f), max_bytes=MAX_FILE_BYTES))
    return {k[len(prefix):]: v for k, v in state.items()}


def _load_consolidated(folder: Path, guard: FileGuard) -> tuple["EntropyModelConfig", dict]:
    for name in ("params.json", "consolidated.pth"):
        if not os.path.lexists(folder / name):
            raise WeightsError(f"official weights folder {guard.label} lacks {name}")
    params = _read_json(folder / "params.json", guard)
    return official_config(params), read_consolidated(folder / "consolidated.pth", guard)


def read_consolidated(path: Path, guard: FileGuard, *, max_bytes: int = MAX_FILE_BYTES):
    """The state dict in a consolidated.pth (bare, or under "model"), read without unpickling code."""
    import torch

    with guard.open(path, max_bytes=max_bytes) as f:
        try:
            state = torch.load(f, map_location="cpu", weights_only=True)  # never unpickle code
        except WeightsError:
            raise
        except Exception as e:  # torch raises many types for foreign or truncated pickles; its first line says why
            why = (str(e).splitlines() or [type(e).__name__])[0]
            raise WeightsError(f"cannot read official weights in {guard.label}: {why}") from None
    return state["model"] if isinstance(state, dict) and isinstance(state.get("model"), dict) else state


def _load_blt_entropy(folder: Path, guard: FileGuard) -> tuple["EntropyModelConfig", dict]:
    config = official_config(_read_json(folder / "config.json", guard)["args"])
    return config, _read_tensors(_safetensors_files(folder, BLT_ENTROPY, guard), guard, prefix="")


def _load_transformers(folder: Path, guard: FileGuard) -> tuple["EntropyModelConfig", dict]:
    config = transformers_config(_read_json(folder / "config.json", guard))
    state = _read_tensors(_safetensors_files(folder, TRANSFORMERS, guard), guard)
    return config, {".".join(TRANSFORMERS_NAMES.get(part, part) for part in k.split(".")): v for k, v in state.items()}


LOADERS = {CONSOLIDATED: _load_consolidated, BLT_ENTROPY: _load_blt_entropy, TRANSFORMERS: _load_transformers}


def load_official(folder: str | Path, *, root: str | Path | None = None,
                  label: str | None = None) -> tuple["EntropyModel", str]:
    """(EntropyModel in float32, layout name) from an official folder of any layout; WeightsError
    naming the layout and what is wrong when it cannot be loaded.

    root: the allowed folder `folder` must stay inside (a page's choice; None for the CLI's own
    path). label: how messages name the folder (default: the path as given).
    """
    from blt_core.backends import check_keys
    from blt_core.entropy.model import EntropyModel

    folder = Path(folder)
    guard = FileGuard(folder, root=root, label=label)
    guard.check(folder)
    found = detect_layout(folder, guard)
    if found is None:
        raise WeightsError(unsupported_message(folder, guard))
    layout, where = found
    config, state = LOADERS[layout](where, guard)
    if not isinstance(state, dict):
        raise WeightsError(f"{layout} weights in {guard.label} are not a dictionary of tensors")
    model = EntropyModel(config)
    state = check_keys(model, state, f"{layout} weights in {guard.label}")
    model.load_state_dict({k: v.float() for k, v in state.items()})
    return model, layout
