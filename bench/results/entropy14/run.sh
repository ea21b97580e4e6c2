#!/usr/bin/env bash
# Run 2026-11-30 (issue 13; README.md here has the results; m112y shipped as entropy14-m112y): entropy13's 112x4 phase-A models with match-model inputs
# (blt_core/entropy/matches.py) added, fine-tuned on the device machine's 2 GPUs:
#   CORPUS=data/corpus bash bench/results/entropy14/run.sh split | split-init data/n112y-a.safetensors data/n112x-a.safetensors | start | wait S | collect
# Five rounds of copy rows (entropy8-13) left every n-gram model paying 0.6-0.8 nats on a paragraph's
# second copy (shipped 0.313): attention learns induction slowly and the 1,024-byte rows wear it
# away. A match input hands each byte the byte that followed the latest earlier occurrence of its
# k-gram (k = MATCH_ORDERS), so copying and runs become a lookup the model learns to trust. The
# match tables start at zero (init_from --new), so each run starts as its phase-A model. Phase-B
# settings as entropy11 (1,024-byte rows past the window, the old corpus), lr 5e-4, binary rows
# 5%: GPU 0 from n112y-a (5% binary rows in its phase A), GPU 1 from n112x-a (none).
set -euo pipefail
. "$(dirname "$0")/../../gpu_entropy_runs.sh"
SECONDS_FT=${SECONDS_FT:-230} MATCH_ORDERS=${MATCH_ORDERS:-4,8,16,32}
common=(--data /tmp/corpus --window 512 --seq-len 1024 --batch-size 256 --lr 5e-4 --warmup-frac 0.05
        --random-frac 0.03 --copy-frac 0.2 --run-frac 0.12 --run-start-frac 0.5 --run-fill-frac 0.25
        --binary-frac 0.05 --hidden-size 112 --layers 4 --heads 2 --intermediate-size 320
        --ngram-sizes 2,3,4,5,6 --ngram-buckets 8191 --ngram-dropout 0.5 --match-orders $MATCH_ORDERS
        --total-seconds $SECONDS_FT --budget-seconds $((SECONDS_FT + 20)) --eval-every 500 --log-every 100
        ${E14_FLAGS:---compile})
candidates() {
  launch 0 m112y --init-from /tmp/init/n112y-a.safetensors
  launch 1 m112x --init-from /tmp/init/n112x-a.safetensors
}
gpu_runs "$@"
