#!/usr/bin/env bash
# entropy22-m112ue (issue 13, runs of every byte value): the shipped entropy21-m112ud grows a run boost
# per byte value (config match_boost_bytes, EntropyModel.head), and only the run boosts train (the four
# shared constants and the new 260 x 4 table), everything else frozen, on this 2-core CPU: entropy21's
# recipe (run.sh there) with its row mix. Resumable: run it again.
#   python -m blt_core.train.corpus --out data/corpus --work data   # the corpus (assets/corpus_manifest.json)
#   git show 3320bb5:assets/entropy_model.safetensors > data/m112ud.safetensors   # entropy21-m112ud as shipped
#   bash bench/results/entropy22/run.sh
set -euo pipefail
cd "$(dirname "$0")/../../.."
OUT=${OUT:-data/runs/entropy22-m112ue} INIT=${INIT:-data/m112ud.safetensors} TRAIN_ONLY=${TRAIN_ONLY:-match_boost_run} \
  EXTRA="--match-boost-bytes --ship final" bash bench/results/entropy21/run.sh
