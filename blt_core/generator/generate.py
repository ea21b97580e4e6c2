"""Generate bytes with the small BLT, watching its patches form.

    >>> g = generate("The patch ", max_bytes=40)          # doctest: +SKIP
    >>> g.text, g.patch_starts[:4], g.backend              # doctest: +SKIP
    ('is a small ...', [0, 4, 6, 10], 'onnx')

Backends: "torch" (GPU when there is one, else CPU) and "onnx" (ONNX Runtime on CPU, no
torch import at all); "auto" takes torch only where a GPU exists, since on a CPU the ONNX
steps are faster and need no torch. On a GPU the torch steps replay CUDA graphs
(graphed_stepper.py). `no_cache=True` re-runs both models over the whole sequence for every
byte (the baseline the KV caches are measured against; torch only).

Alignment (DESIGN.md): `entropies[k]` is the entropy in nats of the entropy model's
prediction of byte k of prompt + output, given BOS and bytes 0..k-1; byte k > 0 starts a
patch when entropies[k] > the card's threshold, byte 0 always does.

Released BLT (facebook/blt-1b, blt-7b): `model=FOLDER` (a path, or the AllowedFolder a page
chose) runs an official folder's generator instead (blt_core/official_blt: consolidated,
Hub or transformers-converted layout; torch only; a model the device cannot hold is refused
before loading) through the same decoding loop.

Weights: the card `assets/blt_generator.json` lists the generator's safetensors, the
entropy model's safetensors, the three ONNX step graphs and the two ONNX prefill graphs (the
entropy model's scoring graph and prefill.onnx, which reads its weights from the safetensors),
each checked by sha256. A prompt is prefilled in one pass of each model (decoding.decode).
"""

from __future__ import annotations

import functools
import threading
import time
from pathlib import Path
from typing import Iterator

from blt_core.flops import generator_patch_flops
from blt_core.generator.config import BLTConfig
from blt_core.generator.decoding import ByteEvent, Trace, decode
from blt_core.bytes_codec import to_bytes
from blt_core.backends import load_card_weights, resolve_backend, torch_device
from blt_core.checkpoints import ASSETS, Card, WeightsError
from blt_core.results import Generation
from blt_core.weights_dirs import AllowedFolder

DEFAULT_GENERATOR_CARD = ASSETS / "blt_generator.json"
# the longest prompt one request may give: its prefill is one pass of each model (under 0.5 s on two
# CPU cores at this length, bench/results/prefill_cpu.json), and the local window it fills is 512 bytes
MAX_PROMPT_BYTES = 2048
GenerationTrace = Trace  # the public name of the one fold of ByteEvents
ONNX_KINDS = {"entropy_step": "onnx_entropy_step", "local_step": "onnx_local_step", "global_step": "onnx_global_step"}

__all__ = ["Generation", "GenerationTrace", "ByteEvent", "generate", "generate_stream", "load_generator",
           "DEFAULT_GENERATOR_CARD", "MAX_PROMPT_BYTES"]


class _Loaded:
    """One loaded generator: config, patch rule and a factory of per-call steppers."""

    def __init__(self, card: Card, backend: str):
        self.card = card
        self.config = BLTConfig.from_dict(card.config)
        self.entropy_config = card.data["entropy_config"]
        if backend == "onnx":
            from blt_core.generator.onnx_stepper import OnnxStepper, make_session

            sessions = {k: make_session(card.verified(kind)) for k, kind in ONNX_KINDS.items()}
            prefill = _onnx_prefill(card)
            self.name = "onnx"
            self.new_stepper = lambda no_cache: OnnxStepper(sessions, prefill=prefill)
        else:
            import torch

            from blt_core.entropy.model import EntropyModel, EntropyModelConfig
            from blt_core.generator.graphed_stepper import GraphedStepper, StepsPool
            from blt_core.generator.model import BLT
            from blt_core.generator.torch_stepper import NoCacheStepper, TorchStepper, step_functions

            device = torch.device(torch_device())
            blt = load_card_weights(BLT(self.config), card, "safetensors")
            ent = load_card_weights(EntropyModel(EntropyModelConfig.from_dict(self.entropy_config)), card,
                                    "entropy_safetensors")
            blt, ent = blt.to(device).eval(), ent.to(device).eval()
            self.name = f"torch-{device.type}"
            steps = step_functions(blt, ent)  # built once, shared by every stepper of this model
            pool = StepsPool(steps, blt, ent, device)  # CUDA graphs per batch size, captured once
            self.eager_stepper = lambda: TorchStepper(blt, ent, device=device, steps=steps)
            self.graphed_stepper = lambda: GraphedStepper(blt, ent, device=device, steps=steps, pool=pool)
            # on a GPU a byte's eager steps are mostly kernel launches (84 bytes/s at batch 1 on an
            # H200): graphs; on a CPU graphs do not exist and TorchStepper overlaps its two models
            cached = self.graphed_stepper if device.type == "cuda" else self.eager_stepper
            self.new_stepper = lambda no_cache: NoCacheStepper(blt, ent, device=device) if no_cache else cached()

    def patch_flops(self, starts: list[int], n_bytes: int) -> list[int]:
        return generator_patch_flops(self.config, self.entropy_config, starts, n_bytes)


def _onnx_prefill(card: Card):
    """The ONNX prompt prefill of a card that lists its graphs (older cards step through prompts)."""
    if not {"onnx_prefill", "onnx_entropy_prefill"} <= set(card.files):
        return None
    from blt_core.backends import onnx_session
    from blt_core.generator.numpy_weights import read_safetensors
    from blt_core.generator.onnx_stepper import OnnxPrefill

    # all cores: one long pass, unlike the one-token steps; no spinning: the two graphs run back to back
    # (backends.onnx_session)
    return OnnxPrefill(onnx_session(card.verified("onnx_entropy_prefill"), spin=False),
                       onnx_session(card.verified("onnx_prefill"), spin=False),
                       read_safetensors(card.verified("safetensors")))


_LOCK = threading.Lock()


@functools.lru_cache(maxsize=4)
def _load_cached(card_path: str, backend: str) -> _Loaded:
    return _Loaded(Card.load(card_path), backend)


def load_generator(*, card: str | Path | None = None, backend: str = "auto", no_cache: bool = False,
                   model: str | Path | AllowedFolder | None = None):
    """The loaded generator for a card and backend; one instance per process (cached). With
    `model`, the released BLT in that official folder (official_blt/serve.py)."""
    if model is not None:
        from blt_core.official_blt.serve import load_official_generator

        return load_official_generator(model, backend=backend)
    path = str(Path(card) if card is not None else DEFAULT_GENERATOR_CARD)
    if not Path(path).is_file():
        raise WeightsError(f"generator model card not found: {path} (train and finalize the generator first)")
    with _LOCK:
        return _load_cached(path, resolve_backend(backend, torch_only="no_cache" if no_cache else None))


def _prompt_bytes(prompt: str | bytes) -> bytes:
    """The prompt's bytes; ValueError beyond MAX_PROMPT_BYTES.

    >>> _prompt_bytes("x" * 3000)
    Traceback (most recent call last):
    ...
    ValueError: the prompt is 3,000 bytes; prompts are capped at 2,048 bytes (MAX_PROMPT_BYTES): shorten it
    """
    if isinstance(prompt, (str, bytes, bytearray, memoryview)):
        data = to_bytes(prompt)  # the library's one coercion: its message for a lone surrogate
    else:
        raise TypeError(f"prompt must be str or bytes, got {type(prompt).__name__}")
    if len(data) > MAX_PROMPT_BYTES:
        raise ValueError(f"the prompt is {len(data):,} bytes; prompts are capped at {MAX_PROMPT_BYTES:,} bytes "
                         "(MAX_PROMPT_BYTES): shorten it")
    return data


def _check(max_bytes: int, temperature: float, top_k: int | None, seed: int) -> None:
    if not isinstance(max_bytes, int) or isinstance(max_bytes, bool) or max_bytes < 0:
        raise ValueError(f"max_bytes must be an integer >= 0, got {max_bytes!r}")
    if top_k is not None and (not isinstance(top_k, int) or top_k < 1):
        raise ValueError(f"top_k must be an integer >= 1, got {top_k!r}")
    if not isinstance(seed, int) or seed < 0:
        raise ValueError(f"seed must be an integer >= 0, got {seed!r}")
    if not (isinstance(temperature, (int, float)) and temperature >= 0 and temperature < float("inf")):
        raise ValueError(f"temperature must be a finite number >= 0, got {temperature!r}")


def _events(gen: _Loaded, data: bytes, *, max_bytes, temperature, top_k, seed, no_cache) -> Iterator[ByteEvent]:
    cfg = gen.config
    for events in decode(gen.new_stepper(no_cache), [data], max_bytes=max_bytes, threshold=cfg.patch_threshold,
                         max_patch_length=cfg.max_patch_length, temperature=float(temperature), top_k=top_k,
                         seed=seed, max_ngram=cfg.max_ngram):
        yield from events


def generate_stream(prompt: str | bytes, *, max_bytes: int = 200, temperature: float = 0.0, top_k: int | None = None,
                    seed: int = 0, backend: str = "auto", no_cache: bool = False,
                    card: str | Path | None = None,
                    model: str | Path | AllowedFolder | None = None) -> Iterator[ByteEvent]:
    """Yield one ByteEvent per byte as it is decided: first the prompt's bytes, then the output's."""
    _check(max_bytes, temperature, top_k, seed)
    data = _prompt_bytes(prompt)
    gen = load_generator(card=card, backend=backend, no_cache=no_cache, model=model)
    yield from _events(gen, data, max_bytes=max_bytes, temperature=temperature, top_k=top_k, seed=seed,
                       no_cache=no_cache)


def generate(prompt: str | bytes, *, max_bytes: int = 200, temperature: float = 0.0, top_k: int | None = None,
             seed: int = 0, backend: str = "auto", no_cache: bool = False,
             card: str | Path | None = None, model: str | Path | AllowedFolder | None = None) -> Generation:
    """Continue `prompt` by up to max_bytes bytes (stopping early at EOS); see the module docstring."""
    _check(max_bytes, temperature, top_k, seed)
    data = _prompt_bytes(prompt)
    gen = load_generator(card=card, backend=backend, no_cache=no_cache, model=model)
    trace = Trace(len(data))
    t0 = time.perf_counter()
    for e in _events(gen, data, max_bytes=max_bytes, temperature=temperature, top_k=top_k, seed=seed,
                     no_cache=no_cache):
        trace.add(e)
    seconds = time.perf_counter() - t0
    out, starts = trace.output, trace.patch_starts
    return Generation(
        prompt=data.decode("utf-8", errors="replace"), text=bytes(out).decode("utf-8", errors="replace"),
        generated_bytes=out, patch_starts=starts, entropies=trace.entropies,
        flops_per_patch=gen.patch_flops(starts, len(trace.data)),
        bytes_per_second=len(out) / seconds if seconds > 0 else 0.0, backend=gen.name, no_cache=no_cache,
        stopped_by="max_bytes" if len(out) >= max_bytes else "eos", global_steps=trace.global_steps,
        local_steps=trace.local_steps,
        seconds=seconds)
