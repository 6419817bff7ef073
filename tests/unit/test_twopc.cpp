// 2PC coordinator and participant as sans-IO machines, driven by hand
// (twopc_cluster.hpp): the happy path, aborts, the write-ahead order, retried
// client ids and wait-die locks. Recovery cases are in test_twopc_recovery.cpp.
#include <catch2/catch.hpp>

#include "twopc_cluster.hpp"

namespace test_twopc {

using namespace twopc_test;
using namespace ecsim::sim::literals;

namespace {

size_t count_sent(const FakeEnv<Message>& env, const std::function<bool(const Message&)>& pred) {
  size_t n = 0;
  for (const auto& s : env.sent) n += pred(s.message) ? 1 : 0;
  return n;
}

}  // namespace

TEST_CASE("twopc: log records round-trip and a damaged record is refused", "[twopc]") {
  const std::vector<LogRecord> records = {
      LogStart{1, 2, 3, {10, 11, 12}},
      LogDecision{4, 5, true, Reason::kNone, {10, 11}},
      LogDecision{6, 7, false, Reason::kInsufficientFunds, {12}},
      LogEnd{8},
      LogPrepared{9, 10, 1, 11, transfer(kAlice, kBob, 12)},
      LogResolved{13, 14, true},
      LogResolved{15, 16, false, Reason::kLockDied},
  };
  for (const LogRecord& r : records) {
    const std::string bytes = encode(r);
    const std::optional<LogRecord> back = decode(bytes);
    REQUIRE(back);
    CHECK(encode(*back) == bytes);
    std::string damaged = bytes;
    damaged[damaged.size() / 2] = static_cast<char>(damaged[damaged.size() / 2] ^ 0x40);
    CHECK_FALSE(decode(damaged));
    CHECK_FALSE(decode(std::string_view(bytes).substr(0, bytes.size() - 1)));  // torn
  }
  const std::optional<LogRecord> back = decode(encode(records[2]));
  REQUIRE(back);
  const auto* d = std::get_if<LogDecision>(&*back);
  REQUIRE(d);
  CHECK(d->reason == Reason::kInsufficientFunds);
  CHECK(d->participants == std::vector<NodeId>{12});
  // A participant's own NO keeps its reason in the outcome's byte.
  const std::optional<LogRecord> no = decode(encode(records.back()));
  REQUIRE(no);
  const auto* x = std::get_if<LogResolved>(&*no);
  REQUIRE(x);
  CHECK_FALSE(x->commit);
  CHECK(x->reason == Reason::kLockDied);
  CHECK(encode(LogResolved{15, 16, false, Reason::kNone}).size() == encode(records.back()).size());
}

TEST_CASE("twopc: a unanimous YES commits at every participant", "[twopc]") {
  Cluster c;
  const auto txn = c.begin(kCore1, 1, transfer(kAlice, kBob, 200));
  REQUIRE(txn);
  c.settle();
  const auto done = c.completions(kCore1);
  REQUIRE(done.size() == 1);
  CHECK(done[0].txn == *txn);
  CHECK(done[0].client_txn == 1);
  CHECK(done[0].outcome == Outcome::kCommitted);
  CHECK_FALSE(done[0].replayed);
  CHECK(c.all_balances(kAlice, 800));
  CHECK(c.all_balances(kBob, 700));
  CHECK(c.no_locks());
  CHECK(c.core(kCore1).live() == 0);  // every ACK came: END
  CHECK(c.core(kCore1).counters().ended == 1);
  CHECK(c.core(kCore1).decision(*txn) == true);
  for (NodeId p : kParts) CHECK(c.part(p).resolved(*txn) == true);
}

TEST_CASE("twopc: number porting moves a number from one owner to the other", "[twopc]") {
  Cluster c;
  REQUIRE(c.begin(kCore1, 1, Op{OpKind::kPort, kAlice, kBob, 0, kNumber}));
  c.settle();
  for (NodeId p : kParts) CHECK(c.part(p).number_owner(kNumber) == kBob);
  // Alice no longer owns it: porting it away from her again votes NO.
  REQUIRE(c.begin(kCore1, 2, Op{OpKind::kPort, kAlice, kCarol, 0, kNumber}));
  c.settle();
  const auto done = c.completions(kCore1);
  REQUIRE(done.size() == 2);
  CHECK(done[1].outcome == Outcome::kAborted);
  CHECK(done[1].reason == Reason::kNotOwner);
  for (NodeId p : kParts) CHECK(c.part(p).number_owner(kNumber) == kBob);
}

TEST_CASE("twopc: one NO vote aborts the transaction everywhere", "[twopc]") {
  Cluster c;
  // The third participant holds less for Alice: it alone votes NO.
  ParticipantConfig poor = Cluster::part_config();
  poor.accounts[0].balance = 100;
  c.crash_part(kP3);
  c.start_part(kP3, poor);
  const auto txn = c.begin(kCore1, 1, debit(kAlice, 300));
  REQUIRE(txn);
  c.settle();
  const auto done = c.completions(kCore1);
  REQUIRE(done.size() == 1);
  CHECK(done[0].outcome == Outcome::kAborted);
  CHECK(done[0].reason == Reason::kInsufficientFunds);
  CHECK(c.part(kP1).balance(kAlice) == 1000);  // prepared, then rolled back
  CHECK(c.part(kP2).balance(kAlice) == 1000);
  CHECK(c.part(kP3).balance(kAlice) == 100);
  CHECK(c.part(kP1).counters().wal_appended == 2);  // PREPARED, then the ABORT
  CHECK(c.part(kP1).counters().aborted == 1);
  CHECK(c.part(kP3).counters().no_by[static_cast<size_t>(Reason::kInsufficientFunds)] == 1);
  CHECK(c.no_locks());
  for (NodeId p : kParts) CHECK(c.part(p).resolved(*txn) == false);
  CHECK(c.core(kCore1).counters().aborted_by[static_cast<size_t>(Reason::kInsufficientFunds)] == 1);
}

TEST_CASE("twopc: a NO vote lost on the way is given again with its reason", "[twopc]") {
  // P3 votes NO for insufficient funds, and the NO is lost: the coordinator
  // asks again, and P3 answers from what it resolved -- with the reason, so
  // the client hears why (it heard "none" before), also after a restart
  // that replayed the NO from its log.
  for (const bool restart : {false, true}) {
    Cluster c;
    ParticipantConfig poor = Cluster::part_config();
    poor.accounts[0].balance = 100;
    c.crash_part(kP3);
    c.start_part(kP3, poor);
    c.cut.insert({kP3, kCore1});
    const auto txn = c.begin(kCore1, 1, debit(kAlice, 300));
    REQUIRE(txn);
    c.settle();
    CHECK(c.completions(kCore1).empty());
    CHECK(c.part(kP3).resolved(*txn) == false);
    if (restart) {
      c.crash_part(kP3);
      c.start_part(kP3, poor);
      CHECK(c.part(kP3).resolved(*txn) == false);
    }
    c.cut.clear();
    c.run_for(1_s);
    const auto done = c.completions(kCore1);
    REQUIRE(done.size() == 1);
    CHECK(done[0].outcome == Outcome::kAborted);
    CHECK(done[0].reason == Reason::kInsufficientFunds);
    CHECK(c.core(kCore1).counters().aborted_by[static_cast<size_t>(Reason::kInsufficientFunds)] == 1);
    CHECK(c.core(kCore1).counters().aborted_by[static_cast<size_t>(Reason::kNone)] == 0);
  }
}

TEST_CASE("twopc: force_no makes a participant vote NO on its next transactions only", "[twopc]") {
  // The scenario action twopc_vote_no: P2 would accept every one of these
  // transfers, but it was told to refuse the next two.
  Cluster c;
  c.part(kP2).force_no(2);
  CHECK(c.part(kP2).forced_no_left() == 2);
  std::vector<uint64_t> txns;
  for (uint64_t client = 1; client <= 3; ++client) {
    const auto txn = c.begin(kCore1, client, transfer(kAlice, kBob, 100));
    REQUIRE(txn);
    c.settle();
    txns.push_back(*txn);
  }
  const auto done = c.completions(kCore1);
  REQUIRE(done.size() == 3);
  for (size_t i = 0; i < 2; ++i) {
    CHECK(done[i].outcome == Outcome::kAborted);
    CHECK(done[i].reason == Reason::kForced);
    // Rolled back everywhere: the YES voters prepared, then aborted.
    for (NodeId p : kParts) CHECK(c.part(p).resolved(txns[i]) == false);
  }
  CHECK(done[2].outcome == Outcome::kCommitted);  // the count is spent
  CHECK(c.part(kP2).forced_no_left() == 0);
  CHECK(c.part(kP2).counters().no_by[static_cast<size_t>(Reason::kForced)] == 2);
  CHECK(c.part(kP2).counters().votes_yes == 1);
  CHECK(c.part(kP1).counters().aborted == 2);  // prepared twice, rolled back twice
  CHECK(c.part(kP1).counters().no_by[static_cast<size_t>(Reason::kForced)] == 0);
  CHECK(c.core(kCore1).counters().aborted_by[static_cast<size_t>(Reason::kForced)] == 2);
  for (NodeId p : kParts) {
    CHECK(c.part(p).balance(kAlice) == 900);  // only the third moved money
    CHECK(c.part(p).balance(kBob) == 600);
  }
  CHECK(c.no_locks());
}

TEST_CASE("twopc: a missing vote aborts after the PREPARE retries", "[twopc]") {
  Cluster c;
  c.cut.insert({kCore1, kP3});  // P3 never hears the PREPARE
  const auto txn = c.begin(kCore1, 1, transfer(kAlice, kBob, 10));
  REQUIRE(txn);
  c.settle();
  CHECK(c.part(kP1).state(*txn) == TxnState::kPrepared);  // holding its locks, waiting
  CHECK(c.part(kP1).lock_holder(account_key(kAlice)) == *txn);
  CHECK(c.completions(kCore1).empty());
  c.run_for(1_s);
  const auto done = c.completions(kCore1);
  REQUIRE(done.size() == 1);
  CHECK(done[0].outcome == Outcome::kAborted);
  CHECK(done[0].reason == Reason::kVoteTimeout);
  CHECK(c.core(kCore1).counters().prepare_resends == 2);  // prepare_retries_max
  CHECK(c.part(kP1).resolved(*txn) == false);
  CHECK(c.part(kP2).resolved(*txn) == false);
  CHECK(c.part(kP1).lock_holder(account_key(kAlice)) == 0);
  CHECK(c.all_balances(kAlice, 1000));
  // Presumed abort: P3 never voted YES, so the ABORT waits for P1's and
  // P2's ACKs only; P3 would ask if it had prepared.
  CHECK(c.core(kCore1).live() == 0);
  CHECK(c.core(kCore1).counters().ended == 1);
}

TEST_CASE("twopc: an ABORT waits for the ACK of a YES voter that missed it",
          "[twopc]") {
  Cluster c;
  c.cut.insert({kCore1, kP3});  // P3 never hears the PREPARE: the vote times out
  c.hold_syncs.insert(kCore1);
  const auto txn = c.begin(kCore1, 1, transfer(kAlice, kBob, 10));
  REQUIRE(txn);
  for (int i = 0; i < 200 && c.core(kCore1).decision(*txn) == std::nullopt; ++i) {
    c.run_for(5_ms);
  }
  REQUIRE(c.core(kCore1).decision(*txn) == false);  // appended, its sync held
  c.cut.insert({kCore1, kP2});                      // P2, a YES voter, misses the ABORT
  REQUIRE(Cluster::complete_syncs(*c.cores.at(kCore1)));
  c.hold_syncs.clear();
  c.settle();
  CHECK(c.part(kP1).lock_holder(account_key(kAlice)) == 0);
  CHECK(c.part(kP2).lock_holder(account_key(kAlice)) == *txn);
  CHECK(c.core(kCore1).live() == 1);  // waiting for P2's ACK, not P3's
  c.cut.clear();
  c.run_for(500_ms);
  CHECK(c.core(kCore1).live() == 0);
  CHECK(c.part(kP2).lock_holder(account_key(kAlice)) == 0);
  CHECK(c.all_balances(kAlice, 1000));
}

TEST_CASE("twopc: decision resends to a silent participant stop at its window, then probe",
          "[twopc]") {
  constexpr int kTxns = 10;
  ParticipantConfig pc = Cluster::part_config();
  for (uint64_t i = 0; i < kTxns; ++i) pc.accounts.push_back(Account{200 + i, 1000});
  CoordinatorConfig cc;
  cc.resend_window = 4;
  Cluster c(pc, cc);
  c.hold_syncs.insert(kCore1);
  for (uint64_t i = 0; i < kTxns; ++i) {
    c.cut.clear();
    REQUIRE(c.begin(kCore1, i + 1, debit(200 + i, 10)));
    c.settle();  // every YES is in; the COMMIT waits for core-1's sync
    c.cut = {{kCore1, kP3}, {kP3, kCore1}};  // then P3 is cut off both ways
    REQUIRE(Cluster::complete_syncs(*c.cores.at(kCore1)));
    c.settle();  // P1 and P2 acknowledge; P3's COMMIT is lost
  }
  c.hold_syncs.clear();
  REQUIRE(c.completions(kCore1).size() == kTxns);
  CHECK(c.core(kCore1).live() == kTxns);
  const CoordinatorCounters before = c.core(kCore1).counters();
  c.run_for(2_s);
  const CoordinatorCounters& after = c.core(kCore1).counters();
  // Without the window: every transaction every 200 ms, 10 x 10 = 100.
  // With it: 4 after P3's last vote, then one probe per ack_timeout.
  CHECK(after.decision_resends - before.decision_resends <= 4 + 10);
  CHECK(after.decision_resends - before.decision_resends >= 9);
  CHECK(after.decision_resends_held - before.decision_resends_held >= 80);
  // Healed: the first probe through is acknowledged, which opens the window
  // again, and every transaction completes within a few resend rounds.
  c.cut.clear();
  c.run_for(1_s);
  CHECK(c.core(kCore1).live() == 0);
  for (uint64_t i = 0; i < kTxns; ++i) CHECK(c.part(kP3).balance(200 + i) == 990);
}

TEST_CASE("twopc: a PREPARE arriving after the participant forgot its transaction is ignored",
          "[twopc]") {
  ParticipantConfig pc = Cluster::part_config();
  pc.outcome_retention = 1_s;
  Cluster c(pc);
  const auto first = c.begin(kCore1, 1, debit(kAlice, 10));
  REQUIRE(first);
  c.settle();
  REQUIRE(c.all_balances(kAlice, 990));
  c.run_for(2_s);
  // A later transaction through the other core: P1 forgets the first one
  // (past its retention); core-1, idle, still remembers it committed.
  REQUIRE(c.begin(kCore2, 2, debit(kBob, 10)));
  c.settle();
  REQUIRE(c.part(kP1).resolved(*first) == std::nullopt);
  REQUIRE(c.core(kCore1).decision(*first) == true);
  // A copy of the first PREPARE, held back by a reordering link, arrives.
  // Prepared again, P1 would vote YES, ask core-1, hear COMMIT and apply
  // the debit a second time.
  auto& p1 = *c.parts.at(kP1);
  p1.m->on_message(p1.env, p1.io, kCore1, Prepare{*first, 1, 0, debit(kAlice, 10)});
  c.settle();
  c.run_for(2_s);
  CHECK(c.part(kP1).live() == 0);
  CHECK(c.part(kP1).lock_holder(account_key(kAlice)) == 0);
  CHECK(c.all_balances(kAlice, 990));
  // After a restart the log stands in for what was forgotten.
  c.crash_part(kP1);
  c.start_part(kP1);
  p1.m->on_message(p1.env, p1.io, kCore1, Prepare{*first, 1, 0, debit(kAlice, 10)});
  c.settle();
  c.run_for(2_s);
  CHECK(c.part(kP1).live() == 0);
  CHECK(c.all_balances(kAlice, 990));
}

TEST_CASE("twopc: YES only after PREPARED is durable, the decision sent only after it is logged",
          "[twopc]") {
  Cluster c;
  c.hold_syncs = {kCore1, kP1, kP2, kP3};
  const auto txn = c.begin(kCore1, 1, transfer(kAlice, kBob, 10));
  REQUIRE(txn);
  for (int i = 0; i < 3; ++i) REQUIRE(c.deliver_first(is<Prepare>));
  for (NodeId p : kParts) {
    auto& n = *c.parts.at(p);
    CHECK(n.m->state(*txn) == TxnState::kPreparing);
    CHECK(count_sent(n.env, [](const Message& m) { return std::holds_alternative<Vote>(m); }) == 0);
    REQUIRE(n.io.d.length() == 1);
    CHECK(std::holds_alternative<LogPrepared>(*decode(n.io.d.entry(0))));
    REQUIRE(Cluster::complete_syncs(n));
    CHECK(count_sent(n.env, [](const Message& m) { return std::holds_alternative<Vote>(m); }) == 1);
  }
  for (int i = 0; i < 3; ++i) REQUIRE(c.deliver_first(is<Vote>));
  auto& core = *c.cores.at(kCore1);
  // Decided and appended, not yet durable: nothing sent, nothing reported.
  CHECK(core.env.sent.empty());
  CHECK(c.completions(kCore1).empty());
  REQUIRE(core.io.d.length() == 2);  // START, DECISION
  CHECK(core.io.d.durable_length() == 0);
  const std::optional<LogRecord> logged = decode(core.io.d.entry(1));
  REQUIRE(logged);
  const auto* decision = std::get_if<LogDecision>(&*logged);
  REQUIRE(decision);
  CHECK(decision->commit);
  CHECK(decision->txn == *txn);
  REQUIRE(Cluster::complete_syncs(core));
  CHECK(count_sent(core.env, [](const Message& m) { return std::holds_alternative<Decision>(m); }) ==
        3);
  CHECK(c.completions(kCore1).size() == 1);
  // A participant applies the COMMIT at once but ACKs only once it is durable.
  REQUIRE(c.deliver_first([](const InFlight& f) { return f.dst == kP1 && is<Decision>(f); }));
  auto& p1 = *c.parts.at(kP1);
  CHECK(p1.m->balance(kBob) == 510);
  CHECK(p1.m->state(*txn) == TxnState::kDeciding);
  CHECK(count_sent(p1.env, [](const Message& m) { return std::holds_alternative<Ack>(m); }) == 0);
  REQUIRE(Cluster::complete_syncs(p1));
  CHECK(count_sent(p1.env, [](const Message& m) { return std::holds_alternative<Ack>(m); }) == 1);
  c.hold_syncs.clear();
  c.settle();
  CHECK(c.core(kCore1).live() == 0);
  CHECK(c.all_balances(kBob, 510));
}

TEST_CASE("twopc: a retried client transaction id gets the first outcome, never a second run",
          "[twopc]") {
  Cluster c;
  const auto first = c.begin(kCore1, 42, debit(kAlice, 300));
  REQUIRE(first);
  c.settle();
  REQUIRE(c.completions(kCore1).size() == 1);
  SECTION("on the same core: answered from its memory") {
    const auto again = c.begin(kCore1, 42, debit(kAlice, 300));
    CHECK(again == first);
    c.settle();
    const auto done = c.completions(kCore1);
    REQUIRE(done.size() == 1);
    CHECK(done[0].outcome == Outcome::kCommitted);
    CHECK(done[0].replayed);
    CHECK(c.core(kCore1).counters().replayed == 1);
  }
  SECTION("on the other core: the participants know the client id") {
    const auto again = c.begin(kCore2, 42, debit(kAlice, 300));
    REQUIRE(again);
    CHECK(*again != *first);  // ids are unique across cores
    c.settle();
    const auto done = c.completions(kCore2);
    REQUIRE(done.size() == 1);
    CHECK(done[0].outcome == Outcome::kCommitted);  // the first one's
    CHECK(done[0].reason == Reason::kDuplicate);
    CHECK(done[0].replayed);
    CHECK(c.core(kCore2).decision(*again) == false);  // the retry itself aborted
    // And the other core now answers from memory too.
    CHECK(c.begin(kCore2, 42, debit(kAlice, 300)) == again);
    CHECK(c.completions(kCore2).at(0).outcome == Outcome::kCommitted);
  }
  SECTION("while the first still runs: joined, one outcome") {
    const auto other = c.begin(kCore1, 43, debit(kAlice, 1));
    CHECK(c.begin(kCore1, 43, debit(kAlice, 1)) == other);
    CHECK(c.core(kCore1).counters().joined == 1);
    c.settle();
    CHECK(c.completions(kCore1).size() == 1);
    CHECK(c.all_balances(kAlice, 699));
  }
  CHECK(c.all_balances(kAlice, 700 - (c.core(kCore1).counters().joined == 1 ? 1 : 0)));
}

TEST_CASE("twopc: wait-die between two coordinators: the older waits, the younger dies",
          "[twopc]") {
  Cluster c;
  // T1 (core 1) is older than T2 (core 2); both move money out of Alice.
  const auto t1 = c.begin(kCore1, 1, transfer(kAlice, kBob, 100));
  c.now = c.now + 1_ms;
  c.cores.at(kCore2)->env.set_now(c.now);
  const auto t2 = c.begin(kCore2, 2, transfer(kAlice, kCarol, 100));
  REQUIRE(t1);
  REQUIRE(t2);
  // P1 sees T1 first: T2, younger, dies. P2 sees T2 first: T1, older, waits.
  auto prepare = [](NodeId dst, NodeId src) {
    return [=](const InFlight& f) { return f.dst == dst && f.src == src && is<Prepare>(f); };
  };
  REQUIRE(c.deliver_first(prepare(kP1, kCore1)));
  REQUIRE(c.deliver_first(prepare(kP1, kCore2)));
  REQUIRE(c.deliver_first(prepare(kP2, kCore2)));
  REQUIRE(c.deliver_first(prepare(kP2, kCore1)));
  CHECK(c.part(kP1).counters().lock_dies == 1);
  CHECK(c.part(kP2).counters().lock_waits == 1);
  CHECK(c.part(kP2).state(*t1) == TxnState::kWaiting);
  c.settle();  // T2 aborts, P2 releases, T1 gets the lock and commits
  const auto done1 = c.completions(kCore1);
  const auto done2 = c.completions(kCore2);
  REQUIRE(done1.size() == 1);
  REQUIRE(done2.size() == 1);
  CHECK(done1[0].outcome == Outcome::kCommitted);
  CHECK(done2[0].outcome == Outcome::kAborted);
  CHECK(done2[0].reason == Reason::kLockDied);
  CHECK(c.all_balances(kAlice, 900));
  CHECK(c.all_balances(kBob, 600));
  CHECK(c.all_balances(kCarol, 0));
  CHECK(c.no_locks());
}

TEST_CASE("twopc: a waiter whose holder never decides gives up after lock_wait_timeout",
          "[twopc]") {
  Cluster c;
  c.now = c.now + 10_ms;
  for (auto& [id, n] : c.cores) n->env.set_now(c.now);
  // A younger T2 (core 2) prepares everywhere; core 2 then goes down.
  const auto t2 = c.begin(kCore2, 2, debit(kAlice, 5));
  REQUIRE(t2);
  for (int i = 0; i < 3; ++i) REQUIRE(c.deliver_first(is<Prepare>));
  c.crash_core(kCore2);
  c.settle();
  CHECK(c.part(kP1).state(*t2) == TxnState::kPrepared);
  // An older T1 (timestamp from before) waits behind it, then gives up.
  auto& core1 = *c.cores.at(kCore1);
  core1.env.set_now(sim::Time{0});
  const auto t1 = core1.m->begin(core1.env, core1.io, 1, debit(kAlice, 7), kParts);
  REQUIRE(t1);
  core1.env.set_now(c.now);
  c.settle();
  CHECK(c.part(kP1).state(*t1) == TxnState::kWaiting);
  c.run_for(150_ms);
  CHECK(c.part(kP1).counters().lock_timeouts == 1);
  const auto done = c.completions(kCore1);
  REQUIRE(done.size() == 1);
  CHECK(done[0].outcome == Outcome::kAborted);
  CHECK(done[0].reason == Reason::kLockTimeout);
  // T2 is still in doubt and keeps its lock: nothing moved.
  CHECK(c.part(kP1).lock_holder(account_key(kAlice)) == *t2);
  CHECK(c.all_balances(kAlice, 1000));
}

TEST_CASE("twopc: a retry while the decision is being logged joins it, no second transaction",
          "[twopc]") {
  Cluster c;
  c.hold_syncs = {kCore1};
  const auto first = c.begin(kCore1, 9, debit(kAlice, 10));
  REQUIRE(first);
  c.settle();  // decided, the decision not yet durable
  CHECK(c.begin(kCore1, 9, debit(kAlice, 10)) == first);
  CHECK(c.core(kCore1).counters().begun == 1);
  CHECK(c.core(kCore1).counters().joined == 1);
  c.hold_syncs.clear();
  c.settle();
  const auto done = c.completions(kCore1);
  REQUIRE(done.size() == 1);
  CHECK(done[0].outcome == Outcome::kCommitted);
  CHECK(c.all_balances(kAlice, 990));
}

namespace {

// Two cloud groups: Alice and her number in group 0, Bob and Carol in group 1.
uint32_t two_groups(uint64_t lock_key, size_t) {
  return lock_key == account_key(kAlice) || lock_key == number_key(kNumber) ? 0 : 1;
}

ParticipantConfig group_config(uint32_t group) {
  ParticipantConfig c;
  c.key_group = &two_groups;
  c.groups = 2;
  c.group = group;
  if (group == 0) {
    c.accounts = {{kAlice, 1000}};
    c.numbers = {{kNumber, kAlice}};
  } else {
    c.accounts = {{kBob, 500}, {kCarol, 0}};
  }
  return c;
}

size_t no_votes(Cluster& c, NodeId p, Reason why) {
  return c.part(p).counters().no_by[static_cast<size_t>(why)];
}

}  // namespace

TEST_CASE("twopc: over cloud groups a replica holds and judges only its own group's keys", "[twopc]") {
  Cluster c;
  for (NodeId p : {kP1, kP2}) {  // group 0
    c.crash_part(p);
    c.start_part(p, group_config(0));
  }
  c.crash_part(kP3);  // group 1
  c.start_part(kP3, group_config(1));

  // Alice pays Bob 800: each group applies its own side, and holds no copy
  // of the other's account.
  REQUIRE(c.begin(kCore1, 1, transfer(kAlice, kBob, 800)));
  c.settle();
  auto done = c.completions(kCore1);
  REQUIRE(done.size() == 1);
  CHECK(done[0].outcome == Outcome::kCommitted);
  CHECK(c.part(kP1).balance(kAlice) == 200);
  CHECK(c.part(kP2).balance(kAlice) == 200);
  CHECK(c.part(kP3).balance(kBob) == 1300);
  CHECK(c.part(kP1).balance(kBob) == std::nullopt);
  CHECK(c.part(kP3).balance(kAlice) == std::nullopt);

  // Carol (0) pays Alice 100: only Carol's group may refuse, and does.
  REQUIRE(c.begin(kCore1, 2, transfer(kCarol, kAlice, 100)));
  c.settle();
  done = c.completions(kCore1);
  REQUIRE(done.size() == 1);
  CHECK(done[0].outcome == Outcome::kAborted);
  CHECK(done[0].reason == Reason::kInsufficientFunds);
  CHECK(no_votes(c, kP3, Reason::kInsufficientFunds) == 1);
  CHECK(no_votes(c, kP1, Reason::kInsufficientFunds) == 0);

  // Bob pays Alice 1000 of his 1300: Alice's group never judges Bob's funds.
  REQUIRE(c.begin(kCore1, 3, transfer(kBob, kAlice, 1000)));
  c.settle();
  done = c.completions(kCore1);
  REQUIRE(done.size() == 1);
  CHECK(done[0].outcome == Outcome::kCommitted);
  CHECK(c.part(kP1).balance(kAlice) == 1200);
  CHECK(c.part(kP3).balance(kBob) == 300);

  // Bob ports Alice's number to Carol: the number's group refuses (not his).
  REQUIRE(c.begin(kCore1, 4, Op{OpKind::kPort, kBob, kCarol, 0, kNumber}));
  c.settle();
  done = c.completions(kCore1);
  REQUIRE(done.size() == 1);
  CHECK(done[0].reason == Reason::kNotOwner);
  CHECK(no_votes(c, kP1, Reason::kNotOwner) == 1);
  CHECK(no_votes(c, kP3, Reason::kNotOwner) == 0);
  // Alice ports it to Carol: group 0 moves the number, group 1 checks Carol.
  REQUIRE(c.begin(kCore1, 5, Op{OpKind::kPort, kAlice, kCarol, 0, kNumber}));
  c.settle();
  done = c.completions(kCore1);
  REQUIRE(done.size() == 1);
  CHECK(done[0].outcome == Outcome::kCommitted);
  CHECK(c.part(kP1).number_owner(kNumber) == kCarol);
  CHECK(c.part(kP3).number_owner(kNumber) == std::nullopt);
  CHECK(c.no_locks());
}

TEST_CASE("twopc: the invariant walk runs after every handler up to 32 live transactions, then paced",
          "[twopc]") {
  InvariantPacer pacer;
  for (int i = 0; i < 100; ++i) CHECK(pacer.due(32));
  int walks = 0;
  for (int i = 0; i < 6400; ++i) walks += pacer.due(3200) ? 1 : 0;
  CHECK(walks == 64);  // one in every 3200 / 32 handlers: 32 transactions' worth per handler
}

}  // namespace test_twopc
