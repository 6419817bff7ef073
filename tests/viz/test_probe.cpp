// The probe (viz/model/probe.hpp): a second run of the session's scenario
// driven to the cursor's event, beside the Timeline's run, for the nodes'
// internals. Its snapshot equals a fresh run's stopped at the same event,
// a DSM SET action shows in the node's entries, stepping back and forwards
// gives the same snapshot, the hover clocks are the messages' real clocks,
// and the Timeline's run is unchanged by the probe sharing the process.
#include <map>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "ecsim/proto/vclock.hpp"
#include "ecsim/proto/vclock_records.hpp"
#include "ecsim/run/process_state.hpp"
#include "ecsim/run/runner.hpp"
#include "ecsim/scenario/loader.hpp"
#include "ecsim/tiers/dsm_groups.hpp"
#include "model/demo.hpp"
#include "model/dsm_view.hpp"
#include "model/probe.hpp"
#include "model/records.hpp"
#include "model/timeline.hpp"

namespace test_probe {

using namespace ecsim;

namespace {
constexpr int64_t kS = 1'000'000'000;
constexpr int64_t kMs = 1'000'000;

scenario::Scenario crash_scenario() {
  return scenario::load_scenario_file(ECSIM_SOURCE_DIR "/scenarios/edge-crash-rehydrate.yaml");
}

uint32_t node_id(const viz::Timeline& t, const std::string& name) {
  for (uint32_t n = 0; n < t.names().size(); ++n) {
    if (t.names()[n] == name) return n;
  }
  FAIL("no node " << name);
  return 0;
}

// Advances the probe to `event` in steps of `budget` events; returns the steps.
int reach(viz::Probe& p, uint64_t event, int64_t capture_from_ns, uint64_t budget) {
  int steps = 1;
  while (!p.advance_to(event, capture_from_ns, budget)) {
    CHECK(p.progress() < 1.0);
    ++steps;
  }
  CHECK(p.progress() == 1.0);
  return steps;
}

// A fresh run of `sc` stopped after event `event` (and the faults pinned
// after it), beside whatever run is installed now.
tiers::NodeSnapshot fresh_snapshot(const scenario::Scenario& sc, const run::RunOptions& o, uint64_t event,
                                   uint32_t node, const tiers::SnapshotLimits& limits) {
  tiers::NodeSnapshot s;
  run::ParkedRun mine;
  run::with_parked(mine, [&] {
    run::Run r(sc, o);
    while (r.simulator().events_processed() < event) {
      REQUIRE_FALSE(r.advance(event - r.simulator().events_processed()));
    }
    r.apply_pinned();
    s = r.snapshot(node, limits);
  });
  return s;
}
}  // namespace

TEST_CASE("probe: the snapshot at an event equals a fresh run's stopped there, and the timeline's run is unchanged") {
  const scenario::Scenario sc = crash_scenario();
  run::RunOptions o;
  o.until = sim::seconds(12);
  uint64_t viewed_hash = 0;
  {
    viz::Timeline t(sc, o);
    t.seek_time(9 * kS + 500 * kMs);
    const uint64_t event = t.cursor_event();
    REQUIRE(event > 10000);
    const uint32_t cloud1 = node_id(t, "cloud-1"), edge1 = node_id(t, "edge-1");
    tiers::SnapshotLimits limits;
    limits.dsm_entries_max = 8;
    viz::Probe p(t, limits);
    CHECK(reach(p, event, t.cursor_ns() - 50 * kMs, 20000) > 2);  // in bounded steps
    REQUIRE(p.events() == event);
    const tiers::NodeSnapshot cloud = *p.snapshot(cloud1, event);
    const tiers::NodeSnapshot edge = *p.snapshot(edge1, event);
    CHECK(cloud.up);
    CHECK(cloud.tier_node);
    CHECK(cloud.clock.get(cloud1) > 0);
    CHECK_FALSE(cloud.wal.empty());  // its storage WAL
    CHECK(cloud.disk_length[0] > 0);
    CHECK(edge.dsm_size > 0);
    CHECK(edge.dsm.size() == std::min<uint64_t>(edge.dsm_size, 8));
    // The timeline's run goes on between the probe's steps.
    t.seek_time(11 * kS);
    CHECK_FALSE(t.state().nodes[edge1].up);  // edge-1 crashed at 10 s
    CHECK(fresh_snapshot(sc, o, event, cloud1, limits) == cloud);
    CHECK(fresh_snapshot(sc, o, event, edge1, limits) == edge);
    // At the crash the probe shows edge-1 down, its disks kept.
    t.seek_time(9 * kS + 500 * kMs);
    REQUIRE(t.seek_next([&](const sim::Record& r) { return r.type == sim::RecordType::kCrash; }));
    reach(p, t.cursor_event(), t.cursor_ns(), 1 << 20);
    const tiers::NodeSnapshot* down = p.snapshot(edge1, t.cursor_event());
    REQUIRE(down != nullptr);
    CHECK_FALSE(down->up);
    CHECK(down->clock.entries.empty());
    CHECK(p.restarts() == 0);
    t.simulate_all();
    viewed_hash = t.result().trace_hash;
  }
  CHECK(viewed_hash == run::run_scenario(sc, o).trace_hash);
}

TEST_CASE("probe: a step back then forwards gives an identical snapshot") {
  run::RunOptions o;
  o.until = sim::seconds(4);
  viz::Timeline t(crash_scenario(), o);
  const uint32_t core1 = node_id(t, "core-1");
  t.seek_time(3 * kS);
  const uint64_t e1 = t.cursor_event();
  viz::Probe p(t);
  reach(p, e1, 0, 1 << 20);
  const tiers::NodeSnapshot at_e1 = *p.snapshot(core1, e1);
  while (t.cursor_event() == e1) t.step(-1);
  const uint64_t e0 = t.cursor_event();
  reach(p, e0, 0, 1 << 20);
  CHECK(p.restarts() == 0);  // behind it: a checkpoint's worker went there (model/forks.hpp)
  CHECK(p.remote());
  const tiers::NodeSnapshot at_e0 = *p.snapshot(core1, e0);
  // Without checkpoints, from t = 0 again: the same state.
  viz::Probe none(t, {}, viz::Probe::kCacheBytesDefault, viz::ForkLimits{0});
  reach(none, e1, 0, 1 << 20);
  reach(none, e0, 0, 1 << 20);
  CHECK(none.restarts() == 1);
  CHECK_FALSE(none.remote());
  CHECK(*none.snapshot(core1, e0) == at_e0);
  t.seek(t.count_through_event(e1));
  CHECK(t.cursor_event() == e1);
  reach(p, e1, 0, 1 << 20);
  CHECK(*p.snapshot(core1, e1) == at_e1);
  // Computed again by a probe that never saw e1 before: the same.
  viz::Probe q(t);
  reach(q, e0, 0, 1 << 20);
  CHECK(*q.snapshot(core1, e0) == at_e0);
  reach(q, e1, 0, 1 << 20);
  CHECK(*q.snapshot(core1, e1) == at_e1);
  CHECK(q.restarts() == 0);
}

TEST_CASE(
    "probe: stepping forwards then backwards returns the simulation itself to an identical state") {
  // The digest of issue 12: the event index, the trace hash so far and
  // every actor's state (each node's snapshot), taken by the probe at the
  // cursor's event; the run's own digest, not only the view's.
  // With the checkpoints of the probe's run (forked processes) and without.
  const uint64_t fork_bytes = GENERATE(uint64_t{1} << 30, uint64_t{0});
  run::RunOptions o;
  o.until = sim::seconds(12);
  viz::Timeline t(crash_scenario(), o);
  struct Digest {
    uint64_t event = 0;
    uint64_t trace_hash = 0;
    std::vector<tiers::NodeSnapshot> nodes;
  };
  viz::Probe p(t, {}, viz::Probe::kCacheBytesDefault, viz::ForkLimits{fork_bytes});
  const auto digest = [&] {
    Digest d;
    d.event = t.cursor_event();
    reach(p, d.event, 0, 1 << 20);
    REQUIRE(p.events() == d.event);
    d.trace_hash = p.trace_hash_so_far();
    for (uint32_t n = 0; n < t.names().size(); ++n) d.nodes.push_back(*p.snapshot(n, d.event));
    return d;
  };
  t.seek_time(10 * kS + 400'000'000);  // edge-1 down (crashed at 10 s)
  const Digest before = digest();
  REQUIRE_FALSE(t.state().nodes[node_id(t, "edge-1")].up);
  for (int i = 0; i < 3000; ++i) t.step(+1);
  const Digest ahead = digest();
  CHECK(ahead.event > before.event);
  CHECK(ahead.trace_hash != before.trace_hash);
  CHECK(ahead.nodes != before.nodes);
  for (int i = 0; i < 3000; ++i) t.step(-1);
  const Digest back = digest();
  // Behind the probe: simulated from t = 0 again, or from a checkpoint.
  CHECK(p.restarts() == (fork_bytes == 0 ? 1 : 0));
  CHECK(p.remote() == (fork_bytes != 0));
  CHECK(back.event == before.event);
  CHECK(back.trace_hash == before.trace_hash);
  CHECK(back.nodes == before.nodes);
}

TEST_CASE("probe: an ended probe gives no snapshot for an earlier event") {
  // Driven past the run's end, the probe holds the final state; asked for
  // an earlier event before it is driven back, it must not pass the final
  // state off as that event's.
  run::RunOptions o;
  o.until = sim::seconds(2);
  viz::Timeline t(crash_scenario(), o);
  t.simulate_all();
  const uint32_t core1 = node_id(t, "core-1");
  viz::Probe p(t);
  reach(p, UINT64_MAX, 0, 1 << 20);
  const uint64_t end = p.events();
  REQUIRE(p.snapshot(core1, end) != nullptr);
  REQUIRE(p.snapshot(core1, end + 5) != nullptr);  // at or after its last event
  const uint64_t earlier = end / 2;
  CHECK(p.snapshot(core1, earlier) == nullptr);
  reach(p, earlier, 0, 1 << 20);
  const tiers::NodeSnapshot* s = p.snapshot(core1, earlier);
  REQUIRE(s != nullptr);
  CHECK(*s == fresh_snapshot(crash_scenario(), o, earlier, core1, {}));
}

TEST_CASE("probe: a DSM SET action shows in the node's DSM entries") {
  viz::OpenRequest req;
  req.scenario_path = ECSIM_SOURCE_DIR "/tests/data/scenarios/demo-base.yaml";
  viz::Demo d(req);
  d.timeline().seek_time(1 * kS);
  REQUIRE(d.dsm_set("edge-2", 5000, 4242).empty());
  viz::Timeline& t = d.timeline();
  const uint32_t edge2 = node_id(t, "edge-2");
  const uint64_t event = t.cursor_event();
  viz::Probe p(t);
  reach(p, event, 0, 1 << 20);
  const tiers::NodeSnapshot* s = p.snapshot(edge2, event);
  REQUIRE(s != nullptr);
  const tiers::DsmEntrySnapshot* set = nullptr;
  for (const tiers::DsmEntrySnapshot& e : s->dsm) {
    if (e.key == 5000) set = &e;
  }
  REQUIRE(set != nullptr);  // a watched key: listed whatever else the replica holds
  CHECK(set->value == 4242);
  CHECK(set->writer == edge2);
  CHECK(set->clock.get(edge2) > 0);
  // Just before the action's event the replica did not hold it.
  const uint64_t before = event - 1;
  viz::Probe q(t);
  reach(q, before, 0, 1 << 20);
  for (const tiers::DsmEntrySnapshot& e : q.snapshot(edge2, before)->dsm) CHECK(e.key != 5000);
}

TEST_CASE("probe: hover clocks are the messages' clocks, the receive after the send") {
  run::RunOptions o;
  o.until = sim::seconds(3);
  viz::Timeline t(crash_scenario(), o);
  t.seek_time(2 * kS);
  const int64_t from_ns = t.cursor_ns() - 20 * kMs;
  viz::Probe p(t);
  reach(p, t.cursor_event(), from_ns, 1 << 20);
  uint64_t sends = 0, pairs = 0;
  for (uint64_t i = 0; i < t.cursor(); ++i) {
    const sim::Record& r = t.record(i);
    if (r.type != sim::RecordType::kSend || r.time_ns < from_ns) continue;
    const viz::CapturedClock* s = p.clock(r.a, true);
    if (s == nullptr) continue;
    ++sends;
    CHECK(s->node == r.node);
    CHECK(s->clock.get(r.node) > 0);
    const viz::CapturedClock* recv = p.clock(r.a, false);
    if (recv == nullptr) continue;
    ++pairs;
    CHECK(recv->node == r.peer);
    for (const auto& [n, c] : s->clock.entries) CHECK(recv->clock.get(n) >= c);  // it happened after
    CHECK(recv->clock.get(r.peer) > s->clock.get(r.peer));
  }
  CHECK(sends > 100);
  CHECK(pairs > 100);
  // Before the window: not kept.
  for (uint64_t i = 0; i < t.cursor() && t.record(i).time_ns < from_ns - kMs; ++i) {
    if (t.record(i).type == sim::RecordType::kSend) CHECK(p.clock(t.record(i).a, true) == nullptr);
  }
}

TEST_CASE("probe: its cache of snapshots and clocks stays within its byte budget and keeps what an unbounded one has") {
  run::RunOptions o;
  o.until = sim::seconds(3);
  viz::Timeline t(crash_scenario(), o);
  t.seek_time(2 * kS);
  const int64_t from_ns = t.cursor_ns() - 200 * kMs;
  constexpr uint64_t kBudget = 96 << 10;
  viz::Probe p(t, {}, kBudget);
  viz::Probe q(t);  // the default budget: nothing is dropped for bytes here
  uint64_t snapshots = 0;
  for (int step = 0; step < 40; ++step) {
    const uint64_t e = t.cursor_event();
    reach(p, e, from_ns, 1 << 20);
    reach(q, e, from_ns, 1 << 20);
    for (uint32_t n = 0; n < t.names().size(); ++n) {
      const tiers::NodeSnapshot* s = p.snapshot(n, e);
      REQUIRE(s != nullptr);
      CHECK(*s == *q.snapshot(n, e));
      ++snapshots;
      CHECK(p.cache_bytes() <= kBudget);
      CHECK(p.cache_bytes() == p.cache_bytes_recounted());
    }
    t.step(1);
  }
  CHECK(q.cache_bytes() == q.cache_bytes_recounted());
  CHECK(q.cache_bytes() > 4 * kBudget);  // the budget made p drop things
  CHECK(p.snapshots_cached() < snapshots);
  CHECK(p.clocks_cached() < q.clocks_cached());
  CHECK(p.clocks_cached() > 0);
  // What p kept is what q holds: the newest clocks, exactly.
  uint64_t kept = 0;
  for (uint64_t i = 0; i < t.cursor(); ++i) {
    const sim::Record& r = t.record(i);
    if (r.type != sim::RecordType::kSend) continue;
    for (const bool send : {true, false}) {
      if (const viz::CapturedClock* c = p.clock(r.a, send)) {
        ++kept;
        REQUIRE(q.clock(r.a, send) != nullptr);
        CHECK(c->clock == q.clock(r.a, send)->clock);
      }
    }
  }
  CHECK(kept > 10);
  // Back behind it: a checkpoint's worker goes there and sends every clock
  // it meets again (replaced in place or kept anew); the count stays exact.
  t.seek_time(from_ns + 50 * kMs);
  reach(p, t.cursor_event(), from_ns, 1 << 20);
  CHECK(p.remote());
  CHECK(p.cache_bytes() <= kBudget);
  CHECK(p.cache_bytes() == p.cache_bytes_recounted());
  REQUIRE(p.snapshot(0, t.cursor_event()) != nullptr);
  CHECK(p.cache_bytes() == p.cache_bytes_recounted());

  // A budget smaller than one snapshot: the snapshot is kept alone, and the
  // clocks the probe meets afterwards are not kept (they never drop it).
  viz::Probe tiny(t, {}, 256);
  reach(tiny, t.cursor_event(), from_ns, 1 << 20);
  CHECK(tiny.cache_bytes() <= 256);
  const uint32_t cloud = static_cast<uint32_t>(t.names().size() - 1);
  REQUIRE(tiny.snapshot(cloud, t.cursor_event()) != nullptr);
  CHECK(tiny.snapshots_cached() == 1);
  CHECK(tiny.clocks_cached() == 0);
  CHECK(tiny.cache_bytes() > 256);  // alone over the budget
  t.step(1);
  t.step(1);
  reach(tiny, t.cursor_event(), from_ns, 1 << 20);
  CHECK(tiny.snapshots_cached() == 1);
  CHECK(tiny.clocks_cached() == 0);
  CHECK(tiny.cache_bytes() == tiny.cache_bytes_recounted());
}

TEST_CASE("probe: hover clocks of the messages sent while the run is built are known, each the one its record hashes") {
  run::RunOptions o;
  o.until = sim::seconds(1);
  viz::Timeline t(crash_scenario(), o);
  t.seek_time(100 * kMs);
  viz::Probe p(t);
  reach(p, t.cursor_event(), 0, 1 << 20);
  // The clock_send records' hashes (the Timeline does not keep those
  // records), from a run of the same scenario just built.
  struct ClockSends final : public sim::TraceObserver {
    std::span<const sim::RecordType> record_types() const override {
      static constexpr sim::RecordType kTypes[] = {proto::vclock::kRecordClockSend};
      return kTypes;
    }
    void on_record(const sim::Record& r) override { hashes.emplace(r.a, r.b); }
    std::map<uint64_t, uint64_t> hashes;
  } sent;
  run::ParkedRun mine;
  run::with_parked(mine, [&] {
    run::RunOptions with = t.options();
    with.observers = {&sent};
    with.send_observer = nullptr;
    with.twopc_log_observer = nullptr;
    with.trace_path.clear();
    run::Run built(t.scenario(), with);
  });
  const std::map<uint64_t, uint64_t>& hashes = sent.hashes;
  std::map<uint32_t, uint64_t> own;  // each sender's own entry at its last build-time send
  uint64_t sends = 0;
  for (uint64_t i = 0; i + 1 < t.cursor() && t.event_of(i) == 0; ++i) {
    const sim::Record& r = t.record(i);
    if (r.type != sim::RecordType::kSend) continue;
    ++sends;
    const viz::CapturedClock* c = p.clock(r.a, true);
    REQUIRE(c != nullptr);
    CHECK(c->node == r.node);
    // Its clock_send record hashes exactly this clock.
    REQUIRE(hashes.count(r.a) == 1);
    CHECK(proto::vclock::hash(c->clock) == hashes.at(r.a));
    CHECK(c->clock.get(r.node) > own[r.node]);  // each send of a node ticks its own entry
    own[r.node] = c->clock.get(r.node);
  }
  CHECK(sends >= 20);
  CHECK(own.size() >= 3);
}

TEST_CASE("probe: hover clocks of local events are their node's clock at the record") {
  // demo-base: 2PC phases marked on the lanes of every tier.
  const scenario::Scenario sc =
      scenario::load_scenario_file(ECSIM_SOURCE_DIR "/tests/data/scenarios/demo-base.yaml");
  run::RunOptions o;
  o.until = sim::seconds(3);
  viz::Timeline t(sc, o);
  t.seek_time(2 * kS + 500 * kMs);
  const int64_t from_ns = t.cursor_ns() - 100 * kMs;
  viz::Probe p(t);
  reach(p, t.cursor_event(), from_ns, 1 << 20);
  uint64_t marks = 0, fresh = 0;
  for (uint64_t i = 0; i < t.cursor(); ++i) {
    const sim::Record& r = t.record(i);
    const bool mark = (viz::is_fault(r) || viz::is_phase(r) || viz::is_failure(r)) && viz::record_node(r) != UINT32_MAX;
    const viz::LocalClock* c = p.local_clock(t.trace_index(i));
    if (!mark || r.time_ns < from_ns) {
      CHECK(c == nullptr);  // a message, or before the window: none
      continue;
    }
    REQUIRE(c != nullptr);
    ++marks;
    CHECK(c->node == r.node);
    CHECK(c->time_ns == r.time_ns);
    REQUIRE(c->up);
    CHECK(c->clock.get(r.node) > 0);
    // Where the node sends and takes nothing more in that event, its clock
    // after the event is its clock at the record: a fresh run stopped there.
    bool later = false;
    for (uint64_t k = i + 1; k < t.collected() && t.event_of(k) == t.event_of(i); ++k) {
      const sim::Record& s = t.record(k);
      later |= (s.type == sim::RecordType::kSend && s.node == r.node) ||
               (s.type == sim::RecordType::kDeliver && s.node == r.node);
    }
    if (later || fresh >= 3 || (fresh > 0 && marks % 7 != 0)) continue;
    ++fresh;
    tiers::SnapshotLimits limits;
    limits.dsm_entries_max = 0;
    CHECK(fresh_snapshot(sc, o, t.event_of(i), r.node, limits).clock == c->clock);
  }
  CHECK(marks > 20);
  CHECK(fresh == 3);
  // After the cursor: not captured yet.
  for (uint64_t i = t.cursor(); i < t.collected(); ++i) CHECK(p.local_clock(t.trace_index(i)) == nullptr);
}

TEST_CASE("dsm view: replicas converge within their DSM group, and the tracker equals a full scan both ways") {
  // Eleven nodes: two DSM groups (tiers/dsm_groups.hpp), edge-1 in the
  // first, cloud-3 in the second, each writing key 5000 at 1 s.
  const scenario::Scenario sc = scenario::load_scenario_text(R"(
name: dsm-two-groups
seed: 3
duration: 3s
topology: { edge: 6, core: 2, cloud: 3 }
workload:
  - { kind: requests, rate: 20/s, until: 2s }
faults:
  - { at: 1s, dsm_set: { node: edge-1, key: 5000, value: 111 } }
  - { at: 1s, dsm_set: { node: cloud-3, key: 5000, value: 222 } }
)",
                                                             "<test>");
  viz::Timeline t(sc, {});
  const uint32_t edge1 = node_id(t, "edge-1"), cloud3 = node_id(t, "cloud-3");
  REQUIRE(tiers::dsm_group_of(edge1, 11) != tiers::dsm_group_of(cloud3, 11));
  viz::DsmKeyTracker tracker;
  t.seek_time(2 * kS);
  const viz::DsmKeyView& v = tracker.view(t, 5000);
  for (uint32_t n = 0; n < v.by_node.size(); ++n) {
    INFO(t.names()[n]);
    REQUIRE(v.by_node[n].has_value());
    CHECK(v.by_node[n]->value == (tiers::dsm_group_of(n, 11) == tiers::dsm_group_of(edge1, 11) ? 111u : 222u));
  }
  CHECK(v.converged);  // each group agrees; the groups hold different values, as they may
  // The tracker against a full scan, forwards (incremental) and backwards.
  const uint64_t scanned = tracker.records_scanned();
  for (int64_t at_ms : {2100, 2600, 1000, 1001, 2999}) {
    t.seek_time(at_ms * kMs);
    const viz::DsmKeyView& a = tracker.view(t, 5000);
    const viz::DsmKeyView b = viz::dsm_key_view(t, 5000);
    CHECK(a.by_node == b.by_node);
    CHECK(a.resolutions == b.resolutions);
    CHECK(a.converged == b.converged);
  }
  // Forwards from 2 s to 2.6 s it scanned only the records in between.
  CHECK(tracker.records_scanned() > scanned);
  const uint64_t before = tracker.records_scanned();
  const uint64_t cursor = t.cursor();
  t.step(10);
  tracker.view(t, 5000);
  CHECK(tracker.records_scanned() - before == t.cursor() - cursor);
}

TEST_CASE("timeline: failed expectations become critical records after the run's last, stops for the failure steps") {
  const scenario::Scenario sc = scenario::load_scenario_file(ECSIM_SOURCE_DIR "/tests/data/scenarios/sla-miss.yaml");
  {  // one Timeline at a time
    viz::Timeline t(sc, {});
    CHECK(t.failed_expectations().empty());  // judged at the end only
    t.simulate_all();
    const run::RunResult& r = t.result();
    REQUIRE(t.failed_expectations().size() == 2);  // served_ratio_min and latency_p99
    CHECK(t.failed_expectations()[0].name == "served_ratio_min");
    // After every record of the run: the trace's count and hash are the run's own.
    const uint64_t first = t.collected() - 2;
    for (uint64_t i = first; i < t.collected(); ++i) {
      const sim::Record& e = t.record(i);
      CHECK(e.type == viz::kExpectationFailed);
      CHECK(e.time_ns == r.end.ns);
      CHECK(viz::severity(e) == viz::Severity::kCritical);
      CHECK(t.trace_index(i) == r.records);
    }
    CHECK(t.describe(t.record(first)).find("expectation failed: served_ratio_min") == 0);
    uint64_t alone = 0;
    run::ParkedRun other;  // beside the Timeline's run (run/process_state.hpp)
    run::with_parked(other, [&] { alone = run::run_scenario(sc, {}).trace_hash; });
    CHECK(r.trace_hash == alone);
    // "Next failure" from the last record of the run stops at them.
    t.seek(first);
    REQUIRE(t.seek_next(viz::is_failure));
    CHECK(t.cursor() == first + 1);
    REQUIRE(t.seek_next(viz::is_failure));
    CHECK(t.cursor() == first + 2);
    CHECK_FALSE(t.seek_next(viz::is_failure));
    REQUIRE(t.seek_prev(viz::is_failure));
    CHECK(t.cursor() == first + 1);
  }
  // A run whose expectations hold has none.
  viz::Timeline ok(scenario::load_scenario_file(ECSIM_SOURCE_DIR "/tests/data/scenarios/demo-base.yaml"), {});
  ok.simulate_all();
  CHECK(ok.result().ok());
  CHECK(ok.failed_expectations().empty());
}

TEST_CASE("timeline: the messages in flight before a record are exactly those sent before it and ending at or after it") {
  run::RunOptions o;
  o.until = sim::seconds(2);
  viz::TimelineLimits limits;
  limits.checkpoint_every = 256;  // several checkpoints to start from
  viz::Timeline t(crash_scenario(), o, limits);
  t.simulate_all();
  for (uint64_t index : {uint64_t{0}, uint64_t{255}, uint64_t{256}, uint64_t{1000}, t.collected() / 2, t.collected()}) {
    std::vector<uint64_t> expected;
    for (uint64_t i = 0; i < index; ++i) {
      if (t.record(i).type != sim::RecordType::kSend) continue;
      const auto end = t.message_end(i);
      if (!end || *end >= index) expected.push_back(i);
    }
    INFO(index);
    CHECK(t.sends_in_flight_before(index) == expected);
    if (index == t.collected() / 2) CHECK_FALSE(expected.empty());
  }
}

}  // namespace test_probe
