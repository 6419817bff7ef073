// Following one 2PC transaction (model/follow.hpp) without a window: a
// billing transfer taken as an action while the workload's transactions
// run; the follower finds its 2PC records, each of its messages with the
// delivery, its lock records and its WAL entries, and nothing of another
// transaction that was handled elsewhere.
#include <algorithm>
#include <array>
#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include <catch2/catch.hpp>

#include "ecsim/node/disk.hpp"
#include "ecsim/proto/twopc.hpp"
#include "ecsim/run/runner.hpp"
#include "ecsim/scenario/loader.hpp"
#include "ecsim/tiers/send_observer.hpp"
#include "ecsim/tiers/messages.hpp"
#include "ecsim/tiers/snapshot.hpp"
#include "model/demo.hpp"
#include "contended_billing.hpp"
#include "model/follow.hpp"
#include "model/probe.hpp"
#include "model/timeline.hpp"

namespace test_follow {

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

namespace {

constexpr const char* kContended = viz_test::kContendedBilling;

// Every message a tier node sends, as the send observer saw it and as the
// trace recorded it: (id, src, dst, kind).
struct Sends final : public sim::TraceObserver, public tiers::SendObserver {
  std::span<const sim::RecordType> record_types() const override {
    static constexpr sim::RecordType kTypes[] = {sim::RecordType::kSend};
    return kTypes;
  }
  void on_record(const sim::Record& r) override { recorded.push_back({r.a, r.node, r.peer, r.kind}); }
  void on_send(net::NodeId src, net::NodeId dst, uint32_t kind, uint64_t id, const tiers::Payload& p) override {
    seen.push_back({id, src, dst, kind});
    if (kind == tiers::kKindTwopc) twopc += std::holds_alternative<twopc::Message>(p) ? 1 : 0;
  }
  std::vector<std::array<uint64_t, 4>> recorded, seen;
  uint64_t twopc = 0;
};

}  // namespace

// The contended run over links that drop and duplicate, with a partition:
// messages dropped as they are sent, duplicated copies, and retries.
constexpr const char* kContendedLossy = R"(
name: contended-lossy
seed: 12
duration: 3s
topology: { edge: 3, core: 2, cloud: 3 }
network:
  default: { drop: 10%, duplicate: 5% }
faults:
  - { at: 800ms, partition: [[cloud-1], "*"], for: 400ms }
workload:
  - { kind: requests, rate: 10/s, until: 2500ms }
  - { kind: billing, rate: 150/s, subscribers: 6, balance: 100000, amount: [100, 500], mix: { transfer: 1 }, until: 2500ms }
)";

TEST_CASE("send observer: it sees each message with its send record's id, and the trace hash is the same without it") {
  const char* text = GENERATE(kContended, kContendedLossy);
  const scenario::Scenario sc = scenario::load_scenario_text(text, "<test>");
  Sends sends;
  run::RunOptions with;
  with.observers.push_back(&sends);
  with.send_observer = &sends;
  const run::RunResult a = run::run_scenario(sc, with);
  const run::RunResult b = run::run_scenario(sc, {});
  CHECK(a.trace_hash == b.trace_hash);
  CHECK(a.records == b.records);
  CHECK(sends.twopc > 500);
  if (text == kContendedLossy) {
    CHECK(a.net.dropped() > 100);
    CHECK(a.net.duplicated > 10);
  }
  // A tier run's every message comes from a tier node: the same messages,
  // ids, ends and kinds as the send records.
  REQUIRE(sends.seen.size() == sends.recorded.size());
  CHECK(sends.seen == sends.recorded);
}

TEST_CASE("follow: two transactions' messages sent in one event (a group commit) are each attributed to its own") {
  viz::Timeline t(scenario::load_scenario_text(kContended, "<test>"), {});
  t.simulate_all();
  // An event in which one node sent 2PC messages of two transactions and
  // made a record of each (what node-and-event attribution would share).
  uint64_t pick = UINT64_MAX, txn = 0, other = 0;
  for (uint64_t i = 0; i < t.collected() && pick == UINT64_MAX; ++i) {
    const sim::Record& r = t.record(i);
    if (r.type != sim::RecordType::kSend || r.kind != tiers::kKindTwopc) continue;
    const auto mine = t.message_txn(r.a);
    REQUIRE(mine.has_value());  // every 2PC message was read
    for (uint64_t k = i + 1; k < t.collected() && t.event_of(k) == t.event_of(i); ++k) {
      const sim::Record& s = t.record(k);
      if (s.type != sim::RecordType::kSend || s.kind != tiers::kKindTwopc || s.node != r.node) continue;
      const auto theirs = t.message_txn(s.a);
      if (theirs && *theirs != *mine) {
        pick = i;
        txn = *mine;
        other = *theirs;
        break;
      }
    }
  }
  REQUIRE(pick != UINT64_MAX);
  const uint64_t event = t.event_of(pick);
  const uint32_t node = t.record(pick).node;
  // Both transactions made records at that node in that event.
  bool named_mine = false, named_other = false;
  uint64_t lo = pick, hi = pick;
  while (lo > 0 && t.event_of(lo - 1) == event) --lo;
  while (hi + 1 < t.collected() && t.event_of(hi + 1) == event) ++hi;
  for (uint64_t i = lo; i <= hi; ++i) {
    if (t.record(i).node != node) continue;
    named_mine |= viz::names_txn(t.record(i), txn);
    named_other |= viz::names_txn(t.record(i), other);
  }
  CHECK(named_mine);
  CHECK(named_other);
  t.seek(pick + 1);
  viz::TxnFollow f;
  f.update(t, txn);
  REQUIRE(f.active());
  CHECK(f.inferred_count() == 0);
  size_t own = 0, not_own = 0;
  for (uint64_t i = lo; i <= hi; ++i) {
    const sim::Record& r = t.record(i);
    if (r.type != sim::RecordType::kSend || r.kind != tiers::kKindTwopc) continue;
    const bool carried = t.message_txn(r.a) == txn;
    CHECK(f.message(r.a) == carried);
    CHECK(f.record(i) == carried);
    own += carried ? 1 : 0;
    not_own += carried ? 0 : 1;
  }
  CHECK(own >= 1);
  CHECK(not_own >= 1);  // the other transaction's: not highlighted
  // Following the other one highlights exactly the rest of that event's.
  viz::TxnFollow g;
  g.update(t, other);
  for (uint64_t i = lo; i <= hi; ++i) {
    const sim::Record& r = t.record(i);
    if (r.type == sim::RecordType::kSend && r.kind == tiers::kKindTwopc) {
      CHECK(g.message(r.a) == (t.message_txn(r.a) == other));
    }
  }
}

namespace {

// Contended billing long enough for the coordinators to truncate their
// logs and the participants to checkpoint and truncate theirs, with a
// cloud replica and a core node restarted (their logs replayed).
constexpr const char* kContendedWal = R"(
name: contended-wal
seed: 11
duration: 6s
topology: { edge: 3, core: 2, cloud: 3 }
faults:
  - { at: 3s, crash: cloud-2 }
  - { at: 3200ms, restart: cloud-2 }
  - { at: 4s, crash: core-1 }
  - { at: 4200ms, restart: core-1 }
workload:
  - { kind: requests, rate: 10/s, until: 5500ms }
  - { kind: billing, rate: 400/s, subscribers: 6, balance: 100000, amount: [100, 500], mix: { transfer: 1 }, until: 5500ms }
)";

struct Appends final : public twopc::LogObserver {
  void on_log_append(net::NodeId, uint64_t, uint64_t txn) override {
    ++count;
    checkpoint_parts += txn == 0 ? 1 : 0;
  }
  uint64_t count = 0, checkpoint_parts = 0;
};

// What a 2PC WAL record concerns, from the node's log as the disk holds it
// just before the record's event (decoded by the snapshot, independently of
// the Timeline): the transactions with an entry in the part it names.
std::vector<uint64_t> expected_wal_txns(const tiers::NodeSnapshot& before, const sim::Record& r) {
  uint64_t first = before.disk_length[1];
  for (const tiers::WalLine& w : before.wal) {
    if (w.disk == 1) first = std::min(first, w.index);
  }
  uint64_t lo = 0, hi = 0;
  switch (static_cast<twopc::WalEvent>(r.code)) {
    case twopc::WalEvent::kReplayed:
      lo = first, hi = r.b;
      break;
    case twopc::WalEvent::kRejected:
      lo = r.a, hi = r.a + 1;
      break;
    case twopc::WalEvent::kCheckpointed:  // its entries, appended in the event, are no transaction's
      break;
    case twopc::WalEvent::kTruncated:
      lo = first, hi = first + r.a;
      break;
  }
  std::set<uint64_t> txns;
  for (const tiers::WalLine& w : before.wal) {
    if (w.disk == 1 && w.index >= lo && w.index < hi && w.txn != 0) txns.insert(w.txn);
  }
  return {txns.begin(), txns.end()};
}

}  // namespace

TEST_CASE("follow: every message carrying the transaction is its own, also one sent after its last record") {
  // Over lossy links with a partition: resends, late votes and answers to
  // queries, some sent in events that make no record naming the transaction.
  const char* text = GENERATE(kContended, kContendedLossy);
  viz::Timeline t(scenario::load_scenario_text(text, "<test>"), {});
  t.simulate_all();
  // Each transaction's span of events with a record naming it, and its messages.
  std::map<uint64_t, std::pair<uint64_t, uint64_t>> named;  // txn -> first, last record
  std::map<uint64_t, std::vector<uint64_t>> sends;          // txn -> its send records
  for (uint64_t i = 0; i < t.collected(); ++i) {
    const sim::Record& r = t.record(i);
    if (r.type == sim::RecordType::kSend && r.kind == tiers::kKindTwopc) {
      const auto txn = t.message_txn(r.a);
      REQUIRE(txn.has_value());
      sends[*txn].push_back(i);
    } else if (viz::is_twopc_record(r) && r.type != twopc::kRecordWal && r.a != 0) {
      auto [it, made] = named.try_emplace(r.a, i, i);
      it->second.second = i;
    }
  }
  // The transactions with a message sent outside the events of their named records.
  std::vector<uint64_t> outside;
  for (const auto& [txn, list] : sends) {
    const auto span = named.find(txn);
    REQUIRE(span != named.end());
    const uint64_t first_event = t.event_of(span->second.first), last_event = t.event_of(span->second.second);
    for (const uint64_t i : list) {
      if (t.event_of(i) < first_event || t.event_of(i) > last_event) {
        outside.push_back(txn);
        break;
      }
    }
  }
  INFO(outside.size() << " of " << sends.size() << " transactions sent a message outside their records' events");
  for (size_t k = 0; k < outside.size() && k < 20; ++k) {
    const uint64_t txn = outside[k];
    viz::TxnFollow f;
    f.compute(t, txn, 0, t.collected());
    for (const uint64_t i : sends.at(txn)) {
      CHECK(f.message(t.record(i).a));
      CHECK(f.record(i));
      if (const auto end = t.message_end(i)) CHECK(f.record(*end));  // its deliver or drop too
    }
    // A window past its last record (the cursor far after it): its later
    // messages are still its own, and nothing else is.
    const uint64_t after = named.at(txn).second + 1;
    viz::TxnFollow g;
    g.compute(t, txn, after, t.collected());
    for (const uint64_t i : sends.at(txn)) CHECK(g.message(t.record(i).a) == (i >= after));
    CHECK(g.inferred_count() == 0);
  }
  if (text == kContendedLossy) CHECK(!outside.empty());  // the case exists
}

TEST_CASE("2PC log observer: it sees every append, and the trace hash is the same without it") {
  const scenario::Scenario sc = scenario::load_scenario_text(kContendedWal, "<test>");
  Appends appends;
  run::RunOptions with;
  with.twopc_log_observer = &appends;
  const run::RunResult a = run::run_scenario(sc, with);
  const run::RunResult b = run::run_scenario(sc, {});
  CHECK(a.trace_hash == b.trace_hash);
  CHECK(a.records == b.records);
  CHECK(appends.count > 10'000);
  CHECK(appends.checkpoint_parts > 0);
}

TEST_CASE("follow: WAL records, in a group commit too, go exactly to the transactions whose log entries they name") {
  viz::Timeline t(scenario::load_scenario_text(kContendedWal, "<test>"), {});
  t.simulate_all();
  REQUIRE(t.wal_txns_refused() == 0);
  std::vector<uint64_t> wal;  // the kept 2PC WAL records
  for (uint64_t i = 0; i < t.collected(); ++i) {
    if (t.record(i).type == twopc::kRecordWal) wal.push_back(i);
  }
  // The node's log before each record's event, from a second run of the
  // same scenario stopped there (the probe).
  tiers::SnapshotLimits limits;
  limits.dsm_entries_max = 0;
  limits.wal_entries_max = node::Disk::kEntriesMax;
  limits.locks_max = 0;
  viz::Probe probe(t, limits);
  size_t named = 0, truncations = 0, replays = 0, checkpoints = 0, group_commits = 0, old_rule_wrong = 0;
  for (const uint64_t i : wal) {
    const sim::Record& r = t.record(i);
    const uint64_t event = t.event_of(i);
    INFO("record " << i << " code " << r.code << " node " << r.node << " event " << event);
    if (event == 0) {  // made while the run was built: the empty logs' replays
      REQUIRE(t.wal_txns(i).has_value());
      CHECK(t.wal_txns(i)->empty());
      continue;
    }
    while (!probe.advance_to(event - 1, INT64_MAX, uint64_t{1} << 30)) {
    }
    const tiers::NodeSnapshot* before = probe.snapshot(r.node, event - 1);
    REQUIRE(before != nullptr);
    const std::vector<uint64_t> expected = expected_wal_txns(*before, r);
    const auto got = t.wal_txns(i);
    REQUIRE(got.has_value());
    CHECK(std::vector<uint64_t>(got->begin(), got->end()) == expected);
    named += expected.empty() ? 0 : 1;
    const auto code = static_cast<twopc::WalEvent>(r.code);
    truncations += code == twopc::WalEvent::kTruncated ? 1 : 0;
    replays += code == twopc::WalEvent::kReplayed && !expected.empty() ? 1 : 0;
    checkpoints += code == twopc::WalEvent::kCheckpointed ? 1 : 0;
    // The transactions that made records at that node in that event: what
    // attribution by node and event gave them all.
    std::set<uint64_t> there;
    uint64_t lo = i, hi = i;
    while (lo > 0 && t.event_of(lo - 1) == event) --lo;
    while (hi + 1 < t.collected() && t.event_of(hi + 1) == event) ++hi;
    for (uint64_t k = lo; k <= hi; ++k) {
      const sim::Record& s = t.record(k);
      if (s.node == r.node && viz::is_twopc_record(s) && s.type != twopc::kRecordWal &&
          s.type != twopc::kRecordIgnored) {
        there.insert(s.a);
      }
    }
    group_commits += there.size() >= 2 ? 1 : 0;
    // Following each of them, and each it names: the record is followed
    // exactly by the transactions it names.
    std::set<uint64_t> asked = there;
    if (!expected.empty()) asked.insert({expected.front(), expected.back()});
    t.seek(i + 1);
    for (const uint64_t txn : asked) {
      const bool its = std::binary_search(expected.begin(), expected.end(), txn);
      if (there.count(txn) != 0 && !its) ++old_rule_wrong;
      viz::TxnFollow f;
      f.update(t, txn);
      CHECK(f.inferred_wal_count() == 0);
      if (f.active()) CHECK(f.record(i) == its);
    }
  }
  CHECK(truncations >= 20);  // the coordinators' and the participants'
  CHECK(checkpoints >= 10);
  CHECK(replays >= 2);  // cloud-2's and core-1's logs at their restarts
  CHECK(named >= 20);
  CHECK(group_commits >= 1);  // a participant's truncation as a sync completed votes of several
  // Attribution by node and event would have given one to a transaction it does not name.
  CHECK(old_rule_wrong >= 1);
}

TEST_CASE("follow: --follow resolves an id or a name from the run, and refuses a bad value with one line") {
  viz::Timeline t(scenario::load_scenario_text(kContended, "<test>"), {});
  using CE = twopc::CoordinatorEvent;
  // The first coordinator record of each kind, by a scan of the whole run.
  t.simulate_all();
  std::map<CE, uint64_t> first_of;
  for (uint64_t i = 0; i < t.collected(); ++i) {
    const sim::Record& r = t.record(i);
    if (r.type == twopc::kRecordCoordinator) first_of.emplace(static_cast<CE>(r.code), r.a);
  }
  REQUIRE(first_of.count(CE::kDecidedCommit) == 1);
  REQUIRE(first_of.count(CE::kDecidedAbort) == 1);  // wait-die NOs abort some
  const auto first_record = [&t](uint64_t txn) {
    for (uint64_t i = 0; i < t.collected(); ++i) {
      if (viz::names_txn(t.record(i), txn)) return i;
    }
    return UINT64_MAX;
  };
  std::string why;
  for (const auto& [name, event] : {std::pair{"first", CE::kStartLogged}, std::pair{"first-commit", CE::kDecidedCommit},
                                    std::pair{"first-abort", CE::kDecidedAbort}}) {
    INFO(name);
    const auto f = viz::resolve_follow(t, name, why);
    REQUIRE(f.has_value());
    CHECK(f->txn == first_of[event]);
    CHECK(f->first_record == first_record(f->txn));
  }
  // The one that aborted did abort; the committed one did not.
  const uint64_t aborted = viz::resolve_follow(t, "first-abort", why)->txn;
  const uint64_t committed = viz::resolve_follow(t, "first-commit", why)->txn;
  CHECK(aborted != committed);
  // An id: itself, with its first record.
  const auto by_id = viz::resolve_follow(t, std::to_string(aborted), why);
  REQUIRE(by_id.has_value());
  CHECK(by_id->txn == aborted);
  CHECK(by_id->first_record == first_record(aborted));
  // latest: the transaction of the last record naming one before the cursor.
  t.seek_time(1'200'000'000);
  uint64_t latest = 0;
  for (uint64_t i = 0; i < t.cursor(); ++i) {
    if (viz::names_txn(t.record(i), t.record(i).a)) latest = t.record(i).a;
  }
  REQUIRE(latest != 0);
  const auto l = viz::resolve_follow(t, "latest", why);
  REQUIRE(l.has_value());
  CHECK(l->txn == latest);
  CHECK(l->first_record == first_record(latest));
  // Bad values: one line each.
  t.seek(0);
  for (const char* bad : {"latest", "nope", "", "0", "12x", "-1", "99999999999999999999", "123", "first-aborts"}) {
    INFO("'" << bad << "'");
    why.clear();
    CHECK_FALSE(viz::resolve_follow(t, bad, why).has_value());
    CHECK_FALSE(why.empty());
    CHECK(why.find('\n') == std::string::npos);
    CHECK(why.rfind("--follow ", 0) == 0);
  }
}

TEST_CASE("follow: --follow by a name in a run without 2PC transactions is refused with one line") {
  std::string why;
  viz::Timeline quiet(scenario::load_scenario_text(R"(
name: no-billing
seed: 3
duration: 500ms
topology: { edge: 1, core: 1, cloud: 3 }
workload:
  - { kind: requests, rate: 50/s }
)", "<test>"),
                      {});
  for (const char* name : {"first", "first-commit", "first-abort"}) {
    why.clear();
    CHECK_FALSE(viz::resolve_follow(quiet, name, why).has_value());
    CHECK(why.find("in this run") != std::string::npos);
    CHECK(why.find('\n') == std::string::npos);
  }
}

}  // namespace test_follow
