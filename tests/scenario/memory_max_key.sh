#!/usr/bin/env bash
# `memory_max` in a scenario (docs/scenarios.md, "Top level" and "Limits"):
# the same sizes and range as --memory-max (1MiB..1TiB), refused out of
# range with FILE:LINE:COL and exit 2; the run applies it; --memory-max
# overrides it; the verdict, the summary and --json name where the maximum
# came from (the key, the option or the default); the trace header records the maximum in force, so a replay
# stops at the same event without either.
set -u
ecsim=$1; src=$2; fail=0
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
check() { if [[ $1 != "$2" ]]; then echo "FAIL: $3: got '$1', expected '$2'"; fail=1; else echo "ok: $3"; fi; }
max_bytes() { python3 -c 'import json,sys; m=json.load(open(sys.argv[1]))["memory"]; print(m["max_bytes"], m["limit_hit"], m["max_from"])' "$1"; }

# A storm of fixed-interval resends (recovery off) that passes 8 MiB of
# accounted memory within its first 35 ms (links of an hour: nothing arrives).
storm() {
  cat <<EOF
name: memory-max-key
duration: 100ms
topology: { edge: 2, core: 1, cloud: 3 }
$1
network:
  default: { latency: { constant: 1h } }
workload:
  - { kind: requests, at: edge, rate: 10000/s, mix: { dsm_set: 1 } }
model:
  messaging: { resend_timeout: 1ms }
  recovery: false
EOF
}
storm "memory_max: 8MiB" > "$tmp/small.yaml"
storm "" > "$tmp/none.yaml"
"$ecsim" validate "$tmp/small.yaml" > /dev/null; check $? 0 "memory_max: 8MiB validates"

"$ecsim" run "$tmp/small.yaml" --json > "$tmp/small.json"; check $? 1 "memory_max: 8MiB stops the storm (exit 1)"
check "$(max_bytes "$tmp/small.json")" "8388608 True memory_max" "the run applies the key"
"$ecsim" run "$tmp/none.yaml" --json > "$tmp/none.json"
check "$(max_bytes "$tmp/none.json")" "4294967296 False default" "without the key the default 4GiB applies"

# The flag overrides the key, both ways. (The runs that a replay below
# reads write their trace here: one run each, not a second one for it.)
"$ecsim" run "$tmp/small.yaml" --memory-max 1GiB --json --trace "$tmp/big.trc" > "$tmp/big.json"
check "$(max_bytes "$tmp/big.json")" "1073741824 False --memory-max" "--memory-max 1GiB overrides memory_max: 8MiB"
"$ecsim" run "$tmp/none.yaml" --memory-max 8MiB --json > "$tmp/flag.json"
check "$(max_bytes "$tmp/flag.json")" "8388608 True --memory-max" "--memory-max 8MiB without the key"

# The failed verdict and the summary name where the maximum came from.
"$ecsim" run "$tmp/small.yaml" --trace "$tmp/small.trc" > "$tmp/key.out"; check $? 1 "memory_max: 8MiB fails the run"
grep -qE "^    FAIL  limit: [a-z_.]+ +the model.s accounted memory passed the scenario.s memory_max 8388608 bytes \(8\.0 MiB\) at " "$tmp/key.out"
check $? 0 "the verdict names the scenario's memory_max ($(grep -m1 'FAIL  limit' "$tmp/key.out"))"
grep -qE "^  model memory +accounted peak [0-9.]+ MiB of the scenario.s memory_max 8\.0 MiB$" "$tmp/key.out"
check $? 0 "the summary names the scenario's memory_max"
! grep -q -- "--memory-max" "$tmp/key.out"; check $? 0 "a run limited by the key never mentions --memory-max"
"$ecsim" run "$tmp/small.yaml" --memory-max 4MiB > "$tmp/flag.out"; check $? 1 "--memory-max 4MiB fails the run"
grep -qE "^    FAIL  limit: [a-z_.]+ +the model.s accounted memory passed --memory-max 4194304 bytes \(4\.0 MiB\) at " "$tmp/flag.out"
check $? 0 "the verdict names --memory-max when the option overrides the key"
grep -qE "^  model memory +accounted peak [0-9.]+ MiB of --memory-max 4\.0 MiB$" "$tmp/flag.out"
check $? 0 "the summary names --memory-max"

# The trace header records the maximum in force: replay stops at the same event.
"$ecsim" trace replay "$tmp/small.trc" > "$tmp/replay.out"; check $? 0 "the trace replays"
check "$(grep -c "$(grep '^trace hash' "$tmp/key.out" | sed 's/^trace hash: //')" "$tmp/replay.out")" 1 \
  "the replay reproduces the run's hash"
"$ecsim" trace replay "$tmp/big.trc" > "$tmp/big-replay.out"; check $? 0 "an overridden run replays"
big_hash=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["trace_hash"])' "$tmp/big.json")
check "$(grep -c "${big_hash:-no hash}" "$tmp/big-replay.out")" 1 "the replay keeps the flag's maximum, not the key's"

# Range and unit errors: one line FILE:LINE:COL, exit 2.
refused() {  # value, expected message part
  storm "memory_max: $1" > "$tmp/bad.yaml"
  "$ecsim" validate "$tmp/bad.yaml" > /dev/null 2> "$tmp/err"; check $? 2 "memory_max: $1 is refused (exit 2)"
  check "$(wc -l < "$tmp/err")" 1 "memory_max: $1: one line"
  grep -qF "$tmp/bad.yaml:4:13: memory_max is '$1' ($2), expected a size 1MiB..1TiB like 512MiB or 4GiB" "$tmp/err"
  check $? 0 "memory_max: $1: FILE:LINE:COL and why ($(cat "$tmp/err"))"
}
refused 1048575 "out of range, expected 1MiB..1TiB"
refused 2TiB "out of range, expected 1MiB..1TiB"
refused 1100GB "out of range, expected 1MiB..1TiB"
refused 99999999999999999999 "expected a whole number of bytes with an optional unit, like 512MiB or 4GiB"
refused 4XB "unknown unit 'XB', expected B, KB, MB, GB, TB, KiB, MiB, GiB or TiB"
refused -1MiB "expected a whole number of bytes with an optional unit, like 512MiB or 4GiB"
# The bounds themselves are accepted.
for v in 1MiB 1TiB 1048576; do
  storm "memory_max: $v" > "$tmp/edge.yaml"
  "$ecsim" validate "$tmp/edge.yaml" > /dev/null; check $? 0 "memory_max: $v validates"
done
storm "memory_max: [1]" > "$tmp/list.yaml"
"$ecsim" validate "$tmp/list.yaml" > /dev/null 2> "$tmp/err"; check $? 2 "memory_max: a list is refused"
exit $fail
