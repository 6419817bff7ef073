#!/usr/bin/env bash
# The scenario's `model` section reaches the tiers: the same cluster and
# load with 2 pooled connections per edge -> core pair instead of the
# default 32 queues its requests for connections and misses the core SLA;
# without the section it meets it.
set -u
ecsim=$1; src=$2; fail=0
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
check() { if [[ $1 != "$2" ]]; then echo "FAIL: $3: got '$1', expected '$2'"; fail=1; else echo "ok: $3"; fi; }
small=$src/tests/data/scenarios/small-pool.yaml
"$ecsim" run "$small" > "$tmp/small"; check $? 1 "a 2-connection pool misses the core SLA"
grep -qE '^    FAIL  latency_p99.core ' "$tmp/small"; check $? 0 "the core latency verdict fails"
sed '/^model:/,$d' "$small" > "$tmp/default.yaml"
"$ecsim" run "$tmp/default.yaml" > "$tmp/default"; check $? 0 "the default pool meets it"
opened() { sed -nE 's/.*connections ([0-9]+) opened.*/\1/p' "$1"; }
small_opened=$(opened "$tmp/small"); default_opened=$(opened "$tmp/default")
echo "connections opened: pool of 2: $small_opened, default pool: $default_opened"
# Without the recovery rules, every call that times out on a busy connection
# closes it and the next call pays a new handshake: the small pool churns.
# With them (docs/model.md, "Recovery"), a freed connection serves the newest
# waiting call, which rarely times out on it, and the pool stays as it was.
{ cat "$small"; echo "  recovery: false"; } > "$tmp/small-off.yaml"
"$ecsim" run "$tmp/small-off.yaml" > "$tmp/small-off"; check $? 1 "without recovery the small pool misses it too"
off_opened=$(opened "$tmp/small-off")
echo "connections opened: pool of 2 without recovery: $off_opened"
[[ $off_opened -gt $((10 * default_opened)) ]]; check $? 0 "without recovery the small pool churns through connections"
[[ $small_opened -le $default_opened ]]; check $? 0 "with recovery the small pool does not churn"
exit $fail
