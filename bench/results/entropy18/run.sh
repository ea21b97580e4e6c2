#!/usr/bin/env bash
# Run 2026-12-01 (issue 13): entropy17-m112s with more runs of any byte value, on the device machine's GPU:
#   cp data/runs/entropy17-m112s/entropy_model.safetensors data/m112s.safetensors
#   CORPUS=data/corpus bash bench/results/entropy18/run.sh split | split-init data/m112s.safetensors | start | wait S | collect
# entropy17 fixed runs of spaces (a file of spaces: 0.319 -> 0.020 nats) and the six common run bytes
# (max 0.198), but measured over all 256 byte values (bench_model now does) runs after prose got
# worse: 15 values (m112s) and 19 (m112t) reach 0.2 nats against 9 for m112r, because a third to a
# half of the runs became spaces and fewer repeated a uniform byte value (m112r 17.5% of rows,
# m112s 14%, m112t 12.5%). This fine-tune keeps spaces at a fifth of the runs and makes 80% of the
# others a uniform value (--run-any-frac, new): 29% of rows, at the lr entropy16-17 used.
set -euo pipefail
. "$(dirname "$0")/../../gpu_entropy_runs.sh"
SECONDS_FT=${SECONDS_FT:-550} RUN_FRAC=0.45
match_finetune_common ${E18_FLAGS:---compile} --run-space-frac 0.2 --run-any-frac 0.8
candidates() {
  launch_m112 0 m112u 2e-4 m112s
}
gpu_runs "$@"
