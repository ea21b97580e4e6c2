"""Load a released BLT generator from a local folder, in each layout the official tooling writes,
after checking that the machine can hold it.

Layouts, told apart by their files (only JSON is read to tell them):

- consolidated: `params.json` (facebookresearch/blt's train args: the model's under "model",
  or flat) + `consolidated.pth` (its state dict, or {"model": state dict}) + `entropy_model/`.
- hub: `config.json` holding {"args": {...}} with the generator's args + `model.safetensors`
  + `entropy_model/` (facebook/blt-1b and blt-7b as published on the Hugging Face Hub).
- transformers: `config.json` with model_type "blt" + `model.safetensors` (or shards) with
  BltForCausalLM's keys (`model.local_encoder.*`, ..., the patcher as `model.patcher.*`).

fp32 or bf16 weights; the model runs in float32 on a CPU and bfloat16 on a GPU. Before any
weight is read, the parameter count (from the config) is checked against the device: a model
whose weights (plus a fifth for the load) exceed the free memory, or one too heavy to step on a
CPU (BLT-7B), is refused with a WeightsError, never left to swap. Every file is read through one
FileGuard (inside the allowed root when a page chose the folder; messages name its label).

>>> detect_generator(Path("no/such/folder")) is None
True
"""

from __future__ import annotations

import os
import threading
from pathlib import Path

from blt_core.checkpoints import WeightsError
from blt_core.entropy.official import (TRANSFORMERS_NAMES, _read_json, _safetensors_files, load_official,
                                       read_consolidated)
from blt_core.file_guard import FileGuard
from blt_core.official_blt.config import OfficialBLTConfig, from_official_args, from_transformers, num_parameters

CONSOLIDATED, HUB, TRANSFORMERS = "consolidated", "hub", "transformers"
LAYOUTS = {
    CONSOLIDATED: "params.json + consolidated.pth + entropy_model/ (facebookresearch/blt consolidated checkpoint)",
    HUB: 'config.json holding {"args": ...} + model.safetensors + entropy_model/ (facebook/blt-1b, blt-7b on the Hub)',
    TRANSFORMERS: 'config.json with model_type "blt" + model.safetensors (transformers-converted BltForCausalLM)',
}
GENERATOR_ARGS = ("dim_global", "n_layers_global", "dim_local_encoder")
# the cross-attention norms' transformers names, beside the entropy model's Llama names
NAMES = {**TRANSFORMERS_NAMES, "q_norm": "cross_attn_norm_q", "k_norm": "cross_attn_norm_kv"}
MAX_WEIGHT_BYTES = 64 << 30  # one weights file: BLT-7B in float32 is about 40 GB
LOAD_SECONDS = 1800.0  # all of one folder's reads: 40 GB at 25 MB/s
CPU_MAX_COMPUTE_PARAMS = 3_000_000_000  # BLT-1B (1.5B without embeddings) steps on a CPU; BLT-7B does not
LOAD_MARGIN = 1.2  # the weights plus a fifth: conversions and buffers while loading


def _generator_args(data: dict | None) -> dict | None:
    """The generator's flat args inside params.json or a Hub config.json, if it holds them."""
    for args in ((data or {}).get("model"), (data or {}).get("args"), data):
        if isinstance(args, dict) and all(k in args for k in GENERATOR_ARGS):
            return args
    return None


def detect_generator(folder: Path, guard: FileGuard | None = None) -> str | None:
    """The generator layout `folder` holds, or None (an entropy model alone, or anything else)."""
    guard = guard or FileGuard(folder)
    if not folder.is_dir():
        return None
    if os.path.lexists(folder / "params.json") and _generator_args(_read_json(folder / "params.json", guard)):
        return CONSOLIDATED
    config = _read_json(folder / "config.json", guard)
    if config is not None and config.get("model_type") == "blt":
        return TRANSFORMERS
    return HUB if _generator_args(config) else None


def read_config(folder: Path, layout: str, guard: FileGuard) -> OfficialBLTConfig:
    if layout == TRANSFORMERS:
        return from_transformers(_read_json(folder / "config.json", guard))
    data = _read_json(folder / ("params.json" if layout == CONSOLIDATED else "config.json"), guard)
    patcher_args = ((data.get("data") or {}).get("patcher_args") or {}) if isinstance(data.get("data"), dict) else {}
    return from_official_args(_generator_args(data), patcher_args)


# ---- memory -------------------------------------------------------------------------------

def available_bytes(device: str) -> int:
    """Free memory on `device`: the GPU's free bytes, or the RAM Linux says is available."""
    if device.startswith("cuda"):
        import torch

        return int(torch.cuda.mem_get_info(torch.device(device))[0])
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")


def check_memory(params: dict[str, int], *, device: str, bytes_per_param: int, available: int, label: str) -> None:
    """WeightsError when a model of `params` (num_parameters, entropy model included) cannot run here.

    >>> check_memory({"total": 10**9, "compute": 10**8}, device="cpu", bytes_per_param=4, available=2 * 10**9,
    ...              label="m")
    Traceback (most recent call last):
    ...
    blt_core.checkpoints.WeightsError: m: a BLT of 1.00B parameters needs 4.8 GB of memory on cpu (float32 weights plus a fifth for loading); 2.0 GB are free, so it is refused rather than swapped
    """
    if device == "cpu" and params["compute"] > CPU_MAX_COMPUTE_PARAMS:
        raise WeightsError(f"{label}: a BLT with {params['compute'] / 1e9:.1f}B parameters outside its embeddings "
                           f"(such as BLT-7B) needs a GPU; this server has none, so it is refused")
    need = int(params["total"] * bytes_per_param * LOAD_MARGIN)
    if need > available:
        kind = "float32" if bytes_per_param == 4 else "bfloat16"
        raise WeightsError(f"{label}: a BLT of {params['total'] / 1e9:.2f}B parameters needs {need / 1e9:.1f} GB of "
                           f"memory on {device} ({kind} weights plus a fifth for loading); {available / 1e9:.1f} GB "
                           "are free, so it is refused rather than swapped")


# ---- weights ------------------------------------------------------------------------------

def _read_safetensors(files: list[Path], guard: FileGuard) -> dict:
    from blt_core.entropy.safetensors_read import read_header, read_tensors

    state = {}
    for f in files:
        with guard.open(f, max_bytes=MAX_WEIGHT_BYTES, whole=False) as handle:
            header, start = read_header(handle, guard.name(f))
            state.update(read_tensors(handle, header, start, list(header), guard.name(f), max_bytes=MAX_WEIGHT_BYTES))
    return state


def official_names(state: dict, cfg: OfficialBLTConfig) -> dict:
    """A transformers BltForCausalLM state dict in the official checkpoint's names: Llama names
    back to official ones, `lm_head` to the decoder's `output`, and the fused hash table split
    into one table per n-gram size and hash function."""
    out = {}
    for key, t in state.items():
        key = key.removeprefix("model.")
        if key == "lm_head.weight":
            out["local_decoder.output.weight"] = t
        elif key == "encoder_hash_tok_embedding.weight":
            for i, table in enumerate(t.split(cfg.hash_buckets)):
                out[f"encoder_hash_tok_embedding.{i}.weight"] = table
        else:
            out[".".join(NAMES.get(part, part) for part in key.split("."))] = t
    return out


def _entropy_folder(folder: Path, layout: str, label: str) -> tuple[Path, str]:
    """Where the entropy model that places the patches lives, and its label: entropy_model/, or
    for a transformers folder its own `model.patcher.*` tensors."""
    if layout == TRANSFORMERS:
        return folder, label
    if not (folder / "entropy_model").is_dir():
        raise WeightsError(f"{layout} BLT folder {label} lacks entropy_model/ (the patcher that places its patches)")
    return folder / "entropy_model", f"{label}/entropy_model"


def _entropy_config(folder: Path, layout: str, guard: FileGuard):
    """The entropy model's config, from JSON only (the memory check comes before any weight)."""
    from blt_core.entropy.official import official_config, transformers_config

    if layout == TRANSFORMERS:
        return transformers_config(_read_json(folder / "config.json", guard))
    for name in ("params.json", "config.json"):
        data = _read_json(folder / name, guard)
        if data is not None:
            return official_config(data.get("args", data) if name == "config.json" else data)
    raise WeightsError(f"{guard.name(folder)} lacks params.json (the entropy model's config)")


def entropy_params(c) -> int:
    """An EntropyModel's parameter count from its config (untied embeddings, SwiGLU blocks)."""
    block = 4 * c.hidden_size ** 2 + 3 * c.hidden_size * c.intermediate_size + 2 * c.hidden_size
    return 2 * c.vocab_size * c.hidden_size + c.num_hidden_layers * block + c.hidden_size


def _missing(folder: Path, layout: str) -> str | None:
    needs = {CONSOLIDATED: ("params.json", "consolidated.pth"), HUB: ("config.json",), TRANSFORMERS: ("config.json",)}
    return next((n for n in needs[layout] if not os.path.lexists(folder / n)), None)


def load_generator_folder(folder: str | Path, *, root: str | Path | None = None, label: str | None = None,
                          device: str = "cpu", available: int | None = None):
    """(OfficialBLT in eval mode on `device`, layout) from an official folder; WeightsError naming the
    layout and what is missing, or why the machine cannot hold it (before reading any weight).

    available: free bytes to check against (default: what `device` has now).
    """
    import torch

    from blt_core.backends import check_keys
    from blt_core.official_blt.model import OfficialBLT

    folder = Path(folder)
    label = label if label is not None else str(folder)
    guard = FileGuard(folder, root=root, label=label, seconds=LOAD_SECONDS)
    guard.check(folder)
    layout = detect_generator(folder, guard)
    if layout is None:
        raise WeightsError(f"model folder {label} holds no BLT generator; supported: {'; '.join(LAYOUTS.values())}")
    if (name := _missing(folder, layout)) is not None:
        raise WeightsError(f"{layout} BLT folder {label} lacks {name}")
    ent_folder, ent_label = _entropy_folder(folder, layout, label)
    cfg = read_config(folder, layout, guard)
    guard.check(ent_folder)
    ent_config = _entropy_config(ent_folder, layout, guard)
    dtype = torch.float32 if device == "cpu" else torch.bfloat16
    params = num_parameters(cfg)
    extra = entropy_params(ent_config)
    check_memory({"total": params["total"] + extra, "compute": params["compute"] + extra}, device=device,
                 bytes_per_param=dtype.itemsize, available=available_bytes(device) if available is None else available,
                 label=label)
    entropy_model, _ = load_official(ent_folder, root=root, label=ent_label)
    ent_state = {f"patcher.{k}": v for k, v in entropy_model.state_dict().items()}
    if layout == CONSOLIDATED:
        state = read_consolidated(folder / "consolidated.pth", guard, max_bytes=MAX_WEIGHT_BYTES)
    else:
        state = _read_safetensors(_safetensors_files(folder, layout, guard), guard)
        state = official_names(state, cfg) if layout == TRANSFORMERS else state
    if not isinstance(state, dict):
        raise WeightsError(f"{layout} weights in {label} are not a dictionary of tensors")
    state = {k: v for k, v in state.items() if not k.startswith("patcher.")} | ent_state
    with torch.device("meta"):
        model = OfficialBLT(cfg, entropy_model.config)
    state = check_keys(model, state, f"{layout} weights in {label}")
    for key in list(state):  # one tensor at a time, so the load never holds two copies of the model
        state[key] = state[key].to(device=device, dtype=dtype)
    model.load_state_dict(state, assign=True)
    return model.eval(), layout


_LOCK = threading.Lock()
_CURRENT: dict = {}  # {key: (model, layout)}: at most one entry, the one big model this process holds


def cached_generator(folder: str | Path, *, root: str | Path | None = None, label: str | None = None,
                     device: str = "cpu"):
    """load_generator_folder, kept for the next call with the same arguments. Another folder
    replaces it, and the old model is dropped *before* the new one loads, so two never coexist."""
    key = (str(folder), None if root is None else str(root), label, device)
    with _LOCK:
        if key not in _CURRENT:
            _CURRENT.clear()
            _CURRENT[key] = load_generator_folder(folder, root=root, label=label, device=device)
        return _CURRENT[key]
