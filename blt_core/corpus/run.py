"""The score-corpus driver: read, shard by rank, score in batches, write shards, resume after a kill.

Each rank scores the documents it owns (shard.owns) in order, `batch_docs` per model pass, and
writes every `shard_docs` of them as one shard, then records it in its `progress-RANK.json`
(shard file, rows, bytes, patches, the last document index it covers). A resumed run skips every
document up to the last recorded index, so a kill loses at most the shard being filled, and a
document is never written twice (a shard renamed into place but not yet recorded is rewritten
under the same name). The run's settings are stored with the progress; resuming into a folder
of another run is refused. When every rank is done, rank 0 writes `manifest.json` after a
barrier (torch.distributed only when WORLD_SIZE > 1: NCCL on GPUs, gloo on CPUs).

>>> plan_note(None, None, {"threshold": 1.5})
(1.5, 'model default')
"""

from __future__ import annotations

import os
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass
from functools import partial
from pathlib import Path

import numpy as np

from blt_core.api import CHUNKINGS, _torch_only, load_model
from blt_core.backends import resolve_backend
from blt_core.checkpoints import DEFAULT_CARD, sha256_file
from blt_core.constants import OFFICIAL_THRESHOLD
from blt_core.corpus.calibrate import DEFAULT_SAMPLE_DOCS, corpus_threshold
from blt_core.corpus.readers import DEFAULT_FIELD, Document, check_inputs, iter_documents
from blt_core.corpus.score import Scorer, batch_patch_lengths, score_documents
from blt_core.corpus.shard import owns, rank_and_world
from blt_core.corpus.writer import read_json, row, shard_name, write_json, write_shard

FORMAT = "blt-corpus-scores/1"
DTYPES = ("float32", "bfloat16")  # torch compute precision; ONNX runs float32 only


@dataclass(frozen=True)
class Options:
    inputs: list[str]
    out: str
    field: str = DEFAULT_FIELD  # JSONL key / Parquet column
    lines: bool = False  # text files: one document per line
    threshold: float | None = None  # given threshold (nats); else target, else the model's default
    target_patch_size: float | None = None  # calibrate one global threshold to this mean patch length
    calibration_docs: int = DEFAULT_SAMPLE_DOCS  # the first this many non-empty documents are the sample
    model: str | None = None  # card, card folder or official folder (as analyze takes it)
    backend: str = "auto"
    chunking: str = "continuous"
    dtype: str = "float32"
    batch_docs: int = 64  # documents per scoring pass
    batch_tokens: int = 16384  # tokens per model call inside a pass
    max_doc_bytes: int = 1_000_000  # longer documents are cut to this many bytes
    shard_docs: int = 10_000  # documents per shard
    compile: str = "auto"  # the torch backend on CUDA: compiled fused path "on", eager "off", or by size (use_fused)
    stop_after_shards: int | None = None  # test hook: stop after this many shards, as a kill would


COMPILES = ("auto", "on", "off")
# On one H200 the compiled fused path took about 100 s to compile its graphs for a corpus (30 MB: 145.8 s
# cold, against 11 s eager) and then saves about 0.24 s per MB over the eager path (30.85 vs 3.7 MB/s
# scoring), so it pays for itself from about 400 MB per rank (bench/results/score_corpus_gpu_runs/)
FUSED_MIN_BYTES = 512 * 10**6


def use_fused(choice: str, rank_bytes: int, *, cuda: bool) -> bool:
    """Whether a rank scores through the compiled fused path: as chosen, or ("auto") on CUDA only when its
    share of the inputs is large enough to repay the compilation.
    >>> use_fused("auto", 30 * 10**6, cuda=True), use_fused("auto", 10**9, cuda=True), use_fused("on", 1, cuda=True)
    (False, True, True)
    """
    if choice not in COMPILES:
        raise ValueError(f"unknown --compile {choice!r}; choose one of {', '.join(COMPILES)}")
    return cuda and (choice == "on" or (choice == "auto" and rank_bytes >= FUSED_MIN_BYTES))


def plan_note(threshold: float | None, target: float | None, defaults: dict) -> tuple[float | None, str]:
    """(threshold, how it was chosen) before calibration; (None, 'calibrated') when a target is set."""
    if threshold is not None:
        return float(threshold), "given"
    if target is not None:
        return None, "calibrated"
    return float(defaults.get("threshold") or OFFICIAL_THRESHOLD), "model default"


def model_identity(model: str | None) -> dict:
    """The model's name as given and a sha256: of the card file, or of a folder's JSON files' bytes."""
    p = Path(model) if model is not None else DEFAULT_CARD
    if p.is_file():
        return {"path": str(p), "sha256": sha256_file(p), "sha256_of": p.name}
    import hashlib

    h = hashlib.sha256()
    names = sorted(f.name for f in p.glob("*.json"))
    for name in names:
        h.update(name.encode() + b"\0" + (p / name).read_bytes())
    return {"path": str(p), "sha256": h.hexdigest(), "sha256_of": ", ".join(names)}


def input_identity(paths: list[str]) -> list[dict]:
    """Each input's path, size and modification time (hashing terabytes would cost a second pass)."""
    return [{"path": p, "size": os.stat(p).st_size, "mtime_ns": os.stat(p).st_mtime_ns} for p in paths]


class Dist:
    """torch.distributed when WORLD_SIZE > 1, otherwise a no-op with the same three methods."""

    def __init__(self, world_size: int):
        self.on = world_size > 1
        if self.on:
            try:
                import torch
                import torch.distributed as dist
            except ImportError:
                raise ValueError(f"WORLD_SIZE={world_size} (torchrun) needs torch, which is not installed") from None

            if torch.cuda.is_available():  # "cuda" then means this rank's GPU (backends.torch_device)
                torch.cuda.set_device(int(os.environ.get("LOCAL_RANK", "0")))
            dist.init_process_group("nccl" if torch.cuda.is_available() else "gloo")
            self.dist = dist

    def barrier(self) -> None:
        if self.on:
            self.dist.barrier()

    def broadcast(self, obj):
        """rank 0's `obj` on every rank."""
        if not self.on:
            return obj
        box = [obj]
        self.dist.broadcast_object_list(box, src=0)
        return box[0]

    def close(self) -> None:
        if self.on:
            self.dist.destroy_process_group()


def make_scorer(opts: Options) -> tuple[Scorer, str, str, dict]:
    """(Scorer, backend label, model name, model defaults) for the run's model and backend."""
    if opts.chunking not in CHUNKINGS:
        raise ValueError(f"unknown chunking {opts.chunking!r}; choose one of {', '.join(CHUNKINGS)}")
    if opts.dtype not in DTYPES:
        raise ValueError(f"unknown dtype {opts.dtype!r}; choose one of {', '.join(DTYPES)}")
    name = resolve_backend(opts.backend, torch_only=_torch_only(opts.model))
    if opts.dtype != "float32" and name != "torch":
        raise ValueError(f"--dtype {opts.dtype} needs the torch backend")
    m, model_name, defaults = load_model(name, opts.model)
    if name == "torch":
        rank_bytes = sum(os.path.getsize(p) for p in opts.inputs) // rank_and_world()[1]
        fused = use_fused(opts.compile, rank_bytes, cuda=getattr(m, "defers", False))
        if fused != m.fused:  # the same weights on the other path (the loaded model is shared, cached)
            m = type(m)(m.model, device=m.device, fused=fused)
    score_chunk = m.score_chunk
    if opts.dtype == "bfloat16":
        import torch

        score_chunk = partial(m.score_chunk, dtype=torch.bfloat16)
    scorer = Scorer(score_chunk, m.window, getattr(m, "stack_pasts", np.stack),
                    CHUNKINGS[opts.chunking], opts.batch_tokens, getattr(m, "defers", False), getattr(m, "context", 0))
    return scorer, f"{name}:{m.device}", model_name, defaults


def _cut(doc: Document, limit: int) -> tuple[Document, bool]:
    if len(doc.data) <= limit:
        return doc, False
    return Document(doc.index, doc.source, doc.source_index, doc.data[:limit]), True


def calibrate(opts: Options, scorer: Scorer) -> dict:
    """Score the first `calibration_docs` non-empty documents and fit one global threshold."""
    sample: list[bytes] = []
    for doc in iter_documents(opts.inputs, field=opts.field, lines=opts.lines, limit=opts.max_doc_bytes):
        if doc.data:
            sample.append(_cut(doc, opts.max_doc_bytes)[0].data)
        if len(sample) >= opts.calibration_docs:
            break
    entropies = [e for i in range(0, len(sample), opts.batch_docs)
                 for e in score_documents(scorer, sample[i:i + opts.batch_docs])]
    cal = corpus_threshold(entropies, target=opts.target_patch_size)
    return {"value": cal.threshold, "achieved_mean_patch_length": cal.mean_patch_length,
            "within_tolerance": cal.within_tolerance, "sample_docs": len(sample),
            "sample_bytes": sum(len(s) for s in sample)}


def settings(opts: Options, world_size: int) -> dict:
    """What a resumed run must share with the run it continues."""
    keep = {k: v for k, v in asdict(opts).items() if k not in ("out", "stop_after_shards", "batch_docs",
                                                                "batch_tokens")}
    return {**keep, "inputs": input_identity(opts.inputs), "world_size": world_size,
            "model_identity": model_identity(opts.model)}


def _log(rank: int, msg: str) -> None:
    print(f"rank {rank}: {msg}", file=sys.stderr, flush=True)


def score_rank(opts: Options, scorer: Scorer, threshold: float, rank: int, world: int, fixed: dict) -> dict:
    """Score this rank's documents not yet in a recorded shard; returns its final progress record."""
    out = Path(opts.out)
    prog_path = out / f"progress-{rank:05d}.json"
    prog = read_json(prog_path) or {"settings": fixed, "shards": [], "trailing_empty": 0, "done": False}
    if prog["settings"] != fixed:
        raise ValueError(f"{opts.out} holds a run with other settings (inputs, model, threshold or sharding); "
                         "give a new --out to start another run")
    last = prog["shards"][-1]["last_index"] if prog["shards"] else -1
    rows, batch, empty, written, t0, nbytes = [], [], 0, 0, time.monotonic(), 0
    # one shard is encoded and written on a background thread while the next batches are scored
    # (Parquet encoding releases the GIL; on an H200 writing took a third of the command's time);
    # it enters the progress file only once it is on disk, so a kill never records half a shard
    pool, pending = ThreadPoolExecutor(max_workers=1, thread_name_prefix="shard-writer"), None

    def flush_batch() -> None:
        scored = score_documents(scorer, [d.data for d, _ in batch])
        for (doc, cut), e, lengths in zip(batch, scored, batch_patch_lengths(scored, threshold=threshold)):
            rows.append(row(doc, e, lengths, cut))
        batch.clear()

    def settle() -> None:
        """Wait for the shard in flight, then record it."""
        nonlocal pending
        if pending is not None:
            future, record = pending
            future.result()
            prog["shards"].append(record)
            write_json(prog_path, prog)
            rate = nbytes / max(time.monotonic() - t0, 1e-9)
            _log(rank, f"{record['file']}: {record['rows']:,} documents ({rate / 1e6:.2f} MB/s scored since start)")
            pending = None

    def write(last_index: int) -> None:
        nonlocal empty, written, pending
        settle()  # at most one shard in flight: memory stays bounded and shards are recorded in order
        name = shard_name(rank, len(prog["shards"]))
        record = {"file": name, "rows": len(rows), "bytes": sum(r["n_bytes"] for r in rows),
                  "patches": sum(r["patch_count"] for r in rows), "empty": empty,
                  "truncated": sum(r["truncated"] for r in rows), "last_index": last_index}
        pending = (pool.submit(write_shard, out / name, list(rows)), record)
        rows.clear()
        empty, written = 0, written + 1

    keep = lambda i: i > last and owns(i, rank=rank, world_size=world)  # noqa: E731
    try:
        for doc in iter_documents(opts.inputs, field=opts.field, lines=opts.lines, keep=keep,
                                  limit=opts.max_doc_bytes):
            if not doc.data:
                empty += 1
                continue
            batch.append(_cut(doc, opts.max_doc_bytes))
            nbytes += len(batch[-1][0].data)
            if len(batch) >= opts.batch_docs or len(rows) + len(batch) >= opts.shard_docs:
                flush_batch()
            if len(rows) >= opts.shard_docs:
                write(doc.index)
                if opts.stop_after_shards is not None and written >= opts.stop_after_shards:
                    settle()
                    return prog
        if batch:
            flush_batch()
        if rows:
            write(rows[-1]["doc_index"])
        settle()
    finally:
        pool.shutdown(wait=True)  # a shard in flight when something failed lands on disk, unrecorded
    prog["trailing_empty"], prog["done"] = empty, True
    # this call's reading, scoring and writing, without start-up (imports, model load, calibration):
    # what a multi-GPU scaling measure divides by (bench/bench_score_corpus_scaling.py)
    prog["last_call"] = {"seconds": round(time.monotonic() - t0, 3), "bytes": nbytes}
    write_json(prog_path, prog)
    return prog


def manifest(opts: Options, fixed: dict, progress: list[dict], threshold: dict, backend: str, model: str) -> dict:
    """manifest.json from every rank's progress (see the README, "Scoring a corpus")."""
    shards = [s for p in progress for s in p["shards"]]
    total = {k: sum(s[k] for s in shards) for k in ("rows", "bytes", "patches", "truncated")}
    empty = sum(s["empty"] for s in shards) + sum(p["trailing_empty"] for p in progress)
    return {
        "format": FORMAT, "inputs": fixed["inputs"], "field": opts.field, "lines": opts.lines,
        "model": {"name": model, **fixed["model_identity"]}, "backend": backend, "dtype": opts.dtype,
        "chunking": opts.chunking, "threshold": threshold, "max_doc_bytes": opts.max_doc_bytes,
        "world_size": fixed["world_size"], "entropies": "float16 nats per byte; entropies[k] predicts byte k",
        "shards": [{"file": s["file"], "rows": s["rows"], "bytes": s["bytes"]} for s in shards],
        "totals": {"documents": total["rows"], "bytes": total["bytes"], "patches": total["patches"],
                   "mean_patch_length": total["bytes"] / total["patches"] if total["patches"] else None,
                   "truncated_documents": total["truncated"], "empty_documents_skipped": empty},
    }


def run(opts: Options) -> dict | None:
    """Score the corpus (this rank's part); the manifest on rank 0 once every rank is done, else None."""
    check_inputs(opts.inputs)
    if opts.threshold is not None and opts.target_patch_size is not None:
        raise ValueError("give either --threshold or --target-patch-size, not both")
    for name in ("batch_docs", "batch_tokens", "max_doc_bytes", "shard_docs", "calibration_docs"):
        if getattr(opts, name) < 1:
            raise ValueError(f"--{name.replace('_', '-')} must be a positive integer, got {getattr(opts, name)}")
    rank, world = rank_and_world()
    dist = Dist(world)
    try:
        out = Path(opts.out)
        out.mkdir(parents=True, exist_ok=True)
        scorer, backend, model_name, defaults = make_scorer(opts)
        value, chosen = plan_note(opts.threshold, opts.target_patch_size, defaults)
        fixed = settings(opts, world)
        threshold = {"value": value, "chosen": chosen}
        if chosen == "calibrated":
            stored = read_json(out / "calibration.json")
            if stored is None or stored["settings"] != fixed:
                stored = {"settings": fixed, "threshold": calibrate(opts, scorer)} if rank == 0 else None
                stored = dist.broadcast(stored)
                if rank == 0:
                    write_json(out / "calibration.json", stored)
            threshold = {**stored["threshold"], "chosen": chosen, "target": opts.target_patch_size,
                         "rule": "pooled: total bytes / total patches over the sample"}
        prog = score_rank(opts, scorer, threshold["value"], rank, world, fixed)
        if not prog["done"]:
            return None
        dist.barrier()
        if rank != 0:
            return None
        progress = [read_json(out / f"progress-{r:05d}.json") for r in range(world)]
        m = manifest(opts, fixed, progress, threshold, backend, model_name)
        write_json(out / "manifest.json", m)
        return m
    finally:
        dist.close()
