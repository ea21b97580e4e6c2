"""Generation with the released BLT: a decoding.Stepper with cached keys and values everywhere,
and the full-recompute baseline (torch only).

`OfficialStepper` costs one entropy step, one encoder step and one decoder step per byte, plus
one global step per patch: the entropy model's ring cache (generator/steps.EntropyStep, the
shipped generator's), the local layers' keys and values of the last window - 1 bytes, and the
global layers' keys and values of every earlier patch. Bytes of the open patch keep their
encoder states until it closes.

The released decoder at token t reads the patch complete at t (patch_layout), so a patch closes
as soon as the entropy at its last token says the next token opens a new one: inside
`local_step`, one token before decoding.decode's own `global_step` call, which here only
checks that the loop took the same decision (the same rule, patching.exceeds, on the same
numbers). `FullRecompute` re-runs OfficialBLT.forward over the whole sequence for every byte,
as facebookresearch/blt's generate_nocache does; the tests hold the two to the same bytes.

A prompt is prefilled in one pass of each model (decoding.decode calls `prefill_entropy`, then
`prefill`): the same caches, open-patch states and memory as stepping through it, so a long
prompt costs a few large passes, not one small step per byte.

One prompt at a time (batch 1): patches close at different bytes in different rows.
"""

from __future__ import annotations

import numpy as np
import torch

from blt_core.generator.steps import EntropyStep, entropy_cache_shapes
from blt_core.generator.decoding import write_slots
from blt_core.generator.prefill_caches import left_padded, present_to_ring
from blt_core.nn import entropy_nats, rope_for_positions, rope_tables
from blt_core.official_blt.hashing import hash_ids, last_hash_ids
from blt_core.official_blt.model import OfficialBLT, local_mask
from blt_core.official_blt.patch_layout import patch_layout
from blt_core.patching import exceeds


def _one_row(batch: int) -> None:
    if batch != 1:
        raise ValueError(f"the released BLT generates one prompt at a time, got a batch of {batch}")


class LocalCache:
    """Per layer, the keys and values (B, H, n, D) of the last `window - 1` positions (all of them
    when window is None): what a new position's windowed attention reads besides itself."""

    def __init__(self, layers: int, batch: int, heads: int, head_dim: int, window: int | None, *, device, dtype):
        self.window = window
        empty = torch.zeros(batch, heads, 0, head_dim, device=device, dtype=dtype)
        self.kv = [(empty, empty) for _ in range(layers)]

    def valid(self) -> torch.Tensor:
        k = self.kv[0][0]
        return torch.ones(k.shape[0], k.shape[2], dtype=torch.bool, device=k.device)

    def add(self, i: int, k: torch.Tensor, v: torch.Tensor) -> None:
        self.kv[i] = tuple(self._trim(torch.cat([old, new], dim=2)) for old, new in zip(self.kv[i], (k, v)))

    def fill(self, kv: list[tuple[torch.Tensor, torch.Tensor]]) -> None:
        """Every layer's keys and values of a whole prompt (B, H, m, D): keep what steps would have kept."""
        self.kv = [(self._trim(k), self._trim(v)) for k, v in kv]

    def _trim(self, x: torch.Tensor) -> torch.Tensor:
        if self.window is None:
            return x
        return x[:, :, x.shape[2] - min(x.shape[2], self.window - 1):]


class OfficialStepper:
    def __init__(self, model: OfficialBLT, *, device: str | torch.device = "cpu"):
        self.model, self.device = model.eval(), torch.device(device)
        self.entropy = EntropyStep(model.patcher)
        self.dtype = next(model.parameters()).dtype

    def _t(self, a, dtype=torch.long) -> torch.Tensor:
        return torch.as_tensor(np.asarray(a), dtype=dtype, device=self.device)

    @torch.inference_mode()
    def start(self, batch: int) -> None:
        _one_row(batch)
        m, cfg = self.model, self.model.config
        self.ent_cache = tuple(torch.zeros(s, device=self.device, dtype=self.dtype)
                               for s in entropy_cache_shapes(m.patcher.config, batch))
        kw = dict(device=self.device, dtype=self.dtype)
        self.encoder_cache = LocalCache(cfg.encoder_layers, batch, cfg.encoder_heads, m.local_head_dim,
                                        cfg.local_window, **kw)
        self.decoder_cache = LocalCache(cfg.decoder_layers, batch, cfg.decoder_heads, m.local_head_dim,
                                        cfg.local_window, **kw)
        g = m.global_transformer
        empty = torch.zeros(batch, cfg.global_heads, 0, g.head_dim, **kw)
        self.global_cache = [(empty, empty) for _ in range(cfg.global_layers)]
        self.open_states: list[list[torch.Tensor]] = []  # per byte of the open patch: its cross-layer states
        self.patches = 0  # patches closed (global positions used)
        self.memory = None  # (B, k, C): the decoder's view of the last closed patch
        self.last_entropy = None

    def entropy_step(self, tokens, pos):
        with torch.inference_mode():
            t = self._t(tokens)
            ent, *new = self.entropy(t, torch.full_like(t, pos), *self.ent_cache)
            write_slots(self.ent_cache, new, pos % self.ent_cache[0].shape[2], slice(None))
        self.last_entropy = ent.float().cpu().numpy()
        return self.last_entropy

    @torch.inference_mode()
    def _encode(self, window: np.ndarray, pos: int):
        """Token pos through the embeddings and encoder layers -> its cross-layer states, RoPE tables."""
        m, cfg = self.model, self.model.config
        w = self._t(window)
        hashes = last_hash_ids(w, cfg.hash_sizes, buckets=cfg.hash_buckets, functions=cfg.hash_functions)
        x = m.embed(w[:, -1:], hashes[:, None])  # (B, 1, C)
        cos, sin = rope_for_positions(m.local_head_dim, self._t([pos] * w.shape[0]), cfg.rope_theta)
        wanted, states = set(m.local_encoder.cross_layers()), []
        valid = self.encoder_cache.valid()
        for i, layer in enumerate(m.local_encoder.layers):
            x, k, v = layer.step(x, cos, sin, *self.encoder_cache.kv[i], valid)
            self.encoder_cache.add(i, k, v)
            if i in wanted:
                states.append(x)
        return states, cos, sin

    @torch.inference_mode()
    def _close_patch(self) -> None:
        """The open patch's bytes -> one patch vector -> one global step -> the decoder's memory."""
        m = self.model
        states = [torch.cat(layer, dim=1) for layer in zip(*self.open_states)]  # per cross layer (B, L, C)
        ids = torch.zeros(states[0].shape[:2], dtype=torch.long, device=self.device)
        g = m.global_transformer.step(m.local_encoder.patches(states, ids, 1), self.patches, self.global_cache)
        self.memory = m.local_decoder.memory(g)
        self.patches += 1
        self.open_states = []

    @torch.inference_mode()
    def local_step(self, window, pos, patch_index):
        """Token pos: encoder step; close its patch when token pos + 1 opens the next; decoder step."""
        states, cos, sin = self._encode(window, pos)
        self.open_states.append(states)
        if pos == 0 or bool(exceeds(self.last_entropy, self.model.config.patch_threshold)[0]):
            self._close_patch()
        dec = self.model.local_decoder
        logits, new = dec.step(states[-1], self.memory, cos, sin, self.decoder_cache.kv, self.decoder_cache.valid())
        for i, (k, v) in enumerate(new):
            self.decoder_cache.add(i, k, v)
        return logits[:, 0].float().cpu().numpy()

    @torch.inference_mode()
    def prefill_entropy(self, tokens):
        """(1, m) tokens 0 .. m-1 -> (1, m) entropies in one blocked pass; the entropy cache as if stepped."""
        m = tokens.shape[1]
        ids, positions, segments = left_padded(tokens, window=self.model.patcher.config.window)
        logits, present = self.model.patcher.forward_chunk(self._t(ids), positions=self._t(positions),
                                                           segments=self._t(segments))
        present_to_ring(self.ent_cache, present, m)
        self.prompt_entropies = entropy_nats(logits[:, -m:]).float().cpu().numpy()
        self.last_entropy = self.prompt_entropies[:, -1]
        return self.prompt_entropies

    @torch.inference_mode()
    def prefill(self, tokens, patch_ids):
        """Every cache, the open patch's states and the decoder's memory as if tokens 0 .. m-1 had been
        stepped: one pass of the encoder and decoder over the prompt, one of the global model over
        its complete patches."""
        m_, cfg = self.model, self.model.config
        ids = self._t(tokens)
        m = ids.shape[1]
        ours, decoder_ids, _ = patch_layout(self.prompt_entropies[0], threshold=cfg.patch_threshold)
        if not np.array_equal(ours, np.asarray(patch_ids)[0]):
            raise RuntimeError("patch bookkeeping diverged: the loop's prompt patches differ from the stepper's")
        x = m_.embed(ids, hash_ids(ids, cfg.hash_sizes, buckets=cfg.hash_buckets, functions=cfg.hash_functions))
        cos, sin = rope_tables(m_.local_head_dim, torch.arange(m, device=self.device), cfg.rope_theta)
        mask = local_mask(m, cfg.local_window, self.device)
        enc_kv, glob_kv, dec_kv = [], [], []
        states = m_.local_encoder.layer_states(x, cos, sin, mask, kv=enc_kv)
        self.encoder_cache.fill(enc_kv)
        self.patches = int(decoder_ids[-1]) + 1  # patches complete at token m - 1
        n = int((ours < self.patches).sum())  # their tokens
        pids = self._t(ours)[None, :n]
        g = m_.global_transformer(m_.local_encoder.patches([s[:, :n] for s in states], pids, self.patches), kv=glob_kv)
        self.global_cache = glob_kv
        self.memory = m_.local_decoder.memory(g[:, -1:])
        self.open_states = [[s[:, t:t + 1] for s in states] for t in range(n, m)]
        m_.local_decoder(states[-1], g, self._t(decoder_ids)[None], cos, sin, mask, kv=dec_kv)
        self.decoder_cache.fill(dec_kv)

    def global_step(self, close, patch_start, pos, patch_index):
        """Already done in local_step at token pos - 1; the loop's count must agree with ours."""
        if int(np.asarray(patch_index)[0]) + 1 != self.patches:
            raise RuntimeError(f"patch bookkeeping diverged: the loop closes patch {int(patch_index[0])}, "
                               f"the stepper has closed {self.patches}")


class FullRecompute:
    """Every byte re-runs the entropy model and OfficialBLT.forward over all tokens so far."""

    def __init__(self, model: OfficialBLT, *, device: str | torch.device = "cpu"):
        self.model, self.device = model.eval(), torch.device(device)

    def start(self, batch: int) -> None:
        _one_row(batch)
        self.tokens: list[int] = []

    @torch.inference_mode()
    def entropy_step(self, tokens, pos):
        self.tokens.append(int(np.asarray(tokens)[0]))
        ids = torch.tensor([self.tokens], device=self.device)
        self.entropies = self.model.entropies(ids).float().cpu().numpy()
        return self.entropies[:, -1]

    @torch.inference_mode()
    def local_step(self, window, pos, patch_index):
        ids = torch.tensor([self.tokens], device=self.device)
        return self.model(ids, entropies=self.entropies)[:, -1].float().cpu().numpy()

    def global_step(self, close, patch_start, pos, patch_index):
        """Nothing to do: the next full forward places and runs every patch again."""
