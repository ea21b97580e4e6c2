"""The released BLT's generation steps over static device buffers, each captured as a CUDA graph.

OfficialStepper's caches grow by torch.cat, so every byte has new shapes and nothing can be
replayed; at batch 1 its steps are thousands of tiny kernels launched from Python (28.5 bytes/s
for the BLT-1B shape on an H200, issue 14). Here everything a step reads or writes has a fixed
shape, allocated once, and what changes per byte is data in device tensors:

- the local encoder's and decoder's keys and values in ring caches of window - 1 slots
  (position p in slot p % S, slot_valid masks the unwritten ones), as the entropy model's are;
- the global layers' keys and values in a buffer of `patches` slots (patch p in slot p, later
  slots masked: the global model sees every earlier patch), doubled by the host before it fills;
- the encoder states of the open patch in a ring of `ring` positions (position t in slot t % R),
  doubled by the host when a patch outgrows it; both growths drop the graphs that read them;
- the decoder's memory: the k vectors of the last closed patch;
- inputs in one int64 vector per step sent by one copy, entropy and logits copied back into
  pinned host buffers (generator/graphed_steps' Upload and Download).

Four bodies: `entropy` (on a stream of its own, beside the others), `encode` and `decode` every
byte, and `close` once per patch, between the encode and the decode of the byte that completes
it. A closing patch of L bytes is padded to bucket(L) positions with the padding masked, one
graph per bucket; beyond MAX_BUCKET it runs eagerly. On a CPU every body runs eagerly, the same
code, which is what the CPU tests compare with OfficialStepper.
"""

from __future__ import annotations

import numpy as np
import torch

from blt_core.generator.graphed_steps import MAX_BUCKET, Download, GraphRunner, Upload, bucket
from blt_core.generator.steps import EntropyStep, entropy_cache_shapes
from blt_core.nn import rope_for_positions, slot_valid
from blt_core.official_blt.hashing import HASH_PRIMES, _powers

PATCHES = 512  # global cache slots at first; the 1B row closes ~170 patches in 330 bytes
RING = 512  # open-patch positions kept at first (the mean patch is a few bytes)


def hash_matrix(cfg, device) -> torch.Tensor:
    """(tables, max_ngram) int64: row f * len(sizes) + j holds prime_f**i at column W - n + i
    (n = sizes[j], W = max_ngram), so (window * rows).sum(-1) % buckets is hashing.last_hash_ids
    of a window of the last W tokens: the same wrapping int64 sums, computed in the graph.

    >>> from blt_core.official_blt.config import OfficialBLTConfig
    >>> w = torch.tensor([[0, 1, 108, 105]])  # last_hash_ids' example: BOS "h" "e", sizes 3 and 4
    >>> ((w[:, None, :] * hash_matrix(OfficialBLTConfig(hash_sizes=(3, 4)), "cpu")).sum(-1) % 1000).tolist()
    [[206, 218]]
    """
    W = cfg.max_ngram
    rows = torch.zeros(cfg.num_hash_tables, W, dtype=torch.long)
    for f in range(cfg.hash_functions):
        for j, n in enumerate(cfg.hash_sizes):
            rows[f * len(cfg.hash_sizes) + j, W - n:] = _powers(HASH_PRIMES[f % len(HASH_PRIMES)], n, None)
    return rows.to(device)


def pooled_patch(encoder, states: list[torch.Tensor], real: torch.Tensor) -> torch.Tensor:
    """LocalEncoder.patches for one patch padded to Lp positions: per cross layer its bytes'
    states (1, Lp, C), real (Lp,) bool (False: padding) -> the patch vector (1, 1, k*C).
    Max pooling and the cross-attention see the real positions only."""
    B, Lp, C = states[0].shape
    k = encoder.config.cross_attn_k
    top = states[0].masked_fill(~real[None, :, None], float("-inf")).amax(1, keepdim=True)  # (B, 1, C)
    x = encoder.patch_embedding_projection(top).reshape(B, k, C)
    allowed = real[None, None, :].expand(B, k, Lp)
    for cross, h in zip(encoder.cross_attn_layers, states):
        x = x + cross(x, h, allowed)
    return x.reshape(B, 1, k * C)


class StaticSteps(GraphRunner):
    """Static buffers and graphs of one generation at batch 1 (stepping._one_row).

    patches, ring: the first sizes of the global cache and of the open-patch ring (tests pass
    small ones to exercise the growth)."""

    def __init__(self, model, device: torch.device, *, patches: int = PATCHES, ring: int = RING):
        cfg = model.config
        if cfg.local_window is None:
            raise ValueError("static steps need a local attention window (ring caches); this config has none")
        super().__init__(device)  # encode, close and decode on one stream, in that order; entropy beside
        self.model = model
        self.entropy_fn = EntropyStep(model.patcher)
        self.window = cfg.max_ngram  # tokens the hash reads
        dtype = next(model.parameters()).dtype
        S, C, g = cfg.local_window - 1, cfg.encoder_hidden_size, model.global_transformer
        zeros = lambda *shape: torch.zeros(shape, device=device, dtype=dtype)  # noqa: E731
        with self.on_main(), torch.no_grad():
            self.ent_kv = torch.stack([zeros(*s) for s in entropy_cache_shapes(model.patcher.config, 1)])
            self.ent_cache = tuple(self.ent_kv.unbind(0))  # EntropyStep's flat (k0, v0, k1, ...)
            self.enc_kv = zeros(2 * cfg.encoder_layers, 1, cfg.encoder_heads, S, model.local_head_dim)
            self.dec_kv = zeros(2 * cfg.decoder_layers, 1, cfg.decoder_heads, S, model.local_head_dim)
            self.glob_kv = zeros(2 * cfg.global_layers, 1, cfg.global_heads, patches, g.head_dim)
            self.memory = zeros(1, cfg.cross_attn_k, C)
            self.open = zeros(len(model.local_encoder.cross_layers()), 1, ring, C)  # per cross layer
            self.hash_rows = hash_matrix(cfg, device)
            self.entropy_in = Upload(2, device, self.side)  # token, pos
            self.local_in = Upload(self.window + 1, device, self.stream)  # last W tokens, pos
            self.global_in = Upload(3, device, self.stream)  # first position of the patch, pos, patch index
            self.entropy = Download((1,), device, self.side)
            self.logits = Download((1, cfg.vocab_size), device, self.stream)
        # graphs: "entropy", "encode", "decode", or a bucket (int) of `close`
        if self.cuda:
            with torch.no_grad():
                for key, body in (("entropy", self._entropy), ("encode", self._encode), ("decode", self._decode)):
                    self._replay(key, body, run=False)

    # --- host-side calls (reset and entropy_step: GraphRunner) -------------------------------

    @torch.no_grad()
    def encode(self, window: np.ndarray, pos: int) -> None:
        """(1, W) tokens ending at pos (W = max_ngram) -> the encoder caches and the ring hold token pos."""
        with self.on_main():
            self.local_in.send(window, [pos])
            self._replay("encode", self._encode)

    @torch.no_grad()
    def close(self, first: int, pos: int, patch: int) -> None:
        """The open patch, tokens first .. pos, -> global position `patch` -> the decoder's memory."""
        span = bucket(pos + 1 - first)
        with self.on_main():
            self.global_in.send([first, pos, patch])
            self._replay(span, lambda: self._close(span), eager=span > MAX_BUCKET)

    @torch.no_grad()
    def decode(self) -> np.ndarray:
        """The decoder step of the token `encode` read -> its (1, V) logits (float32, on the host)."""
        with self.on_main():
            self._replay("decode", self._decode)
            return self.logits.fetch().result()

    @torch.no_grad()
    def hold(self, first: int, last: int) -> None:
        """Make the ring hold positions first .. last (last about to be written): double it until
        they fit, copying what it keeps, and drop the graphs that read the old one."""
        R = self.open.shape[2]
        if last - first < R:
            return
        size = R
        while last - first >= size:
            size *= 2
        with self.on_main():
            ring = self.open.new_zeros(*self.open.shape[:2], size, self.open.shape[3])
            t = torch.arange(first, last, device=self.device)
            ring[:, :, t % size] = self.open[:, :, t % R]
            self.open = ring
        self.graphs = {k: g for k, g in self.graphs.items() if k == "entropy"}

    @torch.no_grad()
    def reserve(self, patches: int) -> None:
        """Make the global cache hold `patches` patches (doubling it), dropping the close graphs."""
        P = self.glob_kv.shape[3]
        if patches <= P:
            return
        size = P
        while patches > size:
            size *= 2
        with self.on_main():
            kv = self.glob_kv.new_zeros(*self.glob_kv.shape[:3], size, self.glob_kv.shape[4])
            kv[:, :, :, :P] = self.glob_kv
            self.glob_kv = kv
        self.graphs = {k: g for k, g in self.graphs.items() if not isinstance(k, int)}

    @torch.no_grad()
    def load(self, eager, m: int) -> None:
        """The state of an OfficialStepper that prefilled tokens 0 .. m-1 (its caches, memory and
        open-patch states, stepping.OfficialStepper.prefill) copied into the static buffers."""
        first = m - len(eager.open_states)  # the open patch's first token
        self.reserve(eager.patches + 1)
        self.hold(first, m)
        with self.on_main():
            for ring, cache in ((self.enc_kv, eager.encoder_cache), (self.dec_kv, eager.decoder_cache)):
                n = cache.kv[0][0].shape[2]  # its last n positions, m - n .. m - 1
                slots = torch.arange(m - n, m, device=self.device) % ring.shape[3]
                ring.index_copy_(3, slots, torch.stack([t for kv in cache.kv for t in kv]))
            P = eager.patches
            self.glob_kv[:, :, :, :P] = torch.stack([t for kv in eager.global_cache for t in kv])
            self.memory.copy_(eager.memory)
            if eager.open_states:
                slots = torch.arange(first, m, device=self.device) % self.open.shape[2]
                states = torch.stack([torch.cat(layer, dim=1) for layer in zip(*eager.open_states)])
                self.open.index_copy_(2, slots, states)  # (cross layers, 1, m - first, C)

    # --- the captured bodies: device tensors only, no host values that change per call -----

    def _entropy(self) -> None:
        x = self.entropy_in.dev
        pos = x[1:]
        ent, *new = self.entropy_fn(x[:1], pos, *self.ent_cache)
        self.ent_kv.index_copy_(3, pos % self.ent_kv.shape[3], torch.stack(new))
        self.entropy.dev.copy_(ent)

    def _encode(self) -> None:
        """stepping.OfficialStepper._encode over ring caches; the cross layers' states go to the ring."""
        m, cfg, x = self.model, self.model.config, self.local_in.dev
        window, pos = x[:-1].view(1, -1), x[-1:]
        hashes = (window[:, None, :] * self.hash_rows).sum(-1) % cfg.hash_buckets  # (1, tables)
        h = m.embed(window[:, -1:], hashes[:, None])  # (1, 1, C)
        cos, sin = rope_for_positions(m.local_head_dim, pos, cfg.rope_theta)
        valid = slot_valid(pos, self.enc_kv.shape[3])
        wanted, states, new = set(m.local_encoder.cross_layers()), [], []
        for i, layer in enumerate(m.local_encoder.layers):
            h, k, v = layer.step(h, cos, sin, self.enc_kv[2 * i], self.enc_kv[2 * i + 1], valid)
            new += [k, v]
            if i in wanted:
                states.append(h)
        self.enc_kv.index_copy_(3, pos % self.enc_kv.shape[3], torch.stack(new))
        self.open.index_copy_(2, pos % self.open.shape[2], torch.stack(states))

    def _close(self, span: int) -> None:
        """Pool positions first .. first + span - 1, those after pos masked out (padding), and run
        one global step at position `patch` (GlobalTransformer.step over the slot buffer)."""
        m, cfg, x = self.model, self.model.config, self.global_in.dev
        first, pos, patch = x[0:1], x[1:2], x[2:3]
        t = first + torch.arange(span, device=self.device)
        states = list(self.open.index_select(2, t % self.open.shape[2]).unbind(0))  # per cross layer (1, span, C)
        g = m.global_transformer
        y = g._project(pooled_patch(m.local_encoder, states, t <= pos))
        cos, sin = rope_for_positions(g.head_dim, patch, cfg.global_rope_theta)
        valid = slot_valid(patch, self.glob_kv.shape[3])  # every earlier patch
        new = []
        for i, layer in enumerate(g.layers):
            y, k, v = layer.step(y, cos, sin, self.glob_kv[2 * i], self.glob_kv[2 * i + 1], valid)
            new += [k, v]
        self.glob_kv.index_copy_(3, patch, torch.stack(new))
        self.memory.copy_(m.local_decoder.memory(y))

    def _decode(self) -> None:
        m, pos = self.model, self.local_in.dev[-1:]
        h = self.open[-1].index_select(1, pos % self.open.shape[2])  # (1, 1, C): the last encoder layer's
        cos, sin = rope_for_positions(m.local_head_dim, pos, m.config.rope_theta)
        caches = list(zip(self.dec_kv[0::2], self.dec_kv[1::2]))
        logits, new = m.local_decoder.step(h, self.memory, cos, sin, caches, slot_valid(pos, self.dec_kv.shape[3]))
        self.dec_kv.index_copy_(3, pos % self.dec_kv.shape[3], torch.stack([t for kv in new for t in kv]))
        self.logits.dev.copy_(logits[:, 0])

    # --- capture and replay (generator/graphed_steps.GraphedSteps' scheme) -------------------

    def _state(self) -> list[torch.Tensor]:
        """Every buffer a body writes."""
        return [self.ent_kv, self.enc_kv, self.dec_kv, self.glob_kv, self.memory, self.open, self.entropy.dev,
                self.logits.dev]
