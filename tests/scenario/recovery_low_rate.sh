#!/usr/bin/env bash
# recovers_within at 15 requests a second over links that lose 8 % of the
# messages (found 2026-12-07): about 1 request in 70 fails before and after
# a 3 s core crash. The rule's old band (1 point, or 3 sd of a normal
# approximation to the second's binomial noise, the level taken as exact)
# failed 44 seeds in 60 on seconds such as 12 of 14 served. A second is now
# back when its failures are not improbably many at the level (beta-binomial,
# p >= 0.001 over the seconds judged; run/recovery.hpp). The verdict still
# fails when two cloud replicas go down for good.
set -u
ecsim=$1; fail=0
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
check() { if [[ $1 != "$2" ]]; then echo "FAIL: $3: got '$1', expected '$2'"; fail=1; else echo "ok: $3"; fi; }

cat > "$tmp/low.yaml" <<'EOF2'
name: low-rate-recovery
duration: 60s
topology: { edge: 3, core: 2, cloud: 3 }
network: { default: { drop: 8% } }
workload:
  - { kind: requests, at: edge, rate: 5/s, subscribers: 1000, mix: { session_check: 40, read: 30, write: 20, dsm_get: 10 } }
faults: [{ at: 15s, crash: core-2, for: 3s }]
expect: { recovers_within: 5s, served_ratio_min: 0.95 }
EOF2
seeds=1..60; [[ -n ${ECSIM_SANITIZED:-} ]] && seeds=1..10
out=$("$ecsim" sweep "$tmp/low.yaml" --seeds "$seeds" --jobs 2); check $? 0 "every seed of $seeds passes"
grep -Eq "^  fail +0$" <<< "$out" || { echo "FAIL: $out"; fail=1; }

sed -e 's/faults: \[{ at: 15s, crash: core-2, for: 3s }\]/faults: [{ at: 15s, crash: core-2, for: 3s }, { at: 30s, crash: cloud-1 }, { at: 30s, crash: cloud-2 }]/' \
    "$tmp/low.yaml" > "$tmp/lost.yaml"
out=$("$ecsim" run "$tmp/lost.yaml"); check $? 1 "two cloud replicas down for good fail"
grep -Eq "FAIL +recovers_within +served ratio not back by the end of the run at 60s: the second from [0-9]+s served 0.00% \(0 of [0-9]+\)" <<< "$out" ||
  { echo "FAIL: the lost quorum: $(grep recovers_within <<< "$out")"; fail=1; }
exit $fail
