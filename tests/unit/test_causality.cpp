#include <fmt/format.h>

#include <catch2/catch.hpp>
#include <fstream>
#include <iterator>
#include <string>

#include "ecsim/check/causality.hpp"
#include "ecsim/check/convergence.hpp"
#include "ecsim/proto/vclock.hpp"

namespace test_causality {

using namespace ecsim;
using namespace ecsim::sim::literals;
namespace vc = ecsim::proto::vclock;
using check::CausalityChecker;

namespace {

const std::vector<std::string> kNames = {"edge-1", "core-1", "cloud-1"};

// Writes the records an honest node layer would, with real ClockKeepers, and
// lets a test tamper with the hashes it reports.
struct History {
  CausalityChecker checker{kNames};
  std::vector<vc::ClockKeeper> keepers{vc::ClockKeeper(0), vc::ClockKeeper(1), vc::ClockKeeper(2)};
  std::map<uint64_t, net::VectorClock> carried;
  uint64_t records = 0;  // the ordinal of the last record emitted

  void emit(int64_t t, sim::RecordType type, uint32_t node, uint32_t peer, uint64_t a, uint64_t b,
            uint16_t code = 0) {
    ++records;
    sim::Record r;
    r.code = code;
    r.time_ns = t;
    r.type = type;
    r.node = node;
    r.peer = peer;
    r.a = a;
    r.b = b;
    checker.offer(r);
  }
  void send(int64_t t, uint32_t src, uint32_t dst, uint64_t id, uint64_t tamper = 0) {
    carried[id] = keepers[src].on_send();
    emit(t, sim::RecordType::kSend, src, dst, id, 100);
    emit(t, vc::kRecordClockSend, src, dst, id, vc::hash(carried[id]) ^ tamper);
  }
  void deliver(int64_t t, uint32_t dst, uint32_t src, uint64_t id, bool merge = true) {
    emit(t, sim::RecordType::kDeliver, dst, src, id, 0);
    // A broken node that forgets to merge only increments.
    if (merge)
      keepers[dst].on_receive(carried[id]);
    else
      keepers[dst].on_local_event();
    emit(t, vc::kRecordClockRecv, dst, src, id, vc::hash(keepers[dst].clock()));
  }
  void local(int64_t t, uint32_t node) {
    keepers[node].on_local_event();
    emit(t, vc::kRecordClockLocal, node, 0, 0, vc::hash(keepers[node].clock()));
  }
};

}  // namespace

TEST_CASE("causality: an honest history passes and the recomputed clocks match", "[causality]") {
  History h;
  h.send(1000, 0, 1, 1);
  h.local(1500, 2);
  h.send(2000, 2, 1, 2);
  h.deliver(3000, 1, 0, 1);
  h.deliver(3500, 1, 2, 2);
  h.send(4000, 1, 2, 3);
  // An untracked message (no clock record) is ignored.
  h.emit(4100, sim::RecordType::kSend, 0, 2, 4, 64);
  h.emit(4200, sim::RecordType::kDeliver, 2, 0, 4, 0);
  h.deliver(5000, 2, 1, 3);
  h.checker.finish(6000);
  CHECK(h.checker.violation_count() == 0);
  CHECK(h.checker.sends_checked() == 3);
  CHECK(h.checker.receives_checked() == 3);
  CHECK(h.checker.in_flight() == 0);
  for (uint32_t n = 0; n < 3; ++n) CHECK(h.checker.clock_of(n) == h.keepers[n].clock());
}

TEST_CASE("causality: a tampered carried clock is reported with node message and time",
          "[causality]") {
  History h;
  h.send(1000, 0, 1, 1);
  h.send(2'000'000, 0, 1, 7, /*tamper=*/0x5);
  REQUIRE(h.checker.violation_count() == 1);
  const check::CausalityViolation& v = h.checker.violations()[0];
  CHECK(v.node == 0);
  CHECK(v.message_id == 7);
  CHECK(v.time_ns == 2'000'000);
  CHECK_THAT(v.what, Catch::Contains("edge-1") && Catch::Contains("message 7") &&
                         Catch::Contains("2ms") && Catch::Contains("{edge-1:2}"));
}

TEST_CASE("causality: a receive that skipped the merge is reported", "[causality]") {
  History h;
  h.send(1000, 0, 1, 1);
  h.send(2000, 0, 1, 2);
  h.deliver(3000, 1, 0, 1);
  h.deliver(4'000'000, 1, 0, 2, /*merge=*/false);  // clock_recv is record #8
  REQUIRE(h.checker.violation_count() == 1);
  const check::CausalityViolation& v = h.checker.violations()[0];
  CHECK(v.node == 1);
  CHECK(v.message_id == 2);
  CHECK(v.time_ns == 4'000'000);
  CHECK(v.record == 8);
  CHECK_THAT(v.what, Catch::StartsWith("core-1 at 4ms, record #8: ") &&
                         Catch::Contains("skipped the merge") &&
                         Catch::Contains("{edge-1:1, core-1:2}") &&
                         Catch::Contains("merging gives {edge-1:2, core-1:2}") &&
                         Catch::Contains("does not follow its send"));
}

TEST_CASE("causality: a wrongly merged clock is reported with the clock it should be",
          "[causality]") {
  // cloud-1 merges message 3 by overwriting its entries with the carried
  // ones instead of taking the larger: it forgets it had seen edge-1:2.
  History h;
  h.send(1000, 0, 1, 1);     // {edge-1:1}
  h.send(2000, 0, 2, 2);     // {edge-1:2}
  h.deliver(3000, 2, 0, 2);  // cloud-1 {edge-1:2, cloud-1:1}
  h.deliver(4000, 1, 0, 1);  // core-1 {edge-1:1, core-1:1}
  h.send(5000, 1, 2, 3);     // {edge-1:1, core-1:2}
  h.emit(6000, sim::RecordType::kDeliver, 2, 1, 3, 0);
  const net::VectorClock wrong{{{0, 1}, {1, 2}, {2, 2}}};
  h.emit(6000, vc::kRecordClockRecv, 2, 1, 3, vc::hash(wrong));
  REQUIRE(h.checker.violation_count() == 1);
  const check::CausalityViolation& v = h.checker.violations()[0];
  CHECK(v.node == 2);
  CHECK(v.message_id == 3);
  CHECK(v.record == h.records);
  CHECK_THAT(v.what, Catch::StartsWith(fmt::format("cloud-1 at 6us, record #{}: ", h.records)) &&
                         Catch::Contains("{edge-1:1, core-1:2}") &&
                         Catch::Contains("gives {edge-1:2, core-1:2, cloud-1:2}") &&
                         Catch::Contains("a wrong merge"));
  h.checker.finish(10'000'000'000);
  CHECK(h.checker.violation_count() == 1);
  CHECK(h.checker.receives_checked() == 3);
}

TEST_CASE("causality: a receive that does not happen after its send is reported", "[causality]") {
  SECTION("the receiver's clock equals the send's: merged without its own increment") {
    History h;
    h.send(1000, 0, 2, 1);  // {edge-1:1}; cloud-1 has heard of nothing yet
    h.emit(2000, sim::RecordType::kDeliver, 2, 0, 1, 0);
    h.emit(2000, vc::kRecordClockRecv, 2, 0, 1, vc::hash(h.carried[1]));
    REQUIRE(h.checker.violation_count() == 1);
    const check::CausalityViolation& v = h.checker.violations()[0];
    CHECK(v.record == 4);
    CHECK_THAT(v.what, Catch::StartsWith("cloud-1 at 2us, record #4: ") &&
                           Catch::Contains("the merge without its own increment") &&
                           Catch::Contains("does not happen after the send's clock"));
  }
  SECTION("the delivery comes before the send") {
    History h;
    h.send(5000, 0, 1, 1);
    h.deliver(4000, 1, 0, 1);
    REQUIRE(h.checker.violation_count() == 1);
    const check::CausalityViolation& v = h.checker.violations()[0];
    CHECK(v.record == 3);
    CHECK(v.time_ns == 4000);
    CHECK_THAT(v.what, Catch::StartsWith("core-1 at 4us, record #3: ") &&
                           Catch::Contains("delivered before its send at 5us (record #1)"));
  }
}

TEST_CASE("causality: a delivered copy is judged against its receiver's own take bound",
          "[causality]") {
  // core-1 (node 1) on one core may hold a message 3 s; the others 1 s.
  const std::vector<int64_t> bounds{1'000'000'000, 3'000'000'000, 1'000'000'000};
  // A message from edge-1 to core-1 delivered at 2 us and never taken.
  History h;
  h.send(1000, 0, 1, 1);
  h.emit(2000, sim::RecordType::kDeliver, 1, 0, 1, 0);
  SECTION("within the receiver's bound: not yet a violation") {
    h.checker.finish(2000 + 2'999'999'999, bounds);
    CHECK(h.checker.violation_count() == 0);
  }
  SECTION("at the receiver's bound: never taken") {
    h.checker.finish(2000 + 3'000'000'000, bounds);
    REQUIRE(h.checker.violation_count() == 1);
    CHECK_THAT(h.checker.violations()[0].what, Catch::Contains("never got its clock_recv"));
  }
  SECTION("another node's longer bound does not count") {
    h.send(3000, 1, 2, 2);  // core-1 to cloud-1, whose bound is 1 s
    h.emit(4000, sim::RecordType::kDeliver, 2, 1, 2, 0);
    h.checker.finish(4000 + 1'500'000'000, bounds);
    REQUIRE(h.checker.violation_count() == 1);  // message 1 may still wait at core-1
    CHECK(h.checker.violations()[0].message_id == 2);
  }
}

TEST_CASE("causality: a deliver without its clock_recv and a stray clock_recv are reported",
          "[causality]") {
  History h;
  h.send(1000, 0, 1, 1);
  h.emit(2000, sim::RecordType::kDeliver, 1, 0, 1, 0);  // the node never records clock_recv
  h.emit(2500, vc::kRecordClockRecv, 2, 0, 99, 1234);   // no such tracked message
  CHECK(h.checker.violation_count() == 1);
  h.checker.finish(3000);  // it may still wait in the receiver's service queue
  CHECK(h.checker.violation_count() == 1);
  h.checker.finish(2'000'000'000);  // but not for seconds
  REQUIRE(h.checker.violation_count() == 2);
  CHECK(h.checker.violations()[0].message_id == 99);
  CHECK(h.checker.violations()[1].message_id == 1);
  CHECK_THAT(h.checker.violations()[1].what, Catch::Contains("never got its clock_recv"));
}

TEST_CASE("causality: duplicates and drops settle the in-flight table", "[causality]") {
  History h;
  h.send(1000, 0, 1, 1);
  h.emit(1000, sim::RecordType::kDuplicate, 0, 1, 1, 0);
  h.deliver(2000, 1, 0, 1);
  CHECK(h.checker.in_flight() == 1);
  h.deliver(2500, 1, 0, 1);  // the copy: merged again, harmless
  CHECK(h.checker.in_flight() == 0);
  h.send(3000, 0, 2, 2);
  h.emit(3500, sim::RecordType::kDrop, 2, 0, 2, 0);
  CHECK(h.checker.in_flight() == 0);
  h.checker.finish(4000);
  CHECK(h.checker.violation_count() == 0);
}

TEST_CASE("causality: a duplicate or drop recorded before clock_send is matched", "[causality]") {
  // The network writes a send's duplicate (node = sender) or its drop (node =
  // receiver, peer = sender) at once, before the sender's clock_send.
  History h;
  h.carried[1] = h.keepers[0].on_send();
  h.emit(1000, sim::RecordType::kSend, 0, 1, 1, 100);
  h.emit(1000, sim::RecordType::kDuplicate, 0, 1, 1, 100);
  h.emit(1000, vc::kRecordClockSend, 0, 1, 1, vc::hash(h.carried[1]));
  CHECK(h.checker.in_flight() == 1);
  h.deliver(2000, 1, 0, 1);
  h.deliver(2100, 1, 0, 1);  // the second copy is matched too
  CHECK(h.checker.in_flight() == 0);
  for (uint64_t id = 2; id < 1000; ++id) {
    h.carried[id] = h.keepers[2].on_send();
    h.emit(3000, sim::RecordType::kSend, 2, 0, id, 100);
    h.emit(3000, sim::RecordType::kDrop, 0, 2, id, 0);  // partitioned or lost at once
    h.emit(3000, vc::kRecordClockSend, 2, 0, id, vc::hash(h.carried[id]));
  }
  CHECK(h.checker.in_flight() == 0);  // nothing left behind
  h.checker.finish(5'000'000'000);
  CHECK(h.checker.violation_count() == 0);
  CHECK(h.checker.sends_checked() == 999);
  CHECK(h.checker.receives_checked() == 2);
}

TEST_CASE("causality: copies lost in a crashed receiver's queue or refused need no clock_recv",
          "[causality]") {
  using sim::DropReason;
  History h;
  h.send(1000, 0, 1, 1);
  h.emit(2000, sim::RecordType::kDeliver, 1, 0, 1, 0);  // waits in core-1's service queue
  h.emit(3000, sim::RecordType::kCrash, 1, 0, 0, 0);
  h.emit(4000, sim::RecordType::kDrop, 1, 0, 1, 0, static_cast<uint16_t>(DropReason::kNodeDown));
  h.send(5000, 0, 2, 2);
  h.emit(5000, sim::RecordType::kDuplicate, 0, 2, 2, 0);
  h.emit(6000, sim::RecordType::kDeliver, 2, 0, 2, 0);
  h.emit(6000, sim::RecordType::kDrop, 2, 0, 2, 0, static_cast<uint16_t>(DropReason::kOverload));
  h.deliver(7000, 2, 0, 2);  // the other copy is taken
  CHECK(h.checker.in_flight() == 0);
  h.checker.finish(10'000'000'000);
  CHECK(h.checker.violation_count() == 0);
  CHECK(h.checker.receives_checked() == 1);
}

TEST_CASE("causality: more than kInFlightMax messages in flight raise no false alarm",
          "[causality]") {
  // edge-1 sends past the bound before core-1 takes any: the first
  // kInFlightMax are tracked and verified, the rest are unverified, never
  // violations, and the clocks they reach are unknown until a restart.
  constexpr uint64_t kExtra = 1000;
  constexpr uint64_t kSent = CausalityChecker::kInFlightMax + kExtra;
  History h;
  for (uint64_t id = 1; id <= kSent; ++id) h.send(1000, 0, 1, id);
  CHECK(h.checker.in_flight() == CausalityChecker::kInFlightMax);
  CHECK(h.checker.untracked_at_bound() == kExtra);
  for (uint64_t id = 1; id <= kSent; ++id) h.deliver(2000, 1, 0, id);
  CHECK(h.checker.receives_checked() == CausalityChecker::kInFlightMax);  // the oldest too
  CHECK_FALSE(h.checker.clock_known(1));
  h.send(3000, 1, 2, kSent + 1);  // carries a clock the checker cannot know
  h.deliver(4000, 2, 1, kSent + 1);
  h.local(5000, 2);
  CHECK_FALSE(h.checker.clock_known(2));
  h.local(5000, 0);  // edge-1 heard of nothing untracked: still checked
  CHECK(h.checker.clock_of(0) == h.keepers[0].clock());
  h.emit(6000, sim::RecordType::kCrash, 1, 0, 0, 0);
  h.emit(7000, sim::RecordType::kRestart, 1, 0, 1, 0);
  h.keepers[1] = vc::ClockKeeper(1);
  h.send(8000, 1, 0, kSent + 2);
  h.deliver(9000, 0, 1, kSent + 2);
  h.checker.finish(10'000'000'000);
  CHECK(h.checker.violation_count() == 0);
  CHECK(h.checker.unverified() == kExtra + 3);  // core-1's send, cloud-1's receive and local
  CHECK(h.checker.receives_checked() == CausalityChecker::kInFlightMax + 1);
  CHECK(h.checker.clock_known(1));
  CHECK(h.checker.clock_of(0) == h.keepers[0].clock());
  CHECK(h.checker.clock_of(1) == h.keepers[1].clock());
  CHECK(h.checker.in_flight() == 0);
  CHECK(h.checker.in_flight_peak() == CausalityChecker::kInFlightMax);
  CHECK_THAT(h.checker.summary(),
             Catch::Contains("1003 clock records unverified") &&
                 Catch::Contains("1000 messages sent while 262144 were in flight"));
  // The checker reached its own limit: its verdict is incomplete, which fails.
  CHECK(h.checker.incomplete());
  CHECK_THAT(h.checker.summary(), Catch::StartsWith("incomplete: the checker reached its limit "
                                                    "check.causality.in_flight (262144 messages in flight)"));
}

TEST_CASE("causality: a restart empties the node's clock unless told it survives", "[causality]") {
  History h;
  h.send(1000, 0, 1, 1);
  h.emit(2000, sim::RecordType::kCrash, 0, 0, 0, 0);
  h.emit(3000, sim::RecordType::kRestart, 0, 0, 1, 0);
  h.keepers[0] = vc::ClockKeeper(0);
  h.send(4000, 0, 1, 2);
  CHECK(h.checker.violation_count() == 0);
  CHECK(h.checker.clock_of(0) == net::VectorClock{{{0, 1}}});
}

TEST_CASE("convergence: the diverging key is named with its nodes and values", "[causality]") {
  using check::ReplicaValue;
  std::vector<check::ReplicaState> replicas = {
      {0, {{1, ReplicaValue{10, 0xa}}, {7, ReplicaValue{3, 0xb}}}, 5'000'000'000, 40, {{1, 41}, {7, 42}}},
      {1, {{1, ReplicaValue{10, 0xa}}, {7, ReplicaValue{4, 0xc}}}, 5'000'000'000, 43, {{1, 44}, {7, 45}}},
      {2, {{1, ReplicaValue{10, 0xa}}, {7, ReplicaValue{3, 0xb}}, {9, ReplicaValue{1, 0xd}}}, 5'000'000'000, 46,
       {{1, 47}, {7, 48}, {9, 49}}},
  };
  const check::ConvergenceReport report = check::check_convergence(replicas, kNames);
  CHECK_FALSE(report.converged());
  CHECK(report.keys_checked == 3);
  REQUIRE(report.divergent_keys == 2);
  REQUIRE(report.divergences.size() == 2);
  CHECK(report.divergences[0].key == 7);
  CHECK(report.divergences[0].nodes == std::vector<net::NodeId>{0, 1, 2});
  CHECK_THAT(report.divergences[0].what, Catch::Contains("key 7") && Catch::Contains("value 3") &&
                                             Catch::Contains("edge-1, cloud-1") &&
                                             Catch::Contains("value 4") &&
                                             Catch::Contains("core-1"));
  // Located at the end, at the first replica's record of the key (its
  // summary record when it lacks the key).
  CHECK(report.divergences[0].what.find("at 5s, record #42: key 7 diverges:") == 0);
  CHECK(report.divergences[0].record == 42);
  CHECK(report.divergences[0].time_ns == 5'000'000'000);
  CHECK(report.divergences[1].key == 9);
  CHECK_THAT(report.divergences[1].what, Catch::Contains("missing at edge-1, core-1"));
  CHECK(report.divergences[1].what.find("at 5s, record #40: key 9 diverges:") == 0);

  replicas[1].entries[7] = ReplicaValue{3, 0xb};
  replicas[2].entries.erase(9);
  CHECK(check::check_convergence(replicas, kNames).converged());
}

TEST_CASE("convergence: with DSM groups, only replicas of one group must agree", "[causality]") {
  using check::ReplicaValue;
  // Nodes 0 and 1 in group 0, node 2 in group 1: key 7 differs across the
  // groups (fine), key 9 only in group 1 (fine).
  std::vector<check::ReplicaState> replicas = {
      {0, {{7, ReplicaValue{3, 0xb}}}, 5'000'000'000, 40, {{7, 41}}},
      {1, {{7, ReplicaValue{3, 0xb}}}, 5'000'000'000, 42, {{7, 43}}},
      {2, {{7, ReplicaValue{4, 0xc}}, {9, ReplicaValue{1, 0xd}}}, 5'000'000'000, 44, {{7, 45}, {9, 46}}},
  };
  const std::vector<uint32_t> groups = {0, 0, 1};
  const check::ConvergenceReport grouped = check::check_convergence(replicas, kNames, groups);
  CHECK(grouped.converged());
  CHECK(grouped.keys_checked == 3);  // key 7 once per group, key 9 in group 1
  CHECK_FALSE(check::check_convergence(replicas, kNames).converged());  // as one group they differ

  replicas[1].entries[7] = ReplicaValue{5, 0xe};  // now group 0 itself differs
  const check::ConvergenceReport split = check::check_convergence(replicas, kNames, groups);
  CHECK(split.divergent_keys == 1);
  REQUIRE(split.divergences.size() == 1);
  CHECK(split.divergences[0].nodes == std::vector<net::NodeId>{0, 1});
}

TEST_CASE("convergence: the check applies only after heal and a quiet period", "[causality]") {
  check::Quiescence q;
  CHECK(q.applies(sim::Time{} + 1_s, 500_ms));
  q.on_dsm_activity(sim::Time{} + 2_s);
  q.on_network_faulted(sim::Time{} + 3_s);
  CHECK_FALSE(q.applies(sim::Time{} + 10_s, 500_ms));  // still partitioned
  q.on_network_healed(sim::Time{} + 5_s);
  CHECK_FALSE(q.applies(sim::Time{} + 5_s + 400_ms, 500_ms));
  CHECK(q.applies(sim::Time{} + 5_s + 500_ms, 500_ms));
  q.on_dsm_activity(sim::Time{} + 6_s);
  CHECK(q.quiet_since() == sim::Time{} + 6_s);
  CHECK_FALSE(q.applies(sim::Time{} + 6_s + 499_ms, 500_ms));
  CHECK(q.applies(sim::Time{} + 7_s, 1_s));
}

TEST_CASE("causality: check/ calls none of the proto/vclock code it judges", "[causality]") {
  // The checker may read the record type numbers (vclock_records.hpp); the
  // clock rules and the hash it recomputes are its own (check/clock_model).
  for (const char* file :
       {"src/check/causality.cpp", "src/check/clock_model.cpp", "include/ecsim/check/causality.hpp",
        "include/ecsim/check/clock_model.hpp"}) {
    std::ifstream in(std::string(ECSIM_SOURCE_DIR) + "/" + file);
    REQUIRE(in.good());
    const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    INFO(file);
    for (size_t at = text.find("#include \"ecsim/"); at != std::string::npos;
         at = text.find("#include \"ecsim/", at + 1)) {
      const std::string path = text.substr(at + 10, text.find('"', at + 10) - (at + 10));
      INFO(path);
      const bool allowed = path.rfind("ecsim/check/", 0) == 0 || path.rfind("ecsim/sim/", 0) == 0 ||
                           path == "ecsim/net/vector_clock.hpp" ||
                           path == "ecsim/proto/vclock_records.hpp";
      CHECK(allowed);
    }
    for (size_t at = text.find("vclock::"); at != std::string::npos;
         at = text.find("vclock::", at + 1)) {
      INFO(text.substr(at, 40));
      CHECK(text.compare(at + 8, 12, "kRecordClock") == 0);
    }
    CHECK(text.find("ClockKeeper") == std::string::npos);
  }
}

}  // namespace test_causality
