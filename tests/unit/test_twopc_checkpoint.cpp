// The 2PC logs stay flat: participants checkpoint and truncate, coordinators
// truncate after END, and recovery from a truncated log gives the same
// balances, locks and remembered outcomes as from the whole log.
#include <catch2/catch.hpp>

#include "twopc_cluster.hpp"

namespace test_twopc_checkpoint {

using namespace twopc_test;

namespace {

ParticipantConfig small_checkpoints() {
  ParticipantConfig c = Cluster::part_config();
  c.checkpoint_records = 16;
  return c;
}

CoordinatorConfig small_truncations() {
  CoordinatorConfig c;
  c.truncate_every = 8;
  return c;
}

Op top_up(uint64_t to, uint64_t amount) { return Op{OpKind::kTopUp, 0, to, amount, 0}; }

// Runs `n` transfers of 1 between Alice and Bob on `core_id`, each settled.
void shuffle(Cluster& c, NodeId core_id, uint64_t first_client, int n) {
  for (int i = 0; i < n; ++i) {
    const bool forth = i % 2 == 0;
    REQUIRE(c.begin(core_id, first_client + static_cast<uint64_t>(i),
                    forth ? transfer(kAlice, kBob, 1) : transfer(kBob, kAlice, 1)));
    c.settle();
  }
}

}  // namespace

TEST_CASE("twopc: a checkpoint record round-trips, a damaged or oversized one is refused",
          "[twopc][checkpoint]") {
  LogCheckpoint c{7, true, {{kAlice, 990}, {kBob, 510}}, {{kNumber, kBob}}, {{40, 41, true, 42}}};
  const std::string bytes = encode(c);
  const std::optional<LogRecord> back = decode(bytes);
  REQUIRE(back);
  const auto* got = std::get_if<LogCheckpoint>(&*back);
  REQUIRE(got);
  CHECK(got->seq == 7);
  CHECK(got->last);
  CHECK(got->balances.size() == 2);
  CHECK(got->balances[1].balance == 510);
  CHECK(got->owners[0].subscriber == kBob);
  CHECK(got->outcomes[0].client_txn == 41);
  CHECK(got->outcomes[0].at_ns == 42);
  CHECK(encode(*got) == bytes);
  std::string damaged = bytes;
  damaged[20] = static_cast<char>(damaged[20] ^ 0x08);
  CHECK_FALSE(decode(damaged));
  CHECK_FALSE(decode(std::string_view(bytes).substr(0, bytes.size() - 3)));
}

TEST_CASE("twopc: checkpoints and truncation keep the logs flat, and recovery stays exact",
          "[twopc][checkpoint]") {
  Cluster c(small_checkpoints(), small_truncations());
  shuffle(c, kCore1, 1, 200);
  // 200 transactions append 400+ records at every participant and 600 at
  // the coordinator; what is kept is a checkpoint and the records since.
  for (NodeId p : kParts) {
    const node::Disk& d = c.parts.at(p)->io.d;
    CHECK(c.part(p).counters().checkpoints >= 10);
    CHECK(d.first() > 0);
    CHECK(d.retained() <= 40);
  }
  CHECK(c.cores.at(kCore1)->io.d.first() > 0);
  CHECK(c.cores.at(kCore1)->io.d.retained() <= 3 * 8 + 3);
  CHECK(c.all_balances(kAlice, 1000));
  CHECK(c.all_balances(kBob, 500));

  // One more that leaves Alice at 999, then a crash that loses whatever was
  // not synced: the replay of checkpoint + tail gives the same state.
  REQUIRE(c.begin(kCore1, 1000, transfer(kAlice, kBob, 1)));
  c.settle();
  c.crash_part(kP2, true);
  c.start_part(kP2);
  c.settle();
  CHECK(c.part(kP2).balance(kAlice) == 999);
  CHECK(c.part(kP2).balance(kBob) == 501);
  CHECK(c.part(kP2).number_owner(kNumber) == kAlice);
  CHECK(c.no_locks());

  // A retry of a client id from before the last checkpoint, on the other
  // core: every participant still knows its first outcome, so it runs once.
  REQUIRE(c.begin(kCore2, 3, transfer(kAlice, kBob, 1)));
  c.settle();
  const auto done = c.completions(kCore2);
  REQUIRE(done.size() == 1);
  CHECK(done[0].outcome == Outcome::kCommitted);  // the first outcome, not a second run
  CHECK(c.all_balances(kAlice, 999));
}

TEST_CASE("twopc: truncation keeps the PREPARED of a transaction in doubt across checkpoints",
          "[twopc][checkpoint]") {
  Cluster c(small_checkpoints(), small_truncations());
  // Core 1 cannot make its decision durable: the participants stay prepared.
  c.hold_syncs.insert(kCore1);
  const auto held = c.begin(kCore1, 500, top_up(kCarol, 70));
  REQUIRE(held);
  c.settle();
  for (NodeId p : kParts) CHECK(c.part(p).state(*held) == TxnState::kPrepared);
  // Meanwhile core 2 runs enough transactions for several checkpoints.
  shuffle(c, kCore2, 1, 120);
  const node::Disk& d = c.parts.at(kP1)->io.d;
  REQUIRE(c.part(kP1).counters().checkpoints >= 5);
  CHECK(d.first() == 0);  // the in-doubt PREPARED is the first record, and it stays
  // The participant crashes: it comes back in doubt, with Carol's lock.
  c.crash_part(kP1, true);
  c.start_part(kP1);
  c.settle();
  CHECK(c.part(kP1).state(*held) == TxnState::kPrepared);
  CHECK(c.part(kP1).lock_holder(account_key(kCarol)) == *held);
  CHECK(c.part(kP1).balance(kAlice) == 1000);
  // Core 1's decision goes out: Carol's top-up commits everywhere once.
  c.hold_syncs.clear();
  c.settle();
  CHECK(c.all_balances(kCarol, 70));
  CHECK(c.no_locks());
  // Later checkpoints may now drop the old PREPARED.
  shuffle(c, kCore2, 1000, 60);
  CHECK(d.first() > 0);
  c.crash_part(kP1, true);
  c.start_part(kP1);
  c.settle();
  CHECK(c.part(kP1).balance(kCarol) == 70);
  CHECK(c.part(kP1).balance(kAlice) == 1000);
}

// The log is cut at the PREPARED of the oldest transaction live at the
// checkpoint, before it: the commits between that PREPARED and the
// checkpoint follow history the cut dropped, so replay must not apply them
// to the initial balances (a debit larger than Alice's first balance would
// drive her negative), only take them from the checkpoint.
TEST_CASE("twopc: replay of a log cut before its checkpoint applies no commit to the initial state",
          "[twopc][checkpoint]") {
  Cluster c(small_checkpoints(), small_truncations());
  REQUIRE(c.begin(kCore2, 1, top_up(kAlice, 5000)));
  c.settle();
  shuffle(c, kCore2, 10, 60);  // checkpoints: the top-up's records go
  const node::Disk& d = c.parts.at(kP1)->io.d;
  REQUIRE(d.first() > 0);
  // Core 1 cannot make its decision durable: its transaction stays live.
  c.hold_syncs.insert(kCore1);
  const auto held = c.begin(kCore1, 500, top_up(kCarol, 70));
  REQUIRE(held);
  c.settle();
  // After its PREPARED, Alice pays 3000 of her 6000, then enough for a
  // checkpoint that cuts the log at the held PREPARED.
  REQUIRE(c.begin(kCore2, 600, debit(kAlice, 3000)));
  c.settle();
  const uint64_t checkpoints = c.part(kP1).counters().checkpoints;
  shuffle(c, kCore2, 1000, 40);
  REQUIRE(c.part(kP1).counters().checkpoints > checkpoints);
  REQUIRE(c.part(kP1).state(*held) == TxnState::kPrepared);
  CHECK(c.part(kP1).balance(kAlice) == 3000);
  c.crash_part(kP1, true);
  c.start_part(kP1);
  c.settle();
  CHECK(c.part(kP1).balance(kAlice) == 3000);
  CHECK(c.part(kP1).state(*held) == TxnState::kPrepared);
  CHECK(c.part(kP1).lock_holder(account_key(kCarol)) == *held);
  c.hold_syncs.clear();
  c.settle();
  CHECK(c.all_balances(kCarol, 70));
  CHECK(c.all_balances(kAlice, 3000));
  CHECK(c.no_locks());
}

TEST_CASE("twopc: remembered outcomes are forgotten after the retention", "[twopc][checkpoint]") {
  ParticipantConfig pc = Cluster::part_config();
  pc.outcome_retention = sim::seconds(10);
  Cluster c(pc);
  REQUIRE(c.begin(kCore1, 1, debit(kAlice, 5)));
  c.settle();
  const std::optional<uint64_t> first = c.begin(kCore1, 2, debit(kAlice, 5));
  REQUIRE(first);
  c.settle();
  CHECK(c.part(kP1).resolved(*first));
  c.run_for(sim::seconds(11), sim::seconds(1));
  // Another transaction moves the clock of the tables on: the old ones go.
  REQUIRE(c.begin(kCore1, 3, debit(kAlice, 5)));
  c.settle();
  CHECK_FALSE(c.part(kP1).resolved(*first));
  CHECK(c.all_balances(kAlice, 985));
}

}  // namespace test_twopc_checkpoint
