#!/usr/bin/env bash
# `ecsim run --no-hash` (issue 10): the same run, its records counted but not
# hashed; the summary says the hash was not computed; --trace, whose file
# ends with the hash, is refused.
set -u
ecsim=$1; src=$2; fail=0
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
check() { if [[ $1 != "$2" ]]; then echo "FAIL: $3: got '$1', expected '$2'"; fail=1; else echo "ok: $3"; fi; }
small=$src/tests/data/scenarios/small.yaml

"$ecsim" run "$small" --json > "$tmp/hashed.json"; check $? 0 "run small.yaml"
"$ecsim" run "$small" --json --no-hash > "$tmp/unhashed.json"; check $? 0 "run small.yaml --no-hash"
python3 - "$tmp/hashed.json" "$tmp/unhashed.json" <<'PY'
import json, sys
h, u = (json.load(open(f)) for f in sys.argv[1:])
assert h["hashed"] is True and h["trace_hash"].startswith("0x"), h["trace_hash"]
assert u["hashed"] is False and u["trace_hash"] is None, (u["hashed"], u["trace_hash"])
# The run itself is the same: events, records, messages and verdicts.
for k in ["events", "records", "messages", "expectations", "verdict"]:
    assert h[k] == u[k], k
assert u["records"] > 0
PY
check $? 0 "--no-hash: same events, records and verdicts; JSON says hashed false, trace_hash null"

"$ecsim" run "$small" --no-hash > "$tmp/out"; check $? 0 "--no-hash summary"
check "$(tail -n 1 "$tmp/out")" "trace hash: not computed (--no-hash)" "the summary says the hash was not computed"
"$ecsim" run "$small" --no-hash --quiet > "$tmp/out"; check $? 0 "--no-hash --quiet"
check "$(tail -n 1 "$tmp/out")" "trace hash: not computed (--no-hash)" "--quiet says it too"

"$ecsim" run "$small" --no-hash --trace "$tmp/t.trace" > /dev/null 2> "$tmp/err"; check $? 2 "--no-hash --trace exits 2"
check "$(wc -l < "$tmp/err")" 1 "one line"
grep -q -- "--no-hash: a --trace file carries the trace hash" "$tmp/err"; check $? 0 "the error says why"
[[ ! -e $tmp/t.trace ]]; check $? 0 "no trace file is left behind"
exit $fail
