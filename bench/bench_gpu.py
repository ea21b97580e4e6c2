"""GPU speed on one H200 (issue 14, point 5): entropy scoring in MB/s and MFU, generation in bytes/s.

    python -m bench.bench_gpu --out bench/results/gpu_h200.json              # everything
    python -m bench.bench_gpu --only scoring --compile --out /tmp/g.json     # a part, plus torch.compile
    python -m bench.bench_gpu --only fused --out /tmp/g.json                 # the flex_attention path alone
    python -m bench.bench_gpu --only fused --shapes small --mb 0.01 --official-mb 0.002 --repeats 1 \
        --out /tmp/g.json                                                    # a CPU smoke test of the script

Generation times the library's torch path (CUDA graphs on a GPU; "stepper" says which) and the
eager TorchStepper beside it ("..., eager" rows). Scoring uses the library as shipped:
`score_bytes` over a TorchEntropyModel's `score_chunk` in bf16 autocast (the batched path of
bench_gpu_scoring), lagged on CUDA as the library runs it (score_bytes(lag=True): the host builds
batch r+1 while the GPU computes batch r; each such row also records whether one lagged run's
outputs equal one unlagged run's), and `blt_core.score(backend="torch")` as a caller gets it (float32, one
document). "model only" times `EntropyModel.forward_chunk` alone on one full batch, which
bounds what the end-to-end path could reach. The "fused" rows
(--fused, or --only fused) score through the compiled flex_attention forward instead
(entropy/flex_forward.py, TorchEntropyModel(fused=True)); the other rows pin fused=False, so they
keep measuring the block-wise path whatever the library's default on CUDA. The data are the
repository's own text files tiled to the requested size (speed does not depend on content).
Every figure is the median of --repeats runs after one untimed warm-up; the JSON is rewritten
after every row, so a run cut short keeps what it measured.
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import time
from functools import partial
from pathlib import Path

import numpy as np
import torch

from blt_core.entropy.export import load_trained
from blt_core.entropy.flex_forward import FlexForward
from blt_core.entropy.model import EntropyModel, EntropyModelConfig
from blt_core.entropy.scoring import score_bytes
from blt_core.entropy.torch_scorer import TorchEntropyModel

ROOT = Path(__file__).resolve().parent.parent
PEAK_TFLOPS = 989.0  # H200 dense bf16, no sparsity
FLOP_FORMULA = ("forward FLOPs per byte = 2 * L * (4 * h^2 + 3 * h * f) + 2 * h * V + L * 4 * W * h; "
                "matmuls (q, k, v, o; SwiGLU w1, w2, w3; output head) at 2 FLOPs per multiply-add, plus "
                "windowed attention counted causally: each byte's query meets W keys in QK^T and in PV "
                "(2 * 2 * W * h per layer); the block-wise kernel executes W + W/4 keys per query, so the "
                "executed attention work is 1.25x this. MFU = bytes/s * FLOPs per byte / 989e12.")
OFFICIAL = EntropyModelConfig(hidden_size=768, num_hidden_layers=14, num_attention_heads=12,
                              intermediate_size=2048, window=512)
DEVICE = "cuda" if torch.cuda.is_available() else "cpu"  # cpu: a smoke test of the script only
SHIPPED_SHAPES = ((8192, 128), (4096, 512))  # (chunk tokens, streams) per model call
OFFICIAL_SHAPES = ((4096, 64), (4096, 16))
SMALL_SHAPES = ((512, 2),)  # --shapes small: a CPU smoke test of the script, for both models
TARGETS = {"shipped_mb_per_s": 30.0, "official_mb_per_s": 1.5, "official_mfu": 0.35,
           "generate_batch1_bytes_per_s": 1000.0}


def flops_per_byte(cfg: EntropyModelConfig) -> int:
    """FLOP_FORMULA; the shipped card (h 192, f 512, 4 layers, W 512) gives 5,211,648."""
    h, f, L, W, V = cfg.hidden_size, cfg.intermediate_size, cfg.num_hidden_layers, cfg.window, cfg.vocab_size
    return 2 * L * (4 * h * h + 3 * h * f) + 2 * h * V + L * 4 * W * h


def corpus(n_bytes: int) -> bytes:
    """The repository's text tiled to n_bytes."""
    text = b"".join(p.read_bytes() for p in sorted((ROOT / "blt_core").rglob("*.py")))
    return (text * (n_bytes // len(text) + 1))[:n_bytes]


def streams_of(raw: bytes, streams: int) -> bytes:
    """`streams` independent documents, newline-joined so newline_reset batches them."""
    n = len(raw) // streams
    return b"\n".join(raw[i * n:(i + 1) * n].replace(b"\n", b" ") for i in range(streams))


def sync() -> None:
    if DEVICE == "cuda":
        torch.cuda.synchronize()


def median_seconds(fn, repeats: int) -> tuple[float, list[float]]:
    """Median wall time of fn() over `repeats` runs after one warm-up, the GPU synchronised."""
    fn()
    times = []
    for _ in range(repeats):
        sync()
        t = time.perf_counter()
        fn()
        sync()
        times.append(time.perf_counter() - t)
    return statistics.median(times), [round(x, 4) for x in times]


def rate_row(label: str, cfg: EntropyModelConfig, n_bytes: int, seconds: float, runs: list, **extra) -> dict:
    """One printed result: MB/s, TFLOP/s and MFU of n_bytes scored in `seconds`."""
    bps = n_bytes / seconds
    row = {"name": label, "bytes": n_bytes, "median_seconds": round(seconds, 4), "mb_per_s": round(bps / 1e6, 3),
           "tflops": round(bps * flops_per_byte(cfg) / 1e12, 1),
           "mfu": round(bps * flops_per_byte(cfg) / (PEAK_TFLOPS * 1e12), 4), **extra, "runs": runs}
    print(json.dumps(row), flush=True)
    return row


def scoring_row(tag: str, model: TorchEntropyModel, *, mb: float, chunk: int, streams: int, repeats: int) -> dict:
    """End-to-end batched bf16 scoring: host bytes in, per-byte entropies and surprisal back on the host."""
    cfg = model.config
    data = streams_of(corpus(int(mb * 1e6)), streams)
    fwd = partial(model.score_chunk, dtype=torch.bfloat16)
    run = partial(score_bytes, fwd, data, window=cfg.window, chunk_tokens=chunk, batch_tokens=chunk * streams,
                  newline_reset=True, stack=model.stack_pasts, lag=model.defers)
    s, runs = median_seconds(run, repeats)
    extra = {}
    if model.defers:  # the lagged path must give what waiting after every call gives
        a, b = run(), run(lag=False)
        extra["lag_outputs_identical"] = bool(np.array_equal(a.entropies, b.entropies)
                                              and np.array_equal(a.surprisal, b.surprisal))
        extra["lag"] = True
    return rate_row(f"{tag} end to end bf16{' fused' if model.fused else ''}", cfg, len(data), s, runs,
                    chunk_tokens=chunk, streams=streams, **extra)


def model_only_row(tag: str, model: TorchEntropyModel, *, chunk: int, streams: int, repeats: int,
                   compiled: bool = False, fused: bool = False, kernel_options: dict | None = None) -> dict:
    """`EntropyModel.forward_chunk` alone on one (streams, chunk) batch in bf16 autocast, no past;
    fused: FlexForward instead (compiled on CUDA, eager on CPU)."""
    if fused:
        flex = FlexForward(model.model, kernel_options=kernel_options)
        f = lambda ids, blocked: flex(ids)  # noqa: E731
    else:
        f = torch.compile(model.model.forward_chunk) if compiled else model.model.forward_chunk
    ids = torch.randint(4, 260, (streams, chunk), device=model.device)

    @torch.no_grad()
    def forward():
        with torch.autocast(torch.device(model.device).type, dtype=torch.bfloat16):
            f(ids, blocked=True)

    name = f"{tag} model only bf16{' torch.compile' if compiled else ''}{' fused' if fused else ''}"
    return rate_row(name, model.config, ids.numel(), *median_seconds(forward, repeats), chunk_tokens=chunk,
                    streams=streams)


def public_api_row(*, mb: float, repeats: int) -> dict:
    """blt_core.score(backend="torch") on one document, as the CLI and the app call it (float32)."""
    import blt_core

    cfg = EntropyModelConfig.from_dict(json.loads((ROOT / "assets" / "entropy_model.json").read_text())["config"])
    data = corpus(int(mb * 1e6))
    s, runs = median_seconds(lambda: blt_core.score(data, backend="torch"), repeats)
    return rate_row("shipped blt_core.score(backend='torch'), float32, one document", cfg, len(data), s, runs)


def generation_rows(repeats: int, n_bytes: int) -> dict:
    """The shipped generator at batch 1 (greedy) and batch 64 (sampled), as bench_generate does it:
    first as the library runs it (GraphedStepper, CUDA graphs, on a GPU), then with the eager
    TorchStepper beside it, the same model and prompts."""
    from types import SimpleNamespace

    from bench.bench_generate import PROMPT, PROMPTS_64, median_rate
    from blt_core.generator.generate import load_generator
    from blt_core.generator.graphed_stepper import GraphedStepper

    gen = load_generator(backend="torch")
    graphed = isinstance(gen.new_stepper(False), GraphedStepper)
    eager = SimpleNamespace(config=gen.config, new_stepper=lambda no_cache: gen.eager_stepper())
    shapes = {"batch 1 greedy": ([PROMPT], {}), "batch 64 sampled": (PROMPTS_64, {"temperature": 0.8, "top_k": 40})}
    rows = {}
    for name, (prompts, kw) in shapes.items():
        row = {"stepper": "GraphedStepper (cuda graphs)" if graphed else "TorchStepper (eager)",
               **median_rate(gen, prompts, repeats, n_bytes=n_bytes, **kw)}
        base = {"stepper": "TorchStepper (eager)", **median_rate(eager, prompts, repeats, n_bytes=n_bytes, **kw)}
        row["speedup_vs_eager"] = round(row["bytes_per_second"] / base["bytes_per_second"], 1)
        rows[name], rows[f"{name}, eager"] = row, base
    for k, v in rows.items():
        if k.startswith("batch 64"):
            v["bytes_per_second_per_stream"] = round(v["bytes_per_second"] / 64, 1)
        print(k, json.dumps(v), flush=True)
    return rows


def verdicts(out: dict) -> list[dict]:
    """Each target of issue 14 point 5 beside the best measured end-to-end figure (block-wise or fused
    rows alike), and the name of the row it comes from."""
    def best(prefix, key):
        rows = [r for r in out.get("scoring", []) if r["name"].startswith(prefix) and "end to end" in r["name"]]
        top = max(rows, key=lambda r: r[key], default=None)
        return (None, None) if top is None else (top[key], top["name"])

    gen = out.get("generation", {}).get("batch 1 greedy", {}).get("bytes_per_second")
    got = {"shipped_mb_per_s": best("shipped", "mb_per_s"), "official_mb_per_s": best("official", "mb_per_s"),
           "official_mfu": best("official", "mfu"),
           "generate_batch1_bytes_per_s": (gen, None if gen is None else "batch 1 greedy")}
    return [{"target": k, "wanted_at_least": TARGETS[k], "measured": got[k][0], "row": got[k][1],
             "met": None if got[k][0] is None else got[k][0] >= TARGETS[k]} for k in TARGETS]


def main(argv=None) -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--only", choices=("scoring", "generation", "compiled", "fused"), default=None,
                   help="compiled: only the torch.compile rows (with --compile); fused: only the fused rows")
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--mb", type=float, default=8.0, help="megabytes scored with the shipped model")
    # 4 MB in 64 streams: documents of 62.5 KB, as long as the shipped rows' (8 MB in 128); at 1 MB each
    # 15.6 KB document ended in a 3.3 KB chunk run padded to 4,096, 5% of the bytes computed for nothing
    p.add_argument("--official-mb", type=float, default=4.0, help="megabytes scored with the official-size model")
    p.add_argument("--api-mb", type=float, default=1.0, help="megabytes through blt_core.score")
    p.add_argument("--gen-bytes", type=int, default=256)
    p.add_argument("--compile", action="store_true", help="also time torch.compile'd model-only forwards")
    p.add_argument("--fused", action="store_true", help="also time the flex_attention path (FlexForward)")
    p.add_argument("--shapes", choices=("full", "small"), default="full",
                   help="small: one tiny (chunk, streams) shape for both models, a CPU smoke test")
    p.add_argument("--kernel-options", default=None,
                   help='fused rows: flex_attention kernel_options, e.g. \'{"BLOCK_M": 64, "BLOCK_N": 64}\' or '
                        'null for its own choice (default: the library\'s, FlexForward\'s "auto")')
    p.add_argument("--out", required=True)
    a = p.parse_args(argv)
    device = torch.cuda.get_device_name() if DEVICE == "cuda" else platform.machine()
    out = {"benchmark": "gpu", "device": device, "torch": torch.__version__, "python": platform.python_version(),
           "time": time.strftime("%Y-%m-%dT%H:%M:%S"), "peak_tflops_bf16_dense": PEAK_TFLOPS,
           "flop_formula": FLOP_FORMULA, "repeats": a.repeats, "flops_per_byte": {}, "scoring": [],
           "flex_kernel_options": {}}
    path = Path(a.out)
    path.parent.mkdir(parents=True, exist_ok=True)

    def save():
        out["targets"] = verdicts(out)
        path.write_text(json.dumps(out, indent=2) + "\n")

    shipped_shapes, official_shapes = (SHIPPED_SHAPES, OFFICIAL_SHAPES) if a.shapes == "full" else (SMALL_SHAPES,) * 2
    if a.only in (None, "scoring", "compiled", "fused"):
        card = json.loads((ROOT / "assets" / "entropy_model.json").read_text())["config"]
        shipped = TorchEntropyModel(load_trained(ROOT / "assets" / "entropy_model.safetensors", card), device=DEVICE,
                                    fused=False)
        official = TorchEntropyModel(EntropyModel(OFFICIAL).init_weights(), device=DEVICE, fused=False)
        for tag, m in (("shipped", shipped), ("official-size", official)):
            out["flops_per_byte"][tag] = {"config": m.config.to_dict(), "flops_per_byte": flops_per_byte(m.config)}
    if a.only in (None, "scoring"):
        for tag, m, mb, shape_list in (("shipped", shipped, a.mb, shipped_shapes),
                                       ("official-size", official, a.official_mb, official_shapes)):
            for chunk, streams in shape_list:
                kw = {"chunk": chunk, "streams": streams, "repeats": a.repeats}
                out["scoring"] += [scoring_row(tag, m, mb=mb, **kw), model_only_row(tag, m, **kw)]
                save()
        out["scoring"].append(public_api_row(mb=a.api_mb, repeats=a.repeats))
        save()
    if a.only in (None, "generation"):
        out["generation"] = generation_rows(a.repeats, a.gen_bytes)
        save()
    if a.only == "fused" or (a.fused and a.only in (None, "scoring")):
        for tag, m, mb, shape_list in (("shipped", shipped, a.mb, shipped_shapes),
                                       ("official-size", official, a.official_mb, official_shapes)):
            fused = TorchEntropyModel(m.model, device=DEVICE, fused=True)  # the same weights, the flex path
            if a.kernel_options is not None:
                fused._flex.kernel_options = json.loads(a.kernel_options)
            out["flex_kernel_options"][tag] = fused._flex.kernel_options
            for chunk, streams in shape_list:
                kw = {"chunk": chunk, "streams": streams, "repeats": a.repeats}
                out["scoring"] += [scoring_row(tag, fused, mb=mb, **kw),
                                   model_only_row(tag, m, fused=True, kernel_options=fused._flex.kernel_options,
                                                  **kw)]
                save()
    if a.compile and a.only in (None, "scoring", "compiled"):
        for tag, m, shape_list in (("shipped", shipped, shipped_shapes), ("official-size", official, official_shapes)):
            chunk, streams = shape_list[0]
            out["scoring"].append(model_only_row(tag, m, chunk=chunk, streams=streams, repeats=a.repeats,
                                                 compiled=True))
            save()
        # the shipped model's forward compiled in place on this instance only (the library is unchanged):
        # end to end it also recompiles for the first chunk (no past) and the last, smaller batch
        shipped.model.forward_chunk = torch.compile(shipped.model.forward_chunk)
        chunk, streams = shipped_shapes[0]
        row = scoring_row("shipped", shipped, mb=a.mb, chunk=chunk, streams=streams, repeats=a.repeats)
        out["scoring"].append({**row, "name": "shipped end to end bf16, forward torch.compile"})
        save()
    print(json.dumps(out["targets"], indent=1))


if __name__ == "__main__":
    main()
