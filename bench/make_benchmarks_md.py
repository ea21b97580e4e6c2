"""Generate BENCHMARKS.md from the raw JSON in bench/results/ (never edit BENCHMARKS.md by hand).

    python -m bench.make_benchmarks_md
"""

from __future__ import annotations

import json
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"


COMMANDS = {  # how each JSON file was produced, and what a reader must know about it
    "app": "python bench/bench_app.py (headless Chromium against a local server, 2 cores, AMD EPYC with AVX-512, "
           "2026-12-01 03:44, the shipped entropy18-m112u; a first try right after a CI run, load average 3.3, "
           "timed out waiting for the page and wrote nothing)",
    "entropy_cpu": "python -m bench.bench_entropy (2 cores, AMD EPYC with AVX-512, 2026-12-01 03:10, the shipped "
                   "entropy18-m112u; ONNX Runtime and torch eager, interleaved runs). Earlier figures were from an "
                   "AVX2 machine and the entropy6-s192 model (376 ms / 9.15 s); onnx_ab_entropy14_* times "
                   "entropy6-s192's and entropy14-m112y's graphs side by side, onnx_ab_entropy16_* entropy14-m112y's "
                   "and entropy16-m112r's, onnx_ab_entropy18_* entropy16-m112r's and entropy18-m112u's (the same "
                   "shape).",
    "int8": "python -m bench.bench_int8 --out bench/results/int8.json (2 cores, 2026-11-30): ONNX Runtime dynamic "
            "int8 quantization (weights per channel; also with reduce_range, and MatMulNBits 8-bit weight-only "
            "at accuracy levels 0 and 4) of the shipped entropy model's MatMuls, patch-start agreement "
            "with fp32 at the card's threshold on the shipped samples (8 KB each) and 4 KB beside fp32; the model "
            "issue asks for 99%.",
    "candidate_speed": "python -m bench.bench_candidate_speed --repeats 5 --out bench/results/candidate_speed.json "
                       "(2 cores, 2026-11-30, a later run the same day than entropy_cpu): entropy-model shapes with "
                       "random weights (speed does not depend on them) exported to ONNX and timed side by side with "
                       "the shipped graph through score_bytes, median of 3 after 2 warm-up rounds, and as a share of "
                       "the fp32 matmul peak measured in the same run (ONNX Runtime MatMul, 1024^3, best of 20) "
                       "with model FLOPs per byte at a full window from blt_core.flops; the model issue's CPU "
                       "target is 150 ms / 3 s.",
    "attention_ops": "python -m bench.bench_attention_ops --repeats 30 --out bench/results/attention_ops.json "
                     "(2 cores, 2026-11-30, onnxruntime 1.32): one layer's attention tiles for 4 KB (32 tiles of "
                     "128 queries x 640 keys) as the exported ops, ONNX Runtime's fused com.microsoft."
                     "MultiHeadAttention and the opset-23 Attention op, median of 30 after 3 warm-up runs, outputs "
                     "checked equal; a 4 KB pass has 4 such layers.",
    "onnx_ab": "python -m bench.bench_onnx_ab assets/entropy_model.onnx assets/blt_generator_entropy.onnx OLD.onnx "
               "(2 cores, 2026-11-30; OLD = git show 028a14c~1:assets/entropy_model.onnx, the previous model's graph "
               "before its weights moved to ONNX external data): 4 KB through score_bytes, each graph in turn, "
               "median of 15 after 2 warm-up rounds.",
    "gpu_scoring": "python -m bench.bench_gpu_scoring --quick --weights assets/entropy_model.safetensors "
                   "--config assets/entropy_model.json --data data/corpus/train.bin (one H200).",
    "gpu_h200": "python -m bench.bench_gpu --compile --repeats 3 --out bench/results/gpu_h200.json (one H200, "
                "torch 2.11; the library as shipped, eager; each figure the median of 3 runs after one warm-up; "
                "its torch.compile rows are repeated, with a compiled end-to-end row, in gpu_h200_compiled). "
                "MFU is against 989 TFLOP/s dense bf16 with the flop_formula below. A torch.profiler pass over "
                "the shipped model's eager forward (128 x 8192 bytes) found the matmul kernels under 10% of the "
                "210 ms of GPU time: elementwise kernels, the index_select gather of window keys, the float32 "
                "softmax and cat take the rest, so eager MFU is bound by memory traffic, not tensor cores. "
                "Generation: the shipped card, 256 bytes, EOS masked, torch's default host thread count (a 16-core "
                "host; bench_generate pins 2 threads and measured more at batch 1 on another host), so batch 1 "
                "again measures the per-byte host work and kernel launches; no CUDA graphs yet.",
    "load_browsers": "python bench/bench_load_browsers.py (2026-11-30, the 2-core machine, nothing else running): "
                     "N headless Chromium pages of one browser, each its own Streamlit session, open Explore on "
                     "a distinct 2 KB text at once; the 2 cores run the server and every page's renderer, so the "
                     "seconds measure Chromium as much as the server (issue 12's throughput target is "
                     "bench_load's scripted websocket run).",
    "score_corpus_gpu": "python3 bench/bench_score_corpus.py --mb 30 --dtype float32 bfloat16 --batch-tokens 262144 "
                        "(one H200, torch 2.11, 2026-11-30): the whole score-corpus command on a 30 MB JSONL corpus "
                        "cut from the shipped samples (8,606 documents), model loading and Parquet writing included; "
                        "issue 14's target for the shipped model is 30 MB/s per GPU.",
    "official_blt_gpu": "python3 bench/bench_official_blt_gpu.py (one H200, torch 2.11, 2026-11-30): the "
                        "released BLT architecture (blt_core/official_blt) on CUDA; tiny model GPU-vs-CPU parity and "
                        "graphed-vs-eager parity, a Hub-layout folder through blt_core.generate, and a BLT-1B-shaped "
                        "model with random bf16 weights at batch 1, greedy, prompt prefilled: the eager cached steps "
                        "(OfficialStepper) and the CUDA-graph steps (GraphedOfficialStepper) side by side, median of "
                        "3 after a warm-up (issue 14's target: 150 bytes/s). The top-level keys are the eager run's.",
    "gpu_h200_fused": "TORCH_LOGS=recompiles python -m bench.bench_gpu --only fused --repeats 3 (one H200, torch "
                      "2.11, 2026-11-30 08:45): the fused path TorchEntropyModel takes on CUDA (entropy/flex_forward.py: "
                      "flex_attention sliding window, compiled, bf16 autocast, 128 x 64 kernel tiles, chunk lengths "
                      "static per 1.5x bucket); end to end = score_bytes over score_chunk, lagged (the host builds "
                      "batch r+1 while the GPU runs batch r), host bytes in, per-byte entropies and surprisal back on "
                      "the host; lag_outputs_identical compares one lagged run with one unlagged run. The official-size "
                      "rows score 4 MB (documents of 62.5 KB, as the shipped rows'). bench/results/flex_tiles/ holds "
                      "the same session's powers-of-two-bucket run and an earlier run's tile comparison.",
    "generate_page_gpu_trace": "PYTHONPATH=. python3 -m bench.record_generation --out ... (one H200, torch 2.11, "
                               "2026-11-30): what the Generate page's button calls (generate_stream, torch backend: "
                               "CUDA graphs), recorded after one warm-up run, every event with its time; "
                               "bench/replay_generate_page.py replays it into the page in Chromium "
                               "(assets/screenshots/generate-gpu-h200.png).",
    "gpu_h200_generation": "python -m bench.bench_gpu --only generation --gen-bytes 512 --repeats 5 (one H200, torch "
                           "2.11, 2026-11-30): the shipped generator with the CUDA-graph steps load_generator uses on "
                           "a GPU (GraphedStepper) beside the eager TorchStepper; 512 bytes, EOS masked.",
    "score_corpus_scaling": "python bench/bench_score_corpus_scaling.py --mb 80 --gpus 1 2 (two H200s of one host, "
                            "torch 2.11, 2026-11-30, the eager scoring path of commit aeeea24): torchrun with 1 then 2 "
                            "processes on an 80 MB JSONL corpus made on the device; MB/s = bytes over the slowest "
                            "rank's own seconds (start-up excluded), wall time beside it.",
    "onnx_ab_entropy14_4k": "python -m bench.bench_onnx_ab OLD/entropy_model.onnx assets/entropy_model.onnx "
                            "--repeats 13 (2 cores, AMD EPYC with AVX-512, 2026-11-30 23:37; OLD is the previous "
                            "default, entropy6-s192, from git): 4 KB side by side, issue 13's target 150 ms.",
    "onnx_ab_entropy14_100k": "python -m bench.bench_onnx_ab OLD/entropy_model.onnx assets/entropy_model.onnx "
                              "--bytes 102400 --repeats 5 (as onnx_ab_entropy14_4k, right after it): 100 KB side "
                              "by side, issue 13's target 3 s.",
    "onnx_ab_entropy16_4k": "python -m bench.bench_onnx_ab OLD/entropy_model.onnx assets/entropy_model.onnx "
                            "--repeats 13 (2 cores, AMD EPYC with AVX-512, 2026-12-01 01:17; OLD is the previous "
                            "default, entropy14-m112y, from git; the same shape, so the two differ only by the "
                            "machine's noise): 4 KB side by side, issue 13's target 150 ms.",
    "onnx_ab_entropy16_100k": "python -m bench.bench_onnx_ab OLD/entropy_model.onnx assets/entropy_model.onnx "
                              "--bytes 102400 --repeats 5 (as onnx_ab_entropy16_4k, right after it): 100 KB side "
                              "by side, issue 13's target 3 s.",
    "onnx_ab_entropy18_4k": "python -m bench.bench_onnx_ab OLD/entropy_model.onnx assets/entropy_model.onnx "
                            "--repeats 13 (2 cores, AMD EPYC with AVX-512, 2026-12-01 03:08; OLD is the previous "
                            "default, entropy16-m112r, from git; the same shape): 4 KB side by side, issue 13's "
                            "target 150 ms.",
    "onnx_ab_entropy18_100k": "python -m bench.bench_onnx_ab OLD/entropy_model.onnx assets/entropy_model.onnx "
                              "--bytes 102400 --repeats 5 (as onnx_ab_entropy18_4k, right after it): 100 KB side "
                              "by side, issue 13's target 3 s.",
    "onnx_ab_entropy21_4k": "python -m bench.bench_onnx_ab assets/entropy_model.onnx data/finalized/e21d2/entropy_model.onnx "
                            "data/finalized/e21d/entropy_model.onnx --repeats 13 (2 cores, an AMD EPYC without "
                            "AVX-512, slower than the 2026-12-01 03:08 machine, 2026-12-01 05:15): assets/ then held "
                            "entropy18-m112u; e21d2 is entropy21-m112ud as shipped (its match boost added by one "
                            "scatter), e21d the same weights with a one-hot boost per order, 1.5% slower, not "
                            "shipped. 4 KB side by side; issue 13's target 150 ms was met on the faster machine only.",
    "onnx_ab_entropy21_100k": "python -m bench.bench_onnx_ab assets/entropy_model.onnx "
                              "data/finalized/e21d2/entropy_model.onnx --bytes 102400 --repeats 5 (as "
                              "onnx_ab_entropy21_4k, right after it): 100 KB side by side, issue 13's target 3 s.",
    "onnx_ab_entropy22_4k": "python -m bench.bench_onnx_ab data/finalized/e21d2/entropy_model.onnx assets/entropy_model.onnx "
                            "--repeats 13 (2 cores, an AMD EPYC without AVX-512, 2026-12-01 07:20): e21d2 is the "
                            "previous default, entropy21-m112ud, as shipped (git show 3320bb5:assets/entropy_model.onnx "
                            "with its safetensors); assets/ holds entropy22-m112ue, the same graph plus one gather of "
                            "the run boost per byte value. 4 KB side by side, issue 13's target 150 ms.",
    "onnx_ab_entropy22_100k": "python -m bench.bench_onnx_ab data/finalized/e21d2/entropy_model.onnx "
                              "assets/entropy_model.onnx --bytes 102400 --repeats 5 (as onnx_ab_entropy22_4k, right "
                              "after it): 100 KB side by side, issue 13's target 3 s.",
    "model_blt-explorer-entropy22-m112ue": "python -m bench.bench_model --model assets/entropy_model.json "
                                           "--corpus-manifest assets/training/entropy13-n112y-a/corpus_manifest.json "
                                           "(2 cores, ONNX, 2026-12-01 07:15): the shipped entropy22-m112ue, "
                                           "entropy21-m112ud with a run boost per byte value (a 260 x 4 table) "
                                           "trained with the four shared run constants 900 s on the CPU, everything "
                                           "else frozen (bench/results/entropy22/).",
    "model_blt-explorer-entropy21-m112ud": "python -m bench.bench_model --model assets/entropy_model.json "
                                           "--corpus-manifest assets/training/entropy13-n112y-a/corpus_manifest.json "
                                           "(2 cores, ONNX, 2026-12-01 05:20): the shipped entropy21-m112ud, "
                                           "entropy18-m112u with a match boost whose four run weights (one per "
                                           "match order) trained 900 s on the CPU, everything else frozen "
                                           "(bench/results/entropy21/).",
    "model_blt-explorer-entropy18-m112u": "python -m bench.bench_model --model assets/entropy_model.json "
                                          "--corpus-manifest data/corpus_t3b/corpus_manifest.json (2 cores, ONNX, "
                                          "2026-12-01 03:11): the shipped entropy18-m112u (entropy16-m112r trained "
                                          "on for 400 s with 40% run rows, a third of them spaces, then 550 s with "
                                          "45%, a fifth spaces and 80% of the rest uniform byte values); runs are "
                                          "measured over all 256 byte values from this file on (the files before "
                                          "hold six).",
    "model_blt-explorer-entropy16-m112r": "python -m bench.bench_model --model assets/entropy_model.json "
                                          "--corpus-manifest data/corpus_t3b/corpus_manifest.json (2 cores, ONNX, "
                                          "2026-12-01 01:15): the shipped entropy16-m112r (entropy14-m112y trained "
                                          "on for 1,100 s with 20% run rows, then 320 s with 35%), with the manifest "
                                          "of its first stage's corpus for the per-language training bytes; the "
                                          "word-start breakdown and the other patchers' shares are new in this file.",
    "model_blt-explorer-entropy14-m112y": "python -m bench.bench_model --model assets/entropy_model.json "
                                          "--corpus-manifest data/corpus_t3b/corpus_manifest.json (2 cores, ONNX, "
                                          "2026-11-30 23:23): entropy14-m112y (n-gram tables and "
                                          "match inputs), the default before entropy16-m112r, with the manifest of its first stage's corpus for the "
                                          "per-language training bytes.",
    "model_blt-explorer-entropy6-s192": "python -m bench.bench_model --model assets/entropy_model.json (2 cores, "
                                        "ONNX, 2026-11-30 06:27): entropy6-s192, the default before "
                                        "entropy14-m112y, with the manifest of the corpus it trained on.",
    "model_blt-explorer-entropy-1.9m": "python -m bench.bench_model (2 cores, ONNX): the entropy model shipped "
                                       "before entropy6-s192, which the generator still uses.",
    "gpu_h200_compiled": "python -m bench.bench_gpu --only compiled --compile --repeats 3 (one H200): the entropy "
                         "model's forward_chunk wrapped in torch.compile inside the bench only (the library is "
                         "unchanged). Its targets rows judge only what this file holds: the compiled end-to-end "
                         "row is a bench-only figure, not what blt_core ships.",
    "tokenize": "python -m bench.bench_tokenize (1 MB, four tokenizers, 2 cores)",
    "score_corpus_host": "python -m bench.bench_score_corpus_host --mb 70 --repeats 3 --compare /tmp/old (2 cores, "
                         "2026-11-30, nothing else running; /tmp/old a worktree of d2d3420, before the background "
                         "shard writer, dictionary-free Parquet columns and batched patch lengths): the whole "
                         "score-corpus command with a scorer that answers at once, so the seconds are the host work "
                         "a GPU cannot shorten; each run a fresh process, the two alternating, median of 3.",
    "score_host": "python -m bench.bench_score_host --compare OLD_SCORING_PY (2 cores, 2026-11-30, while a CI run "
                  "used the machine): score_bytes' host work alone on bench_gpu's end-to-end shape, a scorer "
                  "returning zeros; current vs the scoring.py before segment_inputs, alternating, median of 7.",
    "generate_NVIDIA_H200": "python bench/bench_generate.py --torch-only --repeats 5 (one H200, the shipped "
                            "weights and ring KV caches; 512 bytes, EOS masked; each row after one untimed warm-up of its own shape; "
                            "batch 64: 64 distinct prompts, temperature 0.8, top-k 40). Batch 1 is bound by the "
                            "host: a few hundred small kernel launches and one device-to-host copy per byte.",
    "generate_NVIDIA_H200_previous_weights": "an earlier build (caches copied by every step) with --repeats 3, on the host of a 4-GPU "
                            "machine right after training, before the batch-64 warm-up existed (its first batch-64 "
                            "run, 2,542 bytes/s, was cold), on the previously shipped weights of the same "
                            "architecture (EOS masked, so the work is the same). A faster host CPU gave 185.7 / "
                            "6,241 bytes/s, while the same build on a one-GPU machine gave 134.9 / 4,637: batch 1 "
                            "on a GPU measures the host as much as the GPU.",
    "generate_parity": "python bench/bench_generate_parity.py (20 prompts in several scripts and code, greedy "
                       "and sampled at temperature 0.8, 160 bytes each, ONNX Runtime vs torch on the CPU)",
    "generate_cpu-x86_64": "python bench/bench_generate.py --repeats 7 (2 cores, an AMD EPYC without AVX-512, "
                           "2026-12-01 05:30, with the cached torch steps on one intra-op thread per stepper thread; "
                           "the AVX-512 machine measured 575 / 147.3 / 15.8 bytes/s, 9.2x, at 03:34 before that "
                           "change; 512 bytes from a 48-byte prompt, EOS masked; torch cached and no_cache runs "
                           "alternate, cached_speedup is the median of the per-pair ratios)",
    "generate_threads_ab": "python -m bench.bench_generate_threads --repeats 6 (2 cores, the same machine and day as "
                           "generate_cpu-x86_64, right after it): the torch generator's cached steps with one "
                           "intra-op thread per stepper thread (the default) and with torch's own count, "
                           "alternated, 256 bytes each.",
    "load": "python bench/bench_load.py --sessions 5 10 20 --requests 2 --distinct 500 (one server, sessions over "
            "Streamlit's websocket protocol without a browser, 2 KB texts through ?text= on Explore, ONNX; the shared "
            "2-core machine, busy with other jobs: see machine.load_average_at_end). Streamlit gives no client "
            "address for local connections, so there the pool takes turns by session.",
    "injection": "python bench/bench_injection.py (every payload alone, on every page and channel, headless Chromium)",
}
HOSTING_TARGETS = {  # load.json verdict key -> (target in words, comparison)
    "throughput_ratio_20": ("20 sessions: throughput vs one session measured just before (median of the pairs), "
                            "at least", ">="),
    "errors": ("errors over all runs, at most", "<="),
    "fairness_chunks": ("chunks a 200-byte input waits behind a 100 KB one, at most", "<="),
    "rss_growth_mb_500": ("RSS growth over 500 distinct inputs after warm-up (MB), under", "<"),
}


MAX_ROWS = 60  # longer lists of rows (a generation's per-byte events) stay in the raw JSON


def fmt(v) -> str:
    """Numbers to 4 significant digits: 0.16274939 -> '0.1627'."""
    return f"{v:.4g}" if isinstance(v, float) else str(v)


def table(rows: list[dict], keys: list[str] | None = None) -> str:
    """Markdown table of dicts: [{"a": 1}] -> '| a |\\n|---|\\n| 1 |'."""
    if not rows:
        return "_no rows_\n"
    keys = keys or list(dict.fromkeys(k for r in rows for k, v in r.items() if not isinstance(v, (list, dict))))
    lines = ["| " + " | ".join(keys) + " |", "|" + "---|" * len(keys)]
    for r in rows:
        lines.append("| " + " | ".join(fmt(r.get(k, "")) for k in keys) + " |")
    return "\n".join(lines) + "\n"


def section(name: str, data: dict) -> str:
    out = [f"## {name}\n", f"Raw JSON: `bench/results/{name}.json`. Command: {COMMANDS.get(name, 'see the script')}\n"]
    for key, value in data.items():
        if isinstance(value, list) and len(value) > MAX_ROWS and isinstance(value[0], dict):
            out.append(f"- {key}: {len(value)} rows (in the raw JSON)")
        elif isinstance(value, list) and value and isinstance(value[0], dict):
            out.append(f"**{key}**\n\n" + table(value))
        elif isinstance(value, dict) and any(isinstance(v, dict) for v in value.values()):
            rows = [{"name": k, **{a: b for a, b in v.items() if not isinstance(b, (dict, list))}}
                    for k, v in value.items() if isinstance(v, dict)]
            rest = "".join(f"- {k}: {fmt(v)}\n" for k, v in value.items() if not isinstance(v, (dict, list)))
            out.append(f"**{key}**\n\n" + table(rows) + ("\n" + rest if rest else ""))
        elif isinstance(value, dict) and value:
            out.append(f"**{key}**\n\n" + table([{k: v for k, v in value.items() if not isinstance(v, (dict, list))}]))
        elif not isinstance(value, (list, dict)):
            out.append(f"- {key}: {fmt(value)}")
        elif isinstance(value, list) and value and all(isinstance(v, (int, float, str)) for v in value):
            out.append(f"- {key}: {', '.join(fmt(v) for v in value)}")
        elif isinstance(value, list):  # an empty list (failures, errors): none
            out.append(f"- {key}: {len(value)}")
    return "\n".join(out) + "\n"


GPU_TARGET_FILES = ("gpu_h200", "gpu_h200_fused", "gpu_h200_generation")  # bench_gpu outputs, targets rows


def gpu_targets() -> str:
    """Issue 14's GPU targets, each against the best figure of the library's code paths measured in
    bench_gpu's files, the official 1B row and the multi-GPU run; '' without any of them."""
    best: dict[str, dict] = {}
    formula = None
    for stem in GPU_TARGET_FILES:
        path = RESULTS / f"{stem}.json"
        if not path.exists():
            continue
        data = json.loads(path.read_text())
        formula = formula or data.get("flop_formula")
        for t in data["targets"]:
            if t["measured"] is not None and (t["target"] not in best or t["measured"] > best[t["target"]]["measured"]):
                best[t["target"]] = {**t, "source": stem + (f": {t['row']}" if t.get("row") else "")}
            best.setdefault(t["target"], {**t, "source": "-"})
    official = RESULTS / "official_blt_gpu.json"
    if official.exists():
        graphed = json.loads(official.read_text()).get("one_b", {}).get("graphed")
        if graphed:
            v = round(graphed["bytes_per_second_output"], 1)
            best["blt_1b_batch1_bytes_per_s"] = {"target": "blt_1b_batch1_bytes_per_s", "wanted_at_least": 150.0,
                                                 "measured": v, "met": v >= 150.0,
                                                 "source": "official_blt_gpu: one_b.graphed"}
    scaling = RESULTS / "score_corpus_scaling.json"
    if scaling.exists():
        two = [r for r in json.loads(scaling.read_text())["runs"] if r["gpus"] == 2]
        if two:
            best["score_corpus_2gpu_efficiency"] = {"target": "score_corpus_2gpu_efficiency", "wanted_at_least": 0.85,
                                                    "measured": two[0]["efficiency"],
                                                    "met": two[0]["efficiency"] >= 0.85,
                                                    "source": "score_corpus_scaling"}
    if not best:
        return ""
    rows = [{"target": t["target"], "wanted at least": t["wanted_at_least"], "measured": t["measured"],
             "met": {True: "met", False: "NOT met", None: "not measured"}[t["met"]], "from": t["source"]}
            for t in best.values()]
    return ("## GPU targets (issue 14, point 5)\n\nOne H200 (two for the multi-GPU row), the library's code "
            "paths; each target's best end-to-end figure over the files named in the last column. "
            f"FLOPs: {formula}\n\n" + table(rows))


def hosting_targets() -> str:
    """The issue-12 hosting targets against bench/results/load.json, or '' without it."""
    path = RESULTS / "load.json"
    if not path.exists():
        return ""
    data = json.loads(path.read_text())
    ok = {">=": lambda m, t: m >= t, "<=": lambda m, t: m <= t, "<": lambda m, t: m < t}
    rows = []
    for key, (words, cmp) in HOSTING_TARGETS.items():
        measured = data["verdict"].get(key)
        met = "not measured" if measured is None else ("met" if ok[cmp](measured, data["targets"][key]) else "NOT met")
        rows.append({"target": words, "wanted": data["targets"][key], "measured": measured, "met": met})
    return ("## Hosting targets (issue 12, point 5)\n\nOne server under `bench/bench_load.py` (see the load "
            "section for the command and the machine).\n\n" + table(rows))


def main() -> None:
    parts = ["# Benchmarks\n",
             "Generated by `python -m bench.make_benchmarks_md` from the raw JSON under `bench/results/`. "
             "CPU figures: the 2-core development machine (shared with other jobs while measured, so medians "
             "of several runs); GPU figures: one NVIDIA H200 via the device tool.\n", gpu_targets(), hosting_targets()]
    for path in sorted(RESULTS.glob("*.json")):
        parts.append(section(path.stem, json.loads(path.read_text())))
    (ROOT / "BENCHMARKS.md").write_text("\n".join(parts))
    print(f"wrote {ROOT / 'BENCHMARKS.md'}")


if __name__ == "__main__":
    main()
