#!/usr/bin/env bash
# entropy23-m112ug (issue 13, runs of every byte value): entropy22-m112ue's run boosts (four shared
# constants and the 260 x 4 table per byte value) fitted to convergence on statistics read once from
# the frozen model (blt_core.train.fit_run_boost), on entropy22's row mix, instead of stochastic steps.
# Deterministic: a fixed number of batches (--max-steps) from --seed, whatever the machine's speed.
#   python -m blt_core.train.corpus --out data/corpus --work data   # the corpus (assets/corpus_manifest.json)
#   git show 9f08921:assets/entropy_model.safetensors > data/m112ue.safetensors   # entropy22-m112ue as shipped
#   bash bench/results/entropy23/run.sh
set -euo pipefail
cd "$(dirname "$0")/../../.."
PYTHONPATH=. "${PYTHON:-.venv/bin/python}" -m blt_core.train.fit_run_boost --data "${CORPUS:-data/corpus}" \
  --out "${OUT:-data/runs/entropy23-m112ug}" --init-from "${INIT:-data/m112ue.safetensors}" \
  --window 512 --seq-len "${SEQ_LEN:-1024}" --batch-size "${BATCH:-16}" --layers 4 --heads 2 --hidden-size 112 --intermediate-size 320 \
  --ngram-sizes 2,3,4,5,6 --ngram-buckets 8191 --ngram-tables int8 --match-orders 4,8,16,32 \
  --match-boost --match-boost-bytes --seed "${SEED:-0}" --max-steps "${BATCHES:-600}" --total-seconds 100000 \
  --random-frac 0.03 --copy-frac 0.2 --run-frac "${RUN_FRAC:-0.6}" --run-start-frac 0.5 --run-fill-frac 0.25 \
  --run-space-frac "${RUN_SPACE:-0.1}" --run-any-frac "${RUN_ANY:-0.9}" --binary-frac 0.05 \
  --eval-batches 4 --fit-iterations "${ITERATIONS:-300}" --l2 "${L2:-0,1e-6,1e-5,1e-4,1e-3}" \
  --stats "${STATS:-data/runs/entropy23-stats.pt}"
