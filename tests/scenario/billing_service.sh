#!/usr/bin/env bash
# expect.billing (docs/scenarios.md, "Billing service levels"): the served
# ratio and the latencies the billing clients saw can fail.
# - twopc.no_prepare_resend (a coordinator that aborts at its first prepare
#   timeout instead of resending PREPARE) keeps every safety promise, and
#   only billing.served_ratio_min finds it: a sweep of 2pc-light-loss (2 %
#   loss on core links) fails at its first seed, and the same sweep without
#   the plant is clean.
# - Edge and core cut apart for good, with timeouts that outlast the run:
#   the operations nobody answers count as not served once they are over
#   twice as old as every served answer, not left out.
# - billing.recovers_within fails where billing does not come back though
#   the client requests do; a healthy low-rate run is no false alarm.
# - Transactions and reads are each held to served_ratio_min (answered
#   reads do not cover aborted transactions).
# - A latency bound not below the clients' timeout, a minimum of 0 and a
#   recovery with no level before the fault are refused.
# - A latency bound below what the clients saw fails; a workload that sent
#   nothing has nothing to judge; the loader refuses keys the scenario
#   cannot judge, at their line and column, with exit 2.
set -u
ecsim=$1; src=$2; fail=0
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
data=$src/tests/data/scenarios
check() { if [[ $1 != "$2" ]]; then echo "FAIL: $3: got '$1', expected '$2'"; fail=1; else echo "ok: $3"; fi; }
seeds=1..6; [[ -n ${ECSIM_SANITIZED:-} ]] && seeds=1..2
scn=$data/2pc-light-loss.yaml

"$ecsim" sweep "$scn" --seeds $seeds --jobs 2 > "$tmp/clean.txt"
check $? 0 "2pc-light-loss without a plant: seeds $seeds meet the billing service level"
"$ecsim" sweep "$scn" --seeds $seeds --jobs 2 --plant twopc.no_prepare_resend --stop-on-fail --json > "$tmp/plant.json"
check $? 1 "twopc.no_prepare_resend: the sweep fails"
python3 - "$tmp/plant.json" <<'PY'
import json, sys
seeds = [json.loads(l) for l in open(sys.argv[1]) if '"seed"' in l]
first = next(s for s in seeds if s["verdict"] != "pass")
print(f"found at seed {first['seed']}: {first['detail'][:200]}")
assert first["seed"] == 1 and first["failed_invariant"] == "billing.served_ratio_min", first
PY
check $? 0 "twopc.no_prepare_resend is found by billing.served_ratio_min at the first seed"
"$ecsim" run "$scn" --plant twopc.no_prepare_resend --json > "$tmp/plant-run.json"
python3 - "$tmp/plant-run.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
v = {e["name"]: e for e in d["expectations"]}
b = d["billing"]
print("plant:", v["billing.served_ratio_min"]["detail"][:160])
# The safety promises hold (aborting is safe): only the service level fails.
failing = sorted(n for n, e in v.items() if not e["ok"] and not e.get("vacuous"))
assert failing == ["billing.served_ratio_min"], failing
assert b["aborted_by"].get("vote_timeout", 0) > 100, b["aborted_by"]
PY
check $? 0 "with the plant every billing promise holds and the served ratio fails"

# Every edge-core message lost from 3 s on; the edges wait 30 s for core
# and the billing clients 60 s, longer than the run has left.
cat > "$tmp/cut.yaml" <<'Y'
name: cut
seed: 2
duration: 8s
topology: { edge: 2, core: 2, cloud: 3 }
model:
  rpc: { timeout: 30s, retries: 0 }
workload:
  - { kind: requests, rate: 20/s }
  - { kind: billing, rate: 50/s, subscribers: 500, timeout: 60s, mix: { debit: 50, transfer: 50 } }
faults:
  - { at: 3s, drop: { between: [edge, core], rate: 100% } }
expect:
  billing: { served_ratio_min: 0.9 }
Y
"$ecsim" run "$tmp/cut.yaml" --json > "$tmp/cut.json"
check $? 1 "edge-core cut for good: the run fails"
python3 - "$tmp/cut.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
v = {e["name"]: e for e in d["expectations"]}["billing.served_ratio_min"]
b = d["billing"]
print(v["detail"][:220])
assert not v["ok"] and not v.get("vacuous"), v
settled = b["operations"] - b["refused"] - b["unsettled"] + b["overdue"]
assert b["overdue"] > 100 and f"transactions {b['served'] / settled:.4f} served ({b['served']} of {settled}:" in v["detail"], (b, v)
assert b["served_by_kind"] == {"transactions": [b["served"], settled], "reads": [0, 0]}, b
PY
check $? 0 "operations nobody answers count as not served (overdue), not left out"

# A latency bound below what the clients saw fails; one above it passes.
sed -e 's/served_ratio_min: 0.97, latency_p99: 1500ms/latency_p99: 20ms, read_latency_p99: 1900ms/' "$scn" \
  > "$tmp/tight.yaml"
"$ecsim" run "$tmp/tight.yaml" --json > "$tmp/tight.json"
check $? 1 "a transaction p99 of 20ms under loss fails"
python3 - "$tmp/tight.json" <<'PY'
import json, sys
v = {e["name"]: e for e in json.load(open(sys.argv[1]))["expectations"]}
print(v["billing.latency_p99"]["detail"][:160])
assert not v["billing.latency_p99"]["ok"] and v["billing.read_latency_p99"]["ok"], v
PY
check $? 0 "billing.latency_p99 fails, billing.read_latency_p99 passes"

# Nothing sent: nothing to judge (a failure, never a pass).
sed -e 's/rate: 60\/s/rate: 1\/s/' -e 's/until: 9s }/until: 1ms }/' "$scn" > "$tmp/none.yaml"
"$ecsim" run "$tmp/none.yaml" --json > "$tmp/none.json"
check $? 1 "a billing workload that sent nothing fails its service level"
python3 - "$tmp/none.json" <<'PY'
import json, sys
v = {e["name"]: e for e in json.load(open(sys.argv[1]))["expectations"]}
for n in ("billing.served_ratio_min", "billing.latency_p99"):
    print(n, v[n]["detail"][:120])
    assert not v[n]["ok"] and v[n]["vacuous"] and v[n]["detail"].startswith("nothing to judge"), v[n]
PY
check $? 0 "served ratio and latency: nothing to judge"

# billing.recovers_within: one cloud replica of the only group crashes.
# Client requests recover at once (a quorum of 2 of 3 replicas), billing
# not at all while it is down (every transaction needs all three votes).
cat > "$tmp/replica.yaml" <<'Y'
name: replica
seed: 3
duration: 12s
topology: { edge: 2, core: 2, cloud: 3 }
workload:
  - { kind: requests, rate: 60/s }
  - { kind: billing, rate: 60/s, subscribers: 2000, balance: 1000000, amount: [100, 5000],
      mix: { debit: 40, transfer: 40, top_up: 20 } }
faults:
  - { at: 3s, crash: cloud-1, for: 2s }
expect:
  recovers_within: 3s
  billing: { recovers_within: 3s }
Y
"$ecsim" run "$tmp/replica.yaml" --json > "$tmp/replica.json"
check $? 0 "a replica back after 2 s: billing recovers within 3 s"
sed -e 's/crash: cloud-1, for: 2s/crash: cloud-1/' "$tmp/replica.yaml" > "$tmp/replica-down.yaml"
"$ecsim" run "$tmp/replica-down.yaml" --json > "$tmp/replica-down.json"
check $? 1 "a replica down for good: the run fails"
python3 - "$tmp/replica.json" "$tmp/replica-down.json" <<'PY'
import json, sys
up = {e["name"]: e for e in json.load(open(sys.argv[1]))["expectations"]}
down = {e["name"]: e for e in json.load(open(sys.argv[2]))["expectations"]}
print("up:", up["billing.recovers_within"]["detail"][:120])
print("down:", down["billing.recovers_within"]["detail"][:120])
assert up["billing.recovers_within"]["ok"] and up["recovers_within"]["ok"]
assert down["recovers_within"]["ok"], down["recovers_within"]
v = down["billing.recovers_within"]
assert not v["ok"] and not v.get("vacuous") and "not back by the end of the run" in v["detail"], v
assert "billing operations" in v["detail"], v
PY
check $? 0 "billing.recovers_within fails while the requests' recovers_within passes"

# A healthy run at 3 operations a second: the one in flight at the end
# (43.5 ms, the slowest of six served answers 30.6 ms) is not counted as
# unanswered (an adversarial pass found it failing the served ratio).
cat > "$tmp/slow-rate.yaml" <<'Y'
name: slow-rate
seed: 35
duration: 3s
topology: { edge: 1, core: 2, cloud: 3 }
workload:
  - { kind: requests, rate: 5/s }
  - { kind: billing, rate: 3/s, subscribers: 1000, balance: 10000000, amount: [100, 5000],
      mix: { debit: 30, transfer: 30, top_up: 20, balance: 20 } }
expect:
  billing: { served_ratio_min: 0.9 }
Y
"$ecsim" run "$tmp/slow-rate.yaml" --json > "$tmp/slow-rate.json"
check $? 0 "a healthy low-rate run passes its served ratio"
python3 -c 'import json,sys; b=json.load(open(sys.argv[1]))["billing"]; assert b["unsettled"]==1 and b["overdue"]==0, b' \
  "$tmp/slow-rate.json"
check $? 0 "... its operation in flight at the end is left out, not overdue"

# What the loader refuses, at the key (exit 2, one line with file:line:column).
refused() {  # NAME EXPECTED-TEXT: the scenario in $tmp/$1.yaml
  "$ecsim" validate "$tmp/$1.yaml" > "$tmp/$1.out" 2>&1
  local rc=$?
  check $rc 2 "$1: refused"
  check "$(wc -l < "$tmp/$1.out")" 1 "$1: one line"
  grep -q -- "$2" "$tmp/$1.out"
  check $? 0 "$1: says '$2' ($(head -c 160 "$tmp/$1.out"))"
}
base='name: t
duration: 5s
topology: { edge: 1, core: 2, cloud: 3 }
workload:
  - { kind: requests, rate: 10/s }'
printf '%s\nexpect:\n  billing: { served_ratio_min: 0.9 }\n' "$base" > "$tmp/no-billing.yaml"
refused no-billing "no-billing.yaml:7:14: expect.billing.served_ratio_min in a scenario without a billing workload"
printf '%s\n  - { kind: billing, rate: 10/s, mix: { balance: 1 } }\nexpect:\n  billing: { latency_p99: 1s }\n' "$base" \
  > "$tmp/no-writes.yaml"
refused no-writes "no-writes.yaml:8:14: expect.billing.latency_p99 in a scenario whose billing clients send no transaction"
printf '%s\n  - { kind: billing, rate: 10/s, mix: { debit: 1 } }\nexpect:\n  billing: { read_latency_p99: 1s }\n' "$base" \
  > "$tmp/no-reads.yaml"
refused no-reads "expect.billing.read_latency_p99 in a scenario whose billing clients send no read"
printf '%s\n  - { kind: billing, rate: 10/s }\nexpect:\n  billing: {}\n' "$base" > "$tmp/empty.yaml"
refused empty "expect.billing is an empty map, expected a map with served_ratio_min"
printf '%s\n  - { kind: billing, rate: 10/s }\nexpect:\n  billing: { served_ratio_min: 1.5 }\n' "$base" > "$tmp/ratio.yaml"
refused ratio "ratio.yaml:8:32: expect.billing.served_ratio_min is '1.5', expected a ratio above 0, at most 1"
printf '%s\n  - { kind: billing, rate: 10/s }\nexpect:\n  billing: { latency_p99: 0s }\n' "$base" > "$tmp/zero.yaml"
refused zero "expect.billing.latency_p99"
printf '%s\n  - { kind: billing, rate: 10/s }\nexpect:\n  billing: { served_ratio: 0.9 }\n' "$base" > "$tmp/typo.yaml"
refused typo "unknown key 'served_ratio' in expect.billing, expected served_ratio_min, latency_p99"
# A bound at or above the clients' timeout could never fail (a failure
# counts at the timeout): refused for billing, tier and ping latencies.
printf '%s\n  - { kind: billing, rate: 10/s, timeout: 300ms }\nexpect:\n  billing: { latency_p99: 300ms }\n' "$base" \
  > "$tmp/bound.yaml"
refused bound "bound.yaml:8:27: expect.billing.latency_p99 is 300ms, not below the longest timeout of the billing clients that write (300ms)"
printf '%s\nexpect:\n  latency_p99: { core: 1s }\n' "$base" > "$tmp/tier-bound.yaml"
refused tier-bound "expect.latency_p99.core is 1s, not below the longest timeout of the requests clients (1s)"
printf 'name: p\nduration: 2s\nworkload:\n  - { kind: ping, from: edge, to: core, rate: 10/s, timeout: 50ms }\nexpect:\n  latency_p99: { ping: 1s }\n' \
  > "$tmp/ping-bound.yaml"
refused ping-bound "expect.latency_p99.ping is 1s, not below the longest timeout of the ping clients (50ms)"
printf '%s\n  - { kind: billing, rate: 10/s }\nexpect:\n  billing: { recovers_within: 2s }\n' "$base" > "$tmp/rw.yaml"
refused rw "rw.yaml:8:14: expect.billing.recovers_within in a scenario without a fault window"
printf '%s\n  - { kind: billing, rate: 10/s, until: 2s }\nfaults:\n  - { at: 1s, crash: core-1, for: 1s }\nexpect:\n  recovers_within: 2s\n  billing: { recovers_within: 2s }\n' \
  "$base" > "$tmp/rw-until.yaml"
refused rw-until "expect.billing.recovers_within can never be judged: the last fault window ends at 2s, and the billing clients stop at 2s"
printf '%s\n  - { kind: billing, rate: 50/s }\nfaults:\n  - { at: 500ms, crash: core-1, for: 1s }\nexpect:\n  billing: { recovers_within: 1s }\n' \
  "${base/duration: 5s/duration: 8s}" > "$tmp/rw-early.yaml"
refused rw-early "expect.billing.recovers_within can never be judged: the first fault window begins at 500ms, and the billing clients are expected to send 0.0 operations"
printf '%s\n  - { kind: billing, rate: 10/s }\nexpect:\n  billing: { served_ratio_min: 0%% }\n' "$base" > "$tmp/zero-ratio.yaml"
refused zero-ratio "zero-ratio.yaml:8:32: expect.billing.served_ratio_min is '0%', expected a ratio above 0, at most 1"

# Transactions and reads are each judged: every transaction aborted (a
# participant voting no) beside 248 reads answered was 0.988 served and
# passed while they were pooled (an adversarial pass, 2026-12-07).
cat > "$tmp/forced.yaml" <<'Y'
name: forced
seed: 5
duration: 5s
topology: { edge: 3, core: 2, cloud: 3 }
workload:
  - { kind: requests, rate: 20/s, until: 4s }
  - { kind: billing, rate: 20/s, subscribers: 50, mix: { balance: 1 }, until: 4s }
faults:
  - { at: 1s, twopc_vote_no: { node: cloud-2, count: 1000 } }
  - { at: 2000ms, billing: { op: transfer, from: 1, to: 2, amount: 500, edge: edge-1 } }
  - { at: 2100ms, billing: { op: transfer, from: 1, to: 2, amount: 500, edge: edge-1 } }
  - { at: 2200ms, billing: { op: debit, from: 3, amount: 5, edge: edge-2 } }
expect:
  billing: { served_ratio_min: 0.9 }
Y
out=$("$ecsim" run "$tmp/forced.yaml"); check $? 1 "every transaction aborted fails though the reads were answered"
grep -Eq "FAIL +billing.served_ratio_min +transactions 0.0000 served \(0 of 3: committed or refused by a business rule\), reads 1.0000 served \([0-9]+ of [0-9]+ answered\)" <<< "$out" ||
  { echo "FAIL: forced: $(grep billing.served <<< "$out")"; fail=1; }

exit $fail
