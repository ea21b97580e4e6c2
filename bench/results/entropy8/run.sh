#!/usr/bin/env bash
# More text, no n-gram tables (issue 13), on the device machine's 2 GPUs, prepared 2026-11-30:
#   CORPUS=data/corpus_t3b bash bench/results/entropy8/run.sh split | start | wait S | collect
# entropy7's n-gram models memorised the 102 MB corpus (held-out bits per byte rose from step 8,000
# on); entropy6-s256 over-fit it too (1.303 at step 17,000, 1.397 at the end) while s192 (shipped)
# improved to its end. So: a corpus with 85% more bytes (189 MB: three times the text per source
# and book-length documentation in 27 languages; python -m blt_core.train.corpus --out
# data/corpus_t3b --text-scale 3 --books, 38 MB as xz, five 8 MiB pieces), the shipped shape and the
# 256-wide one, entropy6's data mix with entropy7's run changes (12% of rows, a quarter of the
# row-start runs filling the row with no BOS), best-evaluation weights kept.
set -euo pipefail
. "$(dirname "$0")/../../gpu_entropy_runs.sh"
common=(--data /tmp/corpus --window 512 --seq-len 512 --batch-size 512 --lr 3e-3 --random-frac 0.02
        --copy-frac 0.2 --run-frac 0.12 --run-start-frac 0.5 --run-fill-frac 0.25 --compile --eval-every 1000
        --log-every 100 --total-seconds 1080 --budget-seconds 1100)
candidates() {
  launch 0 t3s192 --hidden-size 192 --layers 4 --heads 3 --intermediate-size 512
  launch 1 t3s256 --hidden-size 256 --layers 4 --heads 4 --intermediate-size 704
}
gpu_runs "$@"
