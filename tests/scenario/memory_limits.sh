#!/usr/bin/env bash
# Memory bounded by use (issue 9): settings the schema allows cannot make the
# model's memory run away. The peak resident memory of each run (VmHWM,
# printed by --report-peak-rss) is asserted, not only the exit code:
# - `messaging.resend_timeout: 1ms` with `recovery: false` (the least the
#   loader takes without backoff) over links of an hour resends every
#   un-ACKed DSM UPDATE every millisecond and none arrives; the network's
#   in-flight table stops at its limit (counted, traced, a summary line)
#   instead of growing to gigabytes and aborting. Under the recovery rules
#   (the default) even a 1 ns timeout backs off to one resend a second per
#   message and the limit is never reached;
# - `edge_cache.capacity: 10000000` allocates cache slots as keys arrive,
#   not 10 million per edge node up front;
# - a small --memory-max stops a run with the failed verdict `limit: STRUCTURE`,
#   deterministically (the model's own accounting, not the process's memory).
set -u
ecsim=$1; src=$2; fail=0
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
check() { if [[ $1 != "$2" ]]; then echo "FAIL: $3: got '$1', expected '$2'"; fail=1; else echo "ok: $3"; fi; }
rss_mib() { sed -nE 's/^peak rss: ([0-9]+) KiB$/\1/p' "$1" | awk '{ print int($1 / 1024) }'; }
under_256() {
  local mib; mib=$(rss_mib "$1")
  echo "$2: peak rss ${mib:-?} MiB"
  # ASan's shadow memory and quarantine inflate the resident set: the bound
  # is the model's, judged in the uninstrumented builds (Release, clang, Debug).
  if [[ -n ${ECSIM_SANITIZED:-} ]]; then echo "skip: $2 under 256 MB (sanitizer build)"; return; fi
  [[ -n $mib && $mib -lt 256 ]]; check $? 0 "$2 stays under 256 MB"
}
exit_0_or_1() { [[ $1 == 0 || $1 == 1 ]]; check $? 0 "$2 ends with exit 0 or 1 (got $1)"; }

cat > "$tmp/resend.yaml" <<'EOF'
name: resend-1ms
duration: 200ms
topology: { edge: 2, core: 1, cloud: 3 }
network:
  default: { latency: { constant: 1h } }
workload:
  - { kind: requests, at: edge, rate: 10000/s, mix: { dsm_set: 1 } }
model:
  messaging: { resend_timeout: 1ms }
  recovery: false
EOF
"$ecsim" run "$tmp/resend.yaml" --report-peak-rss > "$tmp/resend.out" 2> "$tmp/resend.err"
exit_0_or_1 $? "resend_timeout 1ms"
under_256 "$tmp/resend.err" "resend_timeout 1ms"
# 30 links held back together: each is refused past its equal share once
# the network holds three quarters of its maximum, before it fills.
grep -qE '^  limit +network\.link_share reached [0-9]+ times \(max 196608 messages shared equally by the links holding them\), first at ' "$tmp/resend.out"
check $? 0 "resend_timeout 1ms: the in-flight limit is reached and reported"
grep -qE 'in_flight_limit [0-9]+' "$tmp/resend.out"; check $? 0 "resend_timeout 1ms: the drops are counted by reason"
# Below 1 ms without backoff is refused: a two-second run was billions of resends.
sed 's/resend_timeout: 1ms/resend_timeout: 999us/' "$tmp/resend.yaml" > "$tmp/resend-fast.yaml"
"$ecsim" run "$tmp/resend-fast.yaml" > /dev/null 2> "$tmp/fast.err"; check $? 2 "resend_timeout 999us with recovery: false is refused"
grep -q "resend_timeout is '999us', expected at least 1ms with recovery: false" "$tmp/fast.err"; check $? 0 "... saying why"
sed 's/resend_timeout: 1ms/resend_timeout: 1ns/' "$tmp/resend.yaml" | grep -v 'recovery: false' > "$tmp/resend-backoff.yaml"
"$ecsim" run "$tmp/resend-backoff.yaml" > "$tmp/resend-backoff.out"
exit_0_or_1 $? "resend_timeout 1ns with backoff"
grep -q 'network\.in_flight' "$tmp/resend-backoff.out"
check $? 1 "resend_timeout 1ns with backoff: the in-flight limit is not reached"

cat > "$tmp/cache.yaml" <<'EOF'
name: big-cache
duration: 5s
topology: { edge: 2, core: 1, cloud: 3 }
workload:
  - { kind: requests, at: edge, rate: 1/s }
model:
  edge_cache: { capacity: 10000000 }
EOF
"$ecsim" run "$tmp/cache.yaml" --report-peak-rss > "$tmp/cache.out" 2> "$tmp/cache.err"
exit_0_or_1 $? "edge_cache.capacity 10000000"
under_256 "$tmp/cache.err" "edge_cache.capacity 10000000"

# A small memory maximum: the failed verdict names the structure, exit 1,
# and the run stops at the same event every time.
small=("$ecsim" run "$tmp/resend.yaml" --memory-max 8MiB)
"${small[@]}" > "$tmp/small1"; check $? 1 "--memory-max 8MiB fails the resend storm"
grep -qE '^    FAIL  limit: [a-z_.]+ +the model.s accounted memory passed --memory-max 8388608 bytes' "$tmp/small1"
check $? 0 "the verdict is 'limit: STRUCTURE'"
"${small[@]}" --trace "$tmp/small.trc" > "$tmp/small2"
check "$(grep '^trace hash' "$tmp/small2")" "$(grep '^trace hash' "$tmp/small1")" "the stop is deterministic"
"$ecsim" trace replay "$tmp/small.trc" > /dev/null; check $? 0 "the trace file replays to the same stop"
"${small[@]}" --json > "$tmp/small.json"
python3 - "$tmp/small.json" <<'EOF' || fail=1
import json, sys
j = json.load(open(sys.argv[1]))
m = j["memory"]
assert m["limit_hit"] and m["max_bytes"] == 8 << 20 and m["accounted_bytes_peak"] > 8 << 20, m
assert j["simulated_ns"] < 200000000, j["simulated_ns"]  # stopped before the end
assert any(l["name"] == "memory" for l in j["limits"]), j["limits"]
assert any(e["name"].startswith("limit: ") and not e["ok"] for e in j["expectations"]), j["expectations"]
print("ok: --json reports the memory limit")
EOF
"$ecsim" run --until 1s --json > "$tmp/default.json"
python3 - "$tmp/default.json" <<'EOF' || fail=1
import json, sys
m = json.load(open(sys.argv[1]))["memory"]
assert not m["limit_hit"] and m["max_bytes"] == 4 << 30 and 0 < m["accounted_bytes_peak"] < 1 << 30, m
print("ok: the default maximum (4GiB) leaves the quickstart alone")
EOF

# CLI11 validates the size (exit 2, one line).
"$ecsim" run --memory-max 12XB > /dev/null 2> "$tmp/bad"; check $? 2 "a bad --memory-max unit is refused"
grep -q "unknown unit 'XB'" "$tmp/bad"; check $? 0 "the refusal says why"
"$ecsim" run --memory-max 1000 > /dev/null 2>&1; check $? 2 "a --memory-max below 1MiB is refused"
"$ecsim" sweep "$src/scenarios/flaky-network.yaml" --seeds 1 --memory-max 2TiB > /dev/null 2>&1
check $? 2 "sweep validates --memory-max too"
exit $fail
