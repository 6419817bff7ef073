// Following one 2PC transaction (model/follow.hpp) without a window: a
// billing transfer taken as an action while the workload's transactions
// run; the follower finds its 2PC records, each of its messages with the
// delivery, its lock records and its WAL entries, and nothing of another
// transaction that was handled elsewhere.
#include <set>

#include <catch2/catch.hpp>

#include "ecsim/proto/twopc.hpp"
#include "ecsim/tiers/messages.hpp"
#include "model/demo.hpp"
#include "model/follow.hpp"

using namespace ecsim;
namespace twopc = proto::twopc;

TEST_CASE("follow: a transaction's messages, locks and WAL entries, and only where it was handled") {
  viz::OpenRequest request;
  request.scenario_path = ECSIM_SOURCE_DIR "/tests/data/scenarios/demo-base.yaml";
  viz::Demo d(request);
  d.timeline().seek_time(1'500'000'000);  // the billing clients are sending too
  REQUIRE(d.billing("transfer", 1, 2, 500, "edge-1").empty());
  viz::Timeline& t = d.timeline();
  t.seek_time(2'500'000'000);
  const uint64_t client = (uint64_t{0xffffff} << 40) | 1;
  uint64_t txn = 0;
  for (uint64_t i = 0; i < t.cursor() && txn == 0; ++i) {
    const sim::Record& r = t.record(i);
    if (r.type == twopc::kRecordCoordinator && r.code == 1 && r.b == client) txn = r.a;
  }
  REQUIRE(txn != 0);

  viz::TxnFollow f;
  f.update(t, txn);
  REQUIRE(f.active());
  CHECK(f.txn() == txn);
  // Four participants (edge-1 and three cloud replicas): PREPARE, vote,
  // decision and ACK each, at least.
  CHECK(f.message_count() >= 16);
  CHECK(f.lock_count() >= 16);  // two keys granted and released at four participants
  CHECK(f.wal_count() >= 11);  // START, decision, END; PREPARED and COMMITTED at four participants
  std::set<uint64_t> sends, ends;
  size_t own = 0;
  for (uint64_t i : f.records()) {
    const sim::Record& r = t.record(i);
    CHECK(f.record(i));
    if (viz::names_txn(r, txn)) ++own;
    if (r.type == sim::RecordType::kSend) {
      CHECK(r.kind == tiers::kKindTwopc);
      CHECK(f.message(r.a));
      sends.insert(r.a);
    }
    if (r.type == sim::RecordType::kDeliver || r.type == sim::RecordType::kDrop) ends.insert(r.a);
    // Anything that is not its own record was made by a node in an event
    // in which that node made one of its own records.
    if (!viz::names_txn(r, txn) && r.type != sim::RecordType::kDeliver && r.type != sim::RecordType::kDrop) {
      bool shared = false;
      for (uint64_t k : f.records()) {
        shared |= t.event_of(k) == t.event_of(i) && t.record(k).node == r.node && viz::names_txn(t.record(k), txn);
      }
      CHECK(shared);
    }
  }
  CHECK(sends.size() == f.message_count());
  CHECK(ends == sends);  // every message of it was delivered (no faults here)
  // Every record naming it in the scanned window is followed.
  size_t naming = 0;
  for (uint64_t i = 0; i < t.collected(); ++i) naming += viz::names_txn(t.record(i), txn) ? 1 : 0;
  CHECK(own == naming);
  // Another transaction's START is not.
  for (uint64_t i = 0; i < t.collected(); ++i) {
    const sim::Record& r = t.record(i);
    if (r.type == twopc::kRecordCoordinator && r.code == 1 && r.a != txn) CHECK_FALSE(f.record(i));
  }
  // Following nothing: nothing highlighted.
  f.update(t, 0);
  CHECK_FALSE(f.active());
  CHECK(f.records().empty());
}
