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
refused "trace hash /dev/zero" "^/dev/zero: not an ecsim trace file \(bad magic\)" trace hash /dev/zero
refused "trace dump /dev/zero" "^/dev/zero: not an ecsim trace file" trace dump /dev/zero
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
"$ecsim" trace replay "$tmp/m.trace" > "$tmp/out" 2>&1; check $? 0 "a header without memory_max replays (the default)"
header "$tmp/u.trace" until_ns 0
refused "until_ns 0" "^$tmp/u.trace: corrupted header: 'until_ns' is 0, expected an integer 1..86400000000000" trace replay "$tmp/u.trace"
for v in '"x"' '[1,2,3]'; do
  header "$tmp/n.trace" nodes "$v"
  refused "nodes $v, trace hash" "^$tmp/n.trace: corrupted header: 'nodes' is .*, expected the node names by id" trace hash "$tmp/n.trace"
  refused "nodes $v, trace dump --node" "corrupted header: 'nodes'" trace dump "$tmp/n.trace" --node core-1
done
header "$tmp/n.trace" nodes null
refused "no nodes, trace latency" "^$tmp/n.trace: corrupted header: no 'nodes'$" trace latency "$tmp/n.trace" --from edge-1 --to core-1
# A header scenario that does not load is named as the trace's, not as the
# file on disk it once came from (which may be fine).
header "$tmp/s.trace" scenario '"name: x\n"'
refused "a bad scenario in the header" "\(the scenario in $tmp/s.trace's header\):1:1: missing key 'duration'" \
  trace replay "$tmp/s.trace"

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
exit $fail
