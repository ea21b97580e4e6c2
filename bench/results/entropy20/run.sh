#!/usr/bin/env bash
# Planned for a later session's GPU time (issue 13; NOT RUN YET: 2026-12-01 had 207 s of device time):
# the shipped model (entropy22-m112ue: entropy18-m112u plus a match boost with a run part per byte value) with more runs of
# uniform byte values, on the device machine's GPUs (nvidia-h200-x2: two candidates; on one GPU only
# m112w runs). Its float weights were lost with data/, so it starts from the shipped safetensors:
# train_entropy's init_from dequantizes the int8 n-gram tables into trainable float ones.
#   mkdir -p data && cp assets/entropy_model.safetensors data/m112ue.safetensors
#   CORPUS=data/corpus bash bench/results/entropy20/run.sh split | split-init data/m112ue.safetensors | start | wait S | collect
# entropy19 (300 s, 38% of rows a uniform-value run) took the runs maximum over all 256 byte values
# from 0.316 to 0.270 nats but lost 8% of the copies' patch-length ratio (pooled: 4.6%). The values
# still over 0.2 are runs after prose of two kinds (bench/results/entropy19/README.md):
# bytes whose corpus runs really end (`~` and `0`: only 82-85% of their runs of 16 go on in
# data/corpus/train.bin), and bytes the corpus never repeats (UTF-8 continuation bytes 0x90, 0x94,
# 0xb4; `U`), which the text prior says are followed by something else.
# m112w: the entropy19 mix for twice as long at a lower lr, with a third more copy rows to hold the
# ratio; m112q: the same without the extra copy rows, the control.
set -euo pipefail
. "$(dirname "$0")/../../gpu_entropy_runs.sh"
SECONDS_FT=${SECONDS_FT:-600} RUN_FRAC=0.5
match_finetune_common ${E20_FLAGS:---compile} --run-space-frac 0.15 --run-any-frac 0.9 --match-boost --match-boost-bytes
candidates() {
  launch_m112 0 m112w 1e-4 m112ue --copy-frac 0.3
  if [ "$(gpu_count)" -gt 1 ]; then
    launch_m112 1 m112q 1e-4 m112ue
  fi
}
gpu_runs "$@"
