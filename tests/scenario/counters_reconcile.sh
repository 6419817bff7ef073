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
# The rest of the summary reconciles too, with the definitions of
# docs/scenarios.md ("Summary counters"): the tier rows' requests, ok,
# refused, failed, lost and unsettled and the answered-late count by
# client.end, the clients' offered and served by client.start and
# client.end, cache hits and misses by edge.lookup, stale reads and the
# staleness maxima by edge.stale_read, rehydrations by edge.rehydration,
# crash and edge.lookup, catch-ups by restart, crash and storage.catch_up,
# the cloud row by storage.quorum, the forged writes' fate message by
# message (send, deliver, drop, vclock.recv, storage.refused,
# storage.write, end.writer), every protocol point by the record written at
# its step, the trace hash by `ecsim trace hash`. The rows' percentiles
# and staleness_ns_p99 reconcile with the latencies of client.end, cloud.op
# and edge.stale_read: the reported value is the nearest-rank value rounded
# up to its histogram bucket (at most 1/64 above it); `max_ns` exactly.
# Out of scope (not counts of traced events, or no record carries them):
# - `events` (and `events_per_s`): the kernel's dispatched queue entries,
#   a measure of the simulator's work: they include cancelled timers
#   (cancellation is lazy: the entry stays queued and is skipped without a
#   record) and syncs a crash made void, and many records are not one
#   event's alone (a clock_recv is written by a service completion or by a
#   delivery that needs no queue); the test checks only that it is at
#   least the records written once per event of their own kind (deliver,
#   timer, disk_sync, client.start, fault);
# - `memory` (accounted bytes: a sizing of the model's structures, not
#   events; `max_from` says which setting gave the maximum; `limit_hit`
#   reconciles with a limit_reached record of code 1),
#   `wall_s`, and the run's identity (`ecsim`, `scenario`, `file`, `seed`,
#   `plant`, `hashed`);
# - the verdicts (`verdict`, `expectations`): judgements, tested by each
#   checker's own tests; `throughput[].window_ns` is the clients' sending
#   time from the scenario (checked equal to the run's length here).
# Every field of the JSON is in one of the two lists: a new one fails the
# test until it is reconciled or declared out of scope here.
set -u
ecsim=$1; src=$2
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
"$ecsim" run "$src/tests/data/scenarios/crash-loop.yaml" --json --trace "$tmp/t.trc" > "$tmp/run.json"
rc=$?
if [ "$rc" -ne 0 ] && [ "$rc" -ne 1 ]; then echo "FAIL: run exit $rc"; exit 1; fi
"$ecsim" trace dump "$tmp/t.trc" > "$tmp/records.jsonl" || { echo "FAIL: trace dump"; exit 1; }
"$ecsim" trace hash "$tmp/t.trc" > "$tmp/hash.txt" || { echo "FAIL: trace hash"; exit 1; }
python3 - "$tmp/run.json" "$tmp/records.jsonl" "$tmp/hash.txt" <<'PY'
import json, sys
from collections import Counter, defaultdict
run = json.load(open(sys.argv[1]))
hash_out = open(sys.argv[3]).read()
types, drops, sends_by_kind, refused_by_code = Counter(), Counter(), Counter(), Counter()
msgq_first, msgq_again, rpc_ok, rpc_failed, conn_opened, absorbed, ignored = 0, 0, 0, 0, 0, 0, Counter()
refused_stale = 0
faults_applied, bytes_sent, forged_sent, unreachable, shed = 0, 0, 0, 0, 0
attempts, conn_events, disk_lost, limits_seen = Counter(), Counter(), 0, {}
# What a node holds that its crash takes away without a record: its open
# connections, its live calls, its accepted and un-ACKed msgq messages.
open_conns, live_calls, msgq_pending = {}, {}, {}
lost_calls, retried, retries_sent, retries_unmatched = 0, set(), 0, 0
edges = {0, 1, 2}  # edge-1..3: the first node ids
fails = []
detail = {"drop", "send", "storage.refused", "msgq.send", "msgq.ignored", "rpc.done", "rpc.conn", "rpc.serve", "fault",
          "rpc.attempt", "rpc.call", "msgq.accepted", "msgq.acked", "crash", "disk_loss", "limit_reached",
          "client.start", "client.end", "edge.lookup", "edge.stale_read", "edge.rehydration", "restart",
          "storage.catch_up", "storage.quorum", "storage.write", "storage.ignored", "disk_sync", "dsm.event",
          "deliver", "duplicate", "vclock.recv", "end.writer", "end.acked", "auth.refused", "cloud.op"}
cores, clouds = {3, 4}, {5, 6, 7}  # core-1..2, cloud-1..3
codes = defaultdict(Counter)  # record type -> code -> records
started, ended, kinds_started = Counter(), {}, {}  # client requests: per edge node; by id -> (code, row, node, latency ns)
lookups, crash_times, restart_times, cloud_ops = [], defaultdict(list), defaultdict(list), []
rehydration_events, caught_up_times, stale = [], defaultdict(list), []
cloud_syncs, core_responses, last_t = 0, 0, 0
forged = {}  # message id -> {"to", "copies", "dropped", "delivered_ns", "taken": (t, node, peer)}
refused_at, applied_non_core, end_writers, end_acked_keys = Counter(), 0, [], set()
auth_refused = Counter()
for line in open(sys.argv[2]):
    i = line.index('"type":"') + 8
    t = line[i:line.index('"', i)]
    types[t] += 1
    if t not in detail: continue
    r = json.loads(line)
    last_t = max(last_t, r["t_ns"])
    codes[t][r["code"]] += 1
    n = r["node"]
    if t == "client.start":
        started[n] += 1
        kinds_started[r["a"]] = r["kind"]
    elif t == "client.end":
        if r["a"] in ended: fails.append(f"client request {r['a']} ends twice")
        ended[r["a"]] = (r["code"], r["kind"], n, r["b"])
    elif t == "edge.lookup": lookups.append((n, r["t_ns"], r["code"]))
    elif t == "cloud.op": cloud_ops.append((r["code"], r["b"]))
    elif t == "edge.stale_read": stale.append((r["kind"], r["b"]))
    elif t == "edge.rehydration": rehydration_events.append((n, r["t_ns"], r["code"], r["a"], r["b"]))
    elif t == "restart": restart_times[n].append(r["t_ns"])
    elif t == "storage.catch_up" and r["code"] == 5: caught_up_times[n].append(r["t_ns"])
    elif t == "disk_sync" and n in clouds: cloud_syncs += 1
    elif t == "storage.write" and r["peer"] not in cores: applied_non_core += 1
    elif t == "storage.refused" and r["code"] == 1: refused_at[(r["t_ns"], n, r["peer"])] += 1
    elif t == "end.writer": end_writers.append((r["peer"], r["a"]))
    elif t == "end.acked": end_acked_keys.add(r["a"])
    elif t == "auth.refused": auth_refused[r["code"]] += 1
    elif r.get("kind") == 11 and t in ("deliver", "duplicate", "vclock.recv", "drop") and r["a"] in forged:
        w = forged[r["a"]]
        if t == "deliver": w["delivered_ns"] = r["t_ns"]
        elif t == "duplicate": w["copies"] += 1
        elif t == "drop": w["dropped"] += 1
        else: w["taken"] = (r["t_ns"], n, r["peer"])
    if t == "crash": crash_times[n].append(r["t_ns"])
    if t == "send" and r["kind"] == 11 and n in edges:
        forged[r["a"]] = {"to": r["peer"], "copies": 1, "dropped": 0, "delivered_ns": None, "taken": None}
    if t == "send" and r["kind"] == 10 and n in cores: core_responses += 1
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
    elif t == "rpc.serve" and r["code"] == 5: refused_stale += 1
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
covered = set()  # the JSON fields reconciled, by path (array items as [])
def same(what, summary, trace, path=None):
    for short, full in (("rpc.", "tiers.rpc."), ("msgq.", "tiers.msgq."), ("forged_writes.", "tiers.forged_writes.")):
        if path is None and what.startswith(short): path = full + what[len(short):]
    covered.add(path or what)
    if summary != trace: fails.append(f"{what}: summary {summary}, trace {trace}")
m = run["messages"]
reasons = {"random": 1, "partition": 2, "node_down": 3, "link_reset": 4, "sender_down": 5, "overload": 6, "in_flight_limit": 7}
same("records", run["records"], sum(types.values()))
same("records no dump names", types["unknown"], 0, "records")
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
same("rpc.refused_stale", rpc["refused_stale"], refused_stale)
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
           "duplicates_absorbed", "refused_stale", "handshake_messages", "retries", "timeouts", "resets", "connections_reused",
           "open_connections", "cores_suspected"},
           "msgq": {"sent", "resent", "acked", "delivered", "refused", "duplicates", "accepted", "pending"}}
for what, have in (("rpc", rpc), ("msgq", q)):
    for k in sorted(set(have) - checked[what]): fails.append(f"{what}.{k}: a counter this test does not reconcile")
same("tiers.refusals", sum(t["refusals"].values()), types["auth.refused"])
auth_reasons = {1: "malformed", 2: "bad_signature", 3: "expired", 4: "not_yet_valid", 5: "forbidden"}
same("tiers.refusals by reason", t["refusals"], {auth_reasons[c]: k for c, k in sorted(auth_refused.items())})
for reason in t["refusals"]: covered.add(f"tiers.refusals.{reason}")
covered.update(f"limits[].{k}" for k in ("name", "unit", "max", "reached", "first_ns", "first_node"))
end_ns = run["simulated_ns"]
same("trace_hash", run["trace_hash"], hash_out.split("trace hash: ")[-1].strip())
same("event_limit_hit", run["event_limit_hit"], types["limit"] > 0)
if not last_t <= end_ns: fails.append(f"simulated_ns {end_ns} before the last record at {last_t}")
covered.add("simulated_ns")
# Events: each deliver, timer, disk sync, client arrival and fault window
# edge is one event of its own; other events leave no record or share
# theirs (see the header), so this is a bound, not a reconciliation.
one_event_each = types["deliver"] + types["timer"] + types["disk_sync"] + types["client.start"] + types["fault"]
if not run["events"] >= one_event_each: fails.append(f"events {run['events']} < {one_event_each} single-event records")
covered.add("events")
same("workloads (ping records)", len(run["workloads"]), len({0} if types["ping_sent"] else set()))
if run["workloads"]: fails.append("ping workloads: this test does not reconcile them (no ping in crash-loop.yaml)")

def near(what, reported, values, q, path):
    covered.add(path)
    if not values:
        if reported != 0: fails.append(f"{what}: summary {reported}, no values traced")
        return
    exact = values[max(1, (len(values) * round(q * 1e6) + 999999) // 1000000) - 1]
    if not exact <= reported <= min(exact + exact // 64, values[-1]):
        fails.append(f"{what}: summary {reported}, traced nearest-rank value {exact}")

# Client requests: each start has exactly one end (lost and unsettled ones
# are ended when the run ends); the rows count the ends by row and code.
OK, REFUSED, FAILED, LATE, LOST, UNSETTLED = range(6)
same("client requests started = ended", sum(started.values()), len(ended))
timeout_ns = 1_000_000_000  # the workload's default client timeout
for row_index, row in enumerate(t["rows"][:2]):
    mine = [e for e in ended.values() if e[1] == row_index]
    by = Counter(e[0] for e in mine)
    what = f"rows.{row['tier']}"
    same(f"{what}.requests", row["requests"], len(mine), "tiers.rows[].requests")
    same(f"{what}.ok", row["ok"], by[OK], "tiers.rows[].ok")
    same(f"{what}.refused", row["refused"], by[REFUSED], "tiers.rows[].refused")
    same(f"{what}.failed", row["failed"], by[FAILED] + by[LATE] + by[LOST], "tiers.rows[].failed")
    same(f"{what}.lost", row["lost"], by[LOST], "tiers.rows[].lost")
    same(f"{what}.unsettled", row["unsettled"], by[UNSETTLED], "tiers.rows[].unsettled")
    # Of those, the ones waiting longer than any request answered ok took
    # (either row): counted as not served (crash-loop.yaml has no bad tokens).
    longest_ok = max((e[3] for e in ended.values() if e[0] == OK and e[1] < 2), default=0)
    same(f"{what}.overdue", row["overdue"], sum(1 for e in mine if e[0] == UNSETTLED and e[3] > longest_ok),
         "tiers.rows[].overdue")
    same(f"{what}.max_ns", row["max_ns"], max((e[3] for e in mine), default=0), "tiers.rows[].max_ns")
    # Percentiles: the histogram reports the nearest-rank value rounded up
    # to its bucket's upper edge (64 buckets per power of two: at most 1/64
    # above), capped at the maximum.
    all_ns = sorted(e[3] for e in mine)
    ok_ns = sorted(e[3] for e in mine if e[0] == OK)
    for k, q, values in (("p50_ns", 0.50, all_ns), ("p95_ns", 0.95, all_ns), ("p99_ns", 0.99, all_ns),
                         ("ok_p99_ns", 0.99, ok_ns), ("judged_p99_ns", 0.99, all_ns)):
        near(f"{what}.{k}", row[k], values, q, f"tiers.rows[].{k}")
    if any(e[3] != timeout_ns for e in mine if e[0] in (FAILED, LATE, LOST)):
        fails.append(f"{what}: a failure not counted at the client's timeout")
    if any(e[3] >= timeout_ns for e in mine if e[0] == UNSETTLED):
        fails.append(f"{what}: an unsettled request older than the timeout")
# crash-loop.yaml has no `latency_p99.outside_faults`: nothing is excluded
# and every request is judged.
for row in t["rows"]:
    same(f"rows.{row['tier']}.excluded", row["excluded"], 0, "tiers.rows[].excluded")
    same(f"rows.{row['tier']}.judged", row["judged"], row["requests"], "tiers.rows[].judged")
    same(f"rows.{row['tier']}.throughput_per_s", row["throughput_per_s"], row["ok"] * 1e9 / end_ns,
         "tiers.rows[].throughput_per_s")
    same(f"rows.{row['tier']}.tier", row["tier"], ["edge", "core", "cloud"][t["rows"].index(row)], "tiers.rows[].tier")
# The cloud row: quorum operations at core, each ended by one cloud.op
# (code 1 ok, 0 failed, b = latency) beside its storage.quorum (codes 1, 3
# ok; 2, 4 failed); core gives up on its own, so nothing is lost or
# unsettled.
cloud, qc = t["rows"][2], codes["storage.quorum"]
same("rows.cloud.requests", cloud["requests"], len(cloud_ops))
same("rows.cloud.requests (storage.quorum)", cloud["requests"], sum(qc.values()))
same("rows.cloud.ok", cloud["ok"], sum(1 for ok, _ in cloud_ops if ok == 1))
same("rows.cloud.ok (storage.quorum)", cloud["ok"], qc[1] + qc[3])
same("rows.cloud.failed", cloud["failed"], qc[2] + qc[4])
for k in ("refused", "lost", "unsettled", "overdue"): same(f"rows.cloud.{k}", cloud[k], 0)
cloud_ns = sorted(ns for _, ns in cloud_ops)
same("rows.cloud.max_ns", cloud["max_ns"], cloud_ns[-1] if cloud_ns else 0)
for k, q, values in (("p50_ns", 0.50, cloud_ns), ("p95_ns", 0.95, cloud_ns), ("p99_ns", 0.99, cloud_ns),
                     ("ok_p99_ns", 0.99, sorted(ns for ok, ns in cloud_ops if ok == 1)),
                     ("judged_p99_ns", 0.99, cloud_ns)):
    near(f"rows.cloud.{k}", cloud[k], values, q, f"tiers.rows[].{k}")
ends = Counter(e[0] for e in ended.values())
same("tiers.lost", t["lost"], ends[LOST])
same("tiers.answered_late", t["answered_late"], ends[LATE])
same("tiers.unsettled", t["unsettled"], ends[UNSETTLED])
for k in ("ok", "failed", "lost"):
    if ends[{"ok": OK, "failed": FAILED, "lost": LOST}[k]] == 0: fails.append(f"no client request {k}: not exercised")
# The clients per edge node: offered = started, served = ended ok.
served = Counter(e[2] for e in ended.values() if e[0] == OK)
for x in t["throughput"]:
    node = int(x["node"].split("-")[1]) - 1  # edge-N is node N-1
    same(f"throughput.{x['node']}.offered", x["offered"], started[node], "tiers.throughput[].offered")
    same(f"throughput.{x['node']}.served", x["served"], served[node], "tiers.throughput[].served")
    same(f"throughput.{x['node']}.window_ns", x["window_ns"], end_ns, "tiers.throughput[].window_ns")
    same(f"throughput.{x['node']}.offered_per_s", x["offered_per_s"], x["offered"] * 1e9 / x["window_ns"],
         "tiers.throughput[].offered_per_s")
    same(f"throughput.{x['node']}.served_per_s", x["served_per_s"], x["served"] * 1e9 / x["window_ns"],
         "tiers.throughput[].served_per_s")
    covered.add("tiers.throughput[].node")
same("throughput rows", len(t["throughput"]), len(edges))
# The edge cache and staleness.
same("tiers.cache_hits", t["cache_hits"], sum(1 for x in lookups if x[2] == 1))
same("tiers.cache_misses", t["cache_misses"], sum(1 for x in lookups if x[2] == 0))
same("tiers.stale_reads", t["stale_reads"], len(stale))
same("tiers.staleness_versions_max", t["staleness_versions_max"], max((v for v, _ in stale), default=0))
same("tiers.staleness_ns_max", t["staleness_ns_max"], max((ns for _, ns in stale), default=0))
# Every read answered is measured (a fresh one 0 behind): the cache hits,
# and the reads and session checks core answered ok (in time or late).
reads_via_core = sum(1 for i, e in ended.items() if e[1] == 1 and e[0] in (OK, LATE) and kinds_started[i] in (0, 1))
reads = t["cache_hits"] + reads_via_core
near("tiers.staleness_ns_p99", t["staleness_ns_p99"], sorted([0] * (reads - len(stale)) + [ns for _, ns in stale]),
     0.99, "tiers.staleness_ns_p99")
if not stale: fails.append("no stale reads: the scenario no longer exercises them")
same("tiers.acked_keys_checked", t["acked_keys_checked"], len(end_acked_keys))
# Rehydrations: a start (code 1) and its end (code 2) per restart of an
# edge node; the lookups around it in the node's whole simulated seconds
# [crash - 5s, crash) and [restart, restart + 5s), as the summary buckets them.
S = 1_000_000_000
def lookups_in(node, from_ns, to_ns):
    lo, hi = max(0, int(from_ns / S)), to_ns // S
    mine = [x[2] for x in lookups if x[0] == node and lo <= x[1] // S < hi]
    return mine.count(1), mine.count(0)
starts = [x for x in rehydration_events if x[2] == 1]
same("rehydrations", len(t["rehydrations"]), len(starts))
for e, (node, at, _, keys, _) in zip(t["rehydrations"], starts):
    done = [x for x in rehydration_events if x[0] == node and x[2] == 2 and x[1] >= at]
    done = done[0] if done and not [y for y in starts if y[0] == node and at < y[1] <= done[0][1]] else None
    crash = max((c for c in crash_times[node] if c <= at), default=-1)
    name = f"rehydrations.{e['node']}@{at}"
    same(f"{name}.node", e["node"], f"edge-{node + 1}", "tiers.rehydrations[].node")
    same(f"{name}.restart_ns", e["restart_ns"], at, "tiers.rehydrations[].restart_ns")
    same(f"{name}.crash_ns", e["crash_ns"], crash, "tiers.rehydrations[].crash_ns")
    same(f"{name}.keys", e["keys"], keys, "tiers.rehydrations[].keys")
    same(f"{name}.finished", e["finished"], done is not None, "tiers.rehydrations[].finished")
    same(f"{name}.duration_ns", e["duration_ns"], done[1] - at if done else 0, "tiers.rehydrations[].duration_ns")
    same(f"{name}.fetched", e["fetched"], done[3] if done else 0, "tiers.rehydrations[].fetched")
    same(f"{name}.given_up", e["given_up"], done[4] if done else 0, "tiers.rehydrations[].given_up")
    hb, mb = lookups_in(node, crash - 5 * S, crash) if crash >= 0 else (0, 0)
    ha, ma = lookups_in(node, at, at + 5 * S)
    for k, v in (("hits_before", hb), ("misses_before", mb), ("hits_after", ha), ("misses_after", ma)):
        same(f"{name}.{k}", e[k], v, f"tiers.rehydrations[].{k}")
    same(f"{name}.hit_ratio_before", e["hit_ratio_before"], hb / (hb + mb) if hb + mb else 0.0,
         "tiers.rehydrations[].hit_ratio_before")
    same(f"{name}.hit_ratio_after", e["hit_ratio_after"], ha / (ha + ma) if ha + ma else 0.0,
         "tiers.rehydrations[].hit_ratio_after")
if not t["rehydrations"]: fails.append("no rehydration: the scenario no longer exercises it")
# Catch-ups: one per restart of a cloud replica; caught up at its first
# storage.catch_up code 5 in that incarnation; superseded when the node
# crashed again later.
cloud_restarts = sorted((at, node) for node in clouds for at in restart_times[node])
same("catch_ups", len(t["catch_ups"]), len(cloud_restarts))
for c, (at, node) in zip(t["catch_ups"], cloud_restarts):
    next_crash = min((x for x in crash_times[node] if x >= at), default=None)
    caught = [x for x in caught_up_times[node] if x >= at and (next_crash is None or x <= next_crash)]
    name = f"catch_ups.cloud-{node - 4}@{at}"
    same(f"{name}.node", c["node"], f"cloud-{node - 4}", "tiers.catch_ups[].node")
    same(f"{name}.restart_ns", c["restart_ns"], at, "tiers.catch_ups[].restart_ns")
    same(f"{name}.caught_up", c["caught_up"], bool(caught), "tiers.catch_ups[].caught_up")
    same(f"{name}.catch_up_ns", c["catch_up_ns"], caught[0] - at if caught else 0, "tiers.catch_ups[].catch_up_ns")
    same(f"{name}.superseded", c["superseded"], next_crash is not None, "tiers.catch_ups[].superseded")
if not any(c["superseded"] for c in t["catch_ups"]): fails.append("no superseded catch-up: not exercised")
# Forged writes, message by message: applied (a storage.write from a node
# that is not a core), refused (the replica took it -- vclock.recv -- and
# refused it as not from core at that moment), lost (every copy dropped),
# unanswered (delivered, neither, over a second before the end), or in flight.
fate = Counter()
for w in forged.values():
    if w["taken"] is not None and refused_at[w["taken"]] > 0:
        refused_at[w["taken"]] -= 1
        fate["refused"] += 1
    elif w["dropped"] >= w["copies"]: fate["lost"] += 1
    elif w["delivered_ns"] is not None and w["delivered_ns"] + S <= end_ns: fate["unanswered"] += 1
    else: fate["in_flight"] += 1
for k in ("refused", "lost", "unanswered", "in_flight"): same(f"forged_writes.{k}", f[k], fate[k])
same("forged_writes.applied", f["applied"], applied_non_core)
forged_limit = [l["reached"] for l in run["limits"] if l["name"] == "byzantine.forged_writes"]
same("forged_writes.not_sent", f["not_sent"], sum(forged_limit))
same("forged_writes.versions_checked", f["versions_checked"], sum(a for _, a in end_writers))
same("forged_writes.non_core_versions", f["non_core_versions"], sum(a for w, a in end_writers if w not in cores))
if f["lost"] == 0: fails.append("no forged write lost: the scenario no longer exercises it")
# Protocol points: each is reached exactly where one record is written.
ignored_storage, serve, wal = codes["storage.ignored"], codes["rpc.serve"], codes["storage.write"]
point_records = {
    "storage.replica.after_wal_append": wal[1],                  # storage.write applied
    "storage.replica.after_sync": cloud_syncs - ignored_storage[5],  # a cloud disk_sync the replica awaited
    "storage.replica.before_ack": types["storage.ack"],
    "storage.replica.after_catch_up_batch": codes["storage.catch_up"][3],
    "storage.writer.after_quorum": codes["storage.quorum"][1],
    "storage.writer.after_send": types["storage.write_started"],
    "rpc.server.before_execute": serve[1],
    # responses sent, less those from the cache and the refusals (busy, stale)
    "rpc.server.after_execute": core_responses - serve[2] - serve[4] - serve[5],
    "rpc.server.before_respond": core_responses,                # core -> edge sends of kind 10
    "msgq.receiver.before_ack": types["msgq.deliver"],
    "msgq.receiver.after_deliver": types["msgq.deliver"],
    "msgq.sender.before_resend": msgq_again,
    "dsm.after_set": codes["dsm.event"][1],
    "dsm.after_apply": codes["dsm.event"][2],
    "rpc.client.after_send": types["rpc.call"],
    "rpc.client.before_retry": attempts[2],
}
# No billing workload here, so 2PC never runs: its points and its records are all 0
# (tests/scenario/twopc_points.sh reaches them).
twopc_records = sum(sum(c.values()) for t, c in codes.items() if t.startswith("twopc."))
for name in run["points"]:
    if name.startswith("twopc."): point_records[name] = twopc_records
for name, reached in run["points"].items():
    if name not in point_records: fails.append(f"points.{name}: a point this test does not reconcile"); continue
    same(f"points.{name}", reached, point_records[name])
# By node: each point's counts over the nodes add up to its total.
for name, reached in run["points"].items():
    by_node = sum(counts.get(name, 0) for counts in run["points_by_node"].values())
    same(f"points_by_node.*.{name}", by_node, reached)
for node, counts in run["points_by_node"].items():
    covered.update(f"points_by_node.{node}.{name}" for name in counts)
# The three tiers run every protocol with points but 2PC (no billing workload).
same("points_in_scope", sorted(run["points_in_scope"]), sorted(n for n in run["points"] if not n.startswith("twopc.")))
same("memory.limit_hit", run["memory"]["limit_hit"], codes["limit_reached"][1] > 0)

# The guard: every field of the JSON is reconciled above or out of scope.
out_of_scope = {"ecsim", "scenario", "file", "seed", "plant", "hashed", "verdict", "expectations", "wall_s",
                "events_per_s", "memory.accounted_bytes_peak", "memory.max_bytes", "memory.max_from",
                "memory.peak_bytes_by_resource",
                "workloads"}
def leaves(x, path):
    if isinstance(x, dict) and x:
        for k, v in x.items(): yield from leaves(v, f"{path}.{k}" if path else k)
    elif isinstance(x, list) and x and isinstance(x[0], dict):
        for item in x: yield from leaves(item, path + "[]")
    else: yield path
for path in sorted(set(leaves(run, ""))):
    parts = path.split(".")
    prefixes = {".".join(parts[:i]) for i in range(1, len(parts) + 1)}
    if prefixes & out_of_scope or {p.removesuffix("[]") for p in prefixes} & out_of_scope: continue
    if path not in covered: fails.append(f"{path}: a field this test neither reconciles nor declares out of scope")
for x in fails: print("FAIL:", x)
if fails: sys.exit(1)
print(f"ok: {len(covered)} summary fields reconcile with {sum(types.values())} records "
      f"({drops[3]} node_down drops, {f['replica_refusals']} replica refusals, {len(ended)} client requests, "
      f"{len(run['points'])} protocol points)")
PY
