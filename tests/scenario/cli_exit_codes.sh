#!/usr/bin/env bash
# ecsim run/validate end to end: exit codes 0/1/2, one-line errors, JSON.
set -u
ecsim=$1; src=$2; fail=0
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
check() { if [[ $1 != "$2" ]]; then echo "FAIL: $3: got '$1', expected '$2'"; fail=1; else echo "ok: $3"; fi; }

. "$src/tests/examples/lib.sh"
example_json three-tier "$tmp/json"; check $? 0 "three-tier run exits 0 (the example's run)"
"$ecsim" run "$src/tests/data/scenarios/small.yaml" --quiet > "$tmp/out" 2>&1; check $? 0 "small.yaml --quiet passes"
grep -qE '^trace hash: 0x[0-9a-f]{16}$' "$tmp/out"; check $? 0 "run --quiet prints the trace hash"
"$ecsim" run "$src/tests/data/scenarios/small.yaml" > "$tmp/out" 2>&1; check $? 0 "small.yaml passes"
grep -q "verdict: PASS" "$tmp/out"; check $? 0 "summary says PASS"
"$ecsim" run "$src/tests/data/scenarios/sla-miss.yaml" > "$tmp/out" 2>&1; check $? 1 "an unmet expectation exits 1"
grep -q "FAIL  served_ratio_min" "$tmp/out"; check $? 0 "the failed expectation is named"
"$ecsim" run "$tmp/missing.yaml" > "$tmp/out" 2> "$tmp/err"; check $? 2 "a missing file exits 2"
check "$(cat "$tmp/err")" "$tmp/missing.yaml: cannot read: No such file or directory" "missing file message"
printf 'name: x\ndurration: 5s\n' > "$tmp/typo.yaml"
"$ecsim" run "$tmp/typo.yaml" > /dev/null 2> "$tmp/err"; check $? 2 "a misspelt key exits 2"
check "$(wc -l < "$tmp/err")" 1 "the error is one line"
grep -q "^$tmp/typo.yaml:2:1: .*did you mean 'duration'" "$tmp/err"; check $? 0 "the error has FILE:LINE:COL and a suggestion"
"$ecsim" run --seed banana > /dev/null 2>&1; check $? 2 "a bad flag value exits 2"
"$ecsim" run --until 5parsecs > /dev/null 2>&1; check $? 2 "a bad --until exits 2"
"$ecsim" run --max-events 500 > "$tmp/out" 2>&1; check $? 1 "--max-events cuts the run short and fails it"
grep -q "max_events" "$tmp/out"; check $? 0 "the summary says why"
"$ecsim" validate "$src/scenarios/quickstart.yaml" "$src/tests/data/scenarios/small.yaml" > "$tmp/out" 2>&1; check $? 0 "validate good files"
"$ecsim" validate "$src/scenarios/quickstart.yaml" "$tmp/typo.yaml" > /dev/null 2>&1; check $? 2 "validate a bad file exits 2"
"$ecsim" run "$src/tests/data/scenarios/small.yaml" --json > "$tmp/json"; check $? 0 "run --json"
python3 - "$tmp/json" <<'PY'
import json, re, sys
j = json.load(open(sys.argv[1]))
assert j["verdict"] == "pass", j
assert re.fullmatch(r"0x[0-9a-f]{16}", j["trace_hash"]), j["trace_hash"]
assert j["events"] > 0 and j["messages"]["sent"] >= j["messages"]["delivered"] > 0
assert j["workloads"][0]["label"] == "ping edge->core"
print("ok: --json parses and carries the summary")
PY
[[ $? -eq 0 ]] || fail=1
# A misspelt or missing subcommand names where the chain stopped and what
# would have been accepted there (CLI11's own message said only "A
# subcommand is required" for both).
"$ecsim" trace verify x.trace > /dev/null 2> "$tmp/err"; check $? 2 "an unknown trace subcommand exits 2"
check "$(cat "$tmp/err")" "ecsim trace: unknown command 'verify' (one of latency, dump, hash, replay; see ecsim trace --help)" \
  "the unknown subcommand is named with the ones that exist"
"$ecsim" frob > /dev/null 2> "$tmp/err"; check $? 2 "an unknown command exits 2"
grep -q "^ecsim: unknown command 'frob' (one of run, validate, " "$tmp/err"; check $? 0 "the unknown command is named"
"$ecsim" bench > /dev/null 2> "$tmp/err"; check $? 2 "bench without its subcommand exits 2"
check "$(cat "$tmp/err")" "ecsim bench: a command is required, one of kernel, pingpong, scenario (see ecsim bench --help)" \
  "the missing subcommand's choices are listed"
# Words out of place before a command are named as such, not taken for a
# misspelt command (found by review: '3' was "unknown command").
"$ecsim" --seed 3 trace > /dev/null 2> "$tmp/err"; check $? 2 "an option before the command exits 2"
check "$(cat "$tmp/err")" "ecsim: the following arguments were not expected: --seed 3 (see ecsim --help)" \
  "the option before the command is named"
"$ecsim" -- run > /dev/null 2> "$tmp/err"; check $? 2 "a command after -- exits 2"
grep -q "^ecsim: the following arguments were not expected: " "$tmp/err"; check $? 0 "... as arguments out of place"
"$ecsim" --version | grep -qE '^ecsim [0-9]+\.[0-9]+\.[0-9]+$'; check $? 0 "--version"
"$ecsim" --help > /dev/null; check $? 0 "--help"
exit $fail
