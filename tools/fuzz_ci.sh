#!/usr/bin/env bash
# CI's fuzz stage: builds the libFuzzer targets (the `fuzz` preset: clang++
# 14, ASan + UBSan) and runs each one a fixed number of inputs from a fixed
# seed, starting from its checked-in corpus (fuzz/corpus/TARGET) and its
# regressions (fuzz/regressions/TARGET). The same inputs run every time, so
# the stage is red only when the code changed (or a crash was committed).
# New inputs go to a scratch directory, never into the checked-in corpus.
#
#   tools/fuzz_ci.sh            # build, then run every target
#   FUZZ_RUNS=200000 tools/fuzz_ci.sh loader   # longer, one target
set -euo pipefail
cd "$(dirname "$0")/.."

targets=("$@")
[[ ${#targets[@]} -gt 0 ]] || targets=(loader trace numbers)

cmake --preset fuzz >/dev/null
cmake --build --preset fuzz

# Inputs per target: together about 1.5 minutes on a busy 2-core machine
declare -A runs=([loader]=20000 [trace]=40000 [numbers]=4000)
# Longest input per target: scenarios need room; numbers are literals.
declare -A max_len=([loader]=4096 [trace]=8192 [numbers]=64)

scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
status=0
for t in "${targets[@]}"; do
  bin=build/fuzz/fuzz/fuzz_$t
  mkdir -p "$scratch/$t" "$scratch/$t-artifacts"
  dirs=("$scratch/$t" "fuzz/corpus/$t")
  [[ -d fuzz/regressions/$t ]] && dirs+=("fuzz/regressions/$t")
  extra=()
  # The loader also starts from every example and test scenario, and
  # mutates with the language's keywords.
  if [[ $t == loader ]]; then
    dirs+=(scenarios tests/data/scenarios)
    extra+=(-dict=fuzz/loader.dict)
  fi
  n=${FUZZ_RUNS:-${runs[$t]}}
  echo "== fuzz_$t: $n runs, -seed=1"
  start=$SECONDS
  # -timeout: one input taking this long is a hang; -rss_limit_mb: ASan's
  # shadow memory counts, so leave room.
  if ! ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
      "$bin" -seed=1 -runs="$n" -max_len="${max_len[$t]}" -timeout=30 -rss_limit_mb=4096 \
      -print_final_stats=1 -artifact_prefix="$scratch/$t-artifacts/" "${extra[@]}" "${dirs[@]}" > "$scratch/$t.log" 2>&1; then
    tail -n 60 "$scratch/$t.log"
    for a in "$scratch/$t-artifacts"/*; do
      [[ -e $a ]] || continue
      echo "fuzz_$t: crashing input $(basename "$a") (base64; add it to fuzz/regressions/$t/ with the fix):"
      base64 -w 0 "$a" | head -c 4000; echo
    done
    status=1
  fi
  grep -E '^stat::number_of_executed_units|^Done [0-9]+ runs' "$scratch/$t.log" || true
  echo "fuzz_$t: $((SECONDS - start)) s"
done
[[ $status == 0 ]] && echo "fuzz: all targets clean"
exit $status
