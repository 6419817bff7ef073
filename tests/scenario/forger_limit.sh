#!/usr/bin/env bash
# A byzantine forger stops at its named limit (issue 9): the edge_isolation
# checker follows at most 2^18 forged writes a run, so the forger sends no
# more; every write not sent is a counted, traced reach of
# byzantine.forged_writes with a summary line, not only a detail remark.
set -u
ecsim=$1; src=$2; fail=0
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
check() { if [[ $1 != "$2" ]]; then echo "FAIL: $3: got '$1', expected '$2'"; fail=1; else echo "ok: $3"; fi; }
cat > "$tmp/forger.yaml" <<'YAML'
name: forger-limit
duration: 150ms
topology: { edge: 2, core: 1, cloud: 3 }
workload:
  - { kind: requests, at: edge, rate: 1/s }
faults:
  - { at: 1ms, byzantine: edge, strategy: cloud_direct_write, rate: 1000000/s }
expect:
  invariants: [edge_isolation]
YAML
"$ecsim" run "$tmp/forger.yaml" > "$tmp/out"; check $? 0 "the forged writes it sent were all refused or lost"
line=$(grep -E '^  limit +byzantine\.forged_writes reached [0-9]+ times \(max 262144 forged writes per run\), first at ' "$tmp/out")
check $? 0 "the summary has the limit line"
reached=$(sed -nE 's/.* reached ([0-9]+) times.*/\1/p' <<< "$line")
not_sent=$(sed -nE 's/.*\(([0-9]+) more not sent: over the follower.s bound\).*/\1/p' "$tmp/out")
check "${reached:-none}" "${not_sent:-other}" "every write not sent is counted as a reach"
grep -qE 'edge_isolation +262144 forged writes sent' "$tmp/out"; check $? 0 "it sent exactly the limit"
exit $fail
