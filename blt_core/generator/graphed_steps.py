"""The three generation steps over static device buffers, each captured once as a CUDA graph.

A cached step at batch 1 is a few hundred tiny kernels; launched one by one from Python they
cost far more than their arithmetic (84 bytes/s on an H200, issue 14). A CUDA graph replays
them with one launch, but it replays fixed addresses and shapes, so `GraphedSteps` keeps all
that a step reads or writes in tensors allocated once per batch size:

- inputs (tokens, position, hashed n-gram buckets, patch indices) in one int64 vector per step,
  filled by one copy from a pinned host twin (`Upload`);
- the ring caches of steps.py, each step's stacked into one tensor (2 * layers, B, H, S, D)
  whose slices are the flat cache tuple, written inside the graph by one kernel at slot pos % S,
  pos read from that vector on the device, so one graph serves every position;
- the encoder states that the global step pools, in a ring of R positions (position t in
  slot t % R, written by the local step), grown by the host, with a recapture, when an open
  patch would outlive it (`hold`);
- outputs (entropy, logits) copied back into pinned host buffers (`Download`).

The global step pools one patch of Lp bytes per row; a graph needs a fixed Lp, so Lp is padded
to a power of two (`bucket`) with the padding masked out, one graph per bucket, captured when
first needed; beyond MAX_BUCKET the same code runs eagerly. On a CPU nothing is captured: the
same functions run eagerly, which is what the CPU tests check.

>>> [bucket(n) for n in (1, 8, 9, 100)]
[8, 8, 16, 128]
"""

from __future__ import annotations

import contextlib
import threading
from concurrent.futures import Future

import numpy as np
import torch

from blt_core.generator.steps import entropy_cache_shapes, global_cache_shapes, local_cache_shapes

MIN_BUCKET = 8  # shorter patches share one graph: padding a few positions costs nothing beside a launch
MAX_BUCKET = 512  # a longer patch (rare: ~4.5 bytes on average) runs eagerly rather than adding graphs
RING = 512  # encoder states kept at first, in positions; doubled when an open patch outgrows it
WARMUP = 3  # eager runs on a side stream before a capture (cuBLAS handles, workspaces), as PyTorch asks
_CAPTURE = threading.Lock()  # one capture at a time per process, whichever generator captures


def bucket(n: int) -> int:
    """The padded patch length of the global graph that pools n positions."""
    return max(MIN_BUCKET, 1 << (n - 1).bit_length())


class Upload:
    """A static device vector of int64 inputs and its host twin (pinned on CUDA), sent by one copy.

    >>> u = Upload(3, torch.device("cpu"), None); u.send([4, 5], [6]); u.dev.tolist()
    [4, 5, 6]
    """

    def __init__(self, n: int, device: torch.device, stream):
        cuda = device.type == "cuda"
        self.dev = torch.zeros(n, dtype=torch.long, device=device)
        self.host = torch.zeros(n, dtype=torch.long, pin_memory=cuda)
        self.array = self.host.numpy()
        self.stream = stream  # the copy's (the caller's current stream when it sends)
        self.sent = torch.cuda.Event() if cuda else None  # recorded after the last copy was queued

    def send(self, *parts) -> None:
        """Copy the concatenated parts to `dev`, queued on `stream`."""
        if self.sent is not None:
            self.sent.synchronize()  # an async copy may still be reading the pinned buffer
        self.array[:] = np.concatenate([np.asarray(p, dtype=np.int64).ravel() for p in parts])
        self.dev.copy_(self.host, non_blocking=True)
        if self.sent is not None:
            self.sent.record(self.stream)  # named: looking the current stream up costs more than the copy


class Download:
    """A static float32 device output and its host twin (pinned on CUDA): `fetch` queues the copy
    and returns a Future that waits for it only when asked; one fetch in flight at a time."""

    def __init__(self, shape: tuple[int, ...], device: torch.device, stream):
        cuda = device.type == "cuda"
        self.dev = torch.zeros(shape, device=device)
        self.host = torch.zeros(shape, pin_memory=cuda)
        self.stream = stream  # as Upload's
        self.ready = torch.cuda.Event() if cuda else None

    def fetch(self) -> Future:
        self.host.copy_(self.dev, non_blocking=True)
        if self.ready is not None:
            self.ready.record(self.stream)
        return Copied(self.ready, self.host.numpy())


class Copied(Future):
    """A Future of a host array that a queued device copy fills: result() waits for that copy.

    decoding.decode asks for a position's entropy after its local step, so the entropy graph,
    on a stream of its own, runs beside the global and local graphs.
    >>> Copied(None, np.ones(2)).result().tolist()
    [1.0, 1.0]
    """

    def __init__(self, ready, array: np.ndarray):
        super().__init__()
        self._ready, self._array = ready, array

    def result(self, timeout=None):
        if not self.done():
            if self._ready is not None:
                self._ready.synchronize()
            self.set_result(self._array.copy())  # the buffer is reused by the next fetch
        return super().result(timeout)


def _stacked(shapes: list[tuple[int, ...]], device: torch.device) -> tuple[torch.Tensor, tuple[torch.Tensor, ...]]:
    """Zero caches of equal shapes as one tensor and the tuple of its slices (the steps' flat caches),
    so that storing a step's new keys and values takes one kernel, not one per layer."""
    kv = torch.zeros(len(shapes), *shapes[0], device=device)
    return kv, tuple(kv.unbind(0))


class GraphRunner:
    """Streams, capture and replay shared by the graphed steppers (this module's GraphedSteps, and
    official_blt/static_steps.StaticSteps): the entropy graph on a side stream, every other graph on
    the main one; a body runs eagerly on a CPU, else through its graph, captured on first use.

    A subclass sets entropy_in / entropy (Upload / Download on the side stream), defines _entropy
    (the entropy body) and _state (every buffer a body writes), and calls super().__init__ first.
    """

    def __init__(self, device: torch.device):
        self.device, self.cuda = device, device.type == "cuda"
        self.stream = torch.cuda.Stream(device) if self.cuda else None
        self.side = torch.cuda.Stream(device) if self.cuda else None
        self.side_waits = False  # main wrote the entropy cache since the last entropy step
        self.graphs: dict = {}

    # --- streams -----------------------------------------------------------------------------

    def on_main(self):
        return torch.cuda.stream(self.stream) if self.cuda else contextlib.nullcontext()

    @contextlib.contextmanager
    def writing_entropy_cache(self):
        """Main-stream work on the entropy cache (reset, prefill), ordered after the entropy steps
        before it and before the next one (which waits only then, not at every byte)."""
        if self.cuda:
            self.stream.wait_stream(self.side)
        with self.on_main():
            yield
        self.side_waits = self.cuda

    def _stream_of(self, key):
        """The stream a graph is captured on and replayed on. Graphs captured on one stream share its
        cuBLAS workspace, so two that run at the same time must come from different streams (one
        capture stream for all gave wrong bytes at batch 4 on an H200, right ones at batch 1)."""
        return self.side if key == "entropy" else self.stream

    # --- host-side calls shared by both -----------------------------------------------------------

    @torch.no_grad()
    def reset(self) -> None:
        """Fresh state, as a new eager stepper allocates it: every cache, the memory and the ring zero
        (the masks already hide earlier slots; zeros also keep a non-finite value from reaching a
        result through a zero attention weight)."""
        with self.writing_entropy_cache():
            for t in self._state():
                t.zero_()

    @torch.no_grad()
    def entropy_step(self, tokens: np.ndarray, pos: int) -> Future:
        """(B,) tokens at position pos -> a Future of their (B,) entropies (steps.EntropyStep)."""
        if self.side_waits:
            self.side.wait_stream(self.stream)
            self.side_waits = False
        with torch.cuda.stream(self.side) if self.cuda else contextlib.nullcontext():
            self.entropy_in.send(tokens, [pos])
            self._replay("entropy", self._entropy)
            return self.entropy.fetch()

    # --- capture and replay --------------------------------------------------------------------

    def _state(self) -> list[torch.Tensor]:
        raise NotImplementedError

    def _entropy(self) -> None:
        raise NotImplementedError

    def _replay(self, key, body, *, run: bool = True, eager: bool = False) -> None:
        """Run body: eagerly on a CPU (or when eager), else through its graph, captured on first use."""
        if not self.cuda or eager:
            if run:
                body()
            return
        graph = self.graphs.get(key)
        if graph is None:
            graph = self.graphs[key] = self._capture(body, self._stream_of(key))
        if run:
            graph.replay()

    def _capture(self, body, stream) -> torch.cuda.CUDAGraph:
        """Warm body up on its (non-default) stream, capture it there, then undo what the warm-up
        runs wrote (a bucket can be captured mid-generation, and the bodies write caches)."""
        with _CAPTURE:
            torch.cuda.synchronize(self.device)
            saved = [t.clone() for t in self._state()]
            stream.wait_stream(torch.cuda.current_stream(self.device))
            with torch.cuda.stream(stream):
                for _ in range(WARMUP):
                    body()
            stream.synchronize()
            graph = torch.cuda.CUDAGraph()
            # thread_local: another thread's generation may use the GPU while this one captures
            with torch.cuda.graph(graph, stream=stream, capture_error_mode="thread_local"):
                body()
            for t, s in zip(self._state(), saved):
                t.copy_(s)
            torch.cuda.synchronize(self.device)
        return graph


class GraphedSteps(GraphRunner):
    """Static buffers of the three steps at one batch size, and their graphs (CUDA) or eager runs.

    steps: the (EntropyStep, LocalStep, GlobalStep) modules (torch_stepper.step_functions).
    """

    def __init__(self, steps, blt_config, entropy_config, batch: int, device: torch.device):
        super().__init__(device)  # the local and global graphs (and the prefill) on one stream, entropy beside
        self.entropy_fn, self.local_fn, self.global_fn = steps
        self.batch = batch
        self.n_grams = len(blt_config.hash_ngram_sizes)
        B, cfg = batch, blt_config
        with self.on_main(), torch.no_grad():
            self.ent_kv, self.ent_cache = _stacked(entropy_cache_shapes(entropy_config, B), device)
            self.local_kv, self.local_cache = _stacked(local_cache_shapes(cfg, B), device)
            self.global_kv, self.global_cache = _stacked(global_cache_shapes(cfg, B), device)
            self.memory = torch.zeros(B, cfg.global_hidden_size, device=device)  # the last closed patch's output
            self.ring = torch.zeros(B, RING, cfg.local_hidden_size, device=device)  # encoder state of t at t % R
            self.entropy_in = Upload(B + 1, device, self.side)  # tokens (B), pos
            self.local_in = Upload(B * (self.n_grams + 2) + 1, device, self.stream)  # token, buckets (B, n), patch, pos
            self.global_in = Upload(3 * B + 2, device, self.stream)  # close, patch_start, patch_index (B each), lo, pos
            self.entropy = Download((B,), device, self.side)
            self.logits = Download((B, cfg.vocab_size), device, self.stream)
        # graphs: "entropy", "local", or a bucket (int) of the global step
        if self.cuda:
            with torch.no_grad():
                self._replay("entropy", self._entropy, run=False)
                self._replay("local", self._local, run=False)

    # --- host-side calls, one per step ---------------------------------------------------------

    @torch.no_grad()
    def local_step(self, token: np.ndarray, buckets: np.ndarray, patch_index: np.ndarray, pos: int) -> np.ndarray:
        """(B,) token at pos, its (B, n) n-gram buckets, (B,) patch -> (B, V) logits (steps.LocalStep)."""
        with self.on_main():
            self.local_in.send(token, buckets, patch_index, [pos])
            self._replay("local", self._local)
            return self.logits.fetch().result()

    @torch.no_grad()
    def global_step(self, close: np.ndarray, patch_start: np.ndarray, patch_index: np.ndarray, lo: int,
                    pos: int) -> None:
        """Close the patches [patch_start, pos) of rows where close (decoding.closing: lo is the
        earliest start among them); the states come from the ring (steps.GlobalStep)."""
        span = bucket(pos - lo)
        with self.on_main():
            self.global_in.send(close, patch_start, patch_index, [lo, pos])
            self._replay(span, lambda: self._global(span), eager=span > MAX_BUCKET)

    @torch.no_grad()
    def hold(self, first: int, last: int) -> None:
        """Make the ring hold positions first .. last (last about to be written; first .. last - 1
        kept): double it until they fit, and drop the graphs that read the old one."""
        R = self.ring.shape[1]
        if last - first < R:
            return
        size = R
        while last - first >= size:
            size *= 2
        with self.on_main():
            ring = self.ring.new_zeros(self.batch, size, self.ring.shape[2])
            t = torch.arange(first, last, device=self.device)
            ring[:, t % size] = self.ring[:, t % R]
            self.ring = ring
        self.graphs = {k: g for k, g in self.graphs.items() if k == "entropy"}

    @torch.no_grad()
    def keep_states(self, states: list[torch.Tensor], first: int) -> None:
        """Store (B, L) encoder states of positions first, first + 1, ... (a prefill's open patches)."""
        if not states:
            return
        self.hold(first, first + len(states) - 1)
        with self.on_main():
            t = torch.arange(first, first + len(states), device=self.device)
            self.ring[:, t % self.ring.shape[1]] = torch.stack(states, dim=1)

    # --- the captured bodies: device tensors only, no host values that change per call -----

    def _entropy(self) -> None:
        B, x = self.batch, self.entropy_in.dev
        pos = x[B:]  # (1,)
        ent, *new = self.entropy_fn(x[:B], pos.expand(B), *self.ent_cache)
        self.ent_kv.index_copy_(3, pos % self.ent_kv.shape[3], torch.stack(new))
        self.entropy.dev.copy_(ent)

    def _local(self) -> None:
        B, n, x = self.batch, self.n_grams, self.local_in.dev
        token, buckets, patch_index, pos = x[:B], x[B:B * (n + 1)].view(B, n), x[B * (n + 1):B * (n + 2)], x[-1:]
        logits, h, *new = self.local_fn(token, buckets, pos.expand(B), self.memory, patch_index, *self.local_cache)
        self.local_kv.index_copy_(3, pos % self.local_kv.shape[3], torch.stack(new))
        self.ring.index_copy_(1, pos % self.ring.shape[1], h[:, None])
        self.logits.dev.copy_(logits)

    def _global(self, span: int) -> None:
        """Pool positions lo .. lo + span - 1, those from pos on masked out (padding)."""
        B, x = self.batch, self.global_in.dev
        close, start, index, lo, pos = x[:B] > 0, x[B:2 * B], x[2 * B:3 * B], x[3 * B:3 * B + 1], x[3 * B + 1:]
        t = lo + torch.arange(span, device=self.device)  # (span,) positions
        real = t < pos
        states = self.ring.index_select(1, t % self.ring.shape[1]).masked_fill(~real[None, :, None], 0.0)
        mask = real[None, :] & ((t[None, :] >= start[:, None]) | ~close[:, None])  # decoding.closing's, padded
        mem, *new = self.global_fn(states, mask, index, *self.global_cache)
        new = torch.stack(new)  # (2 * layers, B, H, 1, D)
        at = (index % self.global_kv.shape[3]).view(1, B, 1, 1, 1).expand(new.shape)
        # only closing rows store their patch's key and value: the others write back what is there
        self.global_kv.scatter_(3, at, torch.where(close.view(1, B, 1, 1, 1), new, self.global_kv.gather(3, at)))
        self.memory.copy_(torch.where(close[:, None], mem, self.memory))

    # --- capture and replay --------------------------------------------------------------------

    def _state(self) -> list[torch.Tensor]:
        """Every buffer a body writes."""
        return [self.ent_kv, self.local_kv, self.global_kv, self.memory, self.ring, self.entropy.dev, self.logits.dev]
