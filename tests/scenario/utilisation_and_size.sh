#!/usr/bin/env bash
# expect.utilisation_max (docs/scenarios.md) judges each node's mean CPU
# over its load samples: the same run passes a bound above its busiest node
# and fails one below it, naming the node. Topology size limits: more nodes
# than the network holds, or more than 300 with vector clocks on, are one
# line with file:line:col and exit code 2; clocks off admits the cluster.
set -u
ecsim=$1; src=$2; fail=0
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
check() { if [[ $1 != "$2" ]]; then echo "FAIL: $3: got '$1', expected '$2'"; fail=1; else echo "ok: $3"; fi; }

write() {  # $1 = file, $2 = core bound
  cat > "$1" <<YAML
name: util
seed: 3
duration: 3s
topology: { edge: 3, core: 2, cloud: 3 }
workload:
  - { kind: requests, at: edge, rate: 1000/s, subscribers: 10000 }
expect:
  utilisation_max: { core: $2, edge: 0.9 }
YAML
}
write "$tmp/pass.yaml" 95%
"$ecsim" run "$tmp/pass.yaml" --json > "$tmp/pass.json"; check $? 0 "bound above the busiest core passes"
write "$tmp/fail.yaml" 1%
"$ecsim" run "$tmp/fail.yaml" --json > "$tmp/fail.json"; check $? 1 "bound below the busiest core fails"
python3 - "$tmp/pass.json" "$tmp/fail.json" <<'PY'
import json, sys
ok, bad = (json.load(open(p)) for p in sys.argv[1:3])
v = {e["name"]: e for e in ok["expectations"]}
assert v["utilisation_max.core"]["ok"] and v["utilisation_max.edge"]["ok"], v
w = {e["name"]: e for e in bad["expectations"]}
assert not w["utilisation_max.core"]["ok"] and "core-" in w["utilisation_max.core"]["detail"], w
assert w["utilisation_max.edge"]["ok"], w
PY
check $? 0 "verdicts per tier, the failing one names its busiest node"

refused() {  # $1 = file, $2 = expected message start
  local out rc; out=$("$ecsim" validate "$1" 2>&1); rc=$?
  check $rc 2 "refused: $2"
  [[ $out == "$1":3:1:\ $2* && $(wc -l <<< "$out") -eq 1 ]]; check $? 0 "one line at the topology: $out"
}
printf 'name: big\nduration: 1s\ntopology: { edge: 1000, core: 1000, cloud: 300 }\n' > "$tmp/net.yaml"
refused "$tmp/net.yaml" "topology has 2300 nodes, expected at most 2048"
printf 'name: big\nduration: 1s\ntopology: { edge: 400, core: 2, cloud: 3 }\nworkload:\n  - { kind: requests, at: edge, rate: 1/s }\n' > "$tmp/clocks.yaml"
refused "$tmp/clocks.yaml" "topology has 405 nodes with vector clocks on"
printf 'model: { vector_clocks: false }\n' >> "$tmp/clocks.yaml"
"$ecsim" validate "$tmp/clocks.yaml" > /dev/null; check $? 0 "the same cluster with clocks off is valid"
printf 'name: t\nduration: 1s\nworkload:\n  - { kind: ping, from: edge-1, to: core-1, rate: 1/s }\nexpect:\n  utilisation_max: { core: 50%% }\n' > "$tmp/ping.yaml"
out=$("$ecsim" validate "$tmp/ping.yaml" 2>&1); check $? 2 "utilisation_max without requests is refused"
[[ $out == "$tmp/ping.yaml":6:22:* ]]; check $? 0 "at its line: $out"
exit $fail
