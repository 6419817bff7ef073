#include <catch2/catch.hpp>

#include <set>
#include <string>

#include "ecsim/proto/points.hpp"
#include "ecsim/proto/storage.hpp"
#include "ecsim/run/runner.hpp"
#include "ecsim/scenario/loader.hpp"

namespace test_points {

using namespace ecsim;
using proto::Point;

namespace {

uint64_t count(const run::RunResult& r, Point p) { return r.points[static_cast<size_t>(p)]; }

const char* const kThreeTier =
    "name: points\nseed: 5\nduration: 3s\ntopology: { edge: 2, core: 2, cloud: 3 }\n"
    "workload:\n  - { kind: requests, at: edge, rate: 300/s, subscribers: 500,\n"
    "      mix: { session_check: 40, read: 20, write: 30, dsm_set: 10 } }\n";

}  // namespace

TEST_CASE("points: one list, unique dotted names, found by name", "[points]") {
  std::set<std::string> names;
  size_t index = 0;
  for (const proto::PointInfo& p : proto::points()) {
    CHECK(static_cast<size_t>(p.point) == index++);
    CHECK(names.insert(std::string(p.name)).second);
    CHECK(p.name.find('.') != std::string_view::npos);
    CHECK(p.tiers != 0);
    CHECK_FALSE(p.what.empty());
    CHECK(proto::point_by_name(p.name) == p.point);
    CHECK(&proto::point_info(p.point) == &p);
  }
  CHECK(index == proto::kPointCount);
  CHECK(proto::kPointCount >= 8);
  CHECK_FALSE(proto::point_by_name("storage.replica.after_wal_apend"));
}

TEST_CASE("points: a three-tier run counts its reaches, a ping run reaches none", "[points]") {
  const run::RunResult r = run::run_scenario(scenario::load_scenario_text(kThreeTier, "points.yaml"), {});
  CHECK(count(r, Point::kStorageReplicaAfterWalAppend) > 0);
  CHECK(count(r, Point::kStorageReplicaAfterSync) > 0);
  CHECK(count(r, Point::kStorageReplicaBeforeAck) > 0);
  CHECK(count(r, Point::kStorageWriterAfterQuorum) > 0);
  CHECK(count(r, Point::kRpcServerBeforeExecute) > 0);
  CHECK(count(r, Point::kRpcServerAfterExecute) > 0);
  // Every answer of an executed call goes out; retries answered from the
  // cache go out too.
  CHECK(count(r, Point::kRpcServerBeforeRespond) >= count(r, Point::kRpcServerAfterExecute));
  CHECK(count(r, Point::kDsmAfterSet) > 0);
  CHECK(count(r, Point::kMsgqReceiverBeforeAck) == count(r, Point::kMsgqReceiverAfterDeliver));
  CHECK(count(r, Point::kDsmAfterApply) > 0);
  // The client-side points: every call's request goes out at least once,
  // and every write core acknowledges went out to the replicas first.
  CHECK(count(r, Point::kRpcClientAfterSend) >= count(r, Point::kRpcServerBeforeExecute));
  CHECK(count(r, Point::kStorageWriterAfterSend) >= count(r, Point::kStorageWriterAfterQuorum));
  CHECK(count(r, Point::kStorageWriterAfterSend) > 0);
  // The counters start again at 0 for each run: the same run counts the same.
  const run::RunResult again = run::run_scenario(scenario::load_scenario_text(kThreeTier, "points.yaml"), {});
  CHECK(again.points == r.points);
  CHECK(again.trace_hash == r.trace_hash);

  const run::RunResult ping = run::run_scenario(
      scenario::load_scenario_text("name: ping\nduration: 1s\nworkload:\n  - { kind: ping, from: edge, to: core, "
                                   "rate: 100/s }\n",
                                   "ping.yaml"),
      {});
  for (const proto::PointInfo& p : proto::points()) {
    INFO(p.name);
    CHECK(count(ping, p.point) == 0);
  }
}

namespace {

// A three-tier run with a little loss and a short resend timeout, so that
// messages are resent.
const std::string kLossy = std::string(kThreeTier) +
                           "network:\n  default: { drop: 0.02 }\nmodel:\n  messaging: { resend_timeout: 200ms }\n";

// kLossy with one at_point fault; `extra` adds keys to the fault.
std::string at_point_scenario(std::string_view point, std::string_view node, uint64_t nth,
                              std::string_view extra = "") {
  return kLossy + "faults:\n  - { at_point: " +
         std::string(point) + ", node: " + std::string(node) + ", nth: " + std::to_string(nth) +
         ", do: crash" + std::string(extra) + " }\n";
}

// Follows one node through the trace: its applied storage writes (each one a
// WAL append, i.e. a reach of storage.replica.after_wal_append), the
// at_point fault records, and what comes right after each of them.
struct WalAppendWatch final : sim::TraceObserver {
  explicit WalAppendWatch(uint32_t node) : node(node) {}
  void on_record(const sim::Record& r) override {
    if (expect_crash) {
      expect_crash = false;
      next_is_crash = r.type == sim::RecordType::kCrash && r.node == fault_node && r.time_ns == fault_ns;
    }
    if (r.type == proto::storage::kRecordWrite && r.node == node &&
        r.code == static_cast<uint16_t>(proto::storage::WriteOutcome::kApplied)) {
      ++appends;
    }
    if (r.type == sim::RecordType::kFault && r.b == 1 &&
        r.code == static_cast<uint16_t>(scenario::Fault::Kind::kAtPoint)) {
      ++faults;
      appends_at_fault = appends;
      fault_node = r.node;
      fault_point = r.kind;
      fault_ns = r.time_ns;
      expect_crash = true;
    }
  }
  uint32_t node;
  uint64_t appends = 0;
  uint64_t faults = 0;
  uint64_t appends_at_fault = 0;
  uint32_t fault_node = UINT32_MAX;
  uint32_t fault_point = UINT32_MAX;
  int64_t fault_ns = -1;
  bool expect_crash = false;
  bool next_is_crash = false;
};

run::RunResult run_watched(const std::string& text, sim::TraceObserver& watch) {
  const scenario::Scenario sc = scenario::load_scenario_text(text, "at-point.yaml");
  run::Run r(sc, {});
  r.simulator().trace().add_observer(&watch);
  while (!r.advance(UINT64_MAX)) {
  }
  return r.finish();
}

}  // namespace

TEST_CASE("at_point: with nth, the crash comes at exactly the nth reach", "[points]") {
  const uint64_t nth = GENERATE(1, 2, 7);
  constexpr uint32_t kCloud2 = 5;  // edge-1, edge-2, core-1, core-2, cloud-1, cloud-2, cloud-3
  WalAppendWatch watch(kCloud2);
  const run::RunResult r =
      run_watched(at_point_scenario("storage.replica.after_wal_append", "cloud-2", nth), watch);
  INFO("nth " << nth);
  REQUIRE(watch.faults == 1);
  CHECK(watch.appends_at_fault == nth);  // not one reach earlier, not one later
  CHECK(watch.fault_node == kCloud2);
  CHECK(watch.fault_point == static_cast<uint32_t>(Point::kStorageReplicaAfterWalAppend));
  // The crash is the very next record: nothing the handler would have done
  // after the point (an ack, a sync, a trace record) happened.
  CHECK(watch.next_is_crash);
  CHECK(r.nodes.crashes == 1);
  CHECK(r.nodes.restarts == 0);  // no `for`: it stays down
  CHECK(r.faults_applied == 1);
  // Down from then on: cloud-2 appended nothing more.
  CHECK(watch.appends == nth);
  for (const run::Verdict& v : r.verdicts) {
    INFO(v.name << ": " << v.detail);
    CHECK(v.ok);
  }
}

TEST_CASE("at_point: an action that never fires changes nothing", "[points]") {
  // The 1000000th cloud-2 append never comes in a 3 s run.
  WalAppendWatch plain_watch(5);
  const run::RunResult plain = run_watched(kLossy, plain_watch);
  WalAppendWatch armed_watch(5);
  const run::RunResult armed =
      run_watched(at_point_scenario("storage.replica.after_wal_append", "cloud-2", 1000000), armed_watch);
  CHECK(armed_watch.faults == 0);
  CHECK(armed.nodes.crashes == 0);
  CHECK(armed.trace_hash == plain.trace_hash);
  CHECK(armed.points == plain.points);
  CHECK(armed_watch.appends == plain_watch.appends);
  CHECK(plain_watch.appends > 0);
}

TEST_CASE("at_point: `for` restarts the node that long after the reach", "[points]") {
  WalAppendWatch watch(5);
  const run::RunResult r =
      run_watched(at_point_scenario("storage.replica.after_wal_append", "cloud-2", 2, ", for: 500ms"), watch);
  REQUIRE(watch.faults == 1);
  CHECK(watch.next_is_crash);
  CHECK(r.nodes.crashes == 1);
  CHECK(r.nodes.restarts == 1);
  REQUIRE(r.tiers.catch_ups.size() == 1);
  CHECK(r.tiers.catch_ups[0].restart_ns == watch.fault_ns + 500'000'000);
  CHECK(watch.appends > 2);  // back up, it takes writes again
}

TEST_CASE("at_point: a crash at every point runs to a verdict, the invariants hold", "[points]") {
  // The model must be correct under crashes anywhere: each point on a node
  // of a tier that runs it, at its second reach, the node back after 300 ms.
  for (const proto::PointInfo& p : proto::points()) {
    // 2PC points need a billing workload: `ecsim explore` crashes at each of
    // them (tests/scenario/twopc_points.sh).
    if (proto::point_protocol(p.name) == "twopc") continue;
    const char* node = (p.tiers & proto::kOnCloud) != 0 ? "cloud-1" : (p.tiers & proto::kOnCore) != 0 ? "core-1" : "edge-1";
    std::string text = at_point_scenario(p.name, node, 2, ", for: 300ms");
    // durability judges cloud replicas' restarts: only a cloud crash gives it one.
    const bool cloud = std::string(node) == "cloud-1";
    text += std::string("expect:\n  invariants: [") + (cloud ? "durability, catch_up, " : "") +
            "causality, exactly_once, acknowledged_writes, at_most_once]\n";
    WalAppendWatch watch(0);
    const run::RunResult r = run_watched(text, watch);
    INFO(p.name << " at " << node << ": reached " << r.points[static_cast<size_t>(p.point)] << " times");
    CHECK(watch.faults == 1);
    CHECK(watch.fault_point == static_cast<uint32_t>(p.point));
    CHECK(watch.next_is_crash);
    CHECK(r.nodes.crashes == 1);
    CHECK(r.nodes.restarts == 1);
    // A crash at the second reach may come before the replica acked
    // anything: durability then has nothing to judge, which is no violation.
    for (const run::Verdict& v : r.verdicts) {
      INFO(v.name << ": " << v.detail);
      CHECK((v.ok || (v.vacuous && v.name == "durability")));
    }
  }
}

TEST_CASE("at_point: outside_faults leaves out the requests begun in the point crash's window", "[points]") {
  // edge-1 crashes at its 40th sent call and is back 500 ms later: its
  // requests begun then (lost with it, or refused while it is down) are the
  // window's, known only when the point fires.
  const std::string faults = ", for: 500ms";
  std::string text = at_point_scenario("rpc.client.after_send", "edge-1", 40, faults);
  text += "expect:\n  latency_p99: { edge: 900ms, core: 900ms, outside_faults: 200ms }\n";
  WalAppendWatch watch(0);
  const run::RunResult r = run_watched(text, watch);
  REQUIRE(watch.faults == 1);
  CHECK(watch.fault_point == static_cast<uint32_t>(Point::kRpcClientAfterSend));
  uint64_t excluded = 0, requests = 0;
  for (const run::TierRow& row : r.tiers.rows) {
    INFO(row.label << ": " << row.excluded << " of " << row.requests << " left out");
    CHECK(row.judged + row.excluded == row.requests);
    excluded += row.excluded;
    requests += row.requests;
  }
  // About 0.7 s of edge-1's share of a 3 s run: well above none, well below all.
  CHECK(excluded > 0);
  CHECK(excluded * 5 < requests);
  bool judged = false;
  for (const run::Verdict& v : r.verdicts) {
    if (v.name.rfind("latency_p99.", 0) != 0) continue;
    INFO(v.name << ": " << v.detail);
    CHECK(v.detail.find(" left out") != std::string::npos);
    CHECK(v.detail.find("; 0 left out") == std::string::npos);
    judged = true;
  }
  CHECK(judged);
}

namespace {

// Follows one node through a cut: its applied storage writes before, in
// and after the cut's window, messages dropped by the partition to and from
// it, and its crashes.
struct CutWatch final : sim::TraceObserver {
  CutWatch(uint32_t node, int64_t window_ns) : node(node), window_ns(window_ns) {}
  void on_record(const sim::Record& r) override {
    if (r.type == sim::RecordType::kFault && r.b == 1 &&
        r.code == static_cast<uint16_t>(scenario::Fault::Kind::kAtPoint)) {
      ++faults;
      fault_ns = r.time_ns;
    }
    if (r.type == sim::RecordType::kCrash && r.node == node) ++crashes;
    const bool in_window = fault_ns >= 0 && r.time_ns > fault_ns && r.time_ns < fault_ns + window_ns;
    if (r.type == proto::storage::kRecordWrite && r.node == node &&
        r.code == static_cast<uint16_t>(proto::storage::WriteOutcome::kApplied)) {
      (fault_ns < 0 ? before : in_window ? during : r.time_ns > fault_ns ? after : before) += 1;
    }
    if (r.type == sim::RecordType::kDrop && (r.node == node || r.peer == node) &&
        r.code == static_cast<uint16_t>(sim::DropReason::kPartition)) {
      (in_window ? partition_drops_in_window : partition_drops_outside) += 1;
    }
  }
  uint32_t node;
  int64_t window_ns;
  uint64_t faults = 0;
  int64_t fault_ns = -1;
  uint64_t crashes = 0;
  uint64_t before = 0, during = 0, after = 0;
  uint64_t partition_drops_in_window = 0, partition_drops_outside = 0;
};

}  // namespace

TEST_CASE("at_point: `do: cut` partitions the node at the reach, its `for` ends the cut", "[points]") {
  constexpr uint32_t kCloud2 = 5;
  CutWatch watch(kCloud2, 500'000'000);
  std::string text = kLossy + "faults:\n  - { at_point: storage.replica.after_wal_append, node: cloud-2, nth: 20, "
                              "do: cut, for: 500ms }\n";
  const scenario::Scenario sc = scenario::load_scenario_text(text, "cut.yaml");
  run::Run run(sc, {});
  run.simulator().trace().add_observer(&watch);
  while (!run.advance(UINT64_MAX)) {
  }
  const run::RunResult r = run.finish();
  REQUIRE(watch.faults == 1);
  CHECK(watch.before == 20);  // the 20th append is the reach; its handler went on
  CHECK(watch.during == 0);   // cut off: no write reaches it
  CHECK(watch.after > 0);     // the cut ended: writes reach it again
  CHECK(watch.partition_drops_in_window > 0);
  CHECK(watch.partition_drops_outside == 0);
  CHECK(watch.crashes == 0);  // a cut is not a crash
  CHECK(r.nodes.crashes == 0);
  CHECK(r.faults_applied == 1);
  for (const run::Verdict& v : r.verdicts) {
    INFO(v.name << ": " << v.detail);
    CHECK(v.ok);
  }
}

TEST_CASE("at_point: a cut without `for` lasts until a heal", "[points]") {
  CutWatch watch(5, 1'000'000'000);
  std::string text = kLossy + "faults:\n  - { at_point: storage.replica.after_wal_append, node: cloud-2, nth: 5, "
                              "do: cut }\n  - { at: 2s, heal: all }\n";
  const scenario::Scenario sc = scenario::load_scenario_text(text, "cut.yaml");
  run::Run run(sc, {});
  run.simulator().trace().add_observer(&watch);
  while (!run.advance(UINT64_MAX)) {
  }
  run.finish();
  REQUIRE(watch.faults == 1);
  REQUIRE(watch.fault_ns < 1'000'000'000);  // fired well before the heal at 2s
  CHECK(watch.before == 5);
  CHECK(watch.during == 0);
  CHECK(watch.after > 0);  // after the heal
}

}  // namespace test_points
