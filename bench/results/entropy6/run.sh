#!/usr/bin/env bash
# Entropy-model candidates with runs that open the row (issue 13), on the device machine's 2 GPUs:
#   bash bench/results/entropy6/run.sh start | wait S | collect      (bench/gpu_entropy_runs.sh)
# Candidates (entropy5 showed copies and binaries learnt, but runs from a file's start still cost
# 1.9 nats and English lost 2.4%): both with 20% copy rows, 8% run rows of which half open the row,
# 2% random rows, an 1080 s schedule; s192 is the shipped size (192x4), s256 is 256x4.
# (The machinery these runs used was this file's own; it now lives in bench/gpu_entropy_runs.sh, unchanged.)
set -euo pipefail
. "$(dirname "$0")/../../gpu_entropy_runs.sh"
common=(--data /tmp/corpus --window 512 --seq-len 512 --batch-size 512 --lr 3e-3 --random-frac 0.02
        --copy-frac 0.2 --run-frac 0.08 --run-start-frac 0.5 --compile --eval-every 1000 --log-every 100
        --total-seconds 1080 --budget-seconds 1100)
candidates() {
  launch 0 s192 --hidden-size 192 --layers 4 --heads 3 --intermediate-size 512
  launch 1 s256 --hidden-size 256 --layers 4 --heads 4 --intermediate-size 704
}
gpu_runs "$@"
