// 2PC recovery as sans-IO machines (twopc_cluster.hpp): a participant in
// doubt asks and keeps its locks; a coordinator that crashed after deciding
// re-sends; one with no decision logged presumes abort; missing ACKs make the
// decision go out again.
#include <catch2/catch.hpp>

#include "twopc_cluster.hpp"

namespace test_twopc_recovery {

using namespace twopc_test;
using namespace ecsim::sim::literals;

namespace {

// Runs a transfer until every participant voted YES and the votes are on
// their way to the coordinator, which is then crashed before reading them.
uint64_t prepare_then_crash_coordinator(Cluster& c) {
  const auto txn = c.begin(kCore1, 1, transfer(kAlice, kBob, 250));
  REQUIRE(txn);
  for (int i = 0; i < 3; ++i) REQUIRE(c.deliver_first(is<Prepare>));
  c.crash_core(kCore1);
  c.settle();  // PREPAREDs durable, YES votes sent to a dead coordinator
  for (NodeId p : kParts) REQUIRE(c.part(p).state(*txn) == TxnState::kPrepared);
  return *txn;
}

}  // namespace

TEST_CASE("twopc recovery: a participant in doubt keeps its locks and asks the coordinator",
          "[twopc]") {
  Cluster c;
  const uint64_t txn = prepare_then_crash_coordinator(c);
  // P1 restarts too: it replays PREPARED without a decision.
  c.crash_part(kP1);
  c.start_part(kP1);
  CHECK(c.part(kP1).counters().in_doubt_recovered == 1);
  CHECK(c.part(kP1).state(txn) == TxnState::kPrepared);
  CHECK(c.part(kP1).lock_holder(account_key(kAlice)) == txn);
  CHECK(c.part(kP1).lock_holder(account_key(kBob)) == txn);
  CHECK(c.part(kP1).counters().queries_sent == 1);  // asked at once
  CHECK(c.part(kP1).counters().votes_yes == 1);     // and voted again
  c.run_for(1_s);
  // Still nobody to answer: it keeps asking and keeps the locks.
  CHECK(c.part(kP1).counters().queries_sent >= 3);
  CHECK(c.part(kP1).lock_holder(account_key(kAlice)) == txn);
  // A younger transaction on the same account cannot get in.
  const auto other = c.begin(kCore2, 2, debit(kAlice, 1));
  REQUIRE(other);
  c.settle();
  const auto done = c.completions(kCore2);
  REQUIRE(done.size() == 1);
  CHECK(done[0].outcome == Outcome::kAborted);
  CHECK(done[0].reason == Reason::kLockDied);
  CHECK(c.all_balances(kAlice, 1000));
  // The coordinator comes back (a new incarnation): no decision in its log,
  // so it presumes abort and tells everyone; the locks go.
  c.start_core(kCore1, 1);
  c.settle();
  for (NodeId p : kParts) CHECK(c.part(p).resolved(txn) == false);
  CHECK(c.no_locks());
  CHECK(c.all_balances(kAlice, 1000));
  CHECK(c.all_balances(kBob, 500));
  CHECK(c.core(kCore1).counters().recovered_aborts == 1);
  CHECK(c.core(kCore1).live() == 0);
}

TEST_CASE("twopc recovery: a coordinator that lost its START answers a query by presumed abort",
          "[twopc]") {
  Cluster c;
  const uint64_t txn = prepare_then_crash_coordinator(c);
  // START was never synced, and the crash lost it.
  c.cores.at(kCore1)->io.d = node::Disk{};
  c.start_core(kCore1, 1);
  c.settle();
  CHECK(c.core(kCore1).counters().recovered_aborts == 0);
  for (NodeId p : kParts) CHECK(c.part(p).state(txn) == TxnState::kPrepared);
  c.run_for(400_ms);  // the participants' query timers fire
  CHECK(c.core(kCore1).counters().presumed_aborts >= 1);
  for (NodeId p : kParts) CHECK(c.part(p).resolved(txn) == false);
  CHECK(c.no_locks());
  CHECK(c.all_balances(kAlice, 1000));
}

TEST_CASE("twopc recovery: a coordinator that crashed after deciding re-sends its decision",
          "[twopc]") {
  Cluster c;
  const auto txn = c.begin(kCore1, 1, transfer(kAlice, kBob, 250));
  REQUIRE(txn);
  c.hold_syncs = {kCore1};
  c.settle();  // votes in, COMMIT appended, its sync not done
  auto& core = *c.cores.at(kCore1);
  REQUIRE(core.io.syncs.size() == 1);
  auto decisions_sent = [&] {
    size_t n = 0;
    for (const auto& s : c.cores.at(kCore1)->env.sent) n += std::holds_alternative<Decision>(s.message);
    return n;
  };
  SECTION("decision durable, crash before any participant heard it") {
    REQUIRE(Cluster::complete_syncs(core));
    std::vector<Completion> reported;
    core.m->take_completions(reported);
    REQUIRE(reported.size() == 1);
    c.crash_core(kCore1);  // the three COMMITs were never sent
    c.start_core(kCore1, 1);
    CHECK(decisions_sent() == 3);  // durable: re-sent at once
  }
  SECTION("decision not yet durable but kept by the disk: synced before it is sent") {
    c.crash_core(kCore1);
    c.start_core(kCore1, 1);
    CHECK(decisions_sent() == 0);
    REQUIRE(Cluster::complete_syncs(*c.cores.at(kCore1)));
    CHECK(decisions_sent() == 3);
  }
  c.hold_syncs.clear();
  for (NodeId p : kParts) CHECK(c.part(p).state(*txn) == TxnState::kPrepared);
  CHECK(c.core(kCore1).counters().recovered_decisions == 1);
  c.settle();
  for (NodeId p : kParts) CHECK(c.part(p).resolved(*txn) == true);
  CHECK(c.all_balances(kAlice, 750));
  CHECK(c.all_balances(kBob, 750));
  CHECK(c.no_locks());
  CHECK(c.core(kCore1).live() == 0);  // every ACK: END
  CHECK(c.core(kCore1).decision(*txn) == true);
  // A recovered decision is not reported (the client's call died with the
  // old incarnation), but a retry of its client id gets it.
  CHECK(c.completions(kCore1).empty());
  REQUIRE(c.begin(kCore1, 1, transfer(kAlice, kBob, 250)) == txn);
  const auto done = c.completions(kCore1);
  REQUIRE(done.size() == 1);
  CHECK(done[0].outcome == Outcome::kCommitted);
  CHECK(c.all_balances(kAlice, 750));
}

TEST_CASE("twopc recovery: missing ACKs make the decision go out again", "[twopc]") {
  Cluster c;
  const auto txn = c.begin(kCore1, 1, transfer(kAlice, kBob, 250));
  REQUIRE(txn);
  for (int i = 0; i < 3; ++i) REQUIRE(c.deliver_first(is<Prepare>));
  // P3 prepares, votes, then crashes before the COMMIT reaches it.
  c.hold_syncs = {kCore1};
  c.settle();
  c.crash_part(kP3);
  c.hold_syncs.clear();
  c.settle();
  CHECK(c.completions(kCore1).at(0).outcome == Outcome::kCommitted);
  CHECK(c.core(kCore1).live() == 1);  // waiting for P3's ACK
  c.run_for(500_ms);
  CHECK(c.core(kCore1).counters().decision_resends >= 2);
  CHECK(c.core(kCore1).live() == 1);
  // P3 restarts in doubt; the resent COMMIT (or the answer to its query)
  // resolves it.
  c.start_part(kP3);
  CHECK(c.part(kP3).state(*txn) == TxnState::kPrepared);
  CHECK(c.part(kP3).lock_holder(account_key(kAlice)) == *txn);
  c.run_for(500_ms);
  CHECK(c.part(kP3).resolved(*txn) == true);
  CHECK(c.all_balances(kAlice, 750));
  CHECK(c.core(kCore1).live() == 0);
  CHECK(c.core(kCore1).counters().ended == 1);
  CHECK(c.no_locks());
}

TEST_CASE("twopc recovery: a participant replays committed balances and forgets nothing acked",
          "[twopc]") {
  Cluster c;
  REQUIRE(c.begin(kCore1, 1, transfer(kAlice, kBob, 100)));
  c.settle();
  REQUIRE(c.begin(kCore1, 2, Op{OpKind::kTopUp, 0, kCarol, 40, 0}));
  c.settle();
  c.crash_part(kP2, true);  // every record was synced before its ACK: nothing lost
  c.start_part(kP2);
  CHECK(c.part(kP2).balance(kAlice) == 900);
  CHECK(c.part(kP2).balance(kBob) == 600);
  CHECK(c.part(kP2).balance(kCarol) == 40);
  CHECK(c.part(kP2).live() == 0);
  CHECK(c.part(kP2).counters().wal_rejected == 0);
  // The client ids are remembered across the restart: a retry on the other
  // core is refused as a duplicate and gets the first outcome.
  REQUIRE(c.begin(kCore2, 2, Op{OpKind::kTopUp, 0, kCarol, 40, 0}));
  c.settle();
  CHECK(c.completions(kCore2).at(0).outcome == Outcome::kCommitted);
  CHECK(c.all_balances(kCarol, 40));
}

TEST_CASE("twopc: transaction ids are unique across cores and restarts", "[twopc]") {
  Cluster c;
  const auto a = c.begin(kCore1, 1, debit(kAlice, 1));
  const auto b = c.begin(kCore2, 2, debit(kBob, 1));
  c.crash_core(kCore1);
  c.start_core(kCore1, 1);
  const auto d = c.begin(kCore1, 3, debit(kCarol, 1));
  REQUIRE(a);
  REQUIRE(b);
  REQUIRE(d);
  CHECK(*a != *b);
  CHECK(*a != *d);
  CHECK(*b != *d);
}

TEST_CASE("twopc recovery: a replayed COMMIT is acknowledged only once it is durable", "[twopc]") {
  Cluster c;
  const auto txn = c.begin(kCore1, 1, transfer(kAlice, kBob, 250));
  REQUIRE(txn);
  for (int i = 0; i < 3; ++i) REQUIRE(c.deliver_first(is<Prepare>));
  c.hold_syncs = {kP3};
  c.settle();  // P3's PREPARED is not durable: no YES from it yet
  REQUIRE(Cluster::complete_syncs(*c.parts.at(kP3)));
  c.settle();  // COMMIT reaches P3, which applies and appends it, un-synced
  REQUIRE(c.part(kP3).state(*txn) == TxnState::kDeciding);
  // P3 crashes; its disk happened to keep the un-synced COMMIT record.
  c.crash_part(kP3);
  c.start_part(kP3);
  CHECK(c.part(kP3).resolved(*txn) == true);
  CHECK(c.part(kP3).balance(kAlice) == 750);
  // The coordinator resends; P3 must not ACK a record a crash could still lose.
  c.run_for(500_ms);
  CHECK(c.core(kCore1).counters().decision_resends >= 2);
  CHECK(c.core(kCore1).live() == 1);
  CHECK(c.part(kP3).counters().ignored >= 2);
  c.hold_syncs.clear();
  c.run_for(300_ms);
  CHECK(c.core(kCore1).live() == 0);
  CHECK(c.all_balances(kAlice, 750));
}

TEST_CASE("twopc recovery: an ended transaction whose decision is not in the log is not aborted again",
          "[twopc]") {
  // An ABORT the full disk did not take ends with END alone once every YES
  // voter acknowledged it (or the decision record was damaged since): the
  // restarted coordinator has nothing to send for it. It used to presume
  // abort from START and send ABORT to every participant again.
  Cluster c;
  c.crash_core(kCore1);
  node::Disk& disk = c.cores.at(kCore1)->io.d;
  const uint64_t txn = (uint64_t{kCore1} << 48) | (uint64_t{1} << kTxnLifeShift) | 1;  // incarnation 1
  disk.append(encode(LogStart{txn, 7, 0, {kP1, kP2, kP3}}));
  disk.append(encode(LogEnd{txn}));
  disk.make_durable(disk.length());
  c.start_core(kCore1, 2);
  c.settle();
  CHECK(c.core(kCore1).counters().recovered_aborts == 0);
  CHECK(c.core(kCore1).live() == 0);
  for (NodeId p : kParts) CHECK(c.part(p).counters().acks_sent == 0);  // no ABORT came
  // A START with no END is still presumed aborted, and told to everyone.
  c.crash_core(kCore1);
  disk.append(encode(LogStart{txn + 1, 8, 0, {kP1, kP2, kP3}}));
  disk.make_durable(disk.length());
  c.start_core(kCore1, 3);
  c.settle();
  CHECK(c.core(kCore1).counters().recovered_aborts == 1);
  for (NodeId p : kParts) CHECK(c.part(p).counters().acks_sent == 1);
  CHECK(c.core(kCore1).live() == 0);
}

}  // namespace test_twopc_recovery
