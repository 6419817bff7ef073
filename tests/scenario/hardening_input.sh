#!/usr/bin/env bash
# Issue 9, items 1, 2 and 4: input the loader or the command line used to
# accept and then abort on (exit 134), wrap, or silently ignore. Each is now
# refused with one line and exit 2, identically by `validate` and `run`.
set -u
ecsim=$1; src=$2; fail=0
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
check() { if [[ $1 != "$2" ]]; then echo "FAIL: $3: got '$1', expected '$2'"; fail=1; else echo "ok: $3"; fi; }
# refused FILE PATTERN WHAT: validate and run both exit 2 with one line matching PATTERN.
refused() {
  local cmd
  for cmd in validate run; do
    "$ecsim" $cmd "$1" > "$tmp/out" 2> "$tmp/err"; check $? 2 "$3: $cmd exits 2"
    check "$(wc -l < "$tmp/err")" 1 "$3: $cmd prints one line"
    if ! grep -qE -- "$2" "$tmp/err"; then echo "FAIL: $3: $cmd said: $(cat "$tmp/err")"; fail=1; fi
  done
}
# flag_refused WHAT ARGS...: exit 2, one line naming the flag.
flag_refused() {
  local what=$1; shift
  "$ecsim" "$@" > "$tmp/out" 2> "$tmp/err"; check $? 2 "$what exits 2"
  check "$(wc -l < "$tmp/err")" 1 "$what prints one line"
  if ! grep -q -- "$3" "$tmp/err"; then echo "FAIL: $what said: $(cat "$tmp/err")"; fail=1; fi
}

# Item 1: validated, then aborted.
printf 'name: c2\nduration: 2s\ntopology: { cloud: 2 }\nworkload:\n  - { kind: requests, rate: 10/s }\n' > "$tmp/cloud2.yaml"
refused "$tmp/cloud2.yaml" "^$tmp/cloud2.yaml:5:5: a requests workload with 2 cloud nodes \(topology.cloud\), expected a multiple of 3" \
  "requests with 2 cloud nodes"
printf 'name: at\nduration: 2s\nworkload:\n  - { kind: requests, at: core-1, rate: 10/s }\n' > "$tmp/at-core.yaml"
refused "$tmp/at-core.yaml" "^$tmp/at-core.yaml:4:27: requests workload 1 at 'core-1' includes core-1 \(a core node\), expected edge nodes only" \
  "requests at a core node"
printf 'name: at\nduration: 2s\nworkload:\n  - { kind: requests, at: "cloud-*", rate: 10/s }\n' > "$tmp/at-cloud.yaml"
refused "$tmp/at-cloud.yaml" "includes cloud-1 \(a cloud node\)" "requests at cloud nodes"
printf 'name: t\nduration: 2s\nfaults:\n  - { at: 9300000000s, crash: core-1 }\n' > "$tmp/fault-time.yaml"
refused "$tmp/fault-time.yaml" "^$tmp/fault-time.yaml:4:11: faults\[0\].at is '9300000000s' \(duration too large \(at most 1000000h\)\)" \
  "a fault time past the int64 nanoseconds"
flag_refused "--until 9.3e9 s" run "$src/tests/data/scenarios/small.yaml" --until 9300000000s "--until: '9300000000s'"
flag_refused "--until past 24h" run "$src/tests/data/scenarios/small.yaml" --until 25h "expected a duration above 0 and at most 86400s"
flag_refused "--wall-timeout 9.3e9 s" run "$src/tests/data/scenarios/small.yaml" --wall-timeout 9300000000s "--wall-timeout"

# Item 2: accepted but silently meaningless.
flag_refused "--seed -1" run "$src/tests/data/scenarios/small.yaml" --seed -1 "--seed: '-1': expected a whole number 0..18446744073709551615"
flag_refused "--seed 2^64" run "$src/tests/data/scenarios/small.yaml" --seed 18446744073709551616 "--seed: '18446744073709551616'"
"$ecsim" run "$src/tests/data/scenarios/small.yaml" --seed 18446744073709551615 --json > "$tmp/out" 2>&1
check $? 0 "--seed 2^64-1 runs"
grep -q '"seed":18446744073709551615' "$tmp/out"; check $? 0 "... with that seed"
flag_refused "--wall-timeout 9223372036.9s" run "$src/tests/data/scenarios/small.yaml" --wall-timeout 9223372036.9s "--wall-timeout: '9223372036.9s'"
"$ecsim" run "$src/tests/data/scenarios/small.yaml" --wall-timeout 168h --quiet > "$tmp/out" 2>&1
check $? 0 "--wall-timeout 168h (the maximum) does not stop the run"
flag_refused "sweep --seeds -1..2" sweep "$src/tests/data/scenarios/small.yaml" --seeds -1..2 "--seeds: '-1..2'"
timeout 120 "$ecsim" sweep "$src/tests/data/scenarios/small.yaml" --seeds 18446744073709551614..18446744073709551615 \
  --jobs 2 --json > "$tmp/out" 2>&1
check $? 0 "sweep ending at 2^64-1 terminates"
check "$(grep -c '"seed":1844674407370955161[45]' "$tmp/out")" 2 "... after its two seeds"
printf 'name: p\nduration: 2s\nworkload:\n  - { kind: ping, from: edge, to: core, rate: 10/s }\nexpect:\n  latency_p99: { edge: 10ms }\n' > "$tmp/tier-p99.yaml"
refused "$tmp/tier-p99.yaml" "^$tmp/tier-p99.yaml:6:18: expect.latency_p99.edge in a scenario without a requests workload" \
  "tier latency_p99 in a ping scenario"
printf 'name: l\nduration: 2s\nnetwork:\n  links:\n    - { between: [edge-1, edge-1], drop: 0.5 }\n' > "$tmp/self-link.yaml"
refused "$tmp/self-link.yaml" "^$tmp/self-link.yaml:5:19: network.links\[0\] is between edge-1 and itself only" "a link to itself"
printf 'name: p\nduration: 2s\nworkload:\n  - { kind: ping, from: core-2, to: core-2, rate: 10/s }\n' > "$tmp/self-ping.yaml"
refused "$tmp/self-ping.yaml" "^$tmp/self-ping.yaml:4:37: ping workload 1 from 'core-2' to 'core-2': core-2 would ping only itself" \
  "a ping to itself"

# Item 4: validate's workload count, the size of a file too large.
"$ecsim" validate "$src/scenarios/three-tier.yaml" > "$tmp/out" 2>&1; check $? 0 "validate three-tier"
grep -q ", 1 workload, " "$tmp/out"; check $? 0 "a requests workload counts as a workload"
"$ecsim" validate "$src/tests/data/scenarios/2pc-cache.yaml" > "$tmp/out" 2>&1; check $? 0 "validate 2pc-cache"
grep -q ", 2 workloads, " "$tmp/out"; check $? 0 "a billing workload counts too"
head -c 5000000 /dev/zero | tr '\0' '#' > "$tmp/big.yaml"
"$ecsim" validate "$tmp/big.yaml" > /dev/null 2> "$tmp/err"; check $? 2 "a 5 MB file exits 2"
check "$(cat "$tmp/err")" "$tmp/big.yaml:1:1: file too large (5000000 bytes), expected at most 4194304 bytes (4 MiB)" \
  "the error gives the file's size"
exit $fail
