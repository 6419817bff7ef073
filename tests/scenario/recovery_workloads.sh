#!/usr/bin/env bash
# recovers_within judges each workload apart (an adversarial pass,
# 2026-12-07): pooled, a workload stopping (`until`) while another sends on
# changed the mix of the seconds after it, and a run whose workloads each
# held their own level failed; and a small site down for good beside a
# large one vanished in the pooled ratio.
set -u
ecsim=$1; fail=0
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
check() { if [[ $1 != "$2" ]]; then echo "FAIL: $3: got '$1', expected '$2'"; fail=1; else echo "ok: $3"; fi; }

# edge-1's clients give reads and writes 20 ms (about 63 % served: a level of
# its own), edge-2's all the time they need (100 %) until 25 s; a harmless
# fault. Pooled, the level was about 81 % and the seconds after 25 s held
# edge-1's 63 % alone.
cat > "$tmp/stops.yaml" <<'EOF2'
name: mix-stops
duration: 40s
network: { links: [{ between: [core, cloud], latency: { lognormal: { median: 3ms, p99: 12ms } } }] }
workload:
  - { kind: requests, at: edge-1, rate: 300/s, mix: { session_check: 0, read: 1, write: 1 }, timeout: 20ms }
  - { kind: requests, at: edge-2, rate: 300/s, until: 25s }
faults: [{ at: 10s, crash: edge-3, for: 2s }]
expect: { recovers_within: 5s }
EOF2
for seed in 1 2 3; do
  "$ecsim" run "$tmp/stops.yaml" --seed "$seed" > "$tmp/stops.out" 2>&1; check $? 0 "stops seed $seed: passes"
done
grep -q "ok    recovers_within       requests workload 1 (at edge-1): served ratio back from 12s" "$tmp/stops.out"
check $? 0 "stops: workload 1 judged on its own level"
grep -q "; requests workload 2 (at edge-2): served ratio back from 12s .* over the 13 seconds judged" "$tmp/stops.out"
check $? 0 "stops: workload 2 judged up to its until (12 s to 25 s)"

# A small site down for good beside a large one: 20 of 1020 requests a second.
cat > "$tmp/down.yaml" <<'EOF2'
name: small-site-down
duration: 30s
workload:
  - { kind: requests, at: edge-1, rate: 20/s }
  - { kind: requests, at: edge-2, rate: 1000/s }
faults: [{ at: 10s, crash: edge-1 }]
expect: { recovers_within: 5s }
EOF2
"$ecsim" run "$tmp/down.yaml" > "$tmp/down.out" 2>&1; check $? 1 "down: fails"
grep -q "FAIL  recovers_within       requests workload 1 (at edge-1): served ratio not back by the end of the run at 30s" "$tmp/down.out"
check $? 0 "down: names the small site's workload first"

# Each workload too small to measure a level, though together they would
# have been enough: refused, each one's reason given.
cat > "$tmp/few.yaml" <<'EOF2'
name: few-each
duration: 40s
workload:
  - { kind: requests, at: edge-1, rate: 8/s, timeout: 5s }
  - { kind: requests, at: edge-2, rate: 8/s, timeout: 5s }
faults: [{ at: 6s, crash: edge-3, for: 1s }]
expect: { recovers_within: 5s }
EOF2
"$ecsim" validate "$tmp/few.yaml" > "$tmp/few.out" 2>&1; check $? 2 "few: refused"
grep -q "few.yaml:7:11: expect.recovers_within can never be judged: requests workload 1 (at edge-1): the first fault window begins at 6s, .*; requests workload 2 (at edge-2): the first fault" "$tmp/few.out"
check $? 0 "few: names both workloads ($(head -c 150 "$tmp/few.out"))"
# One of them judgeable is enough: the other is reported as not judged.
sed -e '0,/rate: 8\/s/s//rate: 200\/s/' "$tmp/few.yaml" > "$tmp/one.yaml"
"$ecsim" run "$tmp/one.yaml" > "$tmp/one.out" 2>&1; check $? 0 "one of two judgeable: runs and passes"
grep -q "; not judged: requests workload 2 (at edge-2): nothing to judge" "$tmp/one.out"
check $? 0 "one of two judgeable: the other not judged, said so"

# A workload stopping before the deadline (the last window's end plus
# recovers_within) is judged only on seconds inside the allowance: not back
# in them is not "not back in time" (20 seeds of 20 failed on a blip's
# transient). Not judged; the other workload decides.
cat > "$tmp/before.yaml" <<'EOF2'
name: stops-before-deadline
duration: 30s
network: { links: [{ between: [core, cloud], latency: { lognormal: { median: 15ms, p99: 60ms } } }] }
workload:
  - { kind: requests, at: edge, rate: 800/s, mix: { session_check: 20, read: 20, write: 60 } }
  - { kind: requests, at: edge-1, rate: 300/s, mix: { session_check: 20, read: 20, write: 60 }, until: 11s }
faults:
  - { at: 9.7s, drop: { between: [core, cloud], rate: 1 }, for: 300ms }
expect: { recovers_within: 5s }
EOF2
"$ecsim" run "$tmp/before.yaml" > "$tmp/before.out" 2>&1; check $? 0 "stops before the deadline: passes"
grep -q "not judged: requests workload 2 (at edge-1): nothing to judge: the judged seconds end at 11s (the clients' stop at 11s), and none begins at or after the deadline at 15s" "$tmp/before.out"
check $? 0 "stops before the deadline: not judged, said why"

# A site down for good whose clients wait 20 s in a 30 s run: its requests
# fail at once (the edge node is down), so they are settled; the judged
# seconds end at the first one with a request still waiting at the end, not
# a whole timeout before the end (this passed 10 seeds of 10, 'not judged').
cat > "$tmp/long.yaml" <<'EOF2'
name: long-timeout-down
duration: 30s
workload:
  - { kind: requests, at: edge-1, rate: 1000/s }
  - { kind: requests, at: edge-2, rate: 500/s, timeout: 20s }
faults: [{ at: 10s, crash: edge-2 }]
expect: { recovers_within: 5s }
EOF2
"$ecsim" run "$tmp/long.yaml" > "$tmp/long.out" 2>&1; check $? 1 "long timeout, down for good: fails"
grep -q "FAIL  recovers_within       requests workload 2 (at edge-2): served ratio not back by the end of the run at 30s" "$tmp/long.out"
check $? 0 "long timeout, down for good: names the workload"
# Healthy, the same long timeout judges seconds up to near the end.
sed -e 's/crash: edge-2 }/crash: edge-3, for: 1s }/' "$tmp/long.yaml" > "$tmp/long-ok.yaml"
"$ecsim" run "$tmp/long-ok.yaml" > "$tmp/long-ok.out" 2>&1; check $? 0 "long timeout, healthy: passes"
grep -q "; requests workload 2 (at edge-2): served ratio back from 11s" "$tmp/long-ok.out"
check $? 0 "long timeout, healthy: judged"

# One workload's slow answers (13 s, through a delayed link) once set how
# long before the end every workload's seconds stopped being judged (twice
# the longest ok answer), and a site down for good from 27 s in a 55 s run (60 s here, so that validate sees a second to judge after the 32 s deadline)
# was "not judged" and passed, 10 seeds of 10. The judged seconds now end
# at the first second with a request of that workload still waiting.
cat > "$tmp/slow.yaml" <<'EOF2'
name: slow-beside-down
duration: 60s
model: { rpc: { timeout: 60s } }
workload:
  - { kind: requests, at: edge-2, rate: 200/s, timeout: 26s }
  - { kind: requests, at: edge-1, rate: 200/s, timeout: 1h }
faults:
  - { at: 10s, delay: { between: [edge-2, core], latency: { constant: 13s } }, for: 500ms }
  - { at: 27s, crash: edge-1 }
expect: { recovers_within: 5s }
EOF2
"$ecsim" run "$tmp/slow.yaml" > "$tmp/slow.out" 2>&1; check $? 1 "slow beside down: fails"
grep -q "FAIL  recovers_within       requests workload 2 (at edge-1): served ratio not back by the end of the run at 60s" "$tmp/slow.out"
check $? 0 "slow beside down: names the site down"
# Cut short by --until at the deadline, that workload is undecided: the
# verdict has nothing to judge (it passed on the healthy one).
"$ecsim" run "$tmp/long.yaml" --until 15s > "$tmp/cut.out" 2>&1; check $? 1 "cut at the deadline: fails"
grep -q "FAIL  recovers_within       nothing to judge: requests workload 2 (at edge-2): the judged seconds end at 15s (the end of the run at 15s), and none begins at or after the deadline at 15s" "$tmp/cut.out"
check $? 0 "cut at the deadline: nothing to judge, said why"
# Cut inside a window (a crash of edge-3 from 10s to 11s), the window ends
# at the cut; the detail says that the scenario's runs on (before
# 2026-12-07 it gave the cut as the last window's end without a word).
sed -e 's/crash: edge-2 }/crash: edge-3, for: 1s }/' "$tmp/long.yaml" > "$tmp/inside.yaml"
"$ecsim" run "$tmp/inside.yaml" --until 10.5s > "$tmp/inside.out" 2>&1
grep -q "; the run ended at 10.5s (--until), inside a fault window the scenario ends at 11s$" "$tmp/inside.out"
check $? 0 "cut inside a window: says the scenario's window runs on"
"$ecsim" run "$tmp/inside.yaml" --until 12s > "$tmp/after.out" 2>&1
grep -q "inside a fault window" "$tmp/after.out"
check $? 1 "cut after the window: no such words"
# ... nor between two windows, with the later one not begun (the words
# named the later window's end: an adversarial pass).
sed -e 's/crash: edge-2 }/crash: edge-3, for: 1s }, { at: 20s, crash: edge-3, for: 1s }/' "$tmp/long.yaml" > "$tmp/two.yaml"
"$ecsim" run "$tmp/two.yaml" --until 14s > "$tmp/between.out" 2>&1
grep -q "inside a fault window" "$tmp/between.out"
check $? 1 "cut between two windows: no such words"
"$ecsim" run "$tmp/two.yaml" --until 20.5s > "$tmp/second.out" 2>&1
grep -q "; the run ended at 20.5s (--until), inside a fault window the scenario ends at 21s$" "$tmp/second.out"
check $? 0 "cut inside the second window: said"
exit $fail
