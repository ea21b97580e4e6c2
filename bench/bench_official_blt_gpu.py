"""On demand, on a GPU: the released BLT architecture (blt_core/official_blt) on CUDA.

1. A tiny random BLT in float32 on the GPU: cached steps and the full recompute write the same
   greedy bytes, and its logits match the same weights on the CPU; the CUDA-graph stepper
   (official_blt/graphed.py) writes the same bytes, patch starts and entropies as the eager one,
   with the prompt prefilled and stepped.
2. The same model written as a Hub-layout folder loads through `load_generator_folder` onto the
   GPU (bfloat16) and generates through `blt_core.generate(model=FOLDER)` (graphed steps).
3. A BLT-1B-shaped model (the released widths and depths, 768 x 14 entropy model) with random
   bf16 weights: greedy bytes per second at batch 1, prompt prefilled, for the eager
   OfficialStepper (the flat keys, as before) and GraphedOfficialStepper ("eager" and "graphed":
   median of --repeats runs after a warm-up).

    python bench/bench_official_blt_gpu.py --out bench/results/official_blt_gpu.json
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
import traceback
from dataclasses import replace
from pathlib import Path

import torch

from blt_core.entropy.model import EntropyModelConfig
from blt_core.generator.decoding import run
from blt_core.official_blt.config import OfficialBLTConfig
from blt_core.official_blt.graphed import GraphedOfficialStepper, StepsPool
from blt_core.official_blt.model import OfficialBLT
from blt_core.official_blt.stepping import FullRecompute, OfficialStepper

TINY = OfficialBLTConfig(encoder_hidden_size=64, encoder_heads=4, encoder_intermediate_size=256, decoder_hidden_size=64,
                         decoder_heads=4, decoder_layers=2, decoder_intermediate_size=256, cross_attn_heads=4,
                         global_hidden_size=128, global_heads=4, global_layers=2, global_intermediate_size=512,
                         local_window=16, hash_buckets=101, patch_threshold=3.0)
TINY_ENT = EntropyModelConfig(hidden_size=64, num_hidden_layers=2, num_attention_heads=4, intermediate_size=256,
                              window=24)
ONE_B_ENT = EntropyModelConfig(hidden_size=768, num_hidden_layers=14, num_attention_heads=12, intermediate_size=2048,
                               window=512)
PROMPT = b"The byte latent transformer reads raw bytes and groups them into patches. "


def random_model(cfg, ent, *, device, dtype, seed: int) -> OfficialBLT:
    """Random weights scaled by 1/sqrt(fan-in) (embeddings by 1), so entropies spread and patches vary."""
    torch.manual_seed(seed)
    with torch.device(device):
        model = OfficialBLT(cfg, ent)
    with torch.no_grad():
        for name, p in model.named_parameters():
            if p.dim() == 2:
                p.normal_(0.0, 1.0 if "embed" in name else 1.5 / p.shape[1] ** 0.5)
    return model.to(dtype).eval()


def greedy(stepper, prompt: bytes, n: int, cfg, *, prefill: bool = True, entropies: bool = False) -> tuple:
    r = run(stepper, [prompt], max_bytes=n, threshold=cfg.patch_threshold, max_patch_length=0, temperature=0.0,
            top_k=None, seed=0, max_ngram=cfg.max_ngram, prefill=prefill)
    return (r.data[0], r.patch_starts[0], r.seconds) + ((r.entropies[0],) if entropies else ())


def graphed_parity(model, device) -> dict:
    """Graphed vs eager steps on one model: same greedy bytes and patch starts, entropy gap; a prompt
    longer than the local windows, prefilled and stepped."""
    out = {}
    for prefill in (True, False):
        a = greedy(OfficialStepper(model, device=device), PROMPT, 64, model.config, prefill=prefill, entropies=True)
        b = greedy(GraphedOfficialStepper(model, device=device), PROMPT, 64, model.config, prefill=prefill,
                   entropies=True)
        out["prefill" if prefill else "stepped"] = {
            "same_bytes": a[0] == b[0], "same_patch_starts": a[1] == b[1], "patches": len(a[1]),
            "max_abs_entropy_diff": max(abs(x - y) for x, y in zip(a[3], b[3]))}
    return out


def median_threshold(model: OfficialBLT, device) -> OfficialBLT:
    """Set the patch threshold to the median entropy over PROMPT, so about half the bytes open a patch."""
    ids = torch.tensor([[1] + [b + 4 for b in PROMPT]], device=device)
    with torch.no_grad():
        model.config = replace(model.config, patch_threshold=float(model.entropies(ids).float().median()))
    return model


def tiny_checks(device) -> dict:
    gpu = median_threshold(random_model(TINY, TINY_ENT, device=device, dtype=torch.float32, seed=1), device)
    cached, starts_c, _ = greedy(OfficialStepper(gpu, device=device), PROMPT[:20], 48, gpu.config)
    full, starts_f, _ = greedy(FullRecompute(gpu, device=device), PROMPT[:20], 48, gpu.config)
    cpu = random_model(gpu.config, TINY_ENT, device="cpu", dtype=torch.float32, seed=1)
    cpu.load_state_dict({k: v.cpu() for k, v in gpu.state_dict().items()})
    ids = torch.tensor([[1] + [b + 4 for b in PROMPT]])
    with torch.no_grad():
        diff = (gpu(ids.to(device)).cpu() - cpu(ids)).abs().max().item()
    with tempfile.TemporaryDirectory() as d:
        folder = write_hub_folder(gpu, Path(d))
        import blt_core

        g = blt_core.generate(PROMPT[:20], max_bytes=32, model=folder)
    return {"cached_equals_full_recompute": cached == full and starts_c == starts_f, "patches": len(starts_c),
            "bytes": len(cached), "max_abs_logit_diff_gpu_vs_cpu_fp32": diff,
            "graphed_vs_eager": graphed_parity(gpu, device),
            "hub_folder_generate": {"backend": g.backend, "bytes_out": len(g.generated_bytes),
                                    "patches": len(g.patch_starts)}}


def write_hub_folder(model: OfficialBLT, folder: Path) -> Path:
    """The Hub layout (config.json args + model.safetensors + entropy_model/) of `model`'s weights."""
    from safetensors.torch import save_file

    c, e = model.config, model.patcher.config
    args = {"dim_local_encoder": c.encoder_hidden_size, "dim_local_decoder": c.decoder_hidden_size,
            "dim_global": c.global_hidden_size, "n_layers_local_encoder": c.encoder_layers,
            "n_layers_local_decoder": c.decoder_layers, "n_layers_global": c.global_layers,
            "n_heads_local_encoder": c.encoder_heads, "n_heads_local_decoder": c.decoder_heads,
            "n_heads_global": c.global_heads, "cross_attn_nheads": c.cross_attn_heads, "cross_attn_k": c.cross_attn_k,
            "cross_attn_all_layers_encoder": c.cross_attn_all_layers_encoder,
            "cross_attn_all_layers_decoder": c.cross_attn_all_layers_decoder,
            "local_attention_window_len": c.local_window, "encoder_hash_byte_group_size": list(c.hash_sizes),
            "encoder_hash_byte_group_vocab": c.hash_buckets, "encoder_hash_byte_group_nb_functions": c.hash_functions,
            "rope_theta": c.rope_theta, "patching_threshold": c.patch_threshold, "multiple_of": 256}
    (folder / "config.json").write_text(json.dumps({"args": args}))
    state = {k: v.detach().cpu().contiguous() for k, v in model.state_dict().items() if not k.startswith("patcher.")}
    save_file(state, folder / "model.safetensors")
    (folder / "entropy_model").mkdir()
    (folder / "entropy_model" / "params.json").write_text(json.dumps(
        {"dim": e.hidden_size, "n_layers": e.num_hidden_layers, "n_heads": e.num_attention_heads,
         "sliding_window": e.window, "rope_theta": e.rope_theta, "multiple_of": 256}))
    torch.save({k: v.cpu() for k, v in model.patcher.state_dict().items()}, folder / "entropy_model" / "consolidated.pth")
    return folder


def timed(make_stepper, model, n_out: int, repeats: int) -> tuple[dict, bytes]:
    """Greedy generations of n_out bytes after PROMPT (prefilled): the median run, and its bytes."""
    runs = []
    for _ in range(repeats):
        torch.cuda.synchronize()
        data, starts, seconds = greedy(make_stepper(), PROMPT, n_out, model.config)
        runs.append((seconds, data, starts))
    seconds, data, starts = sorted(runs, key=lambda r: r[0])[len(runs) // 2]
    n = len(data) - len(PROMPT)
    return {"seconds": seconds, "bytes_out": n, "patches": len(starts), "bytes_per_second_output": n / seconds,
            "bytes_per_second_all_steps": len(data) / seconds, "runs_seconds": [r[0] for r in runs]}, data


def graph_costs(steps, n: int = 50) -> dict:
    """Milliseconds per replay of each captured graph (synchronized): where a graphed byte's time goes."""
    out = {}
    for key, graph in steps.graphs.items():
        torch.cuda.synchronize()
        t0 = time.perf_counter()
        for _ in range(n):
            graph.replay()
        torch.cuda.synchronize()
        out[str(key)] = 1e3 * (time.perf_counter() - t0) / n
    return out


def one_b_speed(out: dict, device, n_out: int, repeats: int) -> None:
    """Fills `out` part by part (the eager numbers survive a graphed failure)."""
    model = median_threshold(random_model(OfficialBLTConfig(), ONE_B_ENT, device=device, dtype=torch.bfloat16, seed=2),
                             device)
    cfg = model.config
    greedy(OfficialStepper(model, device=device), PROMPT[:8], 16, cfg)  # warm-up
    eager, eager_data = timed(lambda: OfficialStepper(model, device=device), model, n_out, repeats)
    out.update({"config": "BLT-1B shape, random bf16 weights", "prompt_bytes": len(PROMPT),
                "bytes_out": eager["bytes_out"], "patches": eager["patches"], "seconds": eager["seconds"],
                "bytes_per_second_all_steps": eager["bytes_per_second_all_steps"],
                "parameters": sum(p.numel() for p in model.parameters()), "repeats": repeats, "eager": eager,
                "target_bytes_per_second": 150.0})
    pool = StepsPool(model, torch.device(device))  # one capture for every graphed run, as serve.py keeps it
    t0 = time.perf_counter()
    greedy(GraphedOfficialStepper(model, device=device, pool=pool), PROMPT, n_out, cfg)  # warm-up: captures
    warmup = time.perf_counter() - t0
    graphed, graphed_data = timed(lambda: GraphedOfficialStepper(model, device=device, pool=pool), model, n_out,
                                  repeats)
    out.update({"graphed": dict(graphed, warmup_seconds_with_capture=warmup,
                                ms_per_graph_replay=graph_costs(pool.take())),
                "graphed_same_bytes_as_eager": graphed_data == eager_data,
                "speedup_output_bytes_per_second":
                    graphed["bytes_per_second_output"] / eager["bytes_per_second_output"]})


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", required=True)
    ap.add_argument("--bytes", type=int, default=256)
    ap.add_argument("--repeats", type=int, default=3)
    a = ap.parse_args()
    device = "cuda"
    out = Path(a.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    result = {"device": torch.cuda.get_device_name(0), "torch": torch.__version__}
    failed = False
    # written after each part, and a part that fails is recorded: GPU time is scarce, so one
    # failing part should not cost the others' numbers
    result["tiny"], result["one_b"] = {}, {}
    parts = (("tiny", lambda: result["tiny"].update(tiny_checks(device))),
             ("one_b", lambda: one_b_speed(result["one_b"], device, a.bytes, a.repeats)))
    for key, part in parts:
        try:
            part()
        except Exception as e:  # noqa: BLE001 - recorded in the JSON, raised again by the exit status
            traceback.print_exc()
            result[key]["error"], failed = repr(e), True
        out.write_text(json.dumps(result, indent=2))
    print(json.dumps(result, indent=2))
    raise SystemExit(1 if failed else 0)


if __name__ == "__main__":
    main()
