#!/usr/bin/env bash
# An SLA check must be able to fail: overload.yaml offers three times the
# nominal load and must exit 1 naming the missed core latency SLA, while
# three-tier.yaml at the nominal load meets both SLAs.
set -u
ecsim=$1; src=$2; fail=0
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
check() { if [[ $1 != "$2" ]]; then echo "FAIL: $3: got '$1', expected '$2'"; fail=1; else echo "ok: $3"; fi; }
. "$src/tests/examples/lib.sh"
example_json overload "$tmp/json"; rc=$?; check $rc 1 "overload exits 1"
example_lines "$tmp/json" $rc > "$tmp/out"
grep -qE '^    FAIL  latency_p99.core ' "$tmp/out"; check $? 0 "the core p99 SLA is reported missed"
grep -qE '^    FAIL  served_ratio_min ' "$tmp/out"; check $? 0 "and the served ratio"
example_json three-tier "$tmp/json"; rc=$?; check $rc 0 "nominal load passes"
example_lines "$tmp/json" $rc > "$tmp/out"
grep -qE '^    ok    latency_p99.edge ' "$tmp/out"; check $? 0 "edge p99 SLA met"
grep -qE '^    ok    latency_p99.core ' "$tmp/out"; check $? 0 "core p99 SLA met"
exit $fail
