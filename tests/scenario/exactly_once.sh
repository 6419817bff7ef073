#!/usr/bin/env bash
# The exactly_once verdict follows its definition (check/exactly_once.hpp,
# docs/scenarios.md): a slow network and a lossy one are never violations.
# - slow-links.yaml, 200 ms on every link and no drops, UPDATEs resent every
#   5 ms: passes; what is still under way at the end (sent 20 times and
#   more) is in flight, not lost.
# - heavy-loss.yaml, 90 % loss: passes, and the detail counts the
#   undelivered messages as in flight and names the oldest, waiting since
#   the first seconds of the run.
set -u
ecsim=$1; src=$2; fail=0
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
check() { if [[ $1 != "$2" ]]; then echo "FAIL: $3: got '$1', expected '$2'"; fail=1; else echo "ok: $3"; fi; }

# Prints the exactly_once detail's figures; checks that the counts add up.
cat > "$tmp/parse.py" <<'PY'
import json, re, sys
r = json.load(open(sys.argv[1]))
v = {e["name"]: e for e in r["expectations"]}["exactly_once"]
assert v["ok"], v
m = re.match(r"(\d+) messages put on the wire \((\d+) resends\), (\d+) delivered exactly once, 0 delivered again "
             r"to a restarted receiver, none lost or duplicated, (\d+) in flight \(undelivered\) at the end: "
             r"resent on time, no transmission left unanswered by the receiver; the oldest, \S+ -> \S+ message \d+, "
             r"first sent at \S+, undelivered for ([0-9.]+)(s|ms|us) after (\d+) transmissions$", v["detail"])
assert m, v["detail"]
sent, resent, delivered, in_flight = map(int, m.groups()[:4])
age_s = float(m.group(5)) * {"s": 1, "ms": 1e-3, "us": 1e-6}[m.group(6)]
transmissions = int(m.group(7))
assert sent == delivered + in_flight and in_flight > 0, m.groups()
print(in_flight, age_s, transmissions, r["tiers"]["msgq"]["pending"])
PY

# Under the recovery rules (the default) msgq backs off with jitter, up to
# twice the timeout and at least 1 s (docs/model.md, "Recovery"); with
# `model: { recovery: false }` it resends at the fixed timeout.
sed 's/^model:$/model:\n  recovery: false/' "$src/tests/data/scenarios/slow-links.yaml" > "$tmp/slow-fixed.yaml"
{ cat "$src/tests/data/scenarios/heavy-loss.yaml"; echo 'model: { recovery: false }'; } > "$tmp/loss-fixed.yaml"
grep -q 'recovery: false' "$tmp/slow-fixed.yaml"; check $? 0 "slow links: the fixed-interval copy switches recovery off"

"$ecsim" run "$src/tests/data/scenarios/slow-links.yaml" --json > "$tmp/slow.json"; check $? 0 "slow links: the run passes"
read -r in_flight age transmissions pending < <(python3 "$tmp/parse.py" "$tmp/slow.json")
echo "slow links: $in_flight in flight, the oldest undelivered for ${age}s after $transmissions transmissions"
[[ -n $in_flight ]]; check $? 0 "slow links: exactly_once passes and reports the UPDATEs under way"
# Waits of 5, 5-10, 10-20, 20-40, 40-80 and 80-160 ms: 4 to 8 transmissions in a round trip.
python3 -c "import sys; sys.exit(not ($age < 0.4 and 4 <= $transmissions <= 8))"
check $? 0 "slow links: the oldest is younger than a round trip, backed off to 4..8 transmissions"

"$ecsim" run "$tmp/slow-fixed.yaml" --json > "$tmp/slow-fixed.json"; check $? 0 "slow links, fixed resends: the run passes"
read -r in_flight age transmissions pending < <(python3 "$tmp/parse.py" "$tmp/slow-fixed.json")
echo "slow links, fixed resends: $in_flight in flight, the oldest undelivered for ${age}s after $transmissions transmissions"
python3 -c "import sys; sys.exit(not ($age < 0.4 and $transmissions >= 20))"
check $? 0 "slow links, fixed resends: the oldest is younger than a round trip, sent 20 times or more"

"$ecsim" run "$src/tests/data/scenarios/heavy-loss.yaml" --json > "$tmp/loss.json"; check $? 0 "heavy loss: the run passes"
read -r in_flight age transmissions pending < <(python3 "$tmp/parse.py" "$tmp/loss.json")
echo "heavy loss: $in_flight in flight (msgq: $pending un-ACKed), the oldest undelivered for ${age}s after $transmissions transmissions"
[[ -n $in_flight ]]; check $? 0 "heavy loss: exactly_once passes and reports the undelivered messages"
# Writes ran for the first 10 s of 60: the oldest waited over 50 s, resent
# after 5 s and then every 5 to 10 s (backoff capped at 10 s). Every
# undelivered message is also un-ACKed at its sender.
python3 -c "import sys; sys.exit(not ($in_flight > 100 and $age > 50 and 6 <= $transmissions <= 11 and $pending >= $in_flight))"
check $? 0 "heavy loss: hundreds undelivered, the oldest for over 50 s, resent every 5 to 10 s"

"$ecsim" run "$tmp/loss-fixed.yaml" --json > "$tmp/loss-fixed.json"; check $? 0 "heavy loss, fixed resends: the run passes"
read -r in_flight age transmissions pending < <(python3 "$tmp/parse.py" "$tmp/loss-fixed.json")
echo "heavy loss, fixed resends: $in_flight in flight, the oldest undelivered for ${age}s after $transmissions transmissions"
python3 -c "import sys; sys.exit(not ($in_flight > 100 and $age > 50 and $transmissions >= 10 and $pending >= $in_flight))"
check $? 0 "heavy loss, fixed resends: the oldest resent every 5 s"
exit $fail
