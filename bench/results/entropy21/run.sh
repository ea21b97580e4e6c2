#!/usr/bin/env bash
# entropy21-m112ud (issue 13, runs of every byte value), shipped 2026-12-01: entropy18-m112u grows a
# match boost (EntropyModel.head) and only its four run constants train (TRAIN_ONLY), on this 2-core
# CPU: every other weight is frozen, so a step costs one forward of the model. 60% run rows, 90% of
# them uniform byte values; n-gram rows are not dropped (the frozen model is read as it is served).
# Resumable: run it again. The defaults reproduce m112ud; m112ub and m112uc (README.md) set OUT,
# TRAIN_ONLY, LR, SECONDS_FT and the row mix (RUN_FRAC, RUN_SPACE, RUN_ANY) as the README says;
# EXTRA adds train_entropy flags (entropy22/run.sh: --match-boost-bytes).
#   python -m blt_core.train.corpus --out data/corpus --work data   # the corpus (assets/corpus_manifest.json)
#   git show 1900dcb:assets/entropy_model.safetensors > data/m112u.safetensors   # entropy18-m112u as shipped
#   bash bench/results/entropy21/run.sh
set -euo pipefail
cd "$(dirname "$0")/../../.."
OUT=${OUT:-data/runs/entropy21-m112ud}
SECONDS_FT=${SECONDS_FT:-900}
PYTHONPATH=. "${PYTHON:-.venv/bin/python}" -m blt_core.train.train_entropy --data "${CORPUS:-data/corpus}" --out "$OUT" \
  --window 512 --seq-len 1024 --batch-size 16 --layers 4 --heads 2 --hidden-size 112 --intermediate-size 320 \
  --ngram-sizes 2,3,4,5,6 --ngram-buckets 8191 --ngram-tables int8 --match-orders 4,8,16,32 \
  --match-boost ${EXTRA:-} --train-only "${TRAIN_ONLY:-match_boost_run}" --init-from "${INIT:-data/m112u.safetensors}" --ngram-dropout 0 \
  --lr "${LR:-5e-2}" --warmup-frac 0.02 --weight-decay 0 \
  --random-frac 0.03 --copy-frac 0.2 --run-frac "${RUN_FRAC:-0.6}" --run-start-frac 0.5 --run-fill-frac 0.25 \
  --run-space-frac "${RUN_SPACE:-0.1}" --run-any-frac "${RUN_ANY:-0.9}" --binary-frac 0.05 \
  --total-seconds "$SECONDS_FT" --budget-seconds "$((SECONDS_FT + 60))" --eval-every 50 --eval-batches 4 --log-every 10
