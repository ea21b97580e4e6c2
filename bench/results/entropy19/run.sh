#!/usr/bin/env bash
# Run 2026-12-01 (issue 13): entropy18-m112u with still more runs of uniform byte values, on the
# device machine's GPU (the session's last 600 s of device time, so 300 s of training):
#   cp data/runs/entropy18-m112u/entropy_model.safetensors data/m112u.safetensors
#   CORPUS=data/corpus bash bench/results/entropy19/run.sh split | split-init data/m112u.safetensors | start | wait S | collect
# entropy18 took runs over all 256 byte values from 0.342 (m112s) to 0.316 nats and the values at or
# over 0.2 from 15 to 10 by raising uniform-value runs to 29% of rows; every value left over 0.2 is
# a run after prose. This fine-tune raises them to 38% (half the rows hold a run, 15% of the runs are
# spaces, 90% of the rest uniform values) at a lower lr.
set -euo pipefail
. "$(dirname "$0")/../../gpu_entropy_runs.sh"
SECONDS_FT=${SECONDS_FT:-300} RUN_FRAC=0.5
match_finetune_common ${E19_FLAGS:---compile} --run-space-frac 0.15 --run-any-frac 0.9
candidates() {
  launch_m112 0 m112v 1.5e-4 m112u
}
gpu_runs "$@"
