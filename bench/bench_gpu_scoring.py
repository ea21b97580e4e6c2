"""GPU throughput of batched entropy scoring (torch backend), in MB/s, on a large file.

    python -m bench.bench_gpu_scoring --weights W.safetensors --config C.json --data big.bin \
        --out bench/results/gpu_scoring.json

The file is scored exactly (each chunk carries the previous chunk's keys and values), split
into `--streams` independent streams that are batched together, as many documents would be.
Settings tried: float32 and bf16 autocast, several chunk lengths. Median of --repeats runs.
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import time
from pathlib import Path

import numpy as np
import torch

from functools import partial

from blt_core.entropy.export import load_trained
from blt_core.entropy.scoring import score_bytes
from blt_core.entropy.torch_scorer import TorchEntropyModel


def main(argv=None) -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--weights", required=True)
    p.add_argument("--config", required=True)
    p.add_argument("--data", required=True)
    p.add_argument("--mb", type=float, default=32.0, help="megabytes of the file to score")
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--quick", action="store_true", help="bf16 and one chunk setting only")
    p.add_argument("--out", required=True)
    a = p.parse_args(argv)
    cfg = json.loads(Path(a.config).read_text())["config"]
    torch.backends.cuda.matmul.allow_tf32 = True  # float32 runs use TF32 tensor cores
    model = TorchEntropyModel(load_trained(a.weights, cfg), device="cuda")
    raw = np.fromfile(a.data, dtype=np.uint8)[: int(a.mb * 1e6)]
    results = []
    dtypes = (torch.bfloat16,) if a.quick else (torch.float32, torch.bfloat16)
    settings = ((8192, 128),) if a.quick else ((4096, 64), (8192, 128), (16384, 128))
    for dtype in dtypes:
        for chunk, streams in settings:
            # independent streams, newline-joined so newline_reset splits them into a batch
            n = len(raw) // streams
            data = b"\n".join(raw[i * n:(i + 1) * n].tobytes().replace(b"\n", b" ") for i in range(streams))
            fwd = partial(model.score_chunk, dtype=dtype)
            times = []
            for r in range(a.repeats + 1):
                torch.cuda.synchronize()
                t = time.perf_counter()
                score_bytes(fwd, data, window=cfg["window"], chunk_tokens=chunk, batch_tokens=chunk * streams,
                            newline_reset=True, stack=model.stack_pasts)
                torch.cuda.synchronize()
                if r:  # the first run warms up kernels and the allocator
                    times.append(time.perf_counter() - t)
            med = statistics.median(times)
            row = {"dtype": str(dtype).replace("torch.", ""), "chunk_tokens": chunk, "streams": streams,
                   "bytes": len(data), "median_seconds": round(med, 3), "mb_per_s": round(len(data) / med / 1e6, 2),
                   "runs": [round(x, 3) for x in times]}
            print(json.dumps(row), flush=True)
            results.append(row)
    out = {"benchmark": "gpu_scoring", "device": torch.cuda.get_device_name(), "torch": torch.__version__,
           "python": platform.python_version(), "model_config": cfg, "results": results,
           "note": "end to end: host->device copies, model, entropy/surprisal reductions on the GPU, results back to host"}
    Path(a.out).parent.mkdir(parents=True, exist_ok=True)
    Path(a.out).write_text(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
