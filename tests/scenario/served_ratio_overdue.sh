#!/usr/bin/env bash
# Verdicts over the served ratio count what the users got (found by an
# adversarial pass, 2026-12-07):
# - served_ratio_min: a request still unanswered at the end, waiting over
#   twice as long as any request answered ok took, counts as not served. Before, with a
#   client timeout longer than the time left, every request after a
#   permanent drop between edge and core was "unsettled" and left out: 27
#   of 447 served passed a 0.99 minimum as "1.0000 served (27 of 27)".
#   Pings count the same way, against their workload's slowest pong.
#   Requests in flight at the end of a healthy run are younger than twice
#   the slowest answer and still left out: the quickstart's ratio is unchanged.
# - recovers_within: a cluster that served nothing before the first fault
#   has no level to recover to; "every second since >= 0.00%" passed a run
#   in which no request was ever served. Now nothing to judge (a failure).
set -u
ecsim=$1; fail=0
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
check() { if [[ $1 != "$2" ]]; then echo "FAIL: $3: got '$1', expected '$2'"; fail=1; else echo "ok: $3"; fi; }

cat > "$tmp/drop.yaml" <<'EOF2'
name: permanent-drop
duration: 30s
topology: { edge: 3, core: 2, cloud: 3 }
workload:
  - { kind: requests, at: edge, rate: 5/s, timeout: 1h }
model:
  rpc: { timeout: 60s, retries: 0 }
faults:
  - { at: 2s, drop: { between: [edge, core], rate: 100% } }
expect:
  served_ratio_min: 0.99
EOF2
"$ecsim" run "$tmp/drop.yaml" --json > "$tmp/drop.json"; check $? 1 "a permanent drop fails served_ratio_min"
python3 - "$tmp/drop.json" <<'PY' || fail=1
import json, sys
r = json.load(open(sys.argv[1]))
v = {e["name"]: e for e in r["expectations"]}["served_ratio_min"]
core = r["tiers"]["rows"][1]
ok = (not v["ok"] and core["overdue"] > 400 and core["overdue"] <= core["unsettled"]
      and f"{core['ok']} of {core['ok'] + core['failed'] + core['overdue']}; {core['overdue']} of them unanswered" in v["detail"])
print(("ok" if ok else "FAIL") + f": {v['detail']} (core row: {core['ok']} ok, {core['unsettled']} unsettled, "
      f"{core['overdue']} overdue)")
sys.exit(0 if ok else 1)
PY

# Pings the same: a partition that never heals, with an hour's timeout.
cat > "$tmp/ping.yaml" <<'EOF2'
name: pings-cut
duration: 20s
topology: { edge: 2, core: 2, cloud: 1 }
workload:
  - { kind: ping, from: edge, to: core, rate: 100/s, timeout: 1h }
faults:
  - { at: 2s, partition: [[edge], [core]] }
expect:
  served_ratio_min: 0.9
EOF2
"$ecsim" run "$tmp/ping.yaml" --json > "$tmp/ping.json"; check $? 1 "pings cut off for good fail served_ratio_min"
python3 - "$tmp/ping.json" <<'PY' || fail=1
import json, sys
r = json.load(open(sys.argv[1]))
v = {e["name"]: e for e in r["expectations"]}["served_ratio_min"]
w = r["workloads"][0]
settled = w["answered"] + w["lost"] + w["overdue"]
ok = not v["ok"] and w["overdue"] > 3000 and f"{w['answered']} of {settled}; {w['overdue']} of them" in v["detail"]
print(("ok" if ok else "FAIL") + f": {v['detail']}")
sys.exit(0 if ok else 1)
PY

# A healthy run: what is in flight at the end is younger than twice the
# slowest ok answer, and nothing is counted against the ratio.
"$ecsim" run --until 5s --json > "$tmp/quick.json"
python3 - "$tmp/quick.json" <<'PY' || fail=1
import json, sys
r = json.load(open(sys.argv[1]))
rows = r["tiers"]["rows"]
ok = sum(x["unsettled"] for x in rows) > 0 and sum(x["overdue"] for x in rows) == 0
print(("ok" if ok else "FAIL") + f": the quickstart at 5s: {sum(x['unsettled'] for x in rows)} unsettled, none overdue")
sys.exit(0 if ok else 1)
PY

cat > "$tmp/broken.yaml" <<'EOF2'
name: broken-from-the-start
duration: 12s
topology: { edge: 3, core: 2, cloud: 3 }
network:
  links:
    - { between: [core, cloud], latency: { uniform: [100ms, 400ms] } }
workload:
  - { kind: requests, at: edge, rate: 300/s, mix: { write: 1 }, timeout: 3s }
faults:
  - { at: 5s, crash: core-1, for: 1s }
expect:
  recovers_within: 1s
EOF2
"$ecsim" run "$tmp/broken.yaml" --json > "$tmp/broken.json"; check $? 1 "a cluster that never served fails recovers_within"
python3 - "$tmp/broken.json" <<'PY' || fail=1
import json, sys
r = json.load(open(sys.argv[1]))
v = {e["name"]: e for e in r["expectations"]}["recovers_within"]
ok = not v["ok"] and v["vacuous"] and v["detail"].startswith("nothing to judge: the cluster served 0 of ")
print(("ok" if ok else "FAIL") + f": {v['detail']}")
sys.exit(0 if ok else 1)
PY
exit $fail
