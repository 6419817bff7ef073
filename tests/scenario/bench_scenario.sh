#!/usr/bin/env bash
# `ecsim bench scenario` (issue 10): the JSON has every figure, each positive,
# with its ratio to the kernel bench; bad input is one line and exit 2. Short
# runs (one pair, a small kernel run): the figures' values are never judged
# here, only that they exist and make sense.
set -u
ecsim=$1; src=$2; fail=0
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
check() { if [[ $1 != "$2" ]]; then echo "FAIL: $3: got '$1', expected '$2'"; fail=1; else echo "ok: $3"; fi; }

fields() {
  python3 - "$1" "$2" <<'PY'
import json, sys
j = json.load(open(sys.argv[1]))
assert j["bench"] == "scenario", j
assert j["runs"] == 1 and len(j["samples"]) == 1, j
assert j["nodes"] == int(sys.argv[2]), j
for k in ["wall_s", "events_per_s", "requests_per_s", "events", "client_requests", "events_per_request",
          "peak_rss_bytes", "bytes_per_node"]:
    assert j[k] > 0, (k, j[k])
for k in ["events_per_s", "peak_rss_bytes"]:
    assert j["kernel"][k] > 0, (k, j["kernel"])
assert j["kernel"]["pending"] == 1000, j["kernel"]
for k in ["wall_kernel_events", "events_per_s", "requests_per_s", "kernel_events_per_request", "peak_rss",
          "bytes_per_node"]:
    assert j["vs_kernel"][k] > 0, (k, j["vs_kernel"])
assert abs(j["events_per_request"] - j["events"] / j["client_requests"]) < 1e-9, j
assert abs(j["bytes_per_node"] * j["nodes"] - j["peak_rss_bytes"]) < 1, j
assert j["trace_hash"].startswith("0x") and len(j["trace_hash"]) == 18, j
PY
}

"$ecsim" bench scenario "$src/tests/data/scenarios/small.yaml" --runs 1 --kernel-events 100000 --json > "$tmp/small.json"
check $? 0 "bench scenario small.yaml exits 0"
fields "$tmp/small.json" 7; check $? 0 "small.yaml (pings): every field exists and is positive"
# The trace hash is the run's own: the same as `ecsim run` prints.
run_hash=$("$ecsim" run "$src/tests/data/scenarios/small.yaml" --quiet | sed -n 's/^trace hash: //p')
bench_hash=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["trace_hash"])' "$tmp/small.json")
check "$bench_hash" "$run_hash" "the bench runs the same simulation as ecsim run"

# No FILE: the built-in quickstart (three tiers), cut short.
"$ecsim" bench scenario --until 200ms --runs 1 --kernel-events 100000 --json > "$tmp/qs.json"
check $? 0 "bench scenario (quickstart, 200ms) exits 0 although the short run fails its expectations"
fields "$tmp/qs.json" 8; check $? 0 "quickstart: every field exists and is positive"

"$ecsim" bench scenario --until 200ms --runs 1 --kernel-events 100000 > "$tmp/qs.txt"
check $? 0 "bench scenario as a table"
grep -qE '^  events/s +[0-9]+ += [0-9.]+x the kernel' "$tmp/qs.txt"; check $? 0 "the table gives events/s and its ratio"

"$ecsim" bench scenario "$tmp/missing.yaml" > "$tmp/out" 2> "$tmp/err"; check $? 2 "a missing file exits 2"
check "$(cat "$tmp/err")" "$tmp/missing.yaml: cannot read: No such file or directory" "missing file: one line"
printf 'name: x\nduration: [5s\n' > "$tmp/bad.yaml"
"$ecsim" bench scenario "$tmp/bad.yaml" > "$tmp/out" 2> "$tmp/err"; check $? 2 "bad YAML exits 2"
check "$(wc -l < "$tmp/err")" 1 "bad YAML: one line"
grep -q "^$tmp/bad.yaml:" "$tmp/err"; check $? 0 "bad YAML: the error names the file"
check "$(wc -c < "$tmp/out")" 0 "bad input: nothing on stdout"
"$ecsim" bench scenario --runs 0 > /dev/null 2>&1; check $? 2 "--runs 0 exits 2"
exit $fail
