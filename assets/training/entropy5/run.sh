#!/usr/bin/env bash
# Entropy-model sweep with copy and run augmentation (issue 13), run on the device machine:
#   bash assets/training/entropy5/run.sh CALL   (CALL = 1 or 2; carry data/corpus/{train.bin.xz,
#   train_docs.npy,heldout.bin,heldout_docs.npy} and, for CALL 2, .carry/s192 from call 1)
# Call 1: s192 (the shipped size, 192x4) for the first half of an 900 s schedule on GPU 0 and
#         s256 (256x4) for a whole 450 s schedule on GPU 1.
# Call 2: s192 resumed from its checkpoint for the second half, s384 (384x6) 450 s on GPU 1,
#         both with 30% copy rows.
# One process per GPU, batch 512 x 512 bytes (the global batch of entropy4), lr 3e-3, 2% random
# rows, 15% rows with a copied span, 5% rows with a byte run (blt_core/train/augment.py).
set -euo pipefail
CALL=${1:?call 1 or 2}
export PYTHONUNBUFFERED=1 NCCL_NVLS_ENABLE=0 TORCH_SYMM_MEM_DISABLE_MULTICAST=1 NVSHMEM_DISABLE_NVLS=1
mkdir -p /tmp/corpus /tmp/runs
xz -dc data/corpus/train.bin.xz > /tmp/corpus/train.bin
cp data/corpus/train_docs.npy data/corpus/heldout.bin data/corpus/heldout_docs.npy /tmp/corpus/
python3 -c 'import torch; print("torch", torch.__version__, "gpus", torch.cuda.device_count())'
common=(--data /tmp/corpus --window 512 --seq-len 512 --batch-size 512 --lr 3e-3 --random-frac 0.02
        --copy-frac 0.15 --run-frac 0.05 --compile --eval-every 1000 --log-every 100 --budget-seconds 450)
train() {  # GPU NAME ARGS...
  local gpu=$1 name=$2; shift 2
  mkdir -p /tmp/runs/$name
  CUDA_VISIBLE_DEVICES=$gpu python3 -m blt_core.train.train_entropy "${common[@]}" --out /tmp/runs/$name "$@" \
    >> /tmp/runs/$name/train.log 2>&1
}
if [ "$CALL" = 1 ]; then
  train 0 s192 --hidden-size 192 --layers 4 --heads 3 --intermediate-size 512 --total-seconds 900 &
  train 1 s256 --hidden-size 256 --layers 4 --heads 4 --intermediate-size 704 --total-seconds 450 &
else  # second half: copy share raised to 30% (s192 after call 1 still paid 0.75 nats on a repeated paragraph)
  common+=(--copy-frac 0.3)
  cp -r .carry/s192 /tmp/runs/s192
  train 0 s192 --hidden-size 192 --layers 4 --heads 3 --intermediate-size 512 --total-seconds 900 &
  train 1 s384 --hidden-size 384 --layers 6 --heads 6 --intermediate-size 1024 --total-seconds 450 &
fi
wait || true
cd /tmp/runs
tail -n 3 */train.log
for r in *; do
  [ -d "$r" ] || continue
  if [ "$r" = s192 ] && [ "$CALL" = 1 ]; then  # keep its checkpoint for call 2 (split: files come back <= 16 MiB)
    tar cf - "$r" | split -b 15M - "$OUT/$r.tar.part-"
  else
    tar cf - --exclude ckpt.pt "$r" | split -b 15M - "$OUT/$r.tar.part-"
  fi
done
ls -la "$OUT"
