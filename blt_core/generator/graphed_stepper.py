"""GraphedStepper: TorchStepper with its three steps replayed as CUDA graphs (issue 14).

The one idea it adds: every byte's steps run over static buffers (graphed_steps.GraphedSteps),
so on a GPU each step is one graph launch instead of a few hundred kernel launches, and per
byte only the tokens, buckets and indices go in and the entropy and logits come out. The
decisions stay decoding.decode's, on the host, from the same numbers; the prompt's prefill
stays TorchStepper's eager pass, its results copied into the static buffers.

Capturing costs a fraction of a second, so the buffers and graphs of a batch size live in a
`StepsPool` that the steppers of one loaded generator share: a generation borrows them at
start(B) and gives them back when its stepper is dropped (two at once get two sets).

On a CPU the same static-buffer code runs eagerly, so its answers can be checked against
TorchStepper's there:
>>> from blt_core.generator.config import BLTConfig
>>> from blt_core.entropy.model import EntropyModelConfig
>>> blt = BLT(BLTConfig(local_hidden_size=64, local_num_attention_heads=1, global_hidden_size=128,
...                     global_num_attention_heads=2, num_global_layers=1, hash_buckets=64, hash_dim=4)).init_weights()
>>> ent = EntropyModel(EntropyModelConfig(hidden_size=32, num_hidden_layers=1, num_attention_heads=2,
...                                       intermediate_size=64, window=16)).init_weights()
>>> s = GraphedStepper(blt, ent); s.start(1)
>>> s.entropy_step(np.array([1]), 0).result().shape, s.local_step(np.zeros((1, 8), np.int64), 0, np.zeros(1, np.int64)).shape
((1,), (1, 260))
"""

from __future__ import annotations

import threading
import weakref
from types import SimpleNamespace

import numpy as np
import torch

from blt_core.entropy.model import EntropyModel
from blt_core.generator.decoding import closing
from blt_core.generator.graphed_steps import GraphedSteps
from blt_core.generator.last_ngrams import LastNgramHasher
from blt_core.generator.model import BLT
from blt_core.generator.prefill_caches import keep_prefill, prefill_inputs
from blt_core.generator.torch_stepper import Steps, TorchStepper


class StepsPool:
    """GraphedSteps per batch size, built (and captured) once, lent to one stepper at a time."""

    def __init__(self, steps: Steps, blt: BLT, entropy_model: EntropyModel, device: torch.device):
        self.steps, self.device = steps, torch.device(device)
        self.configs = (blt.config, entropy_model.config)
        self._free: dict[int, list[GraphedSteps]] = {}
        self._lock = threading.Lock()

    def take(self, batch: int) -> GraphedSteps:
        with self._lock:
            free = self._free.get(batch)
            if free:
                return free.pop()
        return GraphedSteps(self.steps, *self.configs, batch, self.device)

    def give(self, steps: GraphedSteps) -> None:
        with self._lock:
            self._free.setdefault(steps.batch, []).append(steps)


class GraphedStepper(TorchStepper):
    """A decoding.Stepper over GraphedSteps; pool: shared captures (one of its own if None)."""

    def __init__(self, blt: BLT, entropy_model: EntropyModel, *, device: str | torch.device = "cpu",
                 steps: Steps | None = None, pool: StepsPool | None = None):
        super().__init__(blt, entropy_model, device=device, steps=steps)
        self.pool = pool or StepsPool((self.entropy, self.local, self.glob), blt, entropy_model, self.device)
        self.graphed: GraphedSteps | None = None
        self.hash = LastNgramHasher(blt.config.hash_ngram_sizes, buckets=blt.config.hash_buckets)
        self._give_back = lambda: None  # a weakref.finalize once it holds a borrowed GraphedSteps

    # TorchStepper's names for the state, read by its prefill_entropy and by tests
    ent_cache = property(lambda self: self.graphed.ent_cache)
    local_cache = property(lambda self: self.graphed.local_cache)
    global_cache = property(lambda self: self.graphed.global_cache)
    memory = property(lambda self: self.graphed.memory)

    def start(self, batch: int) -> None:
        if self.graphed is None or self.graphed.batch != batch:
            self._give_back()
            self.graphed = self.pool.take(batch)
            self._give_back = weakref.finalize(self, self.pool.give, self.graphed)
        self.graphed.reset()
        self.hist_from = 0  # earliest position whose encoder state an open patch still needs

    def entropy_step(self, tokens, pos):
        """A Future: on a GPU the entropy graph runs on its own stream beside this position's global
        and local graphs, and the host waits for it only when decoding asks."""
        return self.graphed.entropy_step(tokens, pos)

    def local_step(self, window, pos, patch_index):
        self.graphed.hold(self.hist_from, pos)
        return self.graphed.local_step(np.asarray(window)[:, -1], self.hash(window), patch_index, pos)

    def global_step(self, close, patch_start, pos, patch_index):
        c = closing(close, patch_start, pos)
        self.graphed.global_step(close, patch_start, patch_index, c.lo, pos)
        self.hist_from = c.keep

    def prefill_entropy(self, tokens):
        with self.graphed.writing_entropy_cache():
            return super().prefill_entropy(tokens)

    @torch.no_grad()
    def prefill(self, tokens, patch_ids):
        """TorchStepper.prefill's pass; the open patches' encoder states go to the ring."""
        cfg = self.blt.config
        g = self.graphed
        inputs = prefill_inputs(tokens, patch_ids, local_window=cfg.local_window, global_window=cfg.global_window)
        with g.on_main():
            h, pooled, *kv = self.prefill_module(*(self._t(a) for a in inputs))
            kept = SimpleNamespace(local_cache=g.local_cache, global_cache=g.global_cache, memory=g.memory)
            keep_prefill(kept, h, pooled, kv, patch_ids)  # caches and memory in place, states as a list
            g.keep_states(kept.states, kept.hist_from)
        self.hist_from = kept.hist_from
