#!/usr/bin/env bash
# Each fault of tests/data/scenarios/faults.yaml bites only inside its
# window, on the links or nodes it names, and reverts at the end of `for`.
# Checked from the trace records, not from the summary.
set -u
ecsim=$1; src=$2
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
"$ecsim" run "$src/tests/data/scenarios/faults.yaml" --trace "$tmp/t.trace" --quiet > /dev/null || { echo "FAIL: run"; exit 1; }
"$ecsim" trace dump "$tmp/t.trace" > "$tmp/records.jsonl" || { echo "FAIL: dump"; exit 1; }
python3 - "$tmp/records.jsonl" <<'PY'
import json, sys
S = 1_000_000_000
# node ids: edge-1 0, edge-2 1, core-1 2, core-2 3, cloud-1 4, cloud-2 5
EDGE, CORE, CLOUD = {0, 1}, {2, 3}, {4, 5}
recs = [json.loads(l) for l in open(sys.argv[1])]
fails = []
def expect(cond, what):
    print(("ok: " if cond else "FAIL: ") + what)
    if not cond: fails.append(what)

sends = {r["a"]: r for r in recs if r["type"] == "send"}
def between(r, a, b):
    return (r["node"] in a and r["peer"] in b) or (r["node"] in b and r["peer"] in a)

# 1. drop 50 % between edge and core in [1s, 2s): random drops only there.
rnd = [r for r in recs if r["type"] == "drop" and r["code"] == 1]
expect(all(1 * S <= r["t_ns"] < 2 * S and between(r, EDGE, CORE) for r in rnd), "random drops only edge<->core in [1s, 2s)")
in_window = [s for s in sends.values() if 1 * S <= s["t_ns"] < 2 * S and between(s, EDGE, CORE)]
ratio = len(rnd) / max(1, len(in_window))
expect(0.4 < ratio < 0.6, f"about half the window's edge<->core messages dropped ({ratio:.3f})")

# 2. delay core<->cloud 20 ms in [2.5s, 3.5s): deliveries take 20 ms there, 1 ms elsewhere.
lat = [(sends[r["a"]]["t_ns"], r["t_ns"] - sends[r["a"]]["t_ns"]) for r in recs
       if r["type"] == "deliver" and between(r, CORE, CLOUD)]
inside = [d for t, d in lat if 2.5 * S <= t < 3.5 * S]
# FIFO: messages sent just after the revert queue behind the slow ones.
outside = [d for t, d in lat if not (2.5 * S - 0.05 * S <= t < 3.5 * S + 0.025 * S)]
expect(inside and min(inside) >= 20_000_000, "delayed links take >= 20ms inside the window")
expect(outside and max(outside) <= 1_000_000, "and 1ms outside it (the delay reverted)")

# 3. partition edge-1 | rest in [4s, 5s): partition drops only across the cut, only then.
part = [r for r in recs if r["type"] == "drop" and r["code"] == 2]
expect(part and all(4 * S <= r["t_ns"] < 5 * S and (r["node"] == 0) != (r["peer"] == 0) for r in part),
       "partition drops only on edge-1's links in [4s, 5s)")
ok_inside = [r for r in recs if r["type"] == "deliver" and 4 * S + 0.01 * S <= r["t_ns"] < 5 * S and (r["node"] == 0) != (r["peer"] == 0)]
expect(not ok_inside, "nothing crosses the cut")

# 4. crash core-2 at 5.5s for 1s: crash and restart records; nothing delivered to it meanwhile.
crash = [r for r in recs if r["type"] == "crash"]
restart = [r for r in recs if r["type"] == "restart"]
expect([(r["node"], r["t_ns"]) for r in crash] == [(3, int(5.5 * S))], "core-2 crashes at 5.5s")
expect([(r["node"], r["t_ns"]) for r in restart] == [(3, int(6.5 * S))], "and restarts at 6.5s")
to_down = [r for r in recs if r["type"] == "deliver" and r["node"] == 3 and 5.5 * S <= r["t_ns"] < 6.5 * S]
expect(not to_down, "no delivery to core-2 while down")

# 5. duplicate core-1 <-> cloud-1 at 7s for 500ms: every message there duplicated, none elsewhere.
dup = [r for r in recs if r["type"] == "duplicate"]
c1c1 = [s for s in sends.values() if 7 * S <= s["t_ns"] < 7.5 * S and between(s, {2}, {4})]
expect(len(dup) == len(c1c1) > 0, f"{len(dup)} duplicates for {len(c1c1)} sends in the window")
expect(all(7 * S <= r["t_ns"] < 7.5 * S for r in dup), "duplicates only inside the window")

# 6. fault records: 5 applied and 5 reverted.
f = [r for r in recs if r["type"] == "fault"]
expect(sum(r["b"] for r in f) == 5 and len(f) == 10, "5 faults applied and reverted")
sys.exit(1 if fails else 0)
PY
