#!/usr/bin/env bash
# Every counter of the run summary (run --json) reconciles with the trace
# of the same run, on a crash loop under load (tests/data/scenarios/
# crash-loop.yaml): messages sent + duplicated = delivered + dropped + in
# flight, a message lost in a crashed node's service queue counts as
# dropped and not as delivered, and the counters of nodes that crashed
# (the replicas' refusals, RPC and msgq) are kept for the whole run.
# Every counter of the `messages`, `tiers.rpc` and `tiers.msgq` objects is
# reconciled (a new one fails the test until it is), with the definitions
# of docs/scenarios.md ("Message counters", "RPC and msgq counters"): RPC
# calls, retries, timeouts and resets by their rpc.attempt records, reused
# and open connections by rpc.conn (a crash closes its node's connections
# without a record), msgq accepted and pending by msgq.accepted and
# msgq.acked, suspicions by edge.suspect, lost disk entries by disk_loss,
# limits by limit_reached.
set -u
ecsim=$1; src=$2
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
"$ecsim" run "$src/tests/data/scenarios/crash-loop.yaml" --json --trace "$tmp/t.trc" > "$tmp/run.json"
rc=$?
if [ "$rc" -ne 0 ] && [ "$rc" -ne 1 ]; then echo "FAIL: run exit $rc"; exit 1; fi
"$ecsim" trace dump "$tmp/t.trc" > "$tmp/records.jsonl" || { echo "FAIL: trace dump"; exit 1; }
python3 - "$tmp/run.json" "$tmp/records.jsonl" <<'PY'
import json, sys
from collections import Counter
run = json.load(open(sys.argv[1]))
types, drops, sends_by_kind, refused_by_code = Counter(), Counter(), Counter(), Counter()
msgq_first, msgq_again, rpc_ok, rpc_failed, conn_opened, absorbed, ignored = 0, 0, 0, 0, 0, 0, Counter()
faults_applied, bytes_sent, forged_sent, unreachable, shed = 0, 0, 0, 0, 0
attempts, conn_events, disk_lost, limits_seen = Counter(), Counter(), 0, {}
# What a node holds that its crash takes away without a record: its open
# connections, its live calls, its accepted and un-ACKed msgq messages.
open_conns, live_calls, msgq_pending = {}, {}, {}
lost_calls, retried, retries_sent, retries_unmatched = 0, set(), 0, 0
edges = {0, 1, 2}  # edge-1..3: the first node ids
detail = {"drop", "send", "storage.refused", "msgq.send", "msgq.ignored", "rpc.done", "rpc.conn", "rpc.serve", "fault",
          "rpc.attempt", "rpc.call", "msgq.accepted", "msgq.acked", "crash", "disk_loss", "limit_reached"}
for line in open(sys.argv[2]):
    i = line.index('"type":"') + 8
    t = line[i:line.index('"', i)]
    types[t] += 1
    if t not in detail: continue
    r = json.loads(line)
    if t == "drop": drops[r["code"]] += 1
    elif t == "send":
        sends_by_kind[r["kind"]] += 1
        bytes_sent += r["b"]
        if r["kind"] == 11 and r["node"] in edges: forged_sent += 1
    elif t == "storage.refused": refused_by_code[r["code"]] += 1
    elif t == "msgq.send":
        if r["b"] == 1: msgq_first += 1
        else: msgq_again += 1
    elif t == "msgq.ignored": ignored[r["code"]] += 1
    elif t == "rpc.done":
        if r["code"] == 0: rpc_ok += 1
        else: rpc_failed += 1
        if r["code"] == 2: unreachable += 1
        if r["code"] == 3: shed += 1
    elif t == "rpc.conn" and r["code"] == 1: conn_opened += 1
    elif t == "rpc.serve" and r["code"] in (2, 3): absorbed += 1
    elif t == "fault" and r["b"] == 1: faults_applied += 1
    n = r["node"]
    if t == "rpc.attempt":
        attempts[r["code"]] += 1
        if r["code"] == 1: live_calls.setdefault(n, set()).add(r["a"])
        if r["code"] == 2: retried.add((n, r["a"], r["b"]))
    elif t == "rpc.call" and r["b"] > 1:
        retries_sent += 1
        if (n, r["a"], r["b"]) not in retried: retries_unmatched += 1
    elif t == "rpc.done": live_calls.get(n, set()).discard(r["a"])
    elif t == "rpc.conn":
        conn_events[r["code"]] += 1
        if r["code"] == 1: open_conns.setdefault(n, set()).add(r["a"])
        elif r["code"] == 3: open_conns.get(n, set()).discard(r["a"])
    elif t == "msgq.accepted": msgq_pending.setdefault(n, set()).add((r["peer"], r["a"]))
    elif t == "msgq.acked": msgq_pending.get(n, set()).discard((r["peer"], r["a"]))
    elif t == "crash":
        lost_calls += len(live_calls.pop(n, ()))
        open_conns.pop(n, None)
        msgq_pending.pop(n, None)
    elif t == "disk_loss": disk_lost += r["kind"]
    elif t == "limit_reached":
        first = limits_seen.setdefault(r["code"], {"first_ns": r["t_ns"], "max": r["a"], "b": 0})
        first["b"] = r["b"]
fails = []
def same(what, summary, trace):
    if summary != trace: fails.append(f"{what}: summary {summary}, trace {trace}")
m = run["messages"]
reasons = {"random": 1, "partition": 2, "node_down": 3, "link_reset": 4, "sender_down": 5, "overload": 6}
same("records", run["records"], sum(types.values()))
same("messages.sent", m["sent"], types["send"])
same("messages.bytes_sent", m["bytes_sent"], bytes_sent)
same("messages.duplicated", m["duplicated"], types["duplicate"])
same("messages.dropped", m["dropped"], types["drop"])
for name, code in reasons.items():
    same(f"messages.dropped_by_reason.{name}", m["dropped_by_reason"][name], drops[code])
# Delivered: taken by the receiver's actor, which records clock_recv for
# each (a message refused by a full queue, or lost in the queue of a node
# that crashed, has a deliver record -- its arrival -- and a drop record).
same("messages.delivered", m["delivered"], types["vclock.recv"])
same("messages.in_flight", m["in_flight"], m["sent"] + m["duplicated"] - m["delivered"] - m["dropped"])
if m["in_flight"] < 0 or m["in_flight"] > 5000: fails.append(f"messages.in_flight {m['in_flight']} out of range")
if drops[reasons["node_down"]] == 0: fails.append("no node_down drops: the scenario no longer exercises crashes")
same("crashes", run["crashes"], types["crash"])
same("disk_entries_lost", run["disk_entries_lost"], disk_lost)
if disk_lost == 0: fails.append("no disk entries lost: the scenario no longer exercises un-synced writes")
# A limit's record is written on its 1st, 2nd, 4th, 8th, ... reach: the
# last record's count b bounds the summary's from below, 2 b from above.
same("limits", len(run["limits"]), len(limits_seen))
for l in run["limits"]:
    seen = [x for x in limits_seen.values() if (x["first_ns"], x["max"]) == (l["first_ns"], l["max"])]
    if len(seen) != 1 or not seen[0]["b"] <= l["reached"] < 2 * seen[0]["b"]:
        fails.append(f"limit {l['name']}: reached {l['reached']}, records {seen}")
same("restarts", run["restarts"], types["restart"])
same("faults_applied", run["faults_applied"], faults_applied)
t = run["tiers"]
f = t["forged_writes"]
same("forged_writes.sent", f["sent"], forged_sent)
same("forged_writes.replica_refusals", f["replica_refusals"], refused_by_code[1])
same("forged_writes.replica_counters", f["replica_counters"], refused_by_code[1])
if f["sent"] == 0 or f["refused"] == 0: fails.append("no forged writes: the scenario no longer exercises them")
rpc = t["rpc"]
same("rpc.ok", rpc["ok"], rpc_ok)
same("rpc.failed", rpc["failed"], rpc_failed)
same("rpc.unreachable", rpc["unreachable"], unreachable)
# Shed: a call refused at once because its destination's queue was full
# (rpc.done with code 3, queue full), at its first attempt or a retry.
same("rpc.shed", rpc["shed"], shed)
same("rpc.connections_opened", rpc["connections_opened"], conn_opened)
same("rpc.duplicates_absorbed", rpc["duplicates_absorbed"], absorbed)
same("rpc.handshake_messages", rpc["handshake_messages"], sends_by_kind[14])
same("rpc.calls", rpc["calls"], attempts[1])
# A call ends in one rpc.done, or is live at the end, or died with its node.
live = sum(len(x) for x in live_calls.values())
same("rpc.calls - ok - failed", rpc["calls"] - rpc["ok"] - rpc["failed"], live + lost_calls)
# Retries: further attempts begun after a backoff, sent or not (a retry
# shed at once, or timed out, reset or crashed before its request left, is
# a retry too); each retried request sent (rpc.call, attempt > 1) is one.
same("rpc.retries", rpc["retries"], attempts[2])
same("rpc.retried requests without a retry record", 0, retries_unmatched)
if not 0 < retries_sent < attempts[2]: fails.append(f"rpc.retries: {retries_sent} sent of {attempts[2]}: not exercised")
same("rpc.timeouts", rpc["timeouts"], attempts[3])
same("rpc.resets", rpc["resets"], attempts[4])
same("rpc.connections_reused", rpc["connections_reused"], conn_events[4])
same("rpc.open_connections", rpc["open_connections"], sum(len(x) for x in open_conns.values()))
same("rpc.cores_suspected", rpc["cores_suspected"], types["edge.suspect"])
for k in ("timeouts", "resets", "cores_suspected"):
    if rpc[k] == 0: fails.append(f"rpc.{k} is 0: the scenario no longer exercises it")
q = t["msgq"]
same("msgq.sent", q["sent"], msgq_first)
same("msgq.resent", q["resent"], msgq_again)
same("msgq.acked", q["acked"], types["msgq.acked"])
same("msgq.delivered", q["delivered"], types["msgq.deliver"])
same("msgq.refused", q["refused"], ignored[1])
same("msgq.duplicates", q["duplicates"], ignored[2])
same("msgq.accepted", q["accepted"], types["msgq.accepted"])
same("msgq.pending", q["pending"], sum(len(x) for x in msgq_pending.values()))
checked = {"messages": set(m), "rpc": {"calls", "ok", "failed", "unreachable", "shed", "connections_opened",
           "duplicates_absorbed", "handshake_messages", "retries", "timeouts", "resets", "connections_reused",
           "open_connections", "cores_suspected"},
           "msgq": {"sent", "resent", "acked", "delivered", "refused", "duplicates", "accepted", "pending"}}
for what, have in (("rpc", rpc), ("msgq", q)):
    for k in sorted(set(have) - checked[what]): fails.append(f"{what}.{k}: a counter this test does not reconcile")
same("tiers.refusals", sum(t["refusals"].values()), types["auth.refused"])
for x in fails: print("FAIL:", x)
if fails: sys.exit(1)
print(f"ok: {len(m)} message counters and the tier counters reconcile with {sum(types.values())} records "
      f"({drops[3]} node_down drops, {f['replica_refusals']} replica refusals)")
PY
