#include "ecsim/check/billing.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cstdint>

#include "ecsim/proto/twopc.hpp"
#include "ecsim/sim/assert.hpp"
#include "ecsim/sim/time.hpp"
#include "ecsim/tiers/billing.hpp"
#include "ecsim/tiers/messages.hpp"
#include "ecsim/workload/billing.hpp"

namespace ecsim::check {

namespace twopc = proto::twopc;
using workload::BillingKind;

BillingChecker::BillingChecker(std::vector<std::string> names, std::vector<bool> replicas,
                               int64_t termination_bound_ns, int64_t query_interval_ns, NetworkPlan network)
    : names_(std::move(names)),
      replicas_(std::move(replicas)),
      termination_bound_ns_(termination_bound_ns),
      query_interval_ns_(query_interval_ns),
      reach_(std::move(network)),
      stalls_(tiers::kKindTwopc) {
  ECSIM_ASSERT(termination_bound_ns_ > 0 && query_interval_ns_ > 0);
  static constexpr const char* kNames[kWhichCount] = {
      "billing_atomicity",    "billing_at_most_once",      "billing_durability",
      "billing_conservation", "billing_number_uniqueness", "billing_termination",
      "billing_isolation"};
  for (const char* n : kNames) results_.push_back(Result{n, 0, 0, ""});
}

std::span<const sim::RecordType> BillingChecker::record_types() const {
  static constexpr sim::RecordType kTypes[] = {
      tiers::kRecordBillingAccount,  tiers::kRecordBillingNumber,     tiers::kRecordBillingOp,
      twopc::kRecordCoordinator,     twopc::kRecordVote,              twopc::kRecordParticipant,
      twopc::kRecordOutcome,         twopc::kRecordApplied,           tiers::kRecordBillingEndNode,
      tiers::kRecordBillingEndBalance, tiers::kRecordBillingEndOwner, tiers::kRecordBillingRead,
      sim::RecordType::kCrash,       sim::RecordType::kRestart,       sim::RecordType::kFault,
      sim::RecordType::kSend,        sim::RecordType::kDeliver,       sim::RecordType::kDrop};
  return kTypes;
}

BillingChecker::AtNode& BillingChecker::at_node(Txn& t, uint32_t node) {
  const auto [it, fresh] = t.nodes.try_emplace(node);
  nested_entries_ += fresh ? 1 : 0;
  return it->second;
}

int64_t BillingChecker::life_of(uint32_t node) const {
  const auto it = life_.find(node);
  return it == life_.end() ? 0 : it->second;
}

std::string BillingChecker::name_of(uint32_t node) const {
  return node < names_.size() ? names_[node] : fmt::format("node {}", node);
}

void BillingChecker::violation(size_t which, const std::string& what) {
  Result& r = results_[which];
  if (r.violations++ == 0) r.detail = what;
}

void BillingChecker::on_record(const sim::Record& r) {
  if (r.type == sim::RecordType::kSend || r.type == sim::RecordType::kDeliver ||
      r.type == sim::RecordType::kDrop) {
    // Every pair's 2PC connection from its first message on: one slowed
    // before a vote still holds back what is sent behind it after.
    if (r.type == sim::RecordType::kSend && r.kind == tiers::kKindTwopc &&
        !stalls_.watching(r.node, r.peer)) {
      stalls_.watch(r.node, r.peer, reach_.base_tail_ns(r.node, r.peer),
                    reach_.base_tail_ns(r.peer, r.node));
    }
    stalls_.on_record(r);  // accounted with the next record of the checker's own
    return;
  }
  take(r);
  account();
}

void BillingChecker::take(const sim::Record& r) {
  // Where a violation happened, formatted only when one is reported.
  const auto at = [&] {
    return fmt::format("at {}, record #{}", sim::format_time(sim::Time{r.time_ns}), record_index());
  };
  if (r.type == sim::RecordType::kFault) {
    judge_open_doubts(r.time_ns);
    reach_.on_fault(r);
    // A partition resets the links it cuts: nothing waits behind what was on
    // them. A drop of rate 1 does not (the network decides drops at send):
    // a message slowed before it still holds the connection after it.
    stalls_.reset_cut([&](uint32_t x, uint32_t y) {
      return reach_.pair(x, y, r.time_ns, r.time_ns).partitioned_at_end;
    });
  } else if (r.type == sim::RecordType::kCrash) {
    judge_open_doubts(r.time_ns);
    down_.insert(r.node);
    stalls_.reset_node(r.node);
  } else if (r.type == sim::RecordType::kRestart) {
    down_.erase(r.node);
    up_since_[r.node] = r.time_ns;
    life_[r.node] = static_cast<int64_t>(r.a);
  } else if (r.type == tiers::kRecordBillingAccount) {
    nested_entries_ +=
        initial_balances_.insert_or_assign(r.a, static_cast<int64_t>(r.b)).second ? 1 : 0;
    nested_entries_ += committed_balances_[r.a].insert(static_cast<int64_t>(r.b)).second ? 1 : 0;
  } else if (r.type == tiers::kRecordBillingNumber) {
    nested_entries_ += initial_owners_.insert_or_assign(r.a, r.b).second ? 1 : 0;
    nested_entries_ += committed_owners_[r.a].insert(r.b).second ? 1 : 0;
  } else if (r.type == tiers::kRecordBillingRead) {
    on_read(r);
  } else if (r.type == tiers::kRecordBillingOp) {
    // Only a write becomes a transaction that some replica commits: a read
    // needs no entry (its answer is judged from billing.read), and a
    // read-heavy run would otherwise grow the table by every read.
    if (workload::is_billing_write(static_cast<BillingKind>(r.code))) ops_[r.a] = Op{r.code, r.peer, r.kind, r.b};
  } else if (r.type == twopc::kRecordCoordinator) {
    // A decision binds once it is durable, which is when it is sent
    // (kDecisionSent; after a recovery that found it in the log too). One
    // appended and lost in a crash binds nothing (the coordinator then
    // presumes abort, correctly: nobody was told). A recovered decision is
    // the record appended before the crash: `pending` already holds it.
    const auto e = static_cast<twopc::CoordinatorEvent>(r.code);
    Txn& t = txns_[r.a];
    if (e == twopc::CoordinatorEvent::kDecidedCommit || e == twopc::CoordinatorEvent::kDecidedAbort) {
      t.client_txn = r.b;
      t.pending = e == twopc::CoordinatorEvent::kDecidedCommit ? 1 : 0;
      return;
    }
    if (e != twopc::CoordinatorEvent::kDecisionSent) return;
    if (t.pending < 0) {
      violation(
          kAtomicity,
          fmt::format("{}: transaction {:#x}'s decision was sent, but none was logged", at(), r.a));
      return;
    }
    if (t.decided >= 0 && t.decided != t.pending) {
      violation(kAtomicity,
                fmt::format("{}: transaction {:#x} decided both commit and abort", at(), r.a));
    }
    if (t.decided == t.pending) return;  // a resend
    t.decided = t.pending;
    if (t.decided == 1) {
      ++results_[kAtMostOnce].checked;
      const auto [it, fresh] = committed_client_.emplace(t.client_txn, r.a);
      if (!fresh && it->second != r.a) {
        violation(kAtMostOnce,
                  fmt::format("{}: client transaction {:#x} committed twice: as {:#x} and as {:#x}",
                              at(), t.client_txn, it->second, r.a));
      }
    }
  } else if (r.type == twopc::kRecordVote) {
    Txn& t = txns_[r.a];
    AtNode& n = at_node(t, r.node);
    if (r.code != 1) {  // a NO: this participant never commits the transaction
      if (t.any_commit) {
        violation(
            kAtomicity,
            fmt::format("{}: {} voted NO on transaction {:#x}, which another participant committed",
                        at(), name_of(r.node), r.a));
      }
      t.no_voters += n.no_stands ? 0 : 1;
      n.no_stands = true;
      return;
    }
    if (n.no_stands) {  // its NO never reached the coordinator
      ECSIM_ASSERT(t.no_voters > 0);
      --t.no_voters;
      n.no_stands = false;
    }
    t.client_txn = r.b;
    t.coordinator = r.peer;
    stalls_.watch(r.node, r.peer, reach_.base_tail_ns(r.node, r.peer), reach_.base_tail_ns(r.peer, r.node));
    if (n.voted_ns < 0) n.voted_ns = r.time_ns;
    if (n.fate == Fate::kNone) {
      n.fate = Fate::kInDoubt;
      open_doubts_.emplace(r.a, r.node);
    }
  } else if (r.type == twopc::kRecordParticipant) {
    on_participant(r);
  } else if (r.type == twopc::kRecordApplied) {
    on_applied(r);
  } else if (r.type == twopc::kRecordOutcome) {
    if (r.code == static_cast<uint16_t>(twopc::Outcome::kCommitted)) reported_.emplace(r.b, std::pair{r.time_ns, r.a});
  } else if (r.type == tiers::kRecordBillingEndNode) {
    if (r.code == 1) end_up_.insert(r.node);
  } else if (r.type == tiers::kRecordBillingEndBalance) {
    nested_entries_ +=
        end_balances_[r.node].insert_or_assign(r.a, static_cast<int64_t>(r.b)).second ? 1 : 0;
  } else if (r.type == tiers::kRecordBillingEndOwner) {
    nested_entries_ += end_owners_[r.node].insert_or_assign(r.a, r.b).second ? 1 : 0;
  }
}

using sim::node_bytes;

void BillingChecker::account() {
  // Nested entries are counted at the largest of their kinds (a participant's AtNode).
  const auto bytes =
      static_cast<int64_t>(txns_.size()) * node_bytes<uint64_t, Txn>() +
      static_cast<int64_t>(ops_.size()) * node_bytes<uint64_t, Op>() +
      static_cast<int64_t>(committed_client_.size()) * node_bytes<uint64_t, uint64_t>() +
      static_cast<int64_t>(reported_.size()) *
          node_bytes<uint64_t, std::pair<int64_t, uint64_t>>() +
      static_cast<int64_t>(nested_entries_) * node_bytes<uint64_t, AtNode>() +
      static_cast<int64_t>(open_doubts_.size()) * node_bytes<uint64_t, uint32_t>() +
      static_cast<int64_t>(stalls_.entries()) * 24;  // a message in flight or a late interval
  if (bytes != bytes_.bytes()) bytes_.set_bytes(bytes);
}

void BillingChecker::on_participant(const sim::Record& r) {
  const auto e = static_cast<twopc::ParticipantEvent>(r.code);
  Txn& t = txns_[r.a];
  if (r.b != 0) t.client_txn = r.b;  // an ACK of an unknown COMMIT does not know it
  AtNode& n = at_node(t, r.node);
  const auto where = [&] {
    return fmt::format("at {}, record #{}: {}", sim::format_time(sim::Time{r.time_ns}),
                       record_index(), name_of(r.node));
  };
  const bool resolves =
      e == twopc::ParticipantEvent::kCommitted || e == twopc::ParticipantEvent::kAborted;
  if (resolves && n.fate == Fate::kInDoubt && n.voted_ns >= 0) {
    judge_doubt(r.a, r.node, n, t.coordinator, r.time_ns, When::kLearnt);
  }
  if (resolves) open_doubts_.erase({r.a, r.node});
  if (e == twopc::ParticipantEvent::kCommitted) {
    if (t.aborted_somewhere()) {
      violation(kAtomicity,
                fmt::format("{} committed transaction {:#x}, which another participant aborted",
                            where(), r.a));
    }
    t.any_commit = true;
    if (!n.committed_once) {
      committed_at_[r.node].push_back(r.a);
      ++nested_entries_;
      if (r.node < replicas_.size() && replicas_[r.node]) replica_committed(r.node, r.b);
    }
    n.committed_once = true;
    n.fate = Fate::kCommitted;
  } else if (e == twopc::ParticipantEvent::kAborted) {
    if (t.any_commit) {
      violation(kAtomicity,
                fmt::format("{} aborted transaction {:#x}, which another participant committed",
                            where(), r.a));
    }
    t.any_abort = true;
    n.fate = Fate::kAborted;
  } else if (e == twopc::ParticipantEvent::kAckedUnknown) {
    // A participant that voted YES and never committed cannot have
    // forgotten the transaction: it lost the PREPARED it promised on, and
    // its ACK lets the coordinator end a transaction it never applied.
    if (n.voted_ns >= 0 && !n.committed_once) {
      violation(
          kAtomicity,
          fmt::format("{} acknowledged the COMMIT of transaction {:#x}, which it voted YES on but "
                      "never committed (it has no record of it)",
                      where(), r.a));
    }
  } else if (e == twopc::ParticipantEvent::kAcked) {
    // An ACK of a COMMIT it applied in this life: its record is durable.
    if (n.applied_life == life_of(r.node) && n.fate == Fate::kCommitted) n.apply_durable = true;
  } else if (e == twopc::ParticipantEvent::kInDoubt) {
    n.fate = Fate::kInDoubt;  // recovered: its decision record did not survive
    n.overran = false;        // a new doubt
    open_doubts_.emplace(r.a, r.node);
  }
}

void BillingChecker::on_applied(const sim::Record& r) {
  Txn& t = txns_[r.a];
  AtNode& n = at_node(t, r.node);
  const int64_t life = life_of(r.node);
  ++applies_;
  reapplies_excused_ += n.applied_life >= 0 && n.applied_life != life && !n.apply_durable ? 1 : 0;
  if (n.applied_life >= 0 && (n.applied_life == life || n.apply_durable)) {
    violation(kAtMostOnce,
              fmt::format(
                  "at {}, record #{}: {} applied transaction {:#x} (client transaction {:#x}) "
                  "a second time ({})",
                  sim::format_time(sim::Time{r.time_ns}), record_index(), name_of(r.node), r.a, r.b,
                  n.applied_life == life ? "twice in one life"
                                         : "it had acknowledged the COMMIT before a restart"));
  }
  n.applied_life = life;
}

void BillingChecker::replica_committed(uint32_t node, uint64_t client_txn) {
  const auto op = ops_.find(client_txn);
  if (op == ops_.end()) return;  // no client asked for it: conservation says so
  const Op& o = op->second;
  auto b = replica_balances_.find(node);
  if (b == replica_balances_.end()) {
    b = replica_balances_.emplace(node, initial_balances_).first;
    nested_entries_ += initial_balances_.size();
  }
  auto w = replica_owners_.find(node);
  if (w == replica_owners_.end()) {
    w = replica_owners_.emplace(node, initial_owners_).first;
    nested_entries_ += initial_owners_.size();
  }
  const auto amount = static_cast<int64_t>(o.value);
  const auto move = [&](uint64_t s, int64_t by) {
    const auto it = b->second.find(s);
    if (it == b->second.end()) return;
    it->second += by;
    nested_entries_ += committed_balances_[s].insert(it->second).second ? 1 : 0;
  };
  switch (static_cast<BillingKind>(o.kind)) {
    case BillingKind::kDebit: move(o.from, -amount); break;
    case BillingKind::kTransfer: move(o.from, -amount); move(o.to, amount); break;
    case BillingKind::kTopUp: move(o.to, amount); break;
    case BillingKind::kPort:
      nested_entries_ += w->second.insert_or_assign(o.value, o.to).second ? 1 : 0;
      nested_entries_ += committed_owners_[o.value].insert(o.to).second ? 1 : 0;
      break;
    default: break;  // a read committed: conservation says so
  }
}

void BillingChecker::on_read(const sim::Record& r) {
  if (r.kind != 1) return;  // not found: nothing was read
  // Before any transaction began there is nothing uncommitted to see: such
  // a read tests nothing.
  if (!txns_.empty()) ++results_[kIsolation].checked;
  const auto who = [&] { return name_of(r.node); };
  const auto when = [&] { return sim::format_time(sim::Time{r.time_ns}); };
  if (r.code == 1) {
    const auto value = static_cast<int64_t>(r.b);
    const auto it = committed_balances_.find(r.a);
    if (it == committed_balances_.end() || it->second.count(value) == 0) {
      violation(
          kIsolation,
          fmt::format("{} answered a read of subscriber {}'s balance with {} at {}, record #{}: no "
                      "cloud replica had that balance committed by then (a dirty read)",
                      who(), r.a, value, when(), record_index()));
    }
  } else if (r.code == 2) {
    const auto it = committed_owners_.find(r.a);
    if (it == committed_owners_.end() || it->second.count(r.b) == 0) {
      violation(kIsolation,
                fmt::format(
                    "{} answered a read of number {}'s owner with subscriber {} at {}, record #{}: "
                    "no cloud replica had that owner committed by then (a dirty read)",
                    who(), r.a, r.b, when(), record_index()));
    }
  }
}

// A replica's end state against its initial state plus the operations it
// committed (and still holds committed), in the order it committed them.
// With the cloud tier in groups a replica holds only its group's accounts
// and numbers (those its end state lists): it is judged on those, since
// its group takes part in every transaction touching them and no other.
void BillingChecker::judge_replica(uint32_t node) {
  const std::string who = name_of(node);
  const std::map<uint64_t, int64_t>& held_balances = end_balances_[node];
  const std::map<uint64_t, uint64_t>& held_owners = end_owners_[node];
  std::map<uint64_t, int64_t> balances = initial_balances_;
  std::map<uint64_t, uint64_t> owners = initial_owners_;
  int64_t net_change = 0;  // what its committed operations did to the money it holds
  // What tests its promises: the transactions it took part in, committed or
  // not (an aborted one must leave no trace): those that move money for
  // conservation, the ports for the numbers. An end state compared without
  // any tests nothing.
  for (const auto& [txn, t] : txns_) {
    if (t.nodes.count(node) == 0) continue;
    const auto op = ops_.find(t.client_txn);
    if (op == ops_.end()) continue;
    const auto kind = static_cast<BillingKind>(op->second.kind);
    if (kind == BillingKind::kDebit || kind == BillingKind::kTransfer || kind == BillingKind::kTopUp) {
      ++results_[kConservation].checked;
    } else if (kind == BillingKind::kPort) {
      ++results_[kNumbers].checked;
    }
  }
  for (const uint64_t txn : committed_at_[node]) {
    const Txn& t = txns_.at(txn);
    if (t.nodes.at(node).fate != Fate::kCommitted) continue;  // lost in a crash, in doubt again
    const auto op = ops_.find(t.client_txn);
    if (op == ops_.end()) {
      violation(kConservation,
                fmt::format("{} committed transaction {:#x} of client id {:#x}, which no client asked for as a write",
                            who, txn, t.client_txn));
      continue;
    }
    const Op& o = op->second;
    const auto amount = static_cast<int64_t>(o.value);
    const auto pay = [&](uint64_t s, int64_t delta) {
      balances[s] += delta;
      if (held_balances.count(s) != 0) net_change += delta;
    };
    switch (static_cast<BillingKind>(o.kind)) {
      case BillingKind::kDebit: pay(o.from, -amount); break;
      case BillingKind::kTransfer: pay(o.from, -amount); pay(o.to, amount); break;
      case BillingKind::kTopUp: pay(o.to, amount); break;
      case BillingKind::kPort:
        if (held_owners.count(o.value) != 0) {
          if (owners[o.value] != o.from) {
            violation(kNumbers, fmt::format("{} committed a port of {} from subscriber {} (transaction {:#x}), but "
                                            "its owner there was subscriber {}: it would be on two subscribers",
                                            who, o.value, o.from, txn, owners[o.value]));
          }
        }
        owners[o.value] = o.to;
        break;
      default:
        violation(kConservation, fmt::format("{} committed transaction {:#x}, a read", who, txn));
        break;
    }
    for (const uint64_t s : {o.from, o.to}) {
      if (held_balances.count(s) != 0 && balances[s] < 0) {
        violation(kConservation, fmt::format("{}: subscriber {}'s balance is {} after transaction {:#x}", who, s,
                                             balances[s], txn));
      }
    }
  }
  int64_t total_initial = 0;
  int64_t total_end = 0;
  for (const auto& [s, b] : held_balances) {
    const auto initial = initial_balances_.find(s);
    if (initial == initial_balances_.end()) {
      violation(kConservation, fmt::format("{} holds a balance {} for subscriber {}, who had no account", who, b, s));
      continue;
    }
    total_initial += initial->second;
    total_end += b;
    if (b < 0) violation(kConservation, fmt::format("{} holds a negative balance {} for subscriber {}", who, b, s));
    if (balances[s] != b) {
      violation(kConservation, fmt::format("{} holds {} for subscriber {} at the end, but its initial state and the "
                                           "transactions it committed give {}", who, b, s, balances[s]));
    }
  }
  if (total_end - total_initial != net_change) {
    violation(kConservation, fmt::format("{}: money changed by {} but its committed top-ups, debits and transfers "
                                         "to and from it add up to {}", who, total_end - total_initial, net_change));
  }
  for (const auto& [number, owner] : held_owners) {
    if (owners[number] != owner) {
      violation(kNumbers, fmt::format("{} gives number {} to subscriber {}, but the ports it committed give {}", who,
                                      number, owner, owners[number]));
    }
  }
}

void BillingChecker::finish(int64_t end_ns) {
  for (const auto& [txn, t] : txns_) {
    if (t.any_commit || t.aborted_somewhere()) ++results_[kAtomicity].checked;
    if (t.aborted_somewhere() && t.decided == 1) {
      violation(kAtomicity, fmt::format("transaction {:#x} was aborted at a participant but decided commit", txn));
    }
    if (t.any_commit && t.decided == 0) {
      violation(kAtomicity, fmt::format("transaction {:#x} was committed at a participant but decided abort", txn));
    }
  }
  for (const auto& [txn, node] : open_doubts_) {
    Txn& t = txns_.at(txn);
    AtNode& n = t.nodes.at(node);
    if (n.voted_ns >= 0) judge_doubt(txn, node, n, t.coordinator, end_ns, When::kEnd);
  }
  for (const auto& [client, reported] : reported_) {
    ++results_[kDurability].checked;
    const auto c = committed_client_.find(client);
    if (c == committed_client_.end()) {
      violation(kDurability, fmt::format("client transaction {:#x} was reported committed at {}, but no transaction "
                                         "of it was decided commit", client, sim::format_time(sim::Time{reported.first})));
      continue;
    }
    for (const auto& [node, n] : txns_.at(c->second).nodes) {
      if (n.voted_ns >= 0 && n.fate == Fate::kAborted) {
        violation(kDurability, fmt::format("client transaction {:#x} was reported committed, but {} aborted it",
                                           client, names_[node]));
      }
    }
  }
  for (const uint32_t node : end_up_) judge_replica(node);
  for (Result& r : results_) {
    if (r.violations > 0) {
      r.detail = fmt::format("{} violation{}; first: {}", r.violations, r.violations == 1 ? "" : "s", r.detail);
    } else {
      r.detail = fmt::format("{} checked, no violation", r.checked);
    }
  }
  if (results_[kAtMostOnce].violations == 0 && applies_ > 0) {
    results_[kAtMostOnce].detail +=
        fmt::format("; {} applies at participants, each once", applies_);
    if (reapplies_excused_ > 0) {
      results_[kAtMostOnce].detail += fmt::format(
          " ({} of them again after a crash that may have taken the first, not judged)",
          reapplies_excused_);
    }
  }
  if (excused_down_ + excused_cut_ > 0) {
    results_[kTermination].detail +=
        fmt::format("; not judged, in doubt at the end: {} with it or its coordinator down, {} cut off from its "
                    "coordinator", excused_down_, excused_cut_);
  }
  if (excused_resolved_ > 0) {
    results_[kTermination].detail += fmt::format(
        "; not judged: {} that learnt the decision while their coordinator was down or cut off "
        "from them",
        excused_resolved_);
  }
  if (excused_loss_ > 0) {
    results_[kTermination].detail += fmt::format(
        "; not judged: {} in doubt past the lossless bound but within their links' loss allowance "
        "(at the "
        "end, or when they learnt the decision)",
        excused_loss_);
  }
}

}  // namespace ecsim::check
