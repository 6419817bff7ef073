#!/usr/bin/env bash
# --trace writes a file whose re-hash and replay reproduce the printed hash;
# a damaged file is refused with exit 2.
set -u
ecsim=$1; src=$2; fail=0
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
check() { if [[ $1 != "$2" ]]; then echo "FAIL: $3: got '$1', expected '$2'"; fail=1; else echo "ok: $3"; fi; }
"$ecsim" run "$src/tests/data/scenarios/small.yaml" --trace "$tmp/t.trace" --quiet > "$tmp/out"
printed=$(sed -n 's/^trace hash: //p' "$tmp/out")
rehash=$("$ecsim" trace hash "$tmp/t.trace" | sed -n 's/^trace hash: //p')
check "$rehash" "$printed" "re-hashing the file gives the printed hash"
"$ecsim" trace replay "$tmp/t.trace" > "$tmp/replay"; check $? 0 "replay reproduces the run"
grep -q identical "$tmp/replay"; check $? 0 "replay says identical"
lines=$("$ecsim" trace dump "$tmp/t.trace" | wc -l)
records=$("$ecsim" trace hash "$tmp/t.trace" | head -1 | awk '{print $2}')
check "$lines" "$records" "dump prints one JSON line per record"
# A three-tier trace: the protocols' records are dumped by name.
"$ecsim" run "$src/scenarios/three-tier.yaml" --until 200ms --trace "$tmp/tiers.trace" --quiet > /dev/null
"$ecsim" trace dump "$tmp/tiers.trace" > "$tmp/tiers.jsonl"
for name in rpc.conn rpc.call rpc.attempt rpc.serve rpc.done msgq.accepted vclock.send vclock.recv msgq.send msgq.deliver storage.quorum; do
  grep -q "\"type\":\"$name\"" "$tmp/tiers.jsonl"; check $? 0 "dump names $name records"
done
grep -q '"type":"unknown"' "$tmp/tiers.jsonl"; check $? 1 "no record type is unknown"
# Filters: --type (names, PREFIX.*) and --node keep exactly the matching
# records, each with its number in the whole file (`n`).
"$ecsim" trace dump "$tmp/tiers.trace" --type rpc.call,storage.quorum --type 'msgq.*' --node core-1,core-2 \
  > "$tmp/some.jsonl"; check $? 0 "dump --type --node"
python3 - "$tmp/tiers.jsonl" "$tmp/some.jsonl" <<'PY'
import json, sys
every = [json.loads(l) for l in open(sys.argv[1])]
some = [json.loads(l) for l in open(sys.argv[2])]
assert [r["n"] for r in every] == list(range(1, len(every) + 1))
core = {3, 4}  # edge-1..3 are nodes 0..2, core-1 and core-2 nodes 3 and 4
want = [r for r in every if (r["type"] in ("rpc.call", "storage.quorum") or r["type"].startswith("msgq."))
        and r["node"] in core]
assert some == want and len({r["type"] for r in some}) >= 2, (len(some), len(want))
print(f"ok: {len(some)} of {len(every)} records, types {sorted({r['type'] for r in some})}")
PY
check $? 0 "the filters keep exactly the matching records, numbered as in the whole file"
"$ecsim" trace dump "$tmp/tiers.trace" --type nope > /dev/null 2> "$tmp/err"; check $? 2 "an unknown --type exits 2"
grep -q "tiers.trace: --type 'nope' names no record type" "$tmp/err"; check $? 0 "and names it ($(cat "$tmp/err"))"
"$ecsim" trace dump "$tmp/tiers.trace" --node core-99 > /dev/null 2> "$tmp/err"; check $? 2 "an unknown --node exits 2"
grep -q "no node 'core-99'" "$tmp/err"; check $? 0 "and names it"
head -c 1000 "$tmp/t.trace" > "$tmp/cut.trace"
"$ecsim" trace hash "$tmp/cut.trace" > /dev/null 2> "$tmp/err"; check $? 2 "a truncated file exits 2"
grep -q "truncated" "$tmp/err"; check $? 0 "and says truncated"
echo "junk" > "$tmp/junk.trace"
"$ecsim" trace hash "$tmp/junk.trace" > /dev/null 2>&1; check $? 2 "junk exits 2"
exit $fail
