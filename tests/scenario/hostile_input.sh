#!/usr/bin/env bash
# Input found by an adversarial pass over the command line, the loader and the
# trace reader (2026-12-05): each was read without limit, cut a message short,
# or silently meant something else. Each is now refused with one line and
# exit 2.
set -u
ecsim=$1; src=$2; fail=0
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
small=$src/tests/data/scenarios/small.yaml
check() { if [[ $1 != "$2" ]]; then echo "FAIL: $3: got '$1', expected '$2'"; fail=1; else echo "ok: $3"; fi; }
# refused WHAT PATTERN ARGS...: exit 2, one line on stderr matching PATTERN.
refused() {
  local what=$1 pattern=$2; shift 2
  timeout 20 "$ecsim" "$@" > "$tmp/out" 2> "$tmp/err"; check $? 2 "$what: exits 2"
  check "$(wc -l < "$tmp/err")" 1 "$what: one line"
  if ! grep -qE -- "$pattern" "$tmp/err"; then echo "FAIL: $what said: $(cat "$tmp/err")"; fail=1; fi
}

# Trace files: not a trace at all (a device that never ends, a directory).
refused "trace hash /dev/zero" "^/dev/zero: a character device, expected a trace file" trace hash /dev/zero
refused "trace dump /dev/zero" "^/dev/zero: a character device, expected a trace file" trace dump /dev/zero
refused "trace hash DIR" "^$tmp: cannot read: Is a directory$" trace hash "$tmp"

# Trace headers: fields replay uses, checked like seed and until_ns.
"$ecsim" run "$small" --until 200ms --trace "$tmp/t.trace" --quiet > /dev/null
# header FILE KEY JSON: a copy of t.trace with the header's KEY set to JSON (null: removed).
header() {
  python3 - "$tmp/t.trace" "$1" "$2" "$3" <<'PY'
import json, struct, sys
src, out, key, value = sys.argv[1:]
data = open(src, 'rb').read()
n = struct.unpack('<I', data[12:16])[0]
h = json.loads(data[16:16 + n])
if value == 'null':
    h.pop(key, None)
else:
    h[key] = json.loads(value)
b = json.dumps(h).encode()
open(out, 'wb').write(data[:12] + struct.pack('<I', len(b)) + b + data[16 + n:])
PY
}
for v in 0 1 -1 18446744073709551615 '"4GiB"'; do
  header "$tmp/m.trace" memory_max "$v"
  for sub in hash dump replay; do
    refused "memory_max $v, trace $sub" "^$tmp/m.trace: corrupted header: 'memory_max' is .*, expected an integer 1048576..1099511627776" \
      trace $sub "$tmp/m.trace"
  done
done
header "$tmp/m.trace" memory_max null
# An unknown plant: every reader refuses it (trace hash and dump took it,
# only a replay refused; an adversarial pass).
header "$tmp/p.trace" plant '"bogus"'
for sub in hash dump replay; do
  refused "plant bogus, trace $sub" "^$tmp/p.trace: corrupted header: 'plant' is \"bogus\", expected one of ecsim plant --list" \
    trace $sub "$tmp/p.trace"
done
# A misspelt key was ignored (and its value defaulted) without a word; -0 is
# JSON's 0, yet was refused saying "'max_events' is 0, expected 0..".
header "$tmp/k.trace" sede 5
refused "unknown header key" "^$tmp/k.trace: corrupted header: unknown key 'sede', expected only the keys ecsim writes" \
  trace replay "$tmp/k.trace"
python3 - "$tmp/t.trace" "$tmp/z.trace" <<'PY'
import re, struct, sys
data = open(sys.argv[1], 'rb').read()
n = struct.unpack('<I', data[12:16])[0]
h = re.sub(rb'"seed":[0-9]+', b'"seed":-0', data[16:16 + n].replace(b'"max_events":0', b'"max_events":-0'))
assert h.count(b'-0') == 2, h[:200]
open(sys.argv[2], 'wb').write(data[:12] + struct.pack('<I', len(h)) + h + data[16 + n:])
PY
"$ecsim" trace hash "$tmp/z.trace" > "$tmp/out" 2>&1; check $? 0 "a header with -0 for seed and max_events reads as 0"
"$ecsim" trace replay "$tmp/m.trace" > "$tmp/out" 2>&1; check $? 0 "a header without memory_max replays (the default)"
header "$tmp/u.trace" until_ns 0
refused "until_ns 0" "^$tmp/u.trace: corrupted header: 'until_ns' is 0, expected an integer 1..86400000000000" trace replay "$tmp/u.trace"
for v in '"x"' '[1,2,3]'; do
  header "$tmp/n.trace" nodes "$v"
  refused "nodes $v, trace hash" "^$tmp/n.trace: corrupted header: 'nodes' is .*, expected the node names by id" trace hash "$tmp/n.trace"
  refused "nodes $v, trace dump --node" "corrupted header: 'nodes'" trace dump "$tmp/n.trace" --node core-1
done
# Found by an adversarial pass (2026-12-06): a key given twice (the last one
# won, so a replay ran another seed and called the trace "DIFFERENT"), a
# format word that is not the file's, node names that repeat or are not the
# header's scenario's (trace dump --node picked the wrong node's records).
python3 - "$tmp/t.trace" "$tmp/d.trace" <<'PY'
import struct, sys
data = open(sys.argv[1], 'rb').read()
n = struct.unpack('<I', data[12:16])[0]
b = data[16:16 + n].rstrip(b'}') + b',"seed":5}'
open(sys.argv[2], 'wb').write(data[:12] + struct.pack('<I', len(b)) + b + data[16 + n:])
PY
for sub in hash dump replay; do
  refused "seed twice, trace $sub" "^$tmp/d.trace: corrupted header: key 'seed' appears twice$" trace $sub "$tmp/d.trace"
done
header "$tmp/f.trace" format 2
refused "format 2" "^$tmp/f.trace: corrupted header: 'format' is not 1, the version before it$" trace hash "$tmp/f.trace"
header "$tmp/n.trace" nodes '["edge-1","edge-1","core-1","core-2","cloud-1","cloud-2","cloud-3"]'
refused "nodes repeated" "^$tmp/n.trace: corrupted header: 'nodes' is .*, expected the node names by id \(an array of distinct strings\)$" \
  trace replay "$tmp/n.trace"
header "$tmp/n.trace" nodes '["edge-1"]'
refused "nodes not the scenario's" "^$tmp/n.trace: corrupted header: 'nodes' are not the nodes of the scenario in it$" \
  trace dump "$tmp/n.trace" --node cloud-3
refused "trace latency from a node to itself" "--to: 'edge-1' is --from too" trace latency "$tmp/t.trace" --from edge-1 --to edge-1
refused "sweep --out-dir without --swarm" "--out-dir requires --swarm" sweep "$small" --seeds 1..2 --out-dir "$tmp/none"
for list in 'send,' ',' ',send' 'send,,deliver'; do
  refused "trace dump --type '$list'" "^ecsim: --type: '$list' has an empty entry, expected entries separated by single commas" \
    trace dump "$tmp/t.trace" --type "$list"
done
refused "trace dump --node 'edge-1,'" "^ecsim: --node: 'edge-1,' has an empty entry" trace dump "$tmp/t.trace" --node 'edge-1,'
check "$("$ecsim" trace dump "$tmp/t.trace" --type send,deliver --type drop --node edge-1,core-1 | python3 -c '
import json, sys
print(sorted({(r["type"], r["node"]) for r in map(json.loads, sys.stdin)}))')" \
  "[('deliver', 0), ('deliver', 2), ('send', 0), ('send', 2)]" "trace dump: comma lists and repeats still select"

# A long non-ASCII value is cut at 40 characters of its escaped form, never
# inside a UTF-8 sequence.
header "$tmp/m.trace" memory_max '"'"$(printf 'é%.0s' $(seq 30))"'"'
refused "memory_max non-ASCII" "'memory_max' is \"(\\\\u00e9)+" trace hash "$tmp/m.trace"
python3 -c "open('$tmp/err','rb').read().decode('ascii')" 2> /dev/null; check $? 0 "... its message is ASCII"
header "$tmp/n.trace" nodes null
refused "no nodes, trace latency" "^$tmp/n.trace: corrupted header: no 'nodes', expected every key" trace latency "$tmp/n.trace" --from edge-1 --to core-1
# A header scenario that does not load is named as the trace's, not as the
# file on disk it once came from (which may be fine).
header "$tmp/s.trace" scenario '"name: x\n"'
refused "a bad scenario in the header" "\(the scenario in $tmp/s.trace's header\):1:1: missing key 'duration'" \
  trace replay "$tmp/s.trace"

# trace hash shows a long scenario name whole.
long=a-rather-long-scenario-name-for-the-nightly-soak-of-the-edge-tier
sed "s/^name: .*/name: $long/" "$small" > "$tmp/long.yaml"
"$ecsim" run "$tmp/long.yaml" --until 100ms --trace "$tmp/long.trace" --quiet > /dev/null
"$ecsim" trace hash "$tmp/long.trace" | grep -q "scenario '$long', seed"; check $? 0 "trace hash names a long scenario whole"

# Scenario values: an escape in a quoted scalar makes a control character
# (a NUL cut every message showing the value short).
printf 'name: t\nduration: 5s\nfaults:\n  - { at: 1s, crash: "core-1\\x00zz", for: 1s }\n' > "$tmp/nul.yaml"
refused "a NUL in a node name" "^$tmp/nul.yaml:4:22: control character \\\\x00 in 'core-1\\\\x00zz', expected printable text$" \
  validate "$tmp/nul.yaml"
printf 'name: "a\\x07b"\nduration: 1s\n' > "$tmp/bell.yaml"
refused "a BEL in the name" "^$tmp/bell.yaml:1:7: control character \\\\x07" run "$tmp/bell.yaml"
printf 'name: t\ndescription: "two\\nlines\\tand a tab"\nduration: 1s\n' > "$tmp/nl.yaml"
"$ecsim" validate "$tmp/nl.yaml" > /dev/null 2>&1; check $? 0 "newlines and tabs in a description are fine"
# An interval whose first bound is already the largest: the message names
# that bound, not an empty range.
printf 'name: t\nduration: 1s\nnetwork:\n  links:\n    - { between: [edge, core], latency: { lognormal: { median: 1h, p99: 1h } } }\n' > "$tmp/ln.yaml"
refused "lognormal median 1h" "median is '1h', expected a duration above 0 and below 1h \(p99 is above it\)" validate "$tmp/ln.yaml"
printf 'name: t\nduration: 1s\nnetwork:\n  links:\n    - { between: [edge, core], latency: { uniform: [1h, 0s] } }\n' > "$tmp/un.yaml"
refused "uniform from 1h" "uniform\[0\] is '1h', expected a duration from 0 and below 1h \(hi is above it\)" validate "$tmp/un.yaml"

# Flags: a value that means nothing, or one that needs another flag.
refused "explore --seed -1" "^ecsim: --seed: '-1': expected a whole number" explore "$small" --crash-points --seed -1
refused "explore --seed ' 5'" "^ecsim: --seed: ' 5'" explore "$small" --crash-points --seed " 5"
refused "run --plant ''" "^ecsim: --plant: an empty value" run "$small" --plant ""
refused "explore --plant ''" "^ecsim: --plant: an empty value" explore "$small" --crash-points --plant ""
refused "sweep --plant ''" "^ecsim: --plant: an empty value" sweep "$small" --plant ""
refused "run --trace ''" "^ecsim: --trace: an empty value" run "$small" --trace ""
refused "run ''" "^ecsim: scenario: an empty value" run ""
refused "validate ''" "^ecsim: scenarios: an empty value" validate ""
refused "trace hash ''" "^ecsim: file: an empty value" trace hash ""
refused "viz --screenshot ''" "^ecsim: --screenshot: an empty value" viz "$small" --screenshot ""
refused "--swarm-out without --swarm" "^ecsim: --swarm-out requires --swarm" run "$small" --swarm-out "$tmp/s.yaml"
refused "--scenario-out without --random-scenario" "^ecsim: --scenario-out requires --random-scenario" \
  run --scenario-out "$tmp/s.yaml"
test -e "$tmp/s.yaml"; check $? 1 "... and no file was written"

# The viewer's inputs (a second adversarial pass). Headless: --save-scenario
# without --screenshot opens no window, and every other option is checked
# first.
viz_refused() { local what=$1 pattern=$2; shift 2; refused "$what" "$pattern" viz "$small" --save-scenario "$tmp/v.yaml" "$@"; }
python3 -c "d=70000; open('$tmp/deep.json','w').write('[{\"at\":\"1s\",\"crash\":'+'['*d+']'*d+'}]')"
viz_refused "actions nested 70000 deep (a stack overflow before)" "^ecsim viz: $tmp/deep.json:1:27: nesting deeper than 8 levels"   --actions "$tmp/deep.json"
printf '[{"at":"1s",\n  "crash":"edge-1", "at":"2s"}]' > "$tmp/dup.json"
viz_refused "a key twice in an action" "^ecsim viz: $tmp/dup.json:2:21: duplicate key 'at', expected each key once$" --actions "$tmp/dup.json"
echo '[{"at":"100s","crash":"edge-1"}]' > "$tmp/late.json"
viz_refused "an action after the run's end" "^ecsim viz: $tmp/late.json:1:3: action 1: \"at\": 100s is after the run's end \(5s\)" \
  --actions "$tmp/late.json"
printf '[{"at":"1s",\n x}]' > "$tmp/syntax.json"
viz_refused "a JSON syntax error" "^ecsim viz: $tmp/syntax.json:2:2: JSON syntax error: " --actions "$tmp/syntax.json"
echo '[{"at":"1s","crash":"nope"}]' > "$tmp/nope.json"
# The loader's place in the scenario with the actions appended is a text no
# file holds: the action's place in its file says where.
viz_refused "an unknown node in an action" "^ecsim viz: $tmp/nope.json:1:3: action 1: unknown node 'nope'" --actions "$tmp/nope.json"
# A third pass: a NUL byte ended the file for the parser (what followed was
# dropped); actions out of time order saved a session that failed its own
# after_event verdict; thousands of actions ran for many minutes.
printf '[{"at":"1s","crash":"edge-1"}]\x00[{"at":"2s","crash":"edge-2"}]' > "$tmp/nul.json"
viz_refused "a NUL byte in the actions" "^ecsim viz: $tmp/nul.json:1:31: a NUL byte, expected JSON text$" --actions "$tmp/nul.json"
printf '[{"at":"3s","crash":"edge-1"},\n {"at":"1s","crash":"edge-2"}]' > "$tmp/order.json"
viz_refused "actions out of time order" \
  "^ecsim viz: $tmp/order.json:2:3: action 2: \"at\": 1s is before action 1's 3s, expected the actions in time order" \
  --actions "$tmp/order.json"
python3 -c "import json; print(json.dumps([{'at': '1s', 'dsm_get': {'node': 'edge-1', 'key': i}} for i in range(257)]))" > "$tmp/many.json"
viz_refused "257 actions" "^ecsim viz: $tmp/many.json: 257 actions, expected at most 256" --actions "$tmp/many.json"
refused "--frames without --screenshot" "^ecsim: --frames requires --screenshot" viz "$small" --frames 5 --save-scenario "$tmp/v.yaml"
printf '[{"at":"1s\\u0000","crash":"edge-1"}]' > "$tmp/nul-string.json"
viz_refused "a NUL in a string, escaped" "^ecsim viz: $tmp/nul-string.json:1:3: action 1: \"at\": unknown unit 's.x00' \(ns" \
  --actions "$tmp/nul-string.json"
viz_refused "--select an unknown node, saved headless" "^ecsim viz: --select 'nope': no such node" --select nope
viz_refused "--select over two lines" "^ecsim viz: --select 'a\\\\nb': no such node" --select "$(printf 'a\nb')"
viz_refused "--at garbage, saved headless" "^ecsim viz: --at 'garbage'" --at garbage
viz_refused "two side tabs" "^ecsim viz: --tab 'node,metrics': node and metrics are both side tabs" --tab node,metrics
viz_refused "two bottom tabs" "log and spacetime are both bottom tabs" --tab log,spacetime
viz_refused "--layout a directory" "^ecsim viz: $tmp: cannot read: Is a directory$" --layout "$tmp"
echo '{"nodes":{"edge-1":[150,400]},"bogus":1}' > "$tmp/l.json"
viz_refused "a layout's unknown key" "^ecsim viz: $tmp/l.json:1:31: unknown key 'bogus'" --layout "$tmp/l.json"
echo '{"nodes":{"edge-1":[1e300,-1e300]}}' > "$tmp/l.json"
viz_refused "a layout's centre past any screen" "^ecsim viz: $tmp/l.json:1:11: node 'edge-1': expected \[x, y\], each within" \
  --layout "$tmp/l.json"
echo '{"nodes":{"edge-1":[1,2]},"radius":-5}' > "$tmp/l.json"
viz_refused "a negative radius" "^ecsim viz: $tmp/l.json:1:27: radius is -5, expected a number above 0" --layout "$tmp/l.json"
printf '{"nodes":{"edge-1":[1,2],\n"edge\\"1":[1,2],"edge\\"1":[3,4]}}' > "$tmp/l.json"
viz_refused "a layout's node twice (its place past an escaped quote)" "$tmp/l.json:2:17: duplicate key 'edge\"1'" --layout "$tmp/l.json"
echo '{"nodes":3}' > "$tmp/l.json"
viz_refused "a layout's nodes not an object" "^ecsim viz: $tmp/l.json:1:2: expected a JSON object" --layout "$tmp/l.json"
test -e "$tmp/v.yaml"; check $? 1 "... and nothing was saved"
# A layout with a radius alone is a layout (nodes keep their places): it
# was refused as "expected a JSON object {"nodes": ...}".
echo '{"radius":5}' > "$tmp/l.json"
"$ecsim" viz "$small" --layout "$tmp/l.json" --save-scenario "$tmp/v.yaml" > /dev/null; check $? 0 "a layout of a radius alone"
rm -f "$tmp/v.yaml"
echo '[{"at":"1s","crash":"edge-1","for":1e400}]' > "$tmp/big.json"
viz_refused "a number past a double in an action" "^ecsim viz: $tmp/big.json:1:41: number overflow parsing '1e400'$" \
  --actions "$tmp/big.json"
viz_refused "an unknown tab beside a known one" "^ecsim viz: --tab 'nope': expected one of" --tab twopc,nope
refused "--fps with --save-scenario" "^ecsim: --save-scenario excludes --fps" viz "$small" --fps 3 --save-scenario "$tmp/v.yaml"
refused "--bench with --select" "^ecsim: --select excludes --bench" viz "$small" --bench 2 --select nope
refused "--fps with --screenshot" "^ecsim: --screenshot excludes --fps" viz "$small" --fps 3 --screenshot "$tmp/o.png"
# viz --trace checks the header as trace replay does.
header "$tmp/m.trace" until_ns '"5s"'
refused "viz --trace, until_ns a string" "^ecsim viz: $tmp/m.trace: corrupted header: 'until_ns' is \"5s\"" \
  viz --trace "$tmp/m.trace" --save-scenario "$tmp/v.yaml"
header "$tmp/m.trace" memory_max 0
refused "viz --trace, memory_max 0" "^ecsim viz: $tmp/m.trace: corrupted header: 'memory_max' is 0" \
  viz --trace "$tmp/m.trace" --save-scenario "$tmp/v.yaml"
header "$tmp/m.trace" nodes 5
refused "viz --trace, nodes 5" "corrupted header: 'nodes' is 5" viz --trace "$tmp/m.trace" --save-scenario "$tmp/v.yaml"
refused "viz --trace, a bad header scenario" "\(the scenario in $tmp/s.trace's header\):1:1: missing key 'duration'" \
  viz --trace "$tmp/s.trace" --save-scenario "$tmp/v.yaml"

# A third pass (scenarios that validated, then aborted or could not run).
printf 'name: one\nduration: 1s\nworkload:\n  - { kind: requests, rate: 10/s, subscribers: 1, bad_tokens: 10%% }\n' > "$tmp/one.yaml"
refused "bad_tokens with one subscriber (an assertion at start before)" \
  "^$tmp/one.yaml:4:63: workload\[0\].bad_tokens is '10%' \(a cross-subscriber bad token needs a second subscriber\)" \
  run "$tmp/one.yaml"
printf 'name: one-core\nduration: 10s\ntopology: { edge: 3, core: 1, cloud: 3 }\nworkload:\n  - { kind: requests, rate: 100/s }\nmodel:\n  messaging: { resend_timeout: 1ms }\n' > "$tmp/core1.yaml"
for seed in 19 63; do
  # The swarm drew a link fault between "core" and "core-1": one node, no link.
  "$ecsim" run "$tmp/core1.yaml" --swarm --seed $seed --until 3s --quiet > "$tmp/out" 2>&1
  check $? 0 "a swarm mix of a one-core cluster, seed $seed, is a valid scenario"
done
# An edge node's restart under overload: a call whose handshake timed out
# went back to a full queue of its RPC client (an assertion before).
printf 'name: overload\nduration: 7s\ntopology: { edge: 12, core: 1, cloud: 3 }\nworkload:\n  - { kind: requests, rate: 5000/s }\nfaults:\n  - { at: 2s, crash: edge-12, for: 2s }\nexpect:\n  recovers_within: 1s\n' > "$tmp/overload.yaml"
# One run gives both the exit code and the verdicts (it ran twice before,
# --quiet for the code, then --json: the same run, twice the time).
"$ecsim" run "$tmp/overload.yaml" --json > "$tmp/out.json" 2>&1
# The run is 7 s long (6 s before 2026-12-07): with a 1 s deadline after
# the window ending at 4 s, its whole second to judge is [5s, 6s), which
# validate asks for. The one core is overloaded from the start, so its
# queue and the share it drops grow by themselves (12 % served in the
# level's second, 7 % in the judged one): the verdict rightly says the
# ratio is not back. What this checks is that the run reaches a verdict
# and that recovers_within is judged, not its outcome.
rc=$?
check "$([[ $rc == 0 || $rc == 1 ]] && echo verdict || echo "exit $rc")" verdict \
  "an edge restart under overload runs to its verdict"
python3 -c "import json,sys; d=json.load(open(sys.argv[1])); print([e['name'] for e in d['expectations'] if not e.get('vacuous')])" \
  "$tmp/out.json" > "$tmp/judged"
check "$(cat "$tmp/judged")" "['recovers_within']" "... and recovers_within is judged"
# False alarms: an edge node on one core holds 2,000 requests of 600 us
# (1.2 s of work), so a message may wait there over a second before the node
# takes it. causality called such a message never taken, exactly_once a DSM
# UPDATE in the queue lost; both now allow the longest wait the load model
# gives (tiers::TierParams::service_wait_max).
printf 'name: slow-edge\nduration: 5s\ntopology: { edge: 3, core: 2, cloud: 3 }\nworkload:\n  - { kind: requests, rate: 4000/s, mix: { session_check: 10, dsm_set: 1 } }\nmodel:\n  cores: { edge: 1 }\n' > "$tmp/slow.yaml"
printf 'expect:\n  invariants: [causality]\n' | cat "$tmp/slow.yaml" - > "$tmp/slow-c.yaml"
# judged NAME FILE: the run passes, its one-core edge queue overflowed (so
# some messages waited over a second), and NAME judged something.
judged() {
  "$ecsim" run "$2" --json > "$tmp/out.json" 2> "$tmp/err"; check $? 0 "$1 under a one-core edge's full queue: no false alarm"
  python3 - "$tmp/out.json" "$1" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
assert d["messages"]["dropped_by_reason"]["overload"] > 0, d["messages"]
v = {e["name"]: e for e in d["expectations"]}[sys.argv[2]]
assert v["ok"] and not v.get("vacuous"), v
print(sys.argv[2] + ":", v["detail"][:120])
PY
  check $? 0 "... the queue overflowed and $1 judged the run"
}
judged causality "$tmp/slow-c.yaml"
printf '  messaging: { resend_timeout: 100ms }\n  recovery: false\nexpect:\n  invariants: [exactly_once]\n  quiescence: 1ms\n' | cat "$tmp/slow.yaml" - > "$tmp/slow-e.yaml"
judged exactly_once "$tmp/slow-e.yaml"

# Sweeps and explore.
refused "sweep --out-dir not writable" "^ecsim: --out-dir: $tmp/none/sub: cannot write there" \
  sweep "$small" --swarm --seeds 1 --out-dir "$tmp/none/sub"
timeout 60 "$ecsim" explore "$src/scenarios/three-tier.yaml" --crash-points --jobs 2 --timeout 1ms --out-dir "$tmp" \
  --json > "$tmp/out" 2> "$tmp/err"
check $? 1 "explore whose unfaulted run fails: exit 1"
python3 -c "import json,sys; [json.loads(l) for l in open(sys.argv[1])]" "$tmp/out"; check $? 0 "... its --json is JSON lines"
grep -q '"unfaulted_failed":true' "$tmp/out"; check $? 0 "... and says the unfaulted run failed"
grep -q 'reproduce":"ecsim run [^"]* --wall-timeout 1ms"' "$tmp/out"; check $? 0 "... with the limit in its reproducing command"
# A file name that is not UTF-8 (bytes, on Linux) in JSON output.
bad=$(printf "$tmp/bad\xff.yaml"); cp "$small" "$bad"
"$ecsim" run "$bad" --json > "$tmp/out" 2> "$tmp/err"; check $? 0 "run --json of a non-UTF-8 file name"
python3 -c "import json,sys; json.loads(open(sys.argv[1]).read())" "$tmp/out"; check $? 0 "... prints JSON"
"$ecsim" run "$bad" --trace "$tmp/bad.trace" --quiet > /dev/null 2>&1; check $? 0 "... and writes a trace file"
timeout 120 "$ecsim" sweep "$bad" --seeds 1..2 --jobs 2 --json > "$tmp/out" 2>&1; check $? 0 "... sweeps"
check "$(grep -c '"verdict":"pass"' "$tmp/out")" 2 "... every seed passing"

# Benches: a value that would be rounded away, or a run with no end.
refused "pingpong --actors 3" "^ecsim: --actors: '3': expected an even number" bench pingpong --actors 3 --messages 10
refused "pingpong --messages not a multiple of the pairs" "^ecsim: --messages: '999': expected a multiple of the 500 pairs" \
  bench pingpong --actors 1000 --messages 999
refused "kernel --events 2^64-1" "^ecsim: --events: '18446744073709551615'" bench kernel --events 18446744073709551615
"$ecsim" bench pingpong --actors 4 --messages 100 --no-hash --json > "$tmp/out"
grep -q '"trace_hash":null' "$tmp/out"; check $? 0 "pingpong --no-hash --json has no trace hash"

# Found by the twenty-fifth session's adversarial pass (2026-12-06).
# A header nested 70,000 levels deep overflowed the stack (exit 139); a byte
# order mark, a number for the version and a name that is not the scenario's
# were taken as written.
python3 - "$tmp/t.trace" "$tmp/deep.trace" "$tmp/bom.trace" <<'PY'
import struct, sys
data = open(sys.argv[1], 'rb').read()
n = struct.unpack('<I', data[12:16])[0]
h = data[16:16 + n]
def write(path, header):
    open(path, 'wb').write(data[:12] + struct.pack('<I', len(header)) + header + data[16 + n:])
write(sys.argv[2], h.replace(b'"plant":""', b'"plant":' + b'[' * 70000 + b']' * 70000))
write(sys.argv[3], b'\xef\xbb\xbf' + h)
PY
for sub in hash dump replay; do
  refused "a header 70000 levels deep, trace $sub" "^$tmp/deep.trace: corrupted header: nested deeper than 64 levels" \
    trace $sub "$tmp/deep.trace"
done
refused "a byte order mark before the header" "^$tmp/bom.trace: corrupted header: a byte order mark" trace hash "$tmp/bom.trace"
header "$tmp/v.trace" ecsim 5
refused "a number for the version" "^$tmp/v.trace: corrupted header: 'ecsim' is 5, expected the version" trace hash "$tmp/v.trace"
header "$tmp/v.trace" scenario_name '"other"'
refused "a name not the scenario's" "^$tmp/v.trace: corrupted header: 'scenario_name' is 'other', but the scenario in it is" \
  trace hash "$tmp/v.trace"
# A flag given a value (--swarm=false) skipped the checks of the options
# that need it, which were then ignored; --quiet ignored beside --json.
refused "--swarm=false with --swarm-out" "disallowed flag override" run "$small" --swarm=false --swarm-out "$tmp/s.yaml"
refused "--random-scenario=0" "disallowed flag override" run --random-scenario=0 --scenario-out "$tmp/r.yaml"
refused "--quiet with --json" "^ecsim: --json excludes --quiet" run "$small" --quiet --json
# A line break in the name faked a second line of `run --quiet`; invisible
# controls beyond ASCII (C1, bidirectional overrides) were printed raw.
printf 'name: "a\\nFAIL  x"\nduration: 1s\n' > "$tmp/nl2.yaml"
refused "a line break in the name" "^$tmp/nl2.yaml:1:7: name is .*, expected a name on one line" validate "$tmp/nl2.yaml"
printf 'name: "a\\u202eb"\nduration: 1s\n' > "$tmp/bidi.yaml"
refused "a bidirectional override" "^$tmp/bidi.yaml:1:7: control character U\\+202E in a value, expected printable text$" \
  validate "$tmp/bidi.yaml"
printf 'name: t\ndescription: "x\\u0085y"\nduration: 1s\n' > "$tmp/c1.yaml"
refused "a C1 control" "^$tmp/c1.yaml:2:14: control character U\\+0085 in a value" validate "$tmp/c1.yaml"
printf 'name: "caf\xc3\xa9 \xe2\x80\x94 ok"\nduration: 1s\n' > "$tmp/utf8.yaml"
"$ecsim" validate "$tmp/utf8.yaml" > /dev/null 2>&1; check $? 0 "other non-ASCII text is fine"

# Found by the twenty-eighth session's adversarial pass (2026-12-07).
# A header without until_ns replayed to the scenario's own end and called
# the trace DIFFERENT; without the other keys ecsim writes it was taken too.
for key in until_ns max_events nodes scenario_file scenario_name ecsim format; do
  header "$tmp/r.trace" $key null
  refused "no $key, trace replay" "^$tmp/r.trace: corrupted header: no '$key', expected every key ecsim writes" \
    trace replay "$tmp/r.trace"
done
# A NUL byte in a header string cut the error message short of its reason.
header "$tmp/z.trace" scenario_file '"a\u0000b.yaml"'
refused "a NUL in scenario_file" "^$tmp/z.trace: corrupted header: 'scenario_file' is \"a\\\\u0000b.yaml\", expected a path$" \
  trace hash "$tmp/z.trace"
# viz --trace took node names that are not the scenario's.
header "$tmp/n.trace" nodes '["a","b","c","d","e","f","g"]'
refused "viz --trace, nodes renamed" "^ecsim viz: $tmp/n.trace: corrupted header: 'nodes' are not the nodes of the scenario" \
  viz --trace "$tmp/n.trace" --save-scenario "$tmp/v.yaml"
# A run cut by wall time wrote a trace its replay could not follow.
refused "--trace with --wall-timeout" "^ecsim: --wall-timeout: a --trace file replays to the run's end" \
  run "$small" --trace "$tmp/w.trace" --wall-timeout 10s
# 2^64-1 messages ran none (a sum wrapped); --kernel-events took what bench kernel refuses.
refused "pingpong --messages 2^64-1" "^ecsim: --messages: '18446744073709551615': expected a whole number 1..100000000000" \
  bench pingpong --actors 2 --messages 18446744073709551615
refused "bench scenario --kernel-events 2^64-1" "^ecsim: --kernel-events: '18446744073709551615': expected a whole number" \
  bench scenario "$small" --kernel-events 18446744073709551615
"$ecsim" bench pingpong --actors 2 --messages 3 --json > "$tmp/out"
grep -q '"messages":3' "$tmp/out"; check $? 0 "pingpong of an odd count of messages sends them all"
# explore: a run too short to reach any point passed, printing "every point
# of  was reached"; a restart due after the end was reported as done.
printf 'name: tiny\nduration: 1ms\ntopology: { edge: 1, core: 1, cloud: 3 }\nworkload:\n  - { kind: requests, rate: 1/s }\n' \
  > "$tmp/tiny.yaml"
timeout 60 "$ecsim" explore "$tmp/tiny.yaml" --crash-points --jobs 2 --out-dir "$tmp" > "$tmp/out" 2>&1
check $? 1 "explore with no point reached: exit 1"
grep -q "nothing to explore: the unfaulted run reached no protocol point" "$tmp/out"; check $? 0 "... saying why"
sed -e 's/duration: 1ms/duration: 2s/' -e 's/rate: 1\/s }/rate: 5\/s, until: 500ms }/' "$tmp/tiny.yaml" > "$tmp/short.yaml"
timeout 120 "$ecsim" explore "$tmp/short.yaml" --crash-points --jobs 2 --out-dir "$tmp" --restart-after 1h --json \
  > "$tmp/out" 2>&1
python3 - "$tmp/out" <<'PY'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if '"crashes"' in l]
outcomes = {r["outcome"] for r in rows}
print("outcomes:", outcomes)
assert rows and outcomes <= {"crashed, still down", "crashed twice, down", "not reached"}, outcomes
assert "crashed, still down" in outcomes, outcomes
PY
check $? 0 "... and says the crashed nodes stayed down"
# A scenario too short for the swarm to place a fault: every seed ran
# without one and passed (200 of 200 for a 12 s run); refused now.
refused "run --swarm with no room for a fault" "^ecsim: --swarm: the scenario's 5s leave no second for a fault: .* expected a duration of at least 18s" \
  run "$small" --swarm
refused "sweep --swarm with no room for a fault" "^ecsim: --swarm: the scenario's 5s leave no second for a fault" \
  sweep "$small" --swarm --seeds 1 --out-dir "$tmp"
# Pipes (an adversarial pass, 2026-12-07). A trace command opens its file
# twice: a valid trace through a pipe was "bad magic", and a FIFO could wait
# for ever on its second open. sweep and bench scenario read the scenario
# in the parent and again in each child: every seed of a valid scenario
# through a pipe was a "crash" (the child found the pipe empty).
refused "trace hash of a pipe" "^/dev/fd/[0-9]+: a pipe, expected a trace file" trace hash <(cat "$tmp/t.trace")
mkfifo "$tmp/fifo"
refused "trace dump of a FIFO" "^$tmp/fifo: a pipe, expected a trace file" trace dump "$tmp/fifo"
refused "sweep of a pipe" "^ecsim: scenario: '/dev/fd/[0-9]+' is a pipe, and sweep reads the scenario again" \
  sweep <(cat "$small") --seeds 1
refused "bench scenario of a pipe" "^ecsim: scenario: '/dev/fd/[0-9]+' is a pipe, and bench scenario reads" \
  bench scenario <(cat "$small") --runs 1
# A character device (a terminal: the second read waits for more typing;
# /dev/zero never ends, as the first lines show) is refused the same way.
refused "sweep of a character device" "^ecsim: scenario: '/dev/null' is a character device, and sweep reads" \
  sweep /dev/null --seeds 1
# Output that cannot be written (a full disk) exited 0 with nothing written.
if [[ -w /dev/full ]]; then
  for cmd in "run $small --until 1s --json" "trace dump $tmp/t.trace" "plant" "--help" "run --help" "--version"; do
    timeout 20 "$ecsim" $cmd > /dev/full 2> "$tmp/err"; check $? 2 "$cmd into a full disk exits 2"
    # The reason when the last write had one (No space left on device), else "a write failed".
    grep -qE "^ecsim: cannot write standard output: (No space left on device|a write failed)$" "$tmp/err"
    check $? 0 "... and says so in one line: $(cat "$tmp/err")"
  done
fi
exit $fail
