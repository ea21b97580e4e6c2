"""The generator on ONNX Runtime: numpy + onnxruntime only, no torch import anywhere on this path.

`OnnxStepper` runs the three step graphs written by onnx_export.py and keeps their caches
as numpy arrays; decoding.run drives it exactly as it drives the torch stepper.

    stepper = OnnxStepper.from_files({"entropy_step": ..., "local_step": ..., "global_step": ...})
    decoding.run(stepper, [b"Hello"], max_bytes=50, ...)
"""

from __future__ import annotations

from concurrent.futures import Future
from pathlib import Path

import numpy as np
import onnxruntime as ort

from blt_core.backends import onnx_session
from blt_core.entropy.scoring import reduce_logits
from blt_core.generator.decoding import closing, in_background, write_slots
from blt_core.generator.last_ngrams import last_ngram_buckets
from blt_core.generator.prefill_caches import keep_prefill, left_padded, prefill_inputs, present_to_ring

PREFILL_INPUTS = ("tokens", "patch_ids", "token_pos", "patch_pos")  # then the weights (generator/export.py)


def make_session(path: str | Path, *, threads: int = 1) -> ort.InferenceSession:
    """A step graph's session: one thread by default (backends.onnx_session says why)."""
    return onnx_session(path, threads=threads)


class _Step:
    """One step graph: its cache inputs (k0, v0, ...) and their zero initial values."""

    def __init__(self, session: ort.InferenceSession):
        self.session = session
        self.inputs = [i.name for i in session.get_inputs()]
        self.outputs = [o.name for o in session.get_outputs()]
        self.cache_inputs = [i for i in session.get_inputs() if i.name[0] in "kv" and i.name[1:].isdigit()]
        self.n_cache = len(self.cache_inputs)

    def zeros(self) -> list[np.ndarray]:
        """Initial ring caches (layers.py), all zero: no slot is valid before position 1."""
        return [np.zeros(i.shape, dtype=np.float32) for i in self.cache_inputs]

    def __call__(self, feeds: dict, caches: list[np.ndarray]) -> tuple[list[np.ndarray], list[np.ndarray]]:
        """-> (the graph's outputs, each layer's new key/value (B, H, 1, D) for the caller to store)."""
        for i, c in zip(self.cache_inputs, caches):
            feeds[i.name] = c
        out = self.session.run(None, feeds)
        return out[: len(out) - self.n_cache], out[len(out) - self.n_cache:]


class OnnxPrefill:
    """The prompt's one pass on ONNX Runtime: the entropy model's scoring graph and the Prefill
    graph (generator/export.py), whose weights are inputs fed from the card's safetensors."""

    def __init__(self, entropy: ort.InferenceSession, prefill: ort.InferenceSession, weights: dict[str, np.ndarray]):
        self.entropy, self.session = entropy, prefill
        past = next(i for i in entropy.get_inputs() if i.name == "past_kv")
        self.past_shape = past.shape  # (layers, 2, batch, heads, window, head_dim), batch symbolic
        self.window = past.shape[4]
        names = [i.name for i in prefill.get_inputs() if i.name not in PREFILL_INPUTS]
        self.weights = {n: np.ascontiguousarray(weights[n], dtype=np.float32) for n in names}

    def entropies(self, tokens: np.ndarray, caches: list[np.ndarray]) -> np.ndarray:
        m = tokens.shape[1]
        ids, positions, segments = left_padded(tokens, window=self.window)
        L, two, _, H, W, D = self.past_shape
        feeds = {"ids": ids, "positions": positions, "segments": segments,
                 "past_kv": np.zeros((L, two, len(ids), H, W, D), dtype=np.float32),
                 "has_past": np.zeros(len(ids), dtype=bool)}
        logits, present = self.entropy.run(["logits", "present_kv"], feeds)
        present_to_ring(caches, present, m)
        B, _, V = logits.shape
        ent = reduce_logits(logits[:, -m:].reshape(B * m, V), np.zeros(B * m, dtype=np.int64), top_k=0)[0]
        return ent.reshape(B, m)

    def run(self, inputs: tuple[np.ndarray, ...]) -> list[np.ndarray]:
        return self.session.run(None, {**dict(zip(PREFILL_INPUTS, inputs)), **self.weights})


class OnnxStepper:
    def __init__(self, sessions: dict[str, ort.InferenceSession], *, prefill: OnnxPrefill | None = None):
        self.entropy = _Step(sessions["entropy_step"])
        self.local = _Step(sessions["local_step"])
        self.glob = _Step(sessions["global_step"])
        mem = next(i for i in sessions["local_step"].get_inputs() if i.name == "memory")
        meta = sessions["local_step"].get_modelmeta().custom_metadata_map  # written by onnx_export.py
        self.hash_sizes = tuple(int(n) for n in meta["hash_ngram_sizes"].split(","))
        self.hash_buckets = int(meta["hash_buckets"])
        self.global_hidden = mem.shape[1]
        self.windows = {"local_window": self.local.cache_inputs[0].shape[2] + 1,
                        "global_window": self.glob.cache_inputs[0].shape[2] + 1}
        if prefill is not None:  # decoding.decode prefills a prompt where a stepper has these two
            self.pre = prefill
            self.prefill_entropy, self.prefill = self._prefill_entropy, self._prefill

    @classmethod
    def from_files(cls, paths: dict[str, str | Path], *, threads: int = 1) -> "OnnxStepper":
        return cls({k: make_session(paths[k], threads=threads) for k in ("entropy_step", "local_step", "global_step")})

    def start(self, batch: int) -> None:
        if batch != 1:
            raise ValueError("the ONNX step graphs decode one row at a time (batch 1)")
        self.ent_cache = self.entropy.zeros()
        self.local_cache = self.local.zeros()
        self.global_cache = self.glob.zeros()
        self.memory = np.zeros((batch, self.global_hidden), dtype=np.float32)
        self.states: list[np.ndarray] = []
        self.hist_from = 0

    def entropy_step(self, tokens, pos) -> Future:
        """Runs on a worker thread while the loop runs the global and local steps: ONNX Runtime
        releases the GIL, so on two cores the entropy model costs almost no extra time."""
        return in_background(self._entropy_step, np.asarray(tokens, dtype=np.int64), pos)

    def _entropy_step(self, tokens: np.ndarray, pos: int) -> np.ndarray:
        (ent,), new = self.entropy({"tokens": tokens, "pos": np.full_like(tokens, pos)}, self.ent_cache)
        write_slots(self.ent_cache, new, pos % self.ent_cache[0].shape[2], slice(None))
        return ent

    def local_step(self, window, pos, patch_index):
        window = np.asarray(window, dtype=np.int64)
        feeds = {"token": window[:, -1], "pos": np.full(len(window), pos, dtype=np.int64), "memory": self.memory,
                 "buckets": last_ngram_buckets(window, self.hash_sizes, buckets=self.hash_buckets),
                 "patch_index": np.asarray(patch_index, dtype=np.int64)}
        (logits, state), new = self.local(feeds, self.local_cache)
        write_slots(self.local_cache, new, pos % self.local_cache[0].shape[2], slice(None))
        self.states.append(state)
        return logits

    def _prefill_entropy(self, tokens: np.ndarray) -> np.ndarray:
        """(1, m) tokens 0 .. m-1 -> (1, m) entropies in one pass; the entropy cache as if stepped."""
        return self.pre.entropies(tokens, self.ent_cache)

    def _prefill(self, tokens: np.ndarray, patch_ids: np.ndarray) -> None:
        h, g, *kv = self.pre.run(prefill_inputs(tokens, patch_ids, **self.windows))
        keep_prefill(self, h, g, kv, patch_ids)

    def global_step(self, close, patch_start, pos, patch_index):
        c = closing(close, patch_start, pos)
        states = np.stack(self.states[c.lo - self.hist_from: pos - self.hist_from], axis=1)  # (B, Lp, L)
        patch_index = np.asarray(patch_index, dtype=np.int64)
        feeds = {"patch_states": states, "patch_mask": c.mask, "patch_pos": patch_index}
        (mem,), new = self.glob(feeds, self.global_cache)
        write_slots(self.global_cache, new, patch_index[c.rows] % self.global_cache[0].shape[2], c.rows)
        self.memory = np.where(close[:, None], mem, self.memory).astype(np.float32)
        self.states = self.states[c.keep - self.hist_from:]
        self.hist_from = c.keep
