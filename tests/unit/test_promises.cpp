// The promise checkers (check/promises.hpp) on hand-made histories, each
// with the violation it exists for and the honest history beside it.
#include <catch2/catch.hpp>

#include "ecsim/check/promises.hpp"
#include "ecsim/sim/limits.hpp"
#include "ecsim/sim/simulator.hpp"
#include "ecsim/proto/rpc.hpp"
#include "ecsim/proto/storage.hpp"
#include "ecsim/tiers/world.hpp"

namespace test_promises {

using namespace ecsim;
using sim::Record;
using sim::RecordType;

namespace {
const std::vector<std::string> kNames{"edge-1", "core-1", "cloud-1"};
constexpr uint32_t kEdge = 0, kCore = 1, kCloud = 2;
namespace st = proto::storage;

Record ack(int64_t t, uint64_t key, uint64_t counter) { return {t, st::kRecordAck, 0, kCloud, kCore, 0, key, counter}; }
Record recovered(int64_t t, uint64_t key, uint64_t counter) {
  return {t, st::kRecordRecovered, 0, kCloud, 0, 0, key, counter};
}
Record replayed(int64_t t) {
  return {t, st::kRecordWal, static_cast<uint16_t>(st::WalEvent::kReplayed), kCloud, 0, 0, 0, 0};
}
Record at(int64_t t, RecordType type, uint32_t node) { return {t, type, 0, node, 0, 0, 0, 0}; }
}  // namespace

TEST_CASE("promises: durability holds a replica's acks against its replay after a restart", "[check]") {
  SECTION("an ack whose write the replay recovered, or a newer version of it, is kept") {
    check::AckedDurability c(kNames);
    for (const Record& r : {ack(1, 7, 3), ack(2, 8, 1), at(3, RecordType::kCrash, kCloud),
                            at(4, RecordType::kRestart, kCloud), recovered(4, 7, 4), recovered(4, 8, 1),
                            replayed(4)}) {
      c.offer(r);
    }
    CHECK(c.violation_count() == 0);
    CHECK(c.recoveries_checked() == 1);
    CHECK(c.promises_checked() == 2);
  }
  SECTION("an acked version the replay lost is a violation naming the time and record") {
    check::AckedDurability c(kNames);
    for (const Record& r : {ack(1, 7, 3), at(3, RecordType::kCrash, kCloud), at(4, RecordType::kRestart, kCloud),
                            recovered(4, 7, 2), replayed(4)}) {
      c.offer(r);
    }
    REQUIRE(c.violation_count() == 1);
    CHECK(c.violations().front().what ==
          "cloud-1 at 4ns, record #5: acked key 7 at version 3 before its crash, but its log replay recovered "
          "version 2");
  }
  SECTION("the boot's replay judges nothing") {
    check::AckedDurability c(kNames);
    c.offer(replayed(0));
    CHECK(c.recoveries_checked() == 0);
  }
}

TEST_CASE("promises: at_most_once allows one execution per call id per server incarnation", "[check]") {
  namespace rpc = proto::rpc;
  auto serve = [](int64_t t, rpc::ServeOutcome o, uint64_t call) {
    return Record{t, rpc::kRecordServe, static_cast<uint16_t>(o), kCore, kEdge, 0, call, 0};
  };
  check::AtMostOnce c(kNames);
  c.offer(serve(1, rpc::ServeOutcome::kExecute, 42));
  c.offer(serve(2, rpc::ServeOutcome::kCached, 42));  // a retry answered from the cache
  CHECK(c.violation_count() == 0);
  c.offer(at(3, RecordType::kCrash, kCore));  // the cache is gone: the retry may execute again
  c.offer(serve(4, rpc::ServeOutcome::kExecute, 42));
  CHECK(c.violation_count() == 0);
  c.offer(serve(5, rpc::ServeOutcome::kExecute, 42));  // executed twice in one incarnation
  REQUIRE(c.violation_count() == 1);
  CHECK(c.violations().front().what.find("record #5: executed call 0x2a from edge-1 a second time") !=
        std::string::npos);
  CHECK(c.executions() == 3);
  CHECK(c.retries_seen() == 1);
}

TEST_CASE("promises: at_most_once at its limit says it is incomplete, never silently passes", "[check]") {
  namespace rpc = proto::rpc;
  auto execute = [](int64_t t, uint64_t call) {
    return Record{t, rpc::kRecordServe, static_cast<uint16_t>(rpc::ServeOutcome::kExecute), kCore, kEdge, 0, call, 0};
  };
  sim::Trace trace;
  sim::Simulator sim(1, trace);
  sim::LimitScope limits(sim, sim::kMemoryMaxDefault);
  check::AtMostOnce c(kNames);
  c.set_calls_max(2);
  c.offer(execute(1, 1));
  c.offer(execute(2, 2));
  CHECK_FALSE(c.incomplete());
  c.offer(execute(3, 3));  // not remembered: counted, and reported as a limit reach
  CHECK(c.incomplete());
  CHECK(c.untracked() == 1);
  CHECK(sim::limit_state().use[static_cast<size_t>(sim::Resource::kAtMostOnceCalls)].reached == 1);
  c.offer(execute(4, 2));  // a remembered call executed again is still caught
  CHECK(c.violation_count() == 1);
  c.offer(at(5, RecordType::kCrash, kCore));  // the server's crash frees its calls
  c.offer(execute(6, 5));
  CHECK(c.untracked() == 1);
  CHECK(c.executions() == 5);
}

TEST_CASE("promises: at_most_once tells calls apart by client, server and every id bit", "[check]") {
  // Executed calls are kept as bitmaps of 64 consecutive ids per (client,
  // server): ids on either side of a block boundary, the extremes of the id
  // range, and the same id from another client or at another server are all
  // different calls; each executed a second time is caught.
  namespace rpc = proto::rpc;
  auto execute = [](int64_t t, uint32_t server, uint32_t client, uint64_t call) {
    return Record{t, rpc::kRecordServe, static_cast<uint16_t>(rpc::ServeOutcome::kExecute), server, client, 0, call, 0};
  };
  const std::vector<uint64_t> ids{1, 63, 64, 65, 127, 128, uint64_t{1} << 40, UINT64_MAX - 1, UINT64_MAX};
  check::AtMostOnce c(kNames);
  int64_t t = 0;
  for (const uint32_t server : {kCore, kEdge}) {
    for (const uint32_t client : {kEdge, kCore}) {
      for (const uint64_t id : ids) c.offer(execute(++t, server, client, id));
    }
  }
  CHECK(c.violation_count() == 0);
  CHECK(c.executions() == 4 * ids.size());
  uint64_t expected = 0;
  for (const uint64_t id : ids) {
    c.offer(execute(++t, kCore, kEdge, id));
    CHECK(c.violation_count() == ++expected);
  }
  c.offer(execute(++t, kEdge, kCore, 64));
  CHECK(c.violation_count() == ++expected);
  c.offer(execute(++t, kEdge, kCore, 66));  // a neighbour never executed
  CHECK(c.violation_count() == expected);
}

TEST_CASE("promises: at_most_once accounts its tables' bytes and gives them back", "[check]") {
  namespace rpc = proto::rpc;
  auto execute = [](int64_t t, uint32_t server, uint64_t call) {
    return Record{t, rpc::kRecordServe, static_cast<uint16_t>(rpc::ServeOutcome::kExecute), server, kEdge, 0, call, 0};
  };
  sim::Trace trace;
  sim::Simulator sim(1, trace);
  sim::LimitScope limits(sim, sim::kMemoryMaxDefault);
  const auto bytes = [] { return sim::limit_state().use[static_cast<size_t>(sim::Resource::kAtMostOnceCalls)].bytes; };
  {
    check::AtMostOnce c(kNames);
    // Sparse ids, one per 64-id block: one table slot each at worst.
    for (uint64_t i = 0; i < 1000; ++i) c.offer(execute(1, kCore, i * 64));
    for (uint64_t i = 0; i < 10; ++i) c.offer(execute(1, kCloud, i));
    const int64_t both = bytes();
    CHECK(both >= 1010 * 16);  // at least a key and a mask per slot
    c.offer(at(2, RecordType::kCrash, kCore));  // the core's table goes
    CHECK(bytes() > 0);
    CHECK(bytes() < both / 10);
    c.offer(at(3, RecordType::kCrash, kCloud));
    CHECK(bytes() == 0);
    c.offer(execute(4, kCore, 7));
    CHECK(bytes() > 0);
  }
  CHECK(bytes() == 0);  // the checker's end gives back what it held
}

TEST_CASE("promises: tokens: no bad-token request is answered ok", "[check]") {
  auto outcome = [](tiers::Outcome o, workload::BadToken b) {
    return Record{1, tiers::kRecordClientBadToken, static_cast<uint16_t>(o), kEdge, 0, static_cast<uint32_t>(b), 9, 77};
  };
  check::BadTokens c(kNames);
  c.offer(outcome(tiers::Outcome::kRefused, workload::BadToken::kForged));
  c.offer(outcome(tiers::Outcome::kFailed, workload::BadToken::kExpired));
  CHECK(c.violation_count() == 0);
  c.offer(outcome(tiers::Outcome::kOk, workload::BadToken::kForged));
  REQUIRE(c.violation_count() == 1);
  CHECK(c.violations().front().what.find("request 0x9 for subscriber 77 with a forged token was answered ok") !=
        std::string::npos);
  CHECK(c.requests() == 3);
}

}  // namespace test_promises
