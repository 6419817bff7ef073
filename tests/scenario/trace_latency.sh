#!/usr/bin/env bash
# `ecsim trace latency FILE --from A --to B`: one-way latency from a trace
# file. On tests/data/scenarios/small.yaml: every ping from core-1 to
# cloud-1 is accounted for (delivered, dropped or in flight), the latency
# lies within the core-cloud link's lognormal (median 5 ms), and an unknown
# node is refused with exit code 2 and one line.
set -u
ecsim=$1; src=$2
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
"$ecsim" run "$src/tests/data/scenarios/small.yaml" --trace "$tmp/t.trc" > /dev/null
out=$("$ecsim" trace latency "$tmp/t.trc" --from core-1 --to cloud-1); rc=$?
[ "$rc" -eq 0 ] || { echo "FAIL: exit $rc: $out"; exit 1; }
sent=$("$ecsim" trace dump "$tmp/t.trc" | grep -c '"node":2,"peer":4,.*"type":"send"')
python3 - "$out" "$sent" <<'PY'
import re, sys
out, sent = sys.argv[1], int(sys.argv[2])
m = re.fullmatch(r"core-1 -> cloud-1: (\d+) delivered, (\d+) dropped, (\d+) in flight at the end; one-way latency "
                 r"p50 ([\d.]+)ms  p90 ([\d.]+)ms  p99 ([\d.]+)ms  max ([\d.]+)ms", out)
assert m, f"unexpected output: {out}"
delivered, dropped, in_flight = (int(m.group(i)) for i in (1, 2, 3))
p50 = float(m.group(4))
assert delivered + dropped + in_flight == sent, f"{delivered}+{dropped}+{in_flight} != {sent} sends"
assert delivered > 50 and 4.0 < p50 < 6.5, out
print(f"ok: {out}")
PY
[ $? -eq 0 ] || exit 1
err=$("$ecsim" trace latency "$tmp/t.trc" --from core-1 --to cloud-9 2>&1 >/dev/null); rc=$?
[ "$rc" -eq 2 ] || { echo "FAIL: unknown node: exit $rc"; exit 1; }
[[ "$err" == *"no node 'cloud-9' in this trace (7 nodes)"* ]] || { echo "FAIL: message: $err"; exit 1; }
echo "ok: unknown node refused"
