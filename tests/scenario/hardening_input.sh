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
# flag_refused WHAT ARGS... PATTERN: exit 2, one line matching PATTERN (the
# last argument, not passed on: before 2026-12-07 it was, and the third
# argument was the pattern checked).
flag_refused() {
  local what=$1; shift
  local pattern=${@: -1}
  "$ecsim" "${@:1:$#-1}" > "$tmp/out" 2> "$tmp/err"; check $? 2 "$what exits 2"
  check "$(wc -l < "$tmp/err")" 1 "$what prints one line"
  if ! grep -q -- "$pattern" "$tmp/err"; then echo "FAIL: $what said: $(cat "$tmp/err")"; fail=1; fi
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
# A leading zero is decimal, as in `sweep --seeds` and a scenario's
# `seed:`: CLI11 read "--seed 010" as octal 8 (the run of seed 8, silently),
# and "--seed 08" failed with its own wording (an adversarial pass).
small="$src/tests/data/scenarios/small.yaml"
"$ecsim" run "$small" --seed 010 --until 1s --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["seed"])' > "$tmp/seed"
check "$(cat "$tmp/seed")" 10 "--seed 010 is seed 10"
"$ecsim" run "$small" --seed 018446744073709551615 --until 1s --quiet > /dev/null 2>&1
check $? 0 "--seed with a leading zero before 20 digits"
"$ecsim" run "$small" --seed 08 --until 1s --quiet > /dev/null 2>&1; check $? 0 "--seed 08 is seed 8"
check "$("$ecsim" run "$small" --seed 010 --until 1s --quiet | tail -1)" "$("$ecsim" run "$small" --seed 10 --until 1s --quiet | tail -1)" \
  "--seed 010 and --seed 10: one trace hash"
"$ecsim" run "$small" --max-events 010 --json 2> /dev/null | python3 -c 'import json,sys; print(json.load(sys.stdin)["events"])' > "$tmp/events"
check "$(cat "$tmp/events")" 10 "--max-events 010 stops after 10 events"
# An output file that is an input, or another output, by any spelling: the
# run would overwrite it (`--trace` over the scenario destroyed it).
# out_refused WHAT PATTERN ARGS...: exit 2, one line containing PATTERN.
out_refused() {
  local what=$1 pattern=$2; shift 2
  "$ecsim" "$@" > "$tmp/out" 2> "$tmp/err"; check $? 2 "$what exits 2"
  check "$(wc -l < "$tmp/err")" 1 "$what prints one line"
  if ! grep -qF -- "$pattern" "$tmp/err"; then echo "FAIL: $what said: $(cat "$tmp/err")"; fail=1; fi
}
cp "$small" "$tmp/s.yaml"
other="$tmp/../$(basename "$tmp")/s.yaml"
out_refused "--trace over the scenario" "--trace: '$other' is the file of the scenario too ('$tmp/s.yaml')" \
  run "$tmp/s.yaml" --trace "$other"
cmp -s "$small" "$tmp/s.yaml"; check $? 0 "... and the scenario is untouched"
ln -s "$tmp/s.yaml" "$tmp/link.yaml"
out_refused "--swarm-out over the scenario through a link" \
  "--swarm-out: '$tmp/s.yaml' is the file of the scenario too ('$tmp/link.yaml')" \
  run "$tmp/link.yaml" --swarm --swarm-out "$tmp/s.yaml"
out_refused "--scenario-out and --trace the same file" "--scenario-out: '$tmp/r.yaml' is the file of --trace too" \
  run --random-scenario --seed 2 --trace "$tmp/r.yaml" --scenario-out "$tmp/r.yaml"
check "$(ls "$tmp/r.yaml" 2> /dev/null)" "" "... and nothing is written"
# ... through a symlink to a file not there yet (an adversarial pass: the
# trace went through the link and over the scenario written beside it).
ln -s "$tmp/target.yaml" "$tmp/dangling"
out_refused "--trace through a dangling link to --scenario-out" \
  "--scenario-out: '$tmp/target.yaml' is the file of --trace too ('$tmp/dangling')" \
  run --random-scenario --seed 2 --trace "$tmp/dangling" --scenario-out "$tmp/target.yaml"
out_refused "viz --save-scenario over the scenario" "--save-scenario: '$tmp/s.yaml' is the file of the scenario too" \
  viz "$tmp/s.yaml" --save-scenario "$tmp/s.yaml"
# '-' is a file named '-' to every output flag, not standard output: refused.
pushd "$tmp" > /dev/null
out_refused "--trace -" "--trace: '-' would be a file named '-' here, not standard output" run "$small" --trace -
popd > /dev/null
check "$(ls "$tmp/-" 2> /dev/null)" "" "... and no file named '-' is written"
out_refused "viz --screenshot -" "--screenshot: '-' would be a file named '-'" viz "$small" --screenshot -
# An option given twice, in ecsim's words (CLI11: "At Most 1 required but
# received 2").
flag_refused "--seed twice" run "$small" --seed 1 --seed 2 "--seed: given 2 times, expected once"
flag_refused "--seeds twice" sweep "$small" --seeds 1..2 --seeds 3 "--seeds: given 2 times, expected once"
# A plant in a protocol the scenario does not run could not act: every run
# passed without a word (an adversarial pass).
flag_refused "a 2PC plant on a ping scenario" run "$small" --plant twopc.skip_invalidation \
  "--plant: 'twopc.skip_invalidation' is a bug in twopc, which this scenario does not run (no requests workload)"
flag_refused "a 2PC plant in a sweep without billing" sweep "$src/scenarios/quickstart.yaml" --seeds 1 \
  --plant twopc.skip_invalidation "(no billing workload), so it could not act; expected a scenario with a billing"
# A plant whose verdict the scenario does not judge: every run passed,
# whatever the bug did (a review's finding).
flag_refused "a plant whose invariant is not listed" run "$src/scenarios/quickstart.yaml" --plant auth.skip_verify \
  "--plant: 'auth.skip_verify' is a bug the tokens verdict finds, but this scenario does not list it in expect.invariants"
flag_refused "the same in a sweep" sweep "$src/scenarios/quickstart.yaml" --seeds 1 --plant storage.accept_any_writer \
  "'storage.accept_any_writer' is a bug the edge_isolation verdict finds, but this scenario does not list it"
flag_refused "a cache plant without the cache" run "$src/tests/data/scenarios/2pc-happy.yaml" \
  --plant twopc.skip_invalidation "this scenario has no edge billing cache"
flag_refused "a plant whose bound is not set" explore "$src/tests/data/scenarios/2pc-happy.yaml" --crash-points \
  --plant twopc.no_prepare_resend "this scenario sets no expect.billing.served_ratio_min, so every run would pass"
# sweep says which of the two it lacks or has twice (it said "(not both)"
# when neither was given).
flag_refused "sweep with no scenario" sweep --seeds 1 "scenario: none given, expected a scenario file or --random-scenarios"
flag_refused "sweep with both" sweep "$small" --random-scenarios --seeds 1 \
  "scenario: a scenario file with --random-scenarios, expected one of the two"
exit $fail
