#!/usr/bin/env bash
# Cross-compiler parity for every scenario: runs each scenarios/*.yaml with
# seeds 1, 2 and 3 under two ecsim binaries (in CI the g++ and clang++
# Release builds) and compares the trace hashes; then compares the random
# scenarios' texts (`run --random-scenario --seed N --scenario-out`) for
# seeds 1..300, which the sweeps and the fuzzing of scenarios rest on (C++
# leaves argument order unspecified: two draws in one call once gave a
# seed two texts). A mismatch is one line naming the file or seed; the exit
# code is then 1 (2 when a binary refuses a scenario or prints no hash).
# Usage: tools/parity.sh ECSIM_A ECSIM_B [SOURCE_DIR]
set -u
a=${1:?usage: parity.sh ECSIM_A ECSIM_B [SOURCE_DIR]}
b=${2:?usage: parity.sh ECSIM_A ECSIM_B [SOURCE_DIR]}
root=${3:-$(cd "$(dirname "$0")/.." && pwd)}
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
fail=0; runs=0; start=$SECONDS
# The hash line of `ecsim run --quiet`; the verdict (exit 0 or 1) does not matter here.
# A scenario's "# test-until: D" header (tests/examples/example.sh) runs it to D only.
hash_of() {
  local until; until=$(sed -n 's/^# test-until: \([0-9a-z]*\)$/\1/p' "$2" | head -1)
  "$1" run "$2" --seed "$3" --quiet ${until:+--until "$until"} > "$4" 2>&1
  local code=$?
  if (( code > 1 )); then return 2; fi
  sed -n 's/^trace hash: //p' "$4"
}
for f in "$root"/scenarios/*.yaml; do
  name=${f#"$root"/}
  for seed in 1 2 3; do
    # The two binaries run side by side: the machine has two cores.
    hash_of "$a" "$f" "$seed" "$tmp/a.out" > "$tmp/a.hash" & pid=$!
    hash_of "$b" "$f" "$seed" "$tmp/b.out" > "$tmp/b.hash"; code_b=$?
    wait $pid; code_a=$?
    ha=$(cat "$tmp/a.hash"); hb=$(cat "$tmp/b.hash")
    runs=$((runs + 1))
    if (( code_a != 0 || code_b != 0 )) || [[ -z $ha || -z $hb ]]; then
      echo "parity: $name seed $seed: no trace hash ($(head -n 1 "$tmp/a.out") | $(head -n 1 "$tmp/b.out"))"
      fail=2
    elif [[ $ha != "$hb" ]]; then
      echo "parity: $name seed $seed: $ha ($a) != $hb ($b)"
      (( fail == 0 )) && fail=1
    fi
  done
done
for seed in $(seq 1 300); do
  "$a" run --random-scenario --seed "$seed" --until 1ns --scenario-out "$tmp/a.yaml" > /dev/null 2>&1 &
  pid=$!
  "$b" run --random-scenario --seed "$seed" --until 1ns --scenario-out "$tmp/b.yaml" > /dev/null 2>&1
  wait $pid
  runs=$((runs + 1))
  if [[ ! -s $tmp/a.yaml || ! -s $tmp/b.yaml ]]; then
    echo "parity: random scenario seed $seed: no text written"
    fail=2
  elif ! cmp -s "$tmp/a.yaml" "$tmp/b.yaml"; then
    echo "parity: random scenario seed $seed: the two binaries built different texts"
    (( fail == 0 )) && fail=1
  fi
  rm -f "$tmp/a.yaml" "$tmp/b.yaml"
done
echo "parity: $runs runs, $((SECONDS - start))s, $([[ $fail == 0 ]] && echo "every hash identical" || echo "MISMATCH")"
exit $fail
