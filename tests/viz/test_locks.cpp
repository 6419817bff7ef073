// The 2PC lock table in a node's snapshot (tiers/snapshot.hpp), which the
// Node tab shows: at any point of a run it is exactly what the lock records
// up to there imply (granted and not released; waiting and not yet granted,
// timed out or voted), the whole table however long, and the rows of a
// followed transaction are flagged and drawn first.
#include <algorithm>
#include <map>
#include <set>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "ecsim/proto/twopc.hpp"
#include "ecsim/run/runner.hpp"
#include "ecsim/scenario/loader.hpp"
#include "contended_billing.hpp"
#include "model/follow.hpp"
#include "model/lock_table.hpp"
#include "model/probe.hpp"
#include "model/timeline.hpp"

namespace test_locks {

using namespace ecsim;
namespace twopc = proto::twopc;

namespace {

constexpr const char* kContended = viz_test::kContendedBilling;

// The lock table the lock records imply, per node.
class LockRecords final : public sim::TraceObserver {
 public:
  std::span<const sim::RecordType> record_types() const override {
    static constexpr sim::RecordType kTypes[] = {twopc::kRecordLock, twopc::kRecordVote, twopc::kRecordParticipant,
                                                 sim::RecordType::kCrash};
    return kTypes;
  }
  void on_record(const sim::Record& r) override {
    if (r.type == sim::RecordType::kCrash) {  // the lock table is volatile
      held[r.node].clear();
      waiting[r.node].clear();
      return;
    }
    if (r.type == twopc::kRecordVote || r.type == twopc::kRecordParticipant) {
      // A vote, or an ABORT taken while it waited, ends the wait.
      waiting[r.node].erase(r.a);
      return;
    }
    switch (static_cast<twopc::LockEvent>(r.code)) {
      case twopc::LockEvent::kGranted:
        CHECK(held[r.node].count(r.b) == 0);
        held[r.node][r.b] = r.a;
        waiting[r.node].erase(r.a);
        break;
      case twopc::LockEvent::kReleased:
        CHECK(held[r.node][r.b] == r.a);
        held[r.node].erase(r.b);
        break;
      case twopc::LockEvent::kWait:
        waiting[r.node][r.a] = r.b;
        ++waits;
        break;
      case twopc::LockEvent::kTimeout:
        waiting[r.node].erase(r.a);
        break;
      case twopc::LockEvent::kDie:
        break;
    }
  }
  std::map<uint32_t, std::map<uint64_t, uint64_t>> held;     // node -> key -> holder
  std::map<uint32_t, std::map<uint64_t, uint64_t>> waiting;  // node -> txn -> key
  uint64_t waits = 0;
};

}  // namespace

TEST_CASE("locks: a node's snapshot lock table equals what the lock records up to that event imply") {
  const scenario::Scenario sc = scenario::load_scenario_text(kContended, "<test>");
  LockRecords records;
  run::RunOptions o;
  o.observers.push_back(&records);
  run::Run r(sc, o);
  tiers::SnapshotLimits limits;
  limits.dsm_entries_max = 0;
  limits.wal_entries_max = 0;
  limits.locks_max = 1000;
  const uint32_t nodes = 8;
  uint64_t compared = 0, rows = 0, waiters = 0, participants = 0;
  bool ended = false;
  for (uint64_t step = 1; !ended; step = step % 53 + 7) {  // stops at uneven events
    ended = r.advance(step);
    for (uint32_t n = 0; n < nodes; ++n) {
      const tiers::NodeSnapshot s = r.snapshot(n, limits);
      if (!s.participant) {
        CHECK(s.locks.empty());
        continue;
      }
      ++participants;
      std::map<uint64_t, uint64_t> held;
      std::map<uint64_t, std::set<uint64_t>> waiting;
      for (const tiers::LockSnapshot& l : s.locks) {
        if (l.holder != 0) held[l.key] = l.holder;
        CHECK((l.holder == 0 || l.holder_state != 0));
        for (uint64_t w : l.waiters) waiting[l.key].insert(w);
        waiters += l.waiters.size();
      }
      std::map<uint64_t, std::set<uint64_t>> implied_waiting;
      for (const auto& [txn, key] : records.waiting[n]) implied_waiting[key].insert(txn);
      INFO("node " << n << " at event " << r.simulator().events_processed());
      CHECK(held == records.held[n]);
      CHECK(waiting == implied_waiting);
      CHECK(s.locks_held == held.size());
      rows += s.locks.size();
      ++compared;
    }
  }
  CHECK(participants > 0);
  CHECK(compared > 1000);
  CHECK(rows > 100);      // locks were held at many of the stops
  CHECK(records.waits > 0);  // transactions met at a lock
  CHECK(waiters > 0);        // and the snapshots showed them waiting
}

TEST_CASE("locks: the followed transaction's rows of a node's lock table are flagged") {
  viz::Timeline t(scenario::load_scenario_text(kContended, "<test>"), {});
  t.seek_time(1'000'000'000);
  // The latest lock granted before the cursor whose transaction still holds it.
  std::map<std::pair<uint32_t, uint64_t>, uint64_t> held;  // (node, key) -> txn
  for (uint64_t i = 0; i < t.cursor(); ++i) {
    const sim::Record& r = t.record(i);
    if (r.type != twopc::kRecordLock) continue;
    if (r.code == static_cast<uint16_t>(twopc::LockEvent::kGranted)) held[{r.node, r.b}] = r.a;
    if (r.code == static_cast<uint16_t>(twopc::LockEvent::kReleased)) held.erase({r.node, r.b});
  }
  REQUIRE_FALSE(held.empty());
  const auto [where, txn] = *held.begin();
  viz::TxnFollow follow;
  follow.update(t, txn);
  REQUIRE(follow.active());
  REQUIRE(follow.lock_count() > 0);
  // The probe (a second run, to the cursor's event) shows that lock held by
  // it, flagged for the followed transaction, and no other row flagged.
  viz::Probe p(t);
  while (!p.advance_to(t.cursor_event(), t.cursor_ns(), 1 << 20)) {
  }
  const tiers::NodeSnapshot* s = p.snapshot(where.first, t.cursor_event());
  REQUIRE(s != nullptr);
  REQUIRE(s->participant);
  size_t flagged = 0, others = 0;
  for (const tiers::LockSnapshot& l : s->locks) {
    const bool mine = viz::lock_involves(l, follow.txn());
    const bool waits = std::find(l.waiters.begin(), l.waiters.end(), txn) != l.waiters.end();
    CHECK(mine == (l.holder == txn || waits));
    if (l.key == where.second) {
      CHECK(l.holder == txn);
      CHECK(mine);
    }
    flagged += mine ? 1 : 0;
    others += mine ? 0 : 1;
  }
  CHECK(flagged >= 1);
  // Its 2PC log lines name their transaction (the Node tab colours the
  // followed one's): the same as their text says.
  size_t named = 0;
  for (const tiers::WalLine& w : s->wal) {
    if (w.disk != 1) continue;
    const size_t at = w.text.find("txn ");
    if (at == std::string::npos) {
      CHECK(w.txn == 0);
      continue;
    }
    CHECK(std::to_string(w.txn) == w.text.substr(at + 4, w.text.find_first_not_of("0123456789", at + 4) - at - 4));
    ++named;
  }
  CHECK(named > 0);
  // Following nothing flags nothing.
  for (const tiers::LockSnapshot& l : s->locks) CHECK_FALSE(viz::lock_involves(l, 0));
  INFO("rows of other transactions: " << others);

  // The 2PC tab's "locks at the cursor": the node is among those where the
  // transaction locked, and its line there names the key it holds, in the
  // state the snapshot gives.
  const std::vector<uint32_t> nodes = viz::lock_nodes(t, follow);
  CHECK(std::find(nodes.begin(), nodes.end(), where.first) != nodes.end());
  CHECK(std::is_sorted(nodes.begin(), nodes.end()));
  for (const uint32_t n : nodes) {
    CHECK(t.tiers()[n] != viz::Tier::kCore);  // participants: edges and replicas
  }
  const viz::TxnLocksAt mine = viz::txn_locks_at(*s, txn);
  const uint64_t key = where.second;  // clang 14 captures no structured binding
  const auto held_there =
      std::find_if(mine.held.begin(), mine.held.end(), [key](const viz::TxnLocksAt::Held& h) { return h.key == key; });
  REQUIRE(held_there != mine.held.end());
  CHECK(mine.held.size() + mine.waiting.size() == flagged);
  const std::string text = viz::txn_locks_text(mine);
  CHECK_THAT(text, Catch::StartsWith("holds "));
  CHECK_THAT(text, Catch::Contains(viz::lock_key_text(where.second) + " (" +
                                   viz::txn_state_name(held_there->state) + ")"));
  // A transaction waiting at a lock is listed behind its holder.
  for (const tiers::LockSnapshot& l : s->locks) {
    if (l.waiters.empty() || l.holder == 0) continue;
    const viz::TxnLocksAt w = viz::txn_locks_at(*s, l.waiters.front());
    const auto at = std::find_if(w.waiting.begin(), w.waiting.end(),
                                 [&](const viz::TxnLocksAt::Waiting& x) { return x.key == l.key; });
    REQUIRE(at != w.waiting.end());
    CHECK(at->holder == l.holder);
    CHECK_THAT(viz::txn_locks_text(w), Catch::Contains("waits for "));
    CHECK_THAT(viz::txn_locks_text(w),
               Catch::Contains(viz::lock_key_text(l.key) + " (held by txn " +
                               std::to_string(l.holder) + ")"));
    break;
  }
  CHECK(viz::txn_locks_text(viz::txn_locks_at(*s, 0)) == "holds no lock");
}

namespace {

// Many subscribers and a high rate over slow disks: hundreds of
// transactions hold their locks at once at each cloud replica.
constexpr const char* kManyLocks = R"(
name: many-locks
seed: 5
duration: 1500ms
topology: { edge: 3, core: 2, cloud: 3 }
workload:
  - { kind: requests, rate: 10/s, until: 1s }
  - { kind: billing, rate: 4000/s, subscribers: 100000, balance: 100000, amount: [100, 500], mix: { transfer: 1 }, until: 1s }
)";

}  // namespace

TEST_CASE("locks: the Node tab's lock table is whole, the followed transaction's rows first") {
  const scenario::Scenario sc = scenario::load_scenario_text(kManyLocks, "<test>");
  LockRecords records;
  run::RunOptions o;
  o.observers.push_back(&records);
  run::Run r(sc, o);
  tiers::SnapshotLimits limits;  // the viewer's: every row of the lock table
  limits.dsm_entries_max = 0;
  limits.wal_entries_max = 0;
  tiers::SnapshotLimits few = limits;  // a snapshot limited to fewer rows
  few.locks_max = 10;
  // The stop where a participant held the most locks.
  tiers::NodeSnapshot most, cut;
  uint32_t most_node = 0;
  for (bool ended = false; !ended;) {
    ended = r.advance(5000);
    for (uint32_t n = 0; n < 8; ++n) {
      tiers::NodeSnapshot s = r.snapshot(n, limits);
      if (!s.participant) continue;
      // Every row: as many as the table has, every held key the records imply.
      CHECK(s.locks.size() == s.lock_rows);
      size_t held = 0;
      for (const tiers::LockSnapshot& l : s.locks) held += l.holder != 0 ? 1 : 0;
      CHECK(held == s.locks_held);
      CHECK(s.locks_held == records.held[n].size());
      if (s.locks.size() > most.locks.size()) {
        most = std::move(s);
        most_node = n;
        cut = r.snapshot(n, few);
      }
    }
  }
  INFO("node " << most_node);
  REQUIRE(most.locks.size() > 256);  // far past the 64 lowest keys the table once stopped at
  CHECK(std::is_sorted(most.locks.begin(), most.locks.end(),
                       [](const tiers::LockSnapshot& a, const tiers::LockSnapshot& b) { return a.key < b.key; }));
  // Following the holder of the highest key: its rows come first, then
  // every other row by key.
  const uint64_t followed = most.locks.back().holder;
  REQUIRE(followed != 0);
  const viz::LockRows rows = viz::lock_rows(most, followed);
  CHECK(rows.rows.size() == most.lock_rows);
  CHECK(rows.missing == 0);
  CHECK(rows.held == most.locks_held);
  REQUIRE(rows.followed >= 1);
  CHECK(rows.followed <= 3);  // it holds at most two keys and waits for at most one
  bool has_highest = false;
  for (size_t k = 0; k < rows.rows.size(); ++k) {
    CHECK(viz::lock_involves(*rows.rows[k], followed) == (k < rows.followed));
    has_highest |= k < rows.followed && rows.rows[k]->key == most.locks.back().key;
    if (k > rows.followed) CHECK(rows.rows[k - 1]->key < rows.rows[k]->key);
  }
  CHECK(has_highest);
  // Nothing followed: the table by key.
  const viz::LockRows plain = viz::lock_rows(most, 0);
  CHECK(plain.followed == 0);
  for (size_t k = 0; k < plain.rows.size(); ++k) CHECK(plain.rows[k] == &most.locks[k]);
  // A snapshot limited to fewer rows says how many it left out.
  CHECK(cut.lock_rows == most.lock_rows);
  CHECK(cut.locks.size() == 10);
  CHECK(viz::lock_rows(cut, 0).missing == most.lock_rows - 10);
}

}  // namespace test_locks
