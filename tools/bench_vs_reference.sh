#!/usr/bin/env bash
# Runs ecsim's kernel and ping-pong benchmarks alternately with the
# physical-limit reference (../shared/perf-reference/run.sh, beside the
# checkout), three pairs each, and prints the medians and their ratios.
# Usage: tools/bench_vs_reference.sh [path/to/ecsim]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
ecsim=${1:-$root/build/release/ecsim}
ref=${ECSIM_PERF_REFERENCE:-$root/../shared/perf-reference/run.sh}
[[ -x $ref || -f $ref ]] || { echo "no reference at $ref (set ECSIM_PERF_REFERENCE)"; exit 2; }
field() { sed -n "s/.*$1=\([0-9.]*\).*/\1/p"; }
jfield() { python3 -c "import json,sys; print(json.load(sys.stdin)['$1'])"; }
median() { printf '%s\n' "$@" | sort -g | sed -n 2p; }
row() { printf '| %-28s | %14.0f | %14.0f | %5.2fx |\n' "$1" "$2" "$3" "$(python3 -c "print($2/$3)")"; }
echo "| case | ecsim (median of 3) | reference (median of 3) | ratio |"
echo "|---|---:|---:|---:|"
for p in 1000 100000 1000000; do
  events=30000000; [[ $p -ge 1000000 ]] && events=20000000
  e=(); r=()
  for i in 1 2 3; do
    r+=("$(bash "$ref" kernel "$p" | field events_per_s)")
    e+=("$("$ecsim" bench kernel --pending "$p" --events "$events" --json | jfield events_per_s)")
  done
  row "kernel uniform, $p pending" "$(median "${e[@]}")" "$(median "${r[@]}")"
done
u=(); b=()
for i in 1 2 3; do
  u+=("$("$ecsim" bench kernel --pending 100000 --events 30000000 --json | jfield events_per_s)")
  b+=("$("$ecsim" bench kernel --pending 100000 --events 30000000 --mix bimodal --json | jfield events_per_s)")
done
row "kernel bimodal vs uniform, 100k" "$(median "${b[@]}")" "$(median "${u[@]}")"
e=(); n=(); r=()
for i in 1 2 3; do
  r+=("$(bash "$ref" pingpong 1000 | field messages_per_s)")
  e+=("$("$ecsim" bench pingpong --actors 1000 --messages 30000000 --json | jfield messages_per_s)")
  n+=("$("$ecsim" bench pingpong --actors 1000 --messages 30000000 --no-hash --json | jfield messages_per_s)")
done
row "pingpong 1000 actors" "$(median "${e[@]}")" "$(median "${r[@]}")"
row "pingpong hash on vs --no-hash" "$(median "${e[@]}")" "$(median "${n[@]}")"
