#!/usr/bin/env bash
# The causality checker raises no false alarm under the network faults that
# write their records before the sender's clock_send record: scenarios/
# three-tier.yaml with duplicates (edge<->core, then everywhere) and random
# drops added to its cloud-2 crash. Every duplicated copy must be matched to
# its send, and a copy dropped as it was sent must not stay tracked.
set -u
ecsim=$1; src=$2
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
python3 - "$src/scenarios/three-tier.yaml" "$tmp/dup.yaml" <<'PY'
import sys
text = open(sys.argv[1]).read()
faults = """faults:
  - { at: 2s, duplicate: { between: [edge, core], rate: 0.2 }, for: 3s }
  - { at: 6s, duplicate: { rate: 0.1 }, for: 5s }
  - { at: 7s, drop: { rate: 0.05 }, for: 2s }
"""
assert text.count("faults:\n") == 1, "three-tier.yaml changed shape"
open(sys.argv[2], "w").write(text.replace("faults:\n", faults))
PY
"$ecsim" run "$tmp/dup.yaml" --until 12s --json > "$tmp/json"; rc=$?
[[ $rc -le 1 ]] || { echo "FAIL: run exited $rc"; cat "$tmp/json"; exit 1; }
python3 - "$tmp/json" <<'PY'
import json, re, sys
r = json.load(open(sys.argv[1]))
v = {e["name"]: e for e in r["expectations"]}
net = r["messages"]
print("network:", net)
print("causality:", v["causality"])
assert net["duplicated"] > 1000 and net["dropped_by_reason"]["random"] > 100, net
assert v["causality"]["ok"], v["causality"]
m = re.match(r"(\d+) sends and (\d+) receives checked against recomputed clocks", v["causality"]["detail"])
assert m and int(m.group(1)) > 100000 and int(m.group(2)) > 100000, v["causality"]["detail"]
PY
rc=$?
[[ $rc -eq 0 ]] && echo "ok: causality holds with duplicates and drops" || echo "FAIL: causality under duplicates and drops"
exit $rc
