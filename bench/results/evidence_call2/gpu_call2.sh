#!/usr/bin/env bash
# One device call of the evidence plan (issue 15): start driver.sh detached if it is not running
# yet, wait up to WAIT seconds (or until it is done), then send back the logs and results (no
# weights) as $OUT/evidence.tar.xz. Called again, it only waits and sends back.
set -uo pipefail
WAIT=${WAIT:-540}
R=runs/evidence
mkdir -p "$R"
t0=$(date +%s)
if [ -f "$R/driver.pid" ] && kill -0 "$(cat "$R/driver.pid")" 2>/dev/null || [ -f "$R/DONE" ]; then
  echo "driver already running or done"
else
  setsid nohup bash bench/results/evidence_call2/driver.sh > "$R/driver.log" 2>&1 < /dev/null &
  echo $! > "$R/driver.pid"
  setsid nohup bash -c 'while true; do nvidia-smi --query-gpu=index,utilization.gpu,memory.used --format=csv,noheader; sleep 30; done' \
    > "$R/gpu_util.log" 2>&1 < /dev/null &
fi
while [ ! -f "$R/DONE" ] && [ $(( $(date +%s) - t0 )) -lt "$WAIT" ]; do sleep 15; done
cat "$R/driver.log"; grep -h "^gpu" "$R"/launch_*.log 2>/dev/null | tail -n 30; tail -n 4 "$R/gpu_util.log"
ls "$R"/*/results.json 2>/dev/null | wc -l
tar cf - --exclude='*.safetensors' --exclude='*.pt' "$R" assets/evidence/patching.json assets/evidence/plan.json assets/evidence/commands.sh \
  | xz -1 > "$OUT/evidence.tar.xz"
ls -la "$OUT"
