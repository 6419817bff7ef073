#!/usr/bin/env bash
# `recovers_within` and crashes at protocol points (docs/scenarios.md,
# "Recovery"): an at_point crash's window, known only when its point fires,
# counts like a timed crash's: the last fault window ends at its `for`
# restart (or at the crash without `for`), the first fault may be it; a
# scenario whose only outage is an at_point crash may expect
# recovers_within (validate accepts it, without requiring it); one whose
# point never fires has nothing to judge and says why.
set -u
ecsim=$1; fail=0
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
check() { if [[ $1 != "$2" ]]; then echo "FAIL: $3: got '$1', expected '$2'"; fail=1; else echo "ok: $3"; fi; }

scenario() {  # faults...
  cat <<EOF
name: recovery-at-point
seed: 3
duration: 20s
topology: { edge: 2, core: 2, cloud: 3 }
workload:
  - { kind: requests, at: edge, rate: 300/s, subscribers: 500, mix: { read: 40, write: 50, dsm_set: 10 } }
faults:
EOF
  for f in "$@"; do echo "  - $f"; done
  printf 'expect:\n  recovers_within: 5s\n'
}
timed='{ at: 4s, drop: { between: [edge, core], rate: 0.01 }, for: 1s }'
point='{ at_point: rpc.server.after_execute, node: core-2, nth: 1500, do: crash'

# The verdict's figures against the point's fault record (code 9, b = 1):
# last window end = "back from S" less "(D after ...", first fault = "at F".
judge() {  # json, trace, expected first fault ("point" or ns), restart delay ns
  "$ecsim" trace dump "$2" --type fault | python3 -c '
import json, re, sys
from decimal import Decimal
def ns(t):
    m = re.fullmatch(r"([0-9.]+)(s|ms|us|ns)", t)
    return int(Decimal(m.group(1)) * {"s": 10**9, "ms": 10**6, "us": 10**3, "ns": 1}[m.group(2)])
recs = [json.loads(l) for l in sys.stdin if l.startswith("{")]
fired = [r["t_ns"] for r in recs if r["type"] == "fault" and r["code"] == 9 and r["b"] == 1]
assert len(fired) == 1, fired
v = next(e for e in json.load(open(sys.argv[1]))["expectations"] if e["name"] == "recovers_within")
m = re.match(r"served ratio back from (\S+) \((\S+) after the last fault window ended\).*the first fault at (\S+?)(?: less the clients. timeout\))?$",
             v["detail"])
assert v["ok"] and m, v
last_end, first = ns(m.group(1)) - ns(m.group(2)), ns(m.group(3))
want_first = fired[0] if sys.argv[2] == "point" else int(sys.argv[2])
assert last_end == fired[0] + int(sys.argv[3]), (last_end, fired, v["detail"])
assert first == want_first, (first, want_first, v["detail"])
print(f"ok: fired at {fired[0]} ns; last window end {last_end} ns, first fault {first} ns")
' "$1" "$3" "$4"
}

# A timed fault at 4s, then a point crash restarted 2s after its reach.
scenario "$timed" "$point, for: 2s }" > "$tmp/both.yaml"
"$ecsim" validate "$tmp/both.yaml" > /dev/null; check $? 0 "a timed fault and an at_point crash validate"
"$ecsim" run "$tmp/both.yaml" --json --trace "$tmp/both.trc" > "$tmp/both.json"; check $? 0 "the run passes"
judge "$tmp/both.json" "$tmp/both.trc" 4000000000 2000000000 || fail=1

# The point crash alone: recovers_within is accepted, and judged from it.
scenario "$point, for: 2s }" > "$tmp/point.yaml"
"$ecsim" validate "$tmp/point.yaml" > /dev/null; check $? 0 "an at_point crash alone may expect recovers_within"
"$ecsim" run "$tmp/point.yaml" --json --trace "$tmp/point.trc" > "$tmp/point.json"; check $? 0 "the run passes"
judge "$tmp/point.json" "$tmp/point.trc" point 2000000000 || fail=1
# Without `for` the node is never restarted: its window ends at the crash.
scenario "$point }" > "$tmp/down.yaml"
"$ecsim" run "$tmp/down.yaml" --json --trace "$tmp/down.trc" > "$tmp/down.json"; check $? 0 "the run passes"
judge "$tmp/down.json" "$tmp/down.trc" point 0 || fail=1
# ... and it is still not required (a run may never reach the point).
scenario "$point }" | sed '/^expect:/,$d' > "$tmp/bare.yaml"
"$ecsim" validate "$tmp/bare.yaml" > /dev/null; check $? 0 "an at_point crash alone does not require recovers_within"

# A point never reached: nothing to judge, and the verdict says which.
scenario "${point/nth: 1500/nth: 1000000000}, for: 2s }" > "$tmp/never.yaml"
"$ecsim" run "$tmp/never.yaml" > "$tmp/never.out"; check $? 1 "a point that never fires fails the verdict"
grep -qF "    FAIL  recovers_within       nothing to judge: no fault window begins before the end of the run at 20s; 1 at_point crash never fired (rpc.server.after_execute on core-2 was not reached 1000000000 times)" "$tmp/never.out"
check $? 0 "the verdict names the point that never fired ($(grep recovers_within "$tmp/never.out"))"
exit $fail
