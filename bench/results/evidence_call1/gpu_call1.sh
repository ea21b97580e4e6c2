#!/usr/bin/env bash
# Evidence (issue 15), first device call: the smallest budget's main runs (BPE, BLT entropy 4.5 and 8
# bytes per patch, at 6e14 training FLOPs, lr 0.002, seed 0) plus the BPE LR-sweep points, on 2 GPUs,
# to validate the pipeline on an H200 and time it. Carry: data/corpus/{train.bin.xz, train_docs.npy,
# heldout.bin, heldout_docs.npy} and data/evidence/evalset.json. The BPE corpus is tokenized there
# (the device has `tokenizers`), with the committed tokenizer (assets/evidence/bpe_4096.json).
set -uo pipefail
export PYTHONUNBUFFERED=1 NCCL_NVLS_ENABLE=0 TORCH_SYMM_MEM_DISABLE_MULTICAST=1 NVSHMEM_DISABLE_NVLS=1
xz -dc data/corpus/train.bin.xz > data/corpus/train.bin
t0=$(date +%s)
python3 -m blt_core.evidence.pretokenize --data data/corpus --tokenizer assets/evidence/bpe_4096.json \
  --out data/evidence/bpe_4096 || exit 1
echo "pretokenize $(( $(date +%s) - t0 )) s"
mkdir -p runs/evidence
one() {  # GPU NAME
  local t=$(date +%s)
  CUDA_VISIBLE_DEVICES=$1 torchrun --standalone --nproc_per_node=1 --master-port=$((29500 + $1)) \
    -m blt_core.evidence.train --plan assets/evidence/plan.json --name "$2" --data data/corpus \
    --tokens data/evidence/bpe_4096 --out "runs/evidence/$2" --compile --budget-seconds 200 \
    > "runs/evidence/$2.train.log" 2>&1
  CUDA_VISIBLE_DEVICES=$1 python3 -m blt_core.evidence.evaluate --run "runs/evidence/$2" \
    --evalset data/evidence/evalset.json > "runs/evidence/$2.eval.log" 2>&1
  echo "$2: $(( $(date +%s) - t )) s (train+eval), rc $?"
}
( one 0 bpe-C6e14-lr0.002-s0; one 0 blt-entropy-8-C6e14-lr0.002-s0; one 0 bpe-C6e14-lr0.001-s0 ) &
( one 1 blt-entropy-4.5-C6e14-lr0.002-s0; one 1 bpe-C6e14-lr0.004-s0 ) &
wait
python3 -m blt_core.evidence.collect --plan assets/evidence/plan.json --runs runs/evidence \
  --out runs/evidence/results.json
tail -n 4 runs/evidence/*.log
tar cf - --exclude='*.safetensors' --exclude='ckpt.pt' --exclude='*.pt' runs/evidence | xz -1 > "$OUT/evidence_call1.tar.xz"
ls -la "$OUT"
