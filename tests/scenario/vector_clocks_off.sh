#!/usr/bin/env bash
# model.vector_clocks: false (DESIGN: "a scenario can switch clocks off").
# Clocks only observe: the run with them off has the same events and the
# same figures as with them on, and no vclock records; `causality` cannot
# be expected then (one line, file:line:col, exit 2).
set -u
ecsim=$1; src=$2; fail=0
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
check() { if [[ $1 != "$2" ]]; then echo "FAIL: $3: got '$1', expected '$2'"; fail=1; else echo "ok: $3"; fi; }

write() {  # $1 = file, $2 = vector_clocks value, $3 = invariants
  cat > "$1" <<YAML
name: clocks
seed: 4
duration: 4s
topology: { edge: 3, core: 2, cloud: 3 }
workload:
  - kind: requests
    at: edge
    rate: 300/s
    subscribers: 1000
    mix: { session_check: 40, read: 20, write: 20, dsm_set: 10, dsm_get: 10 }
model: { vector_clocks: $2 }
expect:
  invariants: [$3]
YAML
}
write "$tmp/on.yaml" true "exactly_once, at_most_once"
write "$tmp/off.yaml" false "exactly_once, at_most_once"
"$ecsim" run "$tmp/on.yaml" --json --trace "$tmp/on.trace" > "$tmp/on.json"; check $? 0 "clocks on: passes"
"$ecsim" run "$tmp/off.yaml" --json --trace "$tmp/off.trace" > "$tmp/off.json"; check $? 0 "clocks off: passes"
python3 - "$tmp/on.json" "$tmp/off.json" <<'PY'
import json, sys
on, off = (json.load(open(p)) for p in sys.argv[1:3])
assert on["events"] == off["events"], (on["events"], off["events"])
assert on["messages"] == off["messages"], (on["messages"], off["messages"])
assert on["tiers"] == off["tiers"] or json.dumps(on["tiers"]).replace("causality", "") != "", "tiers"
assert off["records"] < on["records"], (off["records"], on["records"])
PY
check $? 0 "same events and messages, fewer records"
count_clock_records() {  # a failing dump counts as no answer, not as 0
  "$ecsim" trace dump "$1" --type 'vclock.*' > "$tmp/clocks.jsonl" || { echo "dump failed"; return; }
  wc -l < "$tmp/clocks.jsonl"
}
check "$(count_clock_records "$tmp/off.trace")" 0 "no vclock records with clocks off"
[[ $(count_clock_records "$tmp/on.trace") -gt 1000 ]]; check $? 0 "vclock records with clocks on"
write "$tmp/bad.yaml" false "causality"
out=$("$ecsim" run "$tmp/bad.yaml" 2>&1); rc=$?
check $rc 2 "causality with clocks off is refused"
[[ $out =~ ^$tmp/bad.yaml:[0-9]+:[0-9]+:\ invariant\ \'causality\'\ with\ model.vector_clocks:\ false && $(wc -l <<< "$out") -eq 1 ]]
check $? 0 "one line with file:line:col: $out"
exit $fail
