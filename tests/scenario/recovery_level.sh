#!/usr/bin/env bash
# recovers_within's level and last seconds (an adversarial pass, 2026-12-07):
# - A level from a handful of requests lets any later ratio pass: 12 requests
#   before the first fault (4 a second, the 5 s timeout leaving one second
#   to measure it), then a third of the clients down for good, passed 86
#   seeds in 100; 9 billing operations, then 67 % for 39 s, passed 96 in
#   100. validate now refuses a recovery whose level's seconds hold fewer
#   than 100 expected requests (the run: fewer than 50 settled is nothing
#   to judge), and a first fault before a whole second (the level was taken
#   as 100 %, and a lossy run with a harmless fault at 0.5 s failed 50 of 50).
# - Under overload the run's last second had its fast failures settled and
#   its slow answers not: 20 of 20 seeds failed on it. The judged seconds
#   now end the clients' timeout before the end of the run.
set -u
ecsim=$1; fail=0
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
check() { if [[ $1 != "$2" ]]; then echo "FAIL: $3: got '$1', expected '$2'"; fail=1; else echo "ok: $3"; fi; }
refused() {  # NAME EXPECTED-TEXT
  "$ecsim" validate "$tmp/$1.yaml" > "$tmp/$1.out" 2>&1; check $? 2 "$1: refused"
  grep -q -- "$2" "$tmp/$1.out"; check $? 0 "$1: says '$2' ($(head -c 200 "$tmp/$1.out"))"
}

cat > "$tmp/few.yaml" <<'EOF2'
name: few-before
duration: 40s
workload: [{ kind: requests, rate: 4/s, timeout: 5s }]
faults: [{ at: 6s, crash: edge-1 }]
expect: { recovers_within: 5s }
EOF2
refused few "few.yaml:5:11: expect.recovers_within can never be judged: the first fault window begins at 6s, and the clients are expected to send 12.0 requests with good tokens in the whole seconds from 0s to 1s that measure the level"
# Not required either: the same scenario without it validates.
sed -e 's/^expect: .*$//' "$tmp/few.yaml" > "$tmp/few-none.yaml"
"$ecsim" validate "$tmp/few-none.yaml" > /dev/null; check $? 0 "few: not required"

cat > "$tmp/billing.yaml" <<'EOF2'
name: few-billing
duration: 40s
workload:
  - { kind: requests, rate: 200/s }
  - { kind: billing, rate: 3/s, subscribers: 1000, mix: { transfer: 1, balance: 2 } }
faults: [{ at: 1s, crash: cloud-1 }]
expect: { recovers_within: 5s, billing: { recovers_within: 5s } }
EOF2
refused billing "expect.billing.recovers_within can never be judged: the first fault window begins at 1s, and the billing clients are expected to send 9.0 operations"

cat > "$tmp/early.yaml" <<'EOF2'
name: early
duration: 20s
network: { default: { drop: 20% }, links: [{ between: [edge, core], tls: false }] }
workload: [{ kind: requests, rate: 100/s }]
faults: [{ at: 500ms, delay: { between: [edge-2, edge-3], latency: { constant: 1ms } }, for: 100ms }]
expect: { recovers_within: 5s }
EOF2
refused early "the first fault window begins at 500ms, and the clients are expected to send 0.0 requests"

cat > "$tmp/tail.yaml" <<'EOF2'
name: overload-tail
duration: 20s
network: { links: [{ between: [core, cloud], latency: { lognormal: { median: 3ms, p99: 12ms } } }] }
workload: [{ kind: requests, rate: 4500/s, mix: { session_check: 60, read: 20, write: 10, dsm_set: 5, dsm_get: 5 } }]
faults: [{ at: 12s, delay: { between: [edge-2, edge-3], latency: { constant: 1ms } }, for: 100ms }]
expect: { recovers_within: 3s }
EOF2
seeds=1..4; [[ -n ${ECSIM_SANITIZED:-} ]] && seeds=1..1
out=$("$ecsim" sweep "$tmp/tail.yaml" --seeds $seeds --jobs 2); check $? 0 "overload with a harmless fault: seeds $seeds pass"
out=$("$ecsim" run "$tmp/tail.yaml")
grep -Eq "ok +recovers_within +served ratio back from 13s .* seconds judged" <<< "$out" ||
  { echo "FAIL: tail: $(grep recovers_within <<< "$out")"; fail=1; }
exit $fail
