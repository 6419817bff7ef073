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
# Two record streams one after the other (valid zstd, not a trace file):
# named as such, not as bytes after a footer that is not there.
python3 - "$tmp/t.trace" "$tmp/two.trace" <<'PY'
import struct, sys
data = open(sys.argv[1], 'rb').read()
n = struct.unpack('<I', data[12:16])[0]
head, frame, footer = data[:16 + n], data[16 + n:-24], data[-24:]
open(sys.argv[2], 'wb').write(head + frame + frame + footer)
PY
"$ecsim" trace hash "$tmp/two.trace" > /dev/null 2> "$tmp/err"; check $? 2 "two zstd frames exit 2"
grep -q "two.trace: corrupted: a second zstd frame after the record stream" "$tmp/err"; check $? 0 "... named ($(cat "$tmp/err"))"
# So is a second frame shorter than a footer with no footer after it, and a
# skippable frame (magic 0x184D2A5n, a length, its bytes) before the footer
# (before 2026-12-07: "truncated before the footer", "corrupted footer").
python3 - "$tmp/t.trace" "$tmp/short.trace" "$tmp/skip.trace" <<'PY'
import struct, sys
data = open(sys.argv[1], 'rb').read()
n = struct.unpack('<I', data[12:16])[0]
head, frame, footer = data[:16 + n], data[16 + n:-24], data[-24:]
empty = bytes.fromhex('28b52ffd2000010000')  # a complete zstd frame of no bytes: 9 bytes
open(sys.argv[2], 'wb').write(head + frame + empty)
open(sys.argv[3], 'wb').write(head + frame + struct.pack('<II', 0x184D2A53, 4) + b'abcd' + footer)
PY
for f in short skip; do
  "$ecsim" trace hash "$tmp/$f.trace" > /dev/null 2> "$tmp/err"; check $? 2 "$f second frame exits 2"
  grep -q "$f.trace: corrupted: a second zstd frame after the record stream" "$tmp/err"; check $? 0 "... named ($(cat "$tmp/err"))"
done
# A record stream made to hash right (its footer rewritten from the hash the
# reader reported) was taken whole: a record back in time or naming a node
# the header does not have is now refused as it is read (before the footer
# is compared: the messages below come from those checks), and a dump of a
# damaged file prints nothing before its refusal (zstd checks its checksum
# only at the end: 269,240 records were printed first, one of them wrong).
# Needs the zstd command (tools/setup.sh installs it).
if command -v zstd > /dev/null; then
  # forge FIELD VALUE INDEX OUT: t.trace with record INDEX's (from 0, -1 the
  # last) FIELD set.
  forge() {
    python3 - "$tmp/t.trace" "$@" <<'PY'
import struct, subprocess, sys
src, field, value, index, out = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), sys.argv[5]
data = open(src, 'rb').read()
n = struct.unpack('<I', data[12:16])[0]
head, frame, footer = data[:16 + n], data[16 + n:-24], data[-24:]
raw = bytearray(subprocess.run(['zstd', '-dc'], input=frame, capture_output=True, check=True).stdout)
offset = {'time': (0, '<q'), 'node': (12, '<I')}[field]
index = len(raw) // 40 - 1 if index == -1 else index
struct.pack_into(offset[1], raw, index * 40 + offset[0], value)
frame = subprocess.run(['zstd', '-c', '--no-progress'], input=bytes(raw), capture_output=True, check=True).stdout
open(out, 'wb').write(head + frame + footer)
PY
  }
  forge time -5 3 "$tmp/back.trace"
  for sub in hash dump; do
    "$ecsim" trace $sub "$tmp/back.trace" > "$tmp/out" 2> "$tmp/err"; check $? 2 "a record back in time: trace $sub exits 2"
    grep -q "corrupted: record #4 at -5 ns comes before" "$tmp/err"; check $? 0 "... and names the record"
    check "$(wc -c < "$tmp/out")" 0 "... printing nothing"
  done
  forge node 4000000000 5 "$tmp/node.trace"
  "$ecsim" trace dump "$tmp/node.trace" > "$tmp/out" 2> "$tmp/err"; check $? 2 "a record naming no node of the header: exit 2"
  grep -q "corrupted: record #6 names node 4000000000, but the header has 7 nodes" "$tmp/err"; check $? 0 "... named"
  check "$(wc -c < "$tmp/out")" 0 "... printing nothing"
  # A last record after the run's end (until_ns, 5 s for small.yaml) was
  # taken (an adversarial pass, 2026-12-07).
  forge time 9000000000 -1 "$tmp/late.trace"
  "$ecsim" trace hash "$tmp/late.trace" > "$tmp/out" 2> "$tmp/err"; check $? 2 "a record after the run's end: exit 2"
  grep -q "is at 9s, after the run's end at 5s (until_ns)" "$tmp/err"; check $? 0 "... named: $(cat "$tmp/err")"
  "$ecsim" trace latency "$tmp/node.trace" --from edge-1 --to core-1 > "$tmp/out" 2> "$tmp/err"
  check $? 2 "... trace latency refuses it too"
else
  echo "skip: forged record streams (no zstd command)"
fi
# A flipped byte in the record stream: zstd may decode it into records and
# find the damage only at the end; the dump shows none of them.
python3 - "$tmp/t.trace" "$tmp/flip.trace" <<'PY'
import struct, sys
data = bytearray(open(sys.argv[1], 'rb').read())
n = struct.unpack('<I', data[12:16])[0]
frame = 16 + n
data[frame + (len(data) - 24 - frame) * 2 // 3] ^= 0x10
open(sys.argv[2], 'wb').write(bytes(data))
PY
"$ecsim" trace dump "$tmp/flip.trace" > "$tmp/out" 2> "$tmp/err"; check $? 2 "a flipped byte: dump exits 2"
check "$(wc -c < "$tmp/out")" 0 "... printing no record"
exit $fail
