#!/usr/bin/env bash
# Detached entropy-model training runs on the device machine's GPUs, one per GPU, resumable:
#   source this from a run.sh that sets `common` (train_entropy arguments every run shares) and
#   defines `candidates` (one `launch GPU NAME ARGS...`, `launch_m112 GPU NAME LR INIT ARGS...` or
#   `two_phase GPU NAME ARGS...` line per run; `gpu_count` tells how many GPUs the machine has),
#   then `gpu_runs "$@"`:
#   split     (here) cut $CORPUS/train.bin.xz into 8 MiB pieces in data/parts/, one per device call;
#             with CORPUS_B set, its train.bin.xz too (pieces b.train.bin.xz.part-*, into /tmp/corpus_b)
#   split-init FILE...  (here) cut starting weights into 7 MiB pieces in data/init/ (a tree of about
#             55 MiB leaves room for one piece a call); `start` joins them into /tmp/init/NAME.safetensors
#   start     join the carried pieces, decompress, copy the code, start every candidate detached
#   wait S    print each run's last log line every 20 s for up to S seconds (keeps the machine warm)
#   collect   put each run in $OUT as 15 MB tar parts (weights and logs; its checkpoint if unfinished)
# CORPUS (default data/corpus) is the built corpus (blt_core.train.corpus). A device call carries at
# most 64 MiB with the tracked tree (about 50 MiB), so the corpus travels in pieces: one call per
# piece, each carrying only its own (ignored paths already there stay while the machine is warm),
# the last also $CORPUS/{train_docs.npy,heldout.bin,heldout_docs.npy} (and $CORPUS_B's) and running
# `start; wait 560`.
# The machine is given back after 30 s idle and everything under /tmp is lost with it: chain the
# next call at once, and end with `wait S; collect` in one call. Runs are detached (setsid), so
# they go on between device calls while the machine stays warm; each resumes from its checkpoint
# if started again in the same folder. Used by bench/results/entropy6 and entropy7.
CORPUS=${CORPUS:-data/corpus}
export PYTHONUNBUFFERED=1 NCCL_NVLS_ENABLE=0 TORCH_SYMM_MEM_DISABLE_MULTICAST=1 NVSHMEM_DISABLE_NVLS=1

match_finetune_common() {  # ARGS...: set `common` for a 1,024-byte-row fine-tune of a match model (entropy15-17)
  # from RUN_FRAC, SECONDS_FT and MATCH_ORDERS (default 4,8,16,32); ARGS go last (--compile, extra row mix)
  common=(--data /tmp/corpus --window 512 --seq-len 1024 --batch-size 256 --warmup-frac 0.05
          --random-frac 0.03 --copy-frac 0.2 --run-frac "${RUN_FRAC:?}" --run-start-frac 0.5 --run-fill-frac 0.25
          --binary-frac 0.05 --layers 4 --heads 2
          --ngram-sizes 2,3,4,5,6 --ngram-buckets 8191 --ngram-dropout 0.5 --match-orders "${MATCH_ORDERS:-4,8,16,32}"
          --total-seconds "${SECONDS_FT:?}" --budget-seconds $((SECONDS_FT + 20)) --eval-every 1000 --log-every 200
          "$@")
}

gpu_count() { python3 -c 'import torch; print(torch.cuda.device_count())'; }

launch_m112() {  # GPU NAME LR INIT ARGS...: a 112x4 match-model fine-tune from /tmp/init/INIT.safetensors (entropy15-20)
  local gpu=$1 name=$2 lr=$3 init=$4; shift 4
  launch "$gpu" "$name" --hidden-size 112 --intermediate-size 320 --lr "$lr" --init-from "/tmp/init/$init.safetensors" "$@"
}

launch() {  # GPU NAME ARGS...
  local gpu=$1 name=$2; shift 2
  mkdir -p /tmp/runs/$name
  CUDA_VISIBLE_DEVICES=$gpu setsid nohup python3 -m blt_core.train.train_entropy "${common[@]}" \
    --out /tmp/runs/$name "$@" >> /tmp/runs/$name/train.log 2>&1 < /dev/null &
}

two_phase() {  # GPU NAME ARGS...: one detached chain, phase A then phase B from A's weights
  # phase A: 512-byte rows (flash attention, 2.6x the bytes per second), $A_SECONDS, then $A_ARGS,
  #   in /tmp/runs/NAME-a; phase B: 1,024-byte rows (the sliding window past its first window,
  #   entropy9), batch 256, lr 5e-4, $B_SECONDS, then $B_ARGS, in /tmp/runs/NAME. A_ARGS and B_ARGS
  #   are space-separated train_entropy arguments that override `common` and ARGS (the last wins).
  local gpu=$1 name=$2; shift 2
  mkdir -p /tmp/runs/$name-a /tmp/runs/$name
  CUDA_VISIBLE_DEVICES=$gpu setsid nohup bash -c '
    set -e; name=$1; a=$2; b=$3; a_args=($4); b_args=($5); shift 5
    python3 -m blt_core.train.train_entropy "$@" --seq-len 512 "${a_args[@]}" --out /tmp/runs/$name-a \
      --total-seconds $a --budget-seconds $((a + 20)) >> /tmp/runs/$name-a/train.log 2>&1
    python3 -m blt_core.train.train_entropy "$@" --seq-len 1024 --batch-size 256 --lr 5e-4 --warmup-frac 0.05 \
      "${b_args[@]}" --init-from /tmp/runs/$name-a/entropy_model.safetensors --out /tmp/runs/$name \
      --total-seconds $b --budget-seconds $((b + 20)) >> /tmp/runs/$name/train.log 2>&1
  ' _ "$name" "${A_SECONDS:?}" "${B_SECONDS:?}" "${A_ARGS:-}" "${B_ARGS:-}" "${common[@]}" "$@" \
    < /dev/null > /dev/null 2>&1 &
}

unpack() {  # CORPUS PIECES DEST: a carried corpus (its whole train.bin.xz, or the pieces PIECES*) into DEST
  mkdir -p "$3"
  if [ ! -s "$3/train.bin" ]; then
    if [ -s "$1/train.bin.xz" ]; then xz -T0 -dc "$1/train.bin.xz"; else cat "$2"* | xz -T0 -dc; fi > "$3/train.bin"
  fi
  cp "$1/train_docs.npy" "$1/heldout.bin" "$1/heldout_docs.npy" "$3/"
}

join_init() {  # FROM TO: starting weights for fine-tunes (split-init), whole files or pieces, into TO
  local f
  [ -d "$1" ] || return 0
  mkdir -p "$2"
  for f in "$1"/*.safetensors; do if [ -e "$f" ]; then cp "$f" "$2/"; fi; done
  for f in "$1"/*.part-aa; do
    if [ -e "$f" ]; then cat "${f%.part-aa}".part-* > "$2/$(basename "${f%.part-aa}").safetensors"; fi
  done
}

gpu_runs() {
  local cmd=${1:?split, split-init FILE..., start, wait S or collect}
  case $cmd in
    split)
      rm -rf data/parts && mkdir -p data/parts
      split -b 8M "$CORPUS/train.bin.xz" data/parts/train.bin.xz.part-
      if [ -n "${CORPUS_B:-}" ]; then split -b 8M "$CORPUS_B/train.bin.xz" data/parts/b.train.bin.xz.part-; fi
      ls -la data/parts ;;
    split-init)
      shift; rm -rf data/init && mkdir -p data/init
      for f in "$@"; do split -b 7M "$f" "data/init/$(basename "${f%.safetensors}").part-"; done
      ls -la data/init ;;
    start)
      mkdir -p /tmp/runs
      unpack "$CORPUS" data/parts/train.bin.xz.part- /tmp/corpus
      if [ -n "${CORPUS_B:-}" ]; then unpack "$CORPUS_B" data/parts/b.train.bin.xz.part- /tmp/corpus_b; fi
      join_init data/init /tmp/init
      # the code the runs import is copied too: a later device call rewrites the working tree
      rm -rf /tmp/code && mkdir -p /tmp/code && cp -r blt_core /tmp/code/
      python3 -c 'import torch; print("torch", torch.__version__, "gpus", torch.cuda.device_count())'
      (cd /tmp/code && candidates)
      sleep 5; tail -n 2 /tmp/runs/*/train.log ;;
    wait)
      local end=$(( $(date +%s) + ${2:?seconds} ))
      while [ "$(date +%s)" -lt "$end" ]; do
        sleep 20
        for r in /tmp/runs/*; do echo "$(basename $r): $(tail -n 1 $r/log.jsonl 2>/dev/null | cut -c1-160)"; done
        if ! pgrep -f blt_core.train.train_entropy > /dev/null; then echo "no run is going"; break; fi
      done ;;
    collect)
      cd /tmp/runs
      tail -n 3 */train.log
      for r in *; do
        [ -d "$r" ] || continue
        if grep -q '"done": true' "$r/config.json" 2>/dev/null; then
          tar cf - --exclude ckpt.pt "$r" | split -b 15M - "$OUT/$r.tar.part-"
        else  # unfinished: bring the checkpoint back so a later call can resume it
          tar cf - "$r" | split -b 15M - "$OUT/$r.tar.part-"
        fi
      done
      ls -la "$OUT" ;;
    *) echo "unknown command $cmd: split, split-init FILE..., start, wait S or collect" >&2; return 2 ;;
  esac
}
