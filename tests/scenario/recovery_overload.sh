#!/usr/bin/env bash
# recovers_within on a cluster in steady overload (found by an adversarial
# pass): one core per cloud replica, 3 x 3,000 requests/s at 80 % writes,
# about 31 % served. A second's served ratio is a sample of some 9,000
# requests and jitters by more than the rule's 1 point around that level,
# so seeds 3, 8 and 11 failed with an edge crash that changed nothing
# ("the second from 21s served 29.94%; need >= 29.97%"). A second is now
# back within 1 point or 3 sd of its binomial noise (run/recovery.hpp),
# and the verdict still fails a recovery slower than asked.
set -u
ecsim=$1; fail=0
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
check() { if [[ $1 != "$2" ]]; then echo "FAIL: $3: got '$1', expected '$2'"; fail=1; else echo "ok: $3"; fi; }

cat > "$tmp/overload.yaml" <<'EOF2'
name: steady-overload
duration: 30s
topology: { edge: 3, core: 2, cloud: 3 }
model: { cores: { cloud: 1 } }
workload: [{ kind: requests, at: edge, rate: 3000/s, mix: { write: 80, read: 20 } }]
faults: [{ at: 12s, crash: edge-2, for: 2s }]
expect: { recovers_within: 5s }
EOF2
seeds=(3 8 11); [[ -n ${ECSIM_SANITIZED:-} ]] && seeds=(3)
for seed in "${seeds[@]}"; do
  out=$("$ecsim" run "$tmp/overload.yaml" --seed "$seed"); check $? 0 "seed $seed passes"
  grep -Eq "ok +recovers_within +served ratio back from 1[45]s .*within 3 sd of the level" <<< "$out" ||
    { echo "FAIL: seed $seed: $(grep recovers_within <<< "$out")"; fail=1; }
done

# A partition of cloud-1 from its peers for 3 s: the served ratio is back
# 2 s after it heals. Asked for 1 s, that fails, with the second it names.
sed -e 's/crash: edge-2, for: 2s/partition: [[cloud-1], [cloud-2, cloud-3]], for: 3s/' \
    -e 's/recovers_within: 5s/recovers_within: 1s/' "$tmp/overload.yaml" > "$tmp/slow.yaml"
out=$("$ecsim" run "$tmp/slow.yaml" --seed 3); check $? 1 "a recovery slower than asked fails"
grep -Eq "FAIL +recovers_within +served ratio back only from 17s \(2s after the last fault window ended\); the second from 1[56]s served" <<< "$out" ||
  { echo "FAIL: the slow recovery: $(grep recovers_within <<< "$out")"; fail=1; }
exit $fail
