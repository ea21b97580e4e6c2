#!/usr/bin/env bash
# Evidence (issue 15), the whole plan on the device, detached from the calling command (setsid) so
# runs go on between device calls: LR sweep first, then the plan re-made with each family's best LR,
# then every other run, several per GPU (launch.py --per-gpu), then collect. Run from the repository
# root with data/corpus/{train.bin.xz,train_docs.npy,heldout.bin,heldout_docs.npy} and
# data/evidence/evalset.json present; gpu_call2.sh starts it and waits.
set -uo pipefail
export PYTHONUNBUFFERED=1 NCCL_NVLS_ENABLE=0 TORCH_SYMM_MEM_DISABLE_MULTICAST=1 NVSHMEM_DISABLE_NVLS=1
R=runs/evidence
mkdir -p "$R"
stamp() { echo "$(date -u +%T) $*"; }
[ -f data/corpus/train.bin ] || xz -dc data/corpus/train.bin.xz > data/corpus/train.bin || exit 1
if [ ! -f data/evidence/bpe_4096/tokens.json ]; then
  stamp pretokenize
  python3 -m blt_core.evidence.pretokenize --data data/corpus --tokenizer assets/evidence/bpe_4096.json \
    --out data/evidence/bpe_4096 || exit 1
fi
stamp "calibrate patching on 4 MB of training text"
python3 -m blt_core.evidence.calibrate --data data/corpus --entropy-card assets/entropy_model.json \
  --sample-mb 4 --seq-len 1024 --targets 4.5 8 --out assets/evidence/patching.json > "$R/calibrate.log" 2>&1 || exit 1
python3 -m blt_core.evidence.plan --patching assets/evidence/patching.json \
  --tokens data/evidence/bpe_4096/tokens.json --out assets/evidence/plan.json \
  --commands assets/evidence/commands.sh > "$R/plan_sweep.log" 2>&1 || exit 1
stamp "LR sweep"
python3 -m blt_core.evidence.launch --gpus 2 --per-gpu 3 --sweep-only --budget-seconds 3000 > "$R/launch_sweep.log" 2>&1
stamp "plan with the sweep's LRs"
python3 -m blt_core.evidence.plan --patching assets/evidence/patching.json \
  --tokens data/evidence/bpe_4096/tokens.json --lr-from "$R" --out assets/evidence/plan.json \
  --commands assets/evidence/commands.sh > "$R/plan.log" 2>&1 || exit 1
stamp "every other run"
python3 -m blt_core.evidence.launch --gpus 2 --per-gpu 6 --budget-seconds 3000 > "$R/launch_all.log" 2>&1
stamp collect
python3 -m blt_core.evidence.collect --plan assets/evidence/plan.json --runs "$R" --out "$R/results.json" > "$R/collect.log" 2>&1
stamp done
touch "$R/DONE"
