"""Steppers on torch: `TorchStepper` (KV caches, O(1) model calls per byte) and
`NoCacheStepper` (re-runs the full entropy model and BLT over the whole sequence for every
byte, as the official demo does; the baseline the caches are measured against).

Both implement decoding.Stepper, so the loop and its decisions are shared.

>>> from blt_core.generator.config import BLTConfig
>>> from blt_core.entropy.model import EntropyModelConfig
>>> blt = BLT(BLTConfig(local_hidden_size=64, local_num_attention_heads=1, global_hidden_size=128,
...                     global_num_attention_heads=2, num_global_layers=1, hash_buckets=64, hash_dim=4)).init_weights()
>>> ent = EntropyModel(EntropyModelConfig(hidden_size=32, num_hidden_layers=1, num_attention_heads=2,
...                                       intermediate_size=64, window=16)).init_weights()
>>> s = TorchStepper(blt, ent); s.start(1)
>>> s.entropy_step(np.array([1]), 0).result().shape, s.local_step(np.zeros((1, 8), np.int64), 0, np.zeros(1, np.int64)).shape
((1,), (1, 260))
"""

from __future__ import annotations

from contextlib import contextmanager

import numpy as np
import torch

from blt_core.generator.steps import (EntropyStep, GlobalStep, LocalStep, entropy_cache_shapes, global_cache_shapes,
                                local_cache_shapes)
from blt_core.generator.decoding import closing, in_background, write_slots
from blt_core.generator.last_ngrams import last_ngram_buckets
from blt_core.generator.masks import token_entropies
from blt_core.generator.model import BLT
from blt_core.generator.prefill import Prefill
from blt_core.generator.prefill_caches import keep_prefill, left_padded, prefill_inputs, present_to_ring
from blt_core.entropy.model import EntropyModel
from blt_core.nn import entropy_nats


Steps = tuple[EntropyStep, LocalStep, GlobalStep]


@contextmanager
def one_intra_op_thread(device: torch.device):
    """On the CPU, run the block with one intra-op thread in this thread, then restore its count.

    A cached step is one position: dozens of tiny `linear` calls, for which a second intra-op thread
    costs more than it gives, and the second core is already busy with the entropy step beside it
    (in_background). Torch's count is per thread here (OpenMP), so other threads keep theirs.
    >>> with one_intra_op_thread(torch.device("cpu")):
    ...     torch.get_num_threads()
    1
    """
    before = torch.get_num_threads()
    if device.type != "cpu" or before == 1:
        yield
        return
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(before)


def step_functions(blt: BLT, entropy_model: EntropyModel) -> Steps:
    """(entropy, local, global) step modules in inference mode, run eagerly.

    A cached step is a few hundred tiny ops, so eager Python costs about as much as the
    arithmetic; the frozen TorchScript traces that once halved that are deprecated, and
    torch.compile needs a C++ toolchain on the CPU, so the steps stay eager (ONNX Runtime is
    the fast CPU path).
    """
    return EntropyStep(entropy_model.eval()), LocalStep(blt.eval()), GlobalStep(blt.eval())


class TorchStepper:
    def __init__(self, blt: BLT, entropy_model: EntropyModel, *, device: str | torch.device = "cpu",
                 steps: Steps | None = None):
        self.device = torch.device(device)
        self.blt, self.entropy_model = blt.eval(), entropy_model.eval()
        self.entropy, self.local, self.glob = steps or step_functions(blt, entropy_model)
        self.prefill_module = Prefill(self.blt)

    def _t(self, a, dtype=torch.long) -> torch.Tensor:
        return torch.as_tensor(np.asarray(a), dtype=dtype, device=self.device)

    @torch.inference_mode()
    def start(self, batch: int) -> None:
        cfg = self.blt.config
        z = lambda shapes: tuple(torch.zeros(s, device=self.device) for s in shapes)  # noqa: E731
        self.ent_cache = z(entropy_cache_shapes(self.entropy_model.config, batch))
        self.local_cache = z(local_cache_shapes(cfg, batch))
        self.global_cache = z(global_cache_shapes(cfg, batch))
        self.memory = torch.zeros(batch, cfg.global_hidden_size, device=self.device)
        self.states: list[torch.Tensor] = []  # encoder states (B, L) of positions hist_from ..
        self.hist_from = 0

    def entropy_step(self, tokens, pos):
        """On the CPU a Future (decoding.in_background: the second core runs it beside the local
        step); on a GPU the array, since both would queue on the same stream anyway."""
        if self.device.type == "cpu":
            return in_background(self._entropy_step, tokens, pos)
        return self._entropy_step(tokens, pos)

    @torch.inference_mode()  # per thread: the worker thread enters it here
    def _entropy_step(self, tokens, pos):
        with one_intra_op_thread(self.device):
            t = self._t(tokens)
            ent, *new = self.entropy(t, torch.full_like(t, pos), *self.ent_cache)
            write_slots(self.ent_cache, new, pos % self.ent_cache[0].shape[2], slice(None))
            return ent.float().cpu().numpy()

    def local_step(self, window, pos, patch_index):
        with one_intra_op_thread(self.device):
            return self._local_step(window, pos, patch_index)

    @torch.inference_mode()
    def _local_step(self, window, pos, patch_index):
        cfg = self.blt.config
        buckets = self._t(last_ngram_buckets(window, cfg.hash_ngram_sizes, buckets=cfg.hash_buckets))
        token = self._t(np.asarray(window)[:, -1])
        p = torch.full((token.shape[0],), pos, dtype=torch.long, device=self.device)
        logits, h, *new = self.local(token, buckets, p, self.memory, self._t(patch_index), *self.local_cache)
        write_slots(self.local_cache, new, pos % self.local_cache[0].shape[2], slice(None))
        self.states.append(h)
        return logits.float().cpu().numpy()

    @torch.inference_mode()
    def prefill_entropy(self, tokens):
        """(B, m) tokens 0 .. m-1 -> (B, m) entropies, in one blocked pass (decoding.decode's prefill)."""
        m = tokens.shape[1]
        ids, positions, segments = left_padded(tokens, window=self.entropy_model.config.window)
        logits, present = self.entropy_model.forward_chunk(self._t(ids), positions=self._t(positions),
                                                           segments=self._t(segments))
        present_to_ring(self.ent_cache, present, m)
        return entropy_nats(logits[:, -m:]).float().cpu().numpy()

    @torch.inference_mode()
    def prefill(self, tokens, patch_ids):
        """Local and global caches, memory and open-patch states as if tokens 0 .. m-1 had been stepped."""
        cfg = self.blt.config
        inputs = prefill_inputs(tokens, patch_ids, local_window=cfg.local_window, global_window=cfg.global_window)
        h, g, *kv = self.prefill_module(*(self._t(a) for a in inputs))
        keep_prefill(self, h, g, kv, patch_ids)

    def global_step(self, close, patch_start, pos, patch_index):
        with one_intra_op_thread(self.device):
            self._global_step(close, patch_start, pos, patch_index)

    @torch.inference_mode()
    def _global_step(self, close, patch_start, pos, patch_index):
        c = closing(close, patch_start, pos)
        states = torch.stack(self.states[c.lo - self.hist_from: pos - self.hist_from], dim=1)  # (B, Lp, L)
        mem, *new = self.glob(states, self._t(c.mask, torch.bool), self._t(patch_index), *self.global_cache)
        slots = self._t(np.asarray(patch_index)[c.rows] % self.global_cache[0].shape[2])
        write_slots(self.global_cache, new, slots, self._t(c.rows))
        self.memory = torch.where(self._t(close, torch.bool)[:, None], mem, self.memory)
        self.states = self.states[c.keep - self.hist_from:]
        self.hist_from = c.keep


class NoCacheStepper:
    """Every byte re-runs both models over the whole sequence so far; decisions come from the loop."""

    def __init__(self, blt: BLT, entropy_model: EntropyModel, *, device: str | torch.device = "cpu"):
        self.device = torch.device(device)
        self.blt, self.entropy_model = blt.eval(), entropy_model.eval()

    def start(self, batch: int) -> None:
        self.tokens: list[np.ndarray] = []
        self.patch_of: list[np.ndarray] = []

    @torch.inference_mode()
    def entropy_step(self, tokens, pos):
        self.tokens.append(np.asarray(tokens, dtype=np.int64))
        ids = torch.as_tensor(np.stack(self.tokens, axis=1), device=self.device)  # (B, pos+1)
        logits = self.entropy_model(ids)
        # entropy of the prediction made at the last position, i.e. of token pos+1
        return token_entropies(torch.cat([logits, logits[:, -1:]], dim=1))[:, -1].float().cpu().numpy()

    @torch.inference_mode()
    def local_step(self, window, pos, patch_index):
        self.patch_of.append(np.asarray(patch_index, dtype=np.int64))
        ids = torch.as_tensor(np.stack(self.tokens, axis=1), device=self.device)
        pid = np.stack(self.patch_of, axis=1)
        starts = np.concatenate([np.ones_like(pid[:, :1], dtype=bool), pid[:, 1:] != pid[:, :-1]], axis=1)
        logits = self.blt(ids, torch.as_tensor(starts, device=self.device))
        return logits[:, -1].float().cpu().numpy()

    def global_step(self, close, patch_start, pos, patch_index):
        """Nothing to do: the next full forward pools and runs every patch again."""
