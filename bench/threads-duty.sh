#!/bin/bash
# llama-bench generation at 1 and 2 threads beside a process that keeps one core busy part of
# the time (a Node loop busy D ms of every ~100 ms), to place the thread policy's threshold
# (src/core/engine/threads.ts, threadsForLoad; docs/performance.md, "Threads"). Not part of
# `npm run bench`; run it alone, after a bench run has built llama-bench and the models.
#
#   bash bench/threads-duty.sh [DUTY% ...]        default: 0 25 40 60
set -euo pipefail
cache="$(dirname "$0")/../node_modules/.cache/burrow-bench"
bench="$cache/llama.cpp/build/bin/llama-bench"
model="$cache/bench-tinyllama-v1-Q4_0.gguf"
duties=("${@:-0 25 40 60}")
for round in 1 2; do
  for duty in ${duties[*]}; do
    burner=""
    if [ "$duty" -gt 0 ]; then
      node -e "const busy = ${duty}, end = Date.now() + 120000; (function tick() { const s = Date.now(); while (Date.now() - s < busy) {} if (Date.now() < end) setTimeout(tick, 100 - busy); })();" &
      burner=$!
      sleep 1
    fi
    for threads in 1 2; do
      tg=$("$bench" -m "$model" -t "$threads" -p 0 -n 64 -r 2 -fa 1 -o jsonl 2>/dev/null | grep -o '"avg_ts": *[0-9.]*' | grep -o '[0-9.]*$')
      echo "round $round: one core busy ${duty} % of the time, $threads threads: $tg tok/s"
    done
    if [ -n "$burner" ]; then kill "$burner"; fi
  done
done
