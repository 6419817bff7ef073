// The edge-isolation checker (check/edge_isolation.hpp) on hand-made
// histories containing the violations it exists for, and the byzantine
// cloud_direct_write fault end to end.
#include <catch2/catch.hpp>

#include "ecsim/check/edge_isolation.hpp"
#include "ecsim/run/runner.hpp"
#include "ecsim/tiers/messages.hpp"

namespace test_edge_isolation {

using namespace ecsim;
using namespace ecsim::sim::literals;
using proto::storage::Version;
using sim::Record;
using sim::RecordType;

namespace {

// edge-1 = 0, edge-2 = 1, core-1 = 2, cloud-1 = 3, cloud-2 = 4, cloud-3 = 5.
const std::vector<std::string> kNames = {"edge-1", "edge-2", "core-1", "cloud-1", "cloud-2", "cloud-3"};
const std::vector<bool> kIsCore = {false, false, true, false, false, false};
constexpr uint32_t kStorage = tiers::kKindStorage;

Record send(int64_t t, uint32_t from, uint32_t to, uint64_t id) {
  return Record{t, RecordType::kSend, 0, from, to, kStorage, id, 100};
}
Record deliver(int64_t t, uint32_t from, uint32_t to, uint64_t id) {
  return Record{t, RecordType::kDeliver, 0, to, from, kStorage, id, 0};
}
Record drop(int64_t t, uint32_t from, uint32_t to, uint64_t id) {
  return Record{t, RecordType::kDrop, static_cast<uint16_t>(sim::DropReason::kPartition), to, from, kStorage, id, 0};
}
Record refusal(int64_t t, uint32_t replica, uint32_t from, uint64_t key, uint64_t req_id) {
  return Record{t, proto::storage::kRecordRefused, static_cast<uint16_t>(proto::storage::Refusal::kNotCore),
                replica, from, 0, key, req_id};
}
Record write(int64_t t, uint32_t replica, uint32_t from, uint64_t key, uint64_t counter) {
  return Record{t, proto::storage::kRecordWrite, static_cast<uint16_t>(proto::storage::WriteOutcome::kApplied),
                replica, from, 0, key, counter};
}

// Registers forged write `req` and feeds its send record (message id `id`).
void forge(check::ForgedWrites& f, int64_t t, uint32_t from, uint32_t to, uint64_t req, uint64_t key, uint64_t id) {
  f.forging(from, to, req, key, sim::Time{t});
  f.offer(send(t, from, to, id));
  REQUIRE(f.bound());
}

}  // namespace

TEST_CASE("edge_isolation: forged writes refused, lost or in flight pass", "[check]") {
  check::ForgedWrites f(kIsCore, kStorage, kNames);
  const int64_t s = 1'000'000'000;
  // A core write on the way is no business of the follower.
  f.offer(send(0, 2, 3, 1));
  forge(f, 1 * s, 0, 3, 1, 70, 10);  // refused
  forge(f, 1 * s, 0, 4, 2, 71, 11);  // lost in a partition
  forge(f, 9 * s, 0, 5, 3, 72, 12);  // sent just before the end
  forge(f, 2 * s, 1, 3, 4, 73, 13);  // delivered just before the end, waits in the queue
  f.offer(deliver(1 * s + 5, 0, 3, 10));
  f.offer(refusal(1 * s + 9, 3, 0, 70, 1));
  f.offer(drop(1 * s, 0, 4, 11));
  f.offer(deliver(9 * s + s / 2, 1, 3, 13));
  // A core node's write is applied: fine.
  f.offer(write(3 * s, 3, 2, 70, 5));
  const check::ForgedWritesReport r = f.report(sim::Time{10 * s}, 1_s);
  INFO(r.first_violation);
  CHECK(r.ok());
  CHECK(r.sent == 4);
  CHECK(r.refused == 1);
  CHECK(r.lost == 1);
  CHECK(r.in_flight == 2);
  CHECK(r.unanswered == 0);
  CHECK(r.applied == 0);
  CHECK(r.refusals == 1);
  CHECK(r.first_violation.empty());
}

TEST_CASE("edge_isolation: a forged write applied or left unanswered fails, naming key and nodes", "[check]") {
  const int64_t s = 1'000'000'000;
  {
    check::ForgedWrites f(kIsCore, kStorage, kNames);
    forge(f, 1 * s, 0, 4, 7, 4242, 20);
    f.offer(deliver(1 * s + 3, 0, 4, 20));
    f.offer(write(1 * s + 4, 4, 0, 4242, check::kForgedCounterBase + 7));  // cloud-2 took it
    const check::ForgedWritesReport r = f.report(sim::Time{10 * s}, 1_s);
    CHECK_FALSE(r.ok());
    CHECK(r.applied == 1);
    CHECK(r.refused == 0);
    INFO(r.first_violation);
    CHECK(r.first_violation.find("cloud-2 accepted a write of key 4242") != std::string::npos);
    CHECK(r.first_violation.find("from edge-1") != std::string::npos);
  }
  {
    check::ForgedWrites f(kIsCore, kStorage, kNames);
    forge(f, 1 * s, 1, 5, 8, 99, 21);
    f.offer(deliver(2 * s, 1, 5, 21));  // handed to cloud-3, which said nothing
    const check::ForgedWritesReport r = f.report(sim::Time{10 * s}, 1_s);
    CHECK_FALSE(r.ok());
    CHECK(r.unanswered == 1);
    INFO(r.first_violation);
    CHECK(r.first_violation.find("key 99 from edge-2 to cloud-3") != std::string::npos);
    CHECK(r.first_violation.find("neither refused nor applied") != std::string::npos);
    // Named at its delivery: 2 s, the second record (after the send).
    CHECK(r.first_violation.find("cloud-3 at 2s, record #2: forged write") == 0);
  }
  {
    // A write from an edge node that nobody forged is a violation too.
    check::ForgedWrites f(kIsCore, kStorage, kNames);
    f.offer(write(3 * s, 3, 1, 555, 12));
    const check::ForgedWritesReport r = f.report(sim::Time{10 * s}, 1_s);
    CHECK_FALSE(r.ok());
    CHECK(r.sent == 0);
    CHECK(r.other_applied == 1);
    CHECK(r.first_violation.find("cloud-1 accepted a write of key 555 (version counter 12) from edge-2") !=
          std::string::npos);
    // Named at the write's time and record (the first the checker saw).
    CHECK(r.first_violation.find("cloud-1 at 3s, record #1: cloud-1 accepted") == 0);
  }
}

TEST_CASE("edge_isolation: a replica holding a version written by an edge node is reported", "[check]") {
  // Each replica's versions counted by writer, as the end state traces them
  // (records #11..#15 at 60 s).
  constexpr int64_t kEnd = 60'000'000'000;
  std::vector<check::ReplicaWriters> replicas = {
      {3, false, kEnd, {{2, 2, 7, 11}}},
      {4, false, kEnd, {{0, 1, 7, 12}, {2, 1, 9, 13}}},  // key 7: edge-1's forgery
      {5, true, kEnd, {{2, 1, 7, 15}}},                  // down, from its log
  };
  const check::ReplicaWritersReport bad = check::check_replica_writers(replicas, kIsCore, kNames);
  CHECK_FALSE(bad.ok());
  CHECK(bad.versions_checked == 5);
  REQUIRE(bad.violation_count == 1);
  REQUIRE(bad.violations.size() == 1);
  CHECK(bad.violations[0].key == 7);
  CHECK(bad.violations[0].replica == 4);
  CHECK(bad.violations[0].writer == 0);
  const std::string& what = bad.violations[0].what;
  INFO(what);
  CHECK(what.find("cloud-2 at 60s, record #12: cloud-2 holds key 7") == 0);
  CHECK(what.find("written by edge-1, which is not a core node") != std::string::npos);

  // Three versions by edge-1 on a replica that is down count as three.
  replicas[2].writers = {{0, 3, 4, 15}};
  const check::ReplicaWritersReport more = check::check_replica_writers(replicas, kIsCore, kNames);
  CHECK(more.violation_count == 4);
  REQUIRE(more.violations.size() == 2);
  CHECK(more.violations[1].what ==
        "cloud-3 at 60s, record #15: cloud-3 holds key 4 and 2 more keys written by edge-1, which is not a core "
        "node (down, from its log)");

  // The same states with every version written by core-1 pass.
  replicas[1].writers = {{2, 2, 7, 12}};
  replicas[2].writers = {{2, 1, 7, 15}};
  CHECK(check::check_replica_writers(replicas, kIsCore, kNames).ok());
}

TEST_CASE("edge_isolation: an edge node writing cloud storage directly is refused and changes nothing",
          "[check][tiers]") {
  scenario::Scenario sc;
  sc.name = "edge-direct-write-test";
  sc.file = "<test>";
  sc.seed = 5;
  sc.duration = 4_s;
  scenario::RequestWorkload w;
  w.at = {"edge", {}};
  w.rate_per_s = 200;
  w.subscribers = 2000;
  sc.requests.push_back(w);
  scenario::Fault byz;
  byz.kind = scenario::Fault::Kind::kByzantine;
  byz.at = sim::Time{0} + 1_s;
  byz.for_duration = 2_s;
  byz.target = {"edge-2", {}};
  byz.rate_per_s = 50;
  sc.faults.push_back(byz);
  sc.expect.invariants.push_back("edge_isolation");
  const run::RunResult r = run::run_scenario(sc, {});
  const run::ForgedWriteSummary& f = r.tiers.forged;
  REQUIRE(f.present);
  CHECK(f.sent == 100);  // 50/s for 2 s
  CHECK(f.refused == f.sent);
  CHECK(f.refusals == f.sent);
  CHECK(f.replica_counters == f.sent);
  CHECK(f.applied == 0);
  CHECK(f.non_core_versions == 0);
  CHECK(f.versions_checked > 0);
  const auto v = std::find_if(r.verdicts.begin(), r.verdicts.end(),
                              [](const run::Verdict& x) { return x.name == "edge_isolation"; });
  REQUIRE(v != r.verdicts.end());
  INFO(v->detail);
  CHECK(v->ok);
  CHECK(v->detail.find("100 forged writes") != std::string::npos);
  CHECK(v->detail.find("100 refused") != std::string::npos);
}

}  // namespace test_edge_isolation
