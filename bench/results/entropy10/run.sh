#!/usr/bin/env bash
# Back to the binary share (issue 13), on the device machine's 2 GPUs, 2026-11-30:
#   CORPUS=data/corpus bash bench/results/entropy10/run.sh split | start | wait S | collect
# entropy9's ft_n112d (finalized: blt-explorer-entropy9-n112) beats the shipped model on held-out text
# (1.461 vs 1.495), the second copy (0.285 vs 0.313) and runs (max 1.32 vs 3.12) but loses on .pyc
# (1.854 vs 1.67) and SQLite (1.909 vs 1.72): corpus_t3b has three times the text and the same
# binaries, 3.4% of its bytes instead of 6.2%. So: 110 s more on the committed corpus (data/corpus,
# the shipped model's), 1,024-byte rows, from ft_n112d's weights (two pieces in data/init/), at two
# learning rates. The budget left this session was 271 s of device time.
set -euo pipefail
. "$(dirname "$0")/../../gpu_entropy_runs.sh"
common=(--data /tmp/corpus --window 512 --seq-len 1024 --batch-size 256 --random-frac 0.02
        --copy-frac 0.2 --run-frac 0.12 --run-start-frac 0.5 --run-fill-frac 0.25 --compile --eval-every 500
        --log-every 100 --warmup-frac 0.05 --total-seconds 110 --budget-seconds 115
        --hidden-size 112 --layers 4 --heads 2 --intermediate-size 320 --ngram-sizes 2,3,4,5,6
        --ngram-buckets 8191 --ngram-dropout 0.5 --init-from /tmp/init/ft_n112d.safetensors)
candidates() {
  launch 0 c_n112_lr2 --lr 2e-4
  launch 1 c_n112_lr5 --lr 5e-4
}
gpu_runs "$@"
