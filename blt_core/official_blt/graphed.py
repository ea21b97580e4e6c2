"""GraphedOfficialStepper: OfficialStepper with its steps replayed as CUDA graphs (issue 14).

The one idea it adds: every step runs over the static buffers of static_steps.StaticSteps, so
on a GPU a byte costs a few graph launches instead of thousands of kernel launches, and per
byte only the last tokens and the position go in and the entropy and logits come out. The
decisions stay decoding.decode's, on the host, from the same numbers, and the patch rule is
OfficialStepper's: token pos closes its patch when its own entropy says token pos + 1 opens the
next, so the host reads that entropy between the encode and the decode of token pos (the
entropy graph, on its own stream, runs beside the encode). The prompt's prefill is
OfficialStepper's eager pass, its results copied into the static buffers.

For the BLT-1B shape on an H200 (bench/bench_official_blt_gpu.py) that is 158.9 output bytes/s
against 19.8 eager, the same bytes. A byte's path is entropy graph (2.0 ms) -> close, when its
patch ends (4.0 ms) -> decode (2.0 ms), each one serial on the last: every graph is bound by its
count of small kernels, not by its weights, so fusing kernels is the next lever.

Capturing costs a fraction of a second, so a loaded model's StaticSteps live in a `StepsPool`
that its steppers share: a generation borrows one at start and gives it back when its stepper
is dropped (two at once get two).

On a CPU the same static-buffer code runs eagerly, so its answers can be checked against
OfficialStepper's there:
>>> from blt_core.entropy.model import EntropyModelConfig
>>> from blt_core.official_blt.config import OfficialBLTConfig
>>> cfg = OfficialBLTConfig(encoder_hidden_size=16, encoder_heads=2, encoder_intermediate_size=32,
...     decoder_hidden_size=16, decoder_heads=2, decoder_layers=1, decoder_intermediate_size=32, cross_attn_heads=2,
...     global_hidden_size=32, global_heads=2, global_layers=1, global_intermediate_size=64, hash_buckets=50)
>>> ent = EntropyModelConfig(hidden_size=16, num_hidden_layers=1, num_attention_heads=2, intermediate_size=32)
>>> s = GraphedOfficialStepper(OfficialBLT(cfg, ent)); s.start(1)
>>> s.entropy_step(np.array([1]), 0).result().shape, s.local_step(np.ones((1, 8), np.int64), 0, np.zeros(1)).shape
((1,), (1, 260))
"""

from __future__ import annotations

import threading
import weakref

import numpy as np
import torch

from blt_core.official_blt.model import OfficialBLT
from blt_core.official_blt.static_steps import StaticSteps
from blt_core.official_blt.stepping import OfficialStepper, _one_row
from blt_core.patching import exceeds


class StepsPool:
    """StaticSteps of one model, built (and captured) once, lent to one generation at a time."""

    def __init__(self, model: OfficialBLT, device: torch.device, **sizes):
        self.model, self.device, self.sizes = model, torch.device(device), sizes
        self._free: list[StaticSteps] = []
        self._lock = threading.Lock()

    def take(self) -> StaticSteps:
        with self._lock:
            if self._free:
                return self._free.pop()
        return StaticSteps(self.model, self.device, **self.sizes)

    def give(self, steps: StaticSteps) -> None:
        with self._lock:
            self._free.append(steps)


def last_tokens(window: np.ndarray, n: int) -> np.ndarray:
    """The last n tokens of a (1, w) window, BOE (0) in front where w < n, as hash_ids pads.

    >>> last_tokens(np.array([[5, 6, 7]]), 2).tolist(), last_tokens(np.array([[7]]), 3).tolist()
    ([[6, 7]], [[0, 0, 7]])
    """
    window = np.asarray(window, dtype=np.int64)
    return np.pad(window, ((0, 0), (max(0, n - window.shape[1]), 0)))[:, -n:]


class GraphedOfficialStepper:
    """A decoding.Stepper over StaticSteps (batch 1); pool: shared captures (one of its own if None)."""

    def __init__(self, model: OfficialBLT, *, device: str | torch.device = "cpu", pool: StepsPool | None = None):
        self.model, self.device = model.eval(), torch.device(device)
        self.pool = pool or StepsPool(model, self.device)
        self.steps: StaticSteps | None = None
        self._give_back = lambda: None  # a weakref.finalize once it holds borrowed StaticSteps

    def start(self, batch: int) -> None:
        _one_row(batch)
        if self.steps is None:
            self.steps = self.pool.take()
            self._give_back = weakref.finalize(self, self.pool.give, self.steps)
        self.steps.reset()
        self.patches = 0  # patches closed (global positions used)
        self.first = 0  # the open patch's first token
        self.pending = None  # the Future of the last entropy step's entropy
        self.eager: OfficialStepper | None = None  # the prompt's prefill, between its two calls

    def entropy_step(self, tokens, pos):
        """A Future: on a GPU the entropy graph runs beside this position's encode."""
        self.pending = self.steps.entropy_step(tokens, pos)
        return self.pending

    def local_step(self, window, pos, patch_index):
        """Token pos: encode; close its patch when token pos + 1 opens the next; decode."""
        s = self.steps
        s.hold(self.first, pos)
        s.encode(last_tokens(window, s.window), pos)
        if pos == 0 or bool(exceeds(self.pending.result(), self.model.config.patch_threshold)[0]):
            s.reserve(self.patches + 1)
            s.close(self.first, pos, self.patches)
            self.patches += 1
            self.first = pos + 1
        return s.decode()

    def global_step(self, close, patch_start, pos, patch_index):
        """Already done in local_step at token pos - 1; the loop's count must agree with ours."""
        if int(np.asarray(patch_index)[0]) + 1 != self.patches:
            raise RuntimeError(f"patch bookkeeping diverged: the loop closes patch {int(patch_index[0])}, "
                               f"the stepper has closed {self.patches}")

    def prefill_entropy(self, tokens):
        """OfficialStepper.prefill_entropy's pass; its entropy cache copied into the static one."""
        self.eager = OfficialStepper(self.model, device=self.device)
        with self.steps.writing_entropy_cache(), torch.no_grad():
            self.eager.start(1)
            entropies = self.eager.prefill_entropy(tokens)
            self.steps.ent_kv.copy_(torch.stack(self.eager.ent_cache))
        return entropies

    def prefill(self, tokens, patch_ids):
        """OfficialStepper.prefill's pass; its caches, memory and open-patch states copied in."""
        eager, self.eager = self.eager, None
        with self.steps.on_main():
            eager.prefill(tokens, patch_ids)
        m = np.asarray(tokens).shape[1]
        self.steps.load(eager, m)
        self.patches, self.first = eager.patches, m - len(eager.open_states)
