// The 2PC coordinator (transaction manager): see proto/twopc.hpp for what it
// promises and docs/twopc.md for the message flow.
#include <algorithm>

#include "ecsim/proto/plant.hpp"
#include "ecsim/proto/twopc.hpp"
#include "ecsim/proto/visit.hpp"
#include "ecsim/sim/assert.hpp"

namespace ecsim::proto::twopc {

namespace {

constexpr int kNodeShift = 48;
constexpr int kIncarnationShift = kTxnLifeShift;
constexpr uint64_t kSeqMax = (uint64_t{1} << kIncarnationShift) - 1;

uint64_t make_txn(NodeId node, uint32_t incarnation, uint64_t seq) {
  ECSIM_ASSERT(seq >= 1 && seq <= kSeqMax);
  return (uint64_t{node} << kNodeShift) | (uint64_t{incarnation} << kIncarnationShift) | seq;
}
NodeId txn_node(uint64_t txn) { return static_cast<NodeId>(txn >> kNodeShift); }
uint32_t txn_incarnation(uint64_t txn) {
  return static_cast<uint32_t>((txn >> kIncarnationShift) & kIncarnationMax);
}

std::optional<size_t> index_of(const std::vector<NodeId>& ps, NodeId n) {
  const auto it = std::find(ps.begin(), ps.end(), n);
  if (it == ps.end()) return std::nullopt;
  return static_cast<size_t>(it - ps.begin());
}

// What a client hears for a transaction decided `commit` for `reason`: a
// duplicate's first outcome (nullopt when that is not known yet).
std::optional<Outcome> for_client(bool commit, Reason reason, Outcome prior) {
  if (reason != Reason::kDuplicate) return commit ? Outcome::kCommitted : Outcome::kAborted;
  if (prior == Outcome::kUnknown) return std::nullopt;
  return prior;
}

size_t answered(const std::array<bool, kParticipantsMax>& a) {
  return static_cast<size_t>(std::count(a.begin(), a.end(), true));
}

}  // namespace

Coordinator::Coordinator(NodeId self, CoordinatorConfig config)
    : self_(self), config_(config) {
  ECSIM_ASSERT(self_ <= kCoordinatorNodeMax);
  ECSIM_ASSERT(config_.incarnation <= kIncarnationMax);
  ECSIM_ASSERT(config_.prepare_timeout > sim::Duration{0});
  ECSIM_ASSERT(config_.ack_timeout > sim::Duration{0});
  ECSIM_ASSERT(config_.txns_max > 0 && config_.txns_max <= kTxnsMax);
  ECSIM_ASSERT(config_.outcomes_max > 0 && config_.outcomes_max <= kOutcomesMax);
}

void Coordinator::recover(Env<Message>& env, LogIo& io) {
  ECSIM_ASSERT(!recovered_);
  ECSIM_ASSERT(env.self() == self_);
  replay(env, io);
  recovered_ = true;
  check_invariants();
}

bool Coordinator::stop_at(Env<Message>& env, Point p) {
  if (!stopped_) stopped_ = reach(env, p);
  return stopped_;
}

void Coordinator::replay(Env<Message>& env, LogIo& io) {
  const node::Disk& disk = io.disk();
  std::map<uint64_t, std::pair<LogStart, uint64_t>> starts;       // with its log index
  std::map<uint64_t, std::pair<LogDecision, uint64_t>> decided;  // with its log length
  // A truncated log starts at first(): what went before belonged to ended
  // transactions only.
  for (size_t i = disk.first(); i < disk.length(); ++i) {
    const std::optional<LogRecord> r = decode(disk.entry(i));
    const bool mine = r && (std::holds_alternative<LogStart>(*r) ||
                            std::holds_alternative<LogDecision>(*r) ||
                            std::holds_alternative<LogEnd>(*r));
    if (!mine) {
      ++counters_.wal_rejected;
      trace(env, kRecordWal, static_cast<uint16_t>(WalEvent::kRejected), 0, 0, i, disk.length());
      continue;
    }
    ++counters_.wal_replayed;
    if (const auto* s = std::get_if<LogStart>(&*r)) starts[s->txn] = {*s, i};
    const bool forget = planted(Plant::kTwopcForgetDecisionOnRecovery);
    if (const auto* d = std::get_if<LogDecision>(&*r); d != nullptr && !forget) decided[d->txn] = {*d, i + 1};
    if (const auto* e = std::get_if<LogEnd>(&*r)) {
      const auto it = decided.find(e->txn);
      // END: every awaited ACK came, for a durable decision or an ABORT the
      // full disk did not take (or a decision record since corrupted).
      starts.erase(e->txn);
      if (it == decided.end()) continue;
      const LogDecision& d = it->second.first;
      remember(env, d.client_txn, e->txn, d.commit, for_client(d.commit, d.reason, Outcome::kUnknown));
      decided.erase(it);
    }
  }
  trace(env, kRecordWal, static_cast<uint16_t>(WalEvent::kReplayed), 0, 0, counters_.wal_replayed,
        disk.length());
  // A restart must come with a fresh incarnation, or ids would repeat.
  for (const auto& [txn, s] : starts) {
    ECSIM_ASSERT(txn_node(txn) != self_ || txn_incarnation(txn) < config_.incarnation);
  }
  const auto first_index = [&](uint64_t txn, uint64_t fallback) {
    const auto it = starts.find(txn);
    return it == starts.end() ? fallback : std::min(fallback, it->second.second);
  };
  // Logged decisions without END: re-send once durable here (an un-synced
  // record that survived the crash is not durable yet).
  for (auto& [txn, entry] : decided) {
    const LogDecision& d = entry.first;
    Txn t;
    t.client_txn = d.client_txn;
    t.participants = d.participants;
    t.phase = Phase::kDeciding;
    t.commit = d.commit;
    t.reason = d.reason;
    t.decision_wal_length = entry.second;
    t.recovered = true;
    t.started = env.now();
    t.first_index = first_index(txn, entry.second - 1);
    txns_.emplace(txn, std::move(t));
    by_client_[d.client_txn] = txn;
    starts.erase(txn);
    ++counters_.recovered_decisions;
    trace(env, kRecordCoordinator, static_cast<uint16_t>(CoordinatorEvent::kRecoveredDecision), 0,
          static_cast<uint32_t>(d.reason), txn, d.client_txn);
  }
  // START without a decision: presumed abort, made explicit so the
  // participants' locks go at once instead of after their status queries.
  for (const auto& [txn, entry] : starts) {
    const LogStart& s = entry.first;
    Txn t;
    t.client_txn = s.client_txn;
    t.ts_ns = s.ts_ns;
    t.participants = s.participants;
    t.recovered = true;
    t.started = env.now();
    t.first_index = entry.second;
    txns_.emplace(txn, std::move(t));
    by_client_[s.client_txn] = txn;
    ++counters_.recovered_aborts;
    decide(env, io, txn, false, Reason::kRecovered);
    if (stopped_) return;
  }
  const uint64_t durable = disk.durable_length();
  if (disk.length() > durable) want_sync(io);
  std::vector<uint64_t> ready;
  for (const auto& [txn, t] : txns_) {
    if (t.phase == Phase::kDeciding && t.decision_wal_length <= durable) ready.push_back(txn);
  }
  for (const uint64_t txn : ready) {
    send_decision(env, io, txn);
    if (stopped_) return;
  }
}

std::optional<uint64_t> Coordinator::begin(Env<Message>& env, LogIo& io, uint64_t client_txn,
                                           const Op& op, std::span<const NodeId> participants) {
  ECSIM_ASSERT(recovered_);
  ECSIM_ASSERT(!participants.empty() && participants.size() <= kParticipantsMax);
  std::vector<NodeId> ps(participants.begin(), participants.end());
  std::sort(ps.begin(), ps.end());
  ECSIM_ASSERT(std::adjacent_find(ps.begin(), ps.end()) == ps.end());
  // A retry: the first outcome, never a second execution.
  if (const auto it = outcomes_.find(client_txn); it != outcomes_.end()) {
    ++counters_.replayed;
    done_.push_back(Completion{client_txn, it->second.txn, it->second.outcome, Reason::kNone, true,
                               sim::Duration{0}});
    trace(env, kRecordOutcome, static_cast<uint16_t>(it->second.outcome), 0, 1, it->second.txn,
          client_txn);
    return it->second.txn;
  }
  if (const auto it = by_client_.find(client_txn); it != by_client_.end()) {
    ++counters_.joined;
    trace(env, kRecordCoordinator, static_cast<uint16_t>(CoordinatorEvent::kJoined), 0, 0,
          it->second, client_txn);
    return it->second;
  }
  const uint64_t txn = make_txn(self_, config_.incarnation, next_seq_);
  const bool full = txns_.size() >= config_.txns_max;
  if (full || !append(env, io, LogStart{txn, client_txn, env.now().ns, ps})) {
    ++counters_.refused;
    trace(env, kRecordRefused,
          static_cast<uint16_t>(full ? Refusal::kFull : Refusal::kDiskFull), 0, 0, txn,
          client_txn);
    return std::nullopt;
  }
  ++next_seq_;
  ++counters_.begun;
  // START is not forced: with presumed abort its loss only loses the
  // proactive ABORT at recovery; the participants' queries get the same answer.
  trace(env, kRecordCoordinator, static_cast<uint16_t>(CoordinatorEvent::kStartLogged), 0, 0, txn,
        client_txn);
  Txn t;
  t.client_txn = client_txn;
  t.ts_ns = env.now().ns;
  t.op = op;
  t.participants = std::move(ps);
  t.report = true;
  t.started = env.now();
  t.first_index = io.disk().length() - 1;
  Txn& live = txns_.emplace(txn, std::move(t)).first->second;
  by_client_[client_txn] = txn;
  if (stop_at(env, Point::kTwopcCoordinatorAfterStartLogged)) return txn;
  for (NodeId p : live.participants) send(env, p, Prepare{txn, client_txn, live.ts_ns, live.op});
  trace(env, kRecordCoordinator, static_cast<uint16_t>(CoordinatorEvent::kPrepareSent), 0, 0, txn,
        client_txn);
  arm(env, txn, live, config_.prepare_timeout);
  if (stop_at(env, Point::kTwopcCoordinatorAfterPrepareSent)) return txn;
  check_invariants();
  return txn;
}

void Coordinator::on_message(Env<Message>& env, LogIo& io, NodeId from, const Message& m) {
  ECSIM_ASSERT(recovered_);
  ECSIM_ASSERT(env.self() == self_);
  if (const auto peer = peers_.find(from); peer != peers_.end()) peer->second.unheard_resends = 0;
  std::visit(Overloaded{
                 [&](const Vote& v) { on_vote(env, io, from, v); },
                 [&](const Ack& a) { on_ack(env, io, from, a); },
                 [&](const StatusQuery& q) { on_query(env, from, q); },
                 [&](const Prepare& p) { ignore(env, Ignored::kUnexpected, from, p.txn); },
                 [&](const Decision& d) { ignore(env, Ignored::kUnexpected, from, d.txn); },
             },
             m);
  if (stopped_) return;
  check_invariants();
}

void Coordinator::on_vote(Env<Message>& env, LogIo& io, NodeId from, const Vote& v) {
  const auto it = txns_.find(v.txn);
  if (it == txns_.end() || it->second.phase != Phase::kPreparing) {
    // Late: decided already. A YES voter holds its locks: answered as its query would be.
    if (v.yes) {
      on_query(env, from, StatusQuery{v.txn});
    } else {
      ignore(env, Ignored::kUnknownTxn, from, v.txn);
    }
    return;
  }
  Txn& t = it->second;
  const std::optional<size_t> i = index_of(t.participants, from);
  if (!i) {
    ignore(env, Ignored::kNotParticipant, from, v.txn);
    return;
  }
  if (t.answered[*i]) {
    ignore(env, Ignored::kDuplicate, from, v.txn);
    return;
  }
  if (!v.yes) {
    t.prior = v.prior;
    if (stop_at(env, Point::kTwopcCoordinatorAfterVotes)) return;
    decide(env, io, v.txn, false, v.reason);
    return;
  }
  t.answered[*i] = true;
  if (answered(t.answered) == t.participants.size() || planted(Plant::kTwopcDecideBeforeAllVotes)) {
    if (stop_at(env, Point::kTwopcCoordinatorAfterVotes)) return;
    decide(env, io, v.txn, true, Reason::kNone);
  }
}

void Coordinator::decide(Env<Message>& env, LogIo& io, uint64_t txn, bool commit, Reason reason) {
  Txn& t = txns_.at(txn);
  ECSIM_ASSERT(t.phase == Phase::kPreparing);
  ECSIM_ASSERT(!commit || answered(t.answered) == t.participants.size() ||
               planted(Plant::kTwopcDecideBeforeAllVotes));
  disarm(env, t);
  t.commit = commit;
  t.reason = reason;
  const std::array<bool, kParticipantsMax> voted_yes = t.answered;
  t.answered = {};  // from here: who acknowledged (or need not)
  if (!append(env, io, LogDecision{txn, t.client_txn, commit, reason, t.participants})) {
    // Nothing can be promised without the log; ABORT needs none (presumed abort).
    t.commit = false;
    t.reason = Reason::kDiskFull;
    t.decision_wal_length = 0;
  } else {
    t.decision_wal_length = io.disk().length();
    want_sync(io);
  }
  // Presumed abort: an ABORT waits for the ACKs of the YES voters only
  // (they hold their locks until they hear it). One that did not vote YES
  // has nothing to undo or got its vote lost: it hears the first send, and
  // if that is lost it asks, and a transaction unknown here is an ABORT.
  // Not after a restart: who voted is not in the log.
  if (!t.commit && !t.recovered) {
    for (size_t i = 0; i < t.participants.size(); ++i) t.answered[i] = !voted_yes[i];
  }
  t.phase = Phase::kDeciding;
  const auto event = t.commit ? CoordinatorEvent::kDecidedCommit : CoordinatorEvent::kDecidedAbort;
  trace(env, kRecordCoordinator, static_cast<uint16_t>(event), 0, static_cast<uint32_t>(t.reason),
        txn, t.client_txn);
  // Planted: the client hears COMMIT now; a crash before the sync loses the
  // decision, and the restarted coordinator presumes abort.
  if (planted(Plant::kTwopcReportBeforeDurable) && t.commit && t.decision_wal_length != 0) {
    report(env, txn, t);
    t.reported = true;
  }
  if (t.decision_wal_length == 0) {
    send_decision(env, io, txn);
    return;
  }
  // Not during recovery (a presumed abort logged at replay): not a recovery point.
  if (!t.recovered) stop_at(env, Point::kTwopcCoordinatorAfterDecisionAppended);
}

void Coordinator::send_decision(Env<Message>& env, LogIo& io, uint64_t txn) {
  Txn& t = txns_.at(txn);
  ECSIM_ASSERT(t.phase == Phase::kDeciding);
  // The plant forgets the edge caches: their stale copies stay.
  if (config_.report_commits && t.commit && !t.recovered && !planted(Plant::kTwopcSkipInvalidation)) {
    commits_.emplace_back(txn, t.op);
  }
  if (t.recovered) {
    t.recovered = false;
    if (stop_at(env, Point::kTwopcCoordinatorRecoveryBeforeResend)) return;
  }
  t.phase = Phase::kCompleting;
  for (NodeId p : t.participants) send(env, p, Decision{txn, t.commit});
  trace(env, kRecordCoordinator, static_cast<uint16_t>(CoordinatorEvent::kDecisionSent), 0,
        static_cast<uint32_t>(t.reason), txn, t.client_txn);
  t.commit ? ++counters_.committed : ++counters_.aborted;
  if (!t.commit) ++counters_.aborted_by[static_cast<size_t>(t.reason)];
  if (stop_at(env, Point::kTwopcCoordinatorAfterCommitSent)) return;
  if (!t.reported) report(env, txn, t);
  if (answered(t.answered) == t.participants.size()) {
    end(env, io, txn);  // an ABORT no YES voter waits for
    return;
  }
  arm(env, txn, t, config_.ack_timeout);
}

// The decision is durable (or an ABORT that needs no log): the outcome can
// no longer change, so the client hears it now rather than after every ACK
// (a participant that is down would otherwise hold the answer hostage).
void Coordinator::report(Env<Message>& env, uint64_t txn, const Txn& t) {
  // Until now a retry of the client id joined this transaction; from now on
  // it is answered from memory (or, with the first outcome unknown, runs
  // again and asks the participants).
  if (const auto it = by_client_.find(t.client_txn); it != by_client_.end() && it->second == txn) {
    by_client_.erase(it);
  }
  const bool duplicate = t.reason == Reason::kDuplicate;
  const std::optional<Outcome> first = for_client(t.commit, t.reason, t.prior);
  // An unknown first outcome leaves the client id open: a later retry asks again.
  remember(env, t.client_txn, txn, t.commit, first);
  if (!t.report) return;
  const Outcome outcome = first.value_or(Outcome::kUnknown);
  done_.push_back(
      Completion{t.client_txn, txn, outcome, t.reason, duplicate, env.now() - t.started});
  trace(env, kRecordOutcome, static_cast<uint16_t>(outcome), 0, duplicate ? 1 : 0, txn,
        t.client_txn);
}

void Coordinator::on_ack(Env<Message>& env, LogIo& io, NodeId from, const Ack& a) {
  const auto it = txns_.find(a.txn);
  if (it == txns_.end() || it->second.phase != Phase::kCompleting) {
    ignore(env, Ignored::kUnknownTxn, from, a.txn);
    return;
  }
  Txn& t = it->second;
  const std::optional<size_t> i = index_of(t.participants, from);
  if (!i || t.answered[*i]) {
    ignore(env, i ? Ignored::kDuplicate : Ignored::kNotParticipant, from, a.txn);
    return;
  }
  t.answered[*i] = true;
  if (answered(t.answered) == t.participants.size()) end(env, io, a.txn);
}

void Coordinator::end(Env<Message>& env, LogIo& io, uint64_t txn) {
  Txn& t = txns_.at(txn);
  ECSIM_ASSERT(t.phase == Phase::kCompleting);
  disarm(env, t);
  // END is not forced: if it is lost, recovery re-sends a decision every
  // participant already holds, and they acknowledge it again.
  (void)append(env, io, LogEnd{txn});
  ++counters_.ended;
  trace(env, kRecordCoordinator, static_cast<uint16_t>(CoordinatorEvent::kEndLogged), 0, 0, txn,
        t.client_txn);
  if (stop_at(env, Point::kTwopcCoordinatorAfterEndLogged)) return;
  txns_.erase(txn);
  if (++ends_since_truncate_ >= config_.truncate_every) truncate(env, io);
}

// An ended transaction needs nothing at recovery (every participant holds
// its decision durably), so the log before the oldest live transaction's
// first record can go -- only its durable part, so that a crash keeps no
// less than it would have kept anyway.
void Coordinator::truncate(Env<Message>& env, LogIo& io) {
  ends_since_truncate_ = 0;
  node::Disk& disk = io.disk();
  uint64_t cut = disk.durable_length();
  for (const auto& [txn, t] : txns_) cut = std::min(cut, t.first_index);
  if (cut <= disk.first()) return;
  const auto before = static_cast<uint64_t>(disk.accounted_bytes());
  const size_t dropped = disk.truncate_front(cut);
  counters_.truncated += dropped;
  trace(env, kRecordWal, static_cast<uint16_t>(WalEvent::kTruncated), 0,
        static_cast<uint32_t>(disk.retained()), dropped, before);
}

void Coordinator::on_query(Env<Message>& env, NodeId from, const StatusQuery& q) {
  const auto it = txns_.find(q.txn);
  if (it != txns_.end() && it->second.phase != Phase::kCompleting) {
    ignore(env, Ignored::kPending, from, q.txn);  // the decision goes out once durable
    return;
  }
  ++counters_.queries_answered;
  bool commit = false;
  uint16_t code = 4;  // presumed abort
  if (it != txns_.end()) {
    commit = it->second.commit;
    code = commit ? 2 : 3;
  } else if (const auto d = decisions_.find(q.txn); d != decisions_.end()) {
    commit = d->second;
    code = commit ? 2 : 3;
  } else {
    ++counters_.presumed_aborts;
  }
  send(env, from, Decision{q.txn, commit});
  trace(env, kRecordQuery, code, from, 0, q.txn, 0);
}

void Coordinator::on_timer(Env<Message>& env, LogIo& io, uint64_t tag) {
  ECSIM_ASSERT(recovered_);
  ECSIM_ASSERT(is_coordinator_tag(tag));
  const auto found = timers_.find(tag);
  if (found == timers_.end()) {
    ignore(env, Ignored::kStaleTimer, self_, tag);
    return;
  }
  const uint64_t txn = found->second;
  timers_.erase(found);
  Txn& t = txns_.at(txn);  // a live transaction's timer is in timers_ only
  t.timer_tag = 0;
  if (t.phase == Phase::kPreparing) {
    if (t.attempts > config_.prepare_retries_max || planted(Plant::kTwopcNoPrepareResend)) {
      decide(env, io, txn, false, Reason::kVoteTimeout);
      return;
    }
    ++t.attempts;
    for (size_t i = 0; i < t.participants.size(); ++i) {
      if (t.answered[i]) continue;
      send(env, t.participants[i], Prepare{txn, t.client_txn, t.ts_ns, t.op});
      ++counters_.prepare_resends;
    }
    trace(env, kRecordCoordinator, static_cast<uint16_t>(CoordinatorEvent::kPrepareResent), 0, 0,
          txn, t.client_txn);
    arm(env, txn, t, config_.prepare_timeout);
    return;
  }
  ECSIM_ASSERT(t.phase == Phase::kCompleting);  // kDeciding arms no timer
  uint32_t held = 0;
  for (size_t i = 0; i < t.participants.size(); ++i) {
    if (t.answered[i]) continue;
    if (!peers_[t.participants[i]].may_resend(env.now().ns, config_.resend_window,
                                              config_.ack_timeout.ns)) {
      ++held;
      continue;
    }
    send(env, t.participants[i], Decision{txn, t.commit});
    ++counters_.decision_resends;
  }
  counters_.decision_resends_held += held;
  trace(env, kRecordCoordinator, static_cast<uint16_t>(CoordinatorEvent::kDecisionResent), 0, held,
        txn, t.client_txn);
  arm(env, txn, t, config_.ack_timeout);
  check_invariants();
}

void Coordinator::on_sync_done(Env<Message>& env, LogIo& io, uint64_t tag) {
  ECSIM_ASSERT(recovered_);
  if (tag == 0 || tag != sync_tag_) {
    ignore(env, Ignored::kStaleSync, self_, tag);
    return;
  }
  sync_tag_ = 0;
  const uint64_t durable = io.disk().durable_length();
  std::vector<uint64_t> ready;
  for (const auto& [txn, t] : txns_) {
    if (t.phase == Phase::kDeciding && t.decision_wal_length <= durable) ready.push_back(txn);
  }
  for (const uint64_t txn : ready) {
    // A recovered decision was durable before the restart: only this
    // incarnation's decisions reach the point here.
    if (!txns_.at(txn).recovered && stop_at(env, Point::kTwopcCoordinatorAfterDecisionLogged)) return;
    send_decision(env, io, txn);
    if (stopped_) return;
  }
  if (io.disk().length() > durable) want_sync(io);
  check_invariants();
}

void Coordinator::take_completions(std::vector<Completion>& out) {
  out.clear();
  out.swap(done_);
}

void Coordinator::take_commits(std::vector<std::pair<uint64_t, Op>>& out) {
  out.clear();
  out.swap(commits_);
}

std::optional<bool> Coordinator::decision(uint64_t txn) const {
  const auto it = txns_.find(txn);
  if (it != txns_.end() && it->second.phase != Phase::kPreparing) return it->second.commit;
  const auto d = decisions_.find(txn);
  if (d != decisions_.end()) return d->second;
  return std::nullopt;
}

void Coordinator::remember(Env<Message>& env, uint64_t client_txn, uint64_t txn, bool commit,
                           std::optional<Outcome> for_client) {
  if (for_client) outcomes_[client_txn] = Remembered{txn, *for_client};
  decisions_[txn] = commit;
  const int64_t now = env.now().ns;
  remembered_order_.push_back(Forget{client_txn, txn, now});
  // The oldest go first: past the retention, or over outcomes_max.
  while (remembered_order_.size() > config_.outcomes_max ||
         remembered_order_.front().at_ns + config_.outcome_retention.ns < now) {
    const auto [c, x, at] = remembered_order_.front();
    (void)at;
    remembered_order_.pop_front();
    if (const auto it = outcomes_.find(c); it != outcomes_.end() && it->second.txn == x) {
      outcomes_.erase(it);
    }
    decisions_.erase(x);
  }
}

void Coordinator::arm(Env<Message>& env, uint64_t txn, Txn& t, sim::Duration after) {
  ECSIM_ASSERT(t.timer_tag == 0);
  t.timer_tag = kCoordinatorTagBit | next_tag_++;
  t.timer = env.set_timer(after, t.timer_tag);
  timers_[t.timer_tag] = txn;
}

void Coordinator::disarm(Env<Message>& env, Txn& t) {
  if (t.timer_tag == 0) return;
  env.cancel_timer(t.timer);
  timers_.erase(t.timer_tag);
  t.timer_tag = 0;
}

bool Coordinator::append(Env<Message>& env, LogIo& io, const LogRecord& r) {
  if (!io.disk().append(encode(r))) {
    trace(env, kRecordRefused, static_cast<uint16_t>(Refusal::kDiskFull), 0, 0, 0, 0);
    return false;
  }
  ++counters_.wal_appended;
  if (config_.log_observer != nullptr) [[unlikely]] {
    config_.log_observer->on_log_append(self_, io.disk().length() - 1, txn_of(r));
  }
  return true;
}

void Coordinator::want_sync(LogIo& io) {
  if (sync_tag_ != 0) return;  // group commit: the next sync takes what arrives meanwhile
  sync_tag_ = next_sync_tag_++;
  ++counters_.syncs_started;
  io.sync(sync_tag_);
}

void Coordinator::send(Env<Message>& env, NodeId dst, const Message& m) {
  env.send(dst, m, wire_size_bytes(m));
}

void Coordinator::ignore(Env<Message>& env, Ignored why, NodeId from, uint64_t a) {
  ++counters_.ignored;
  trace(env, kRecordIgnored, static_cast<uint16_t>(why), from, 0, a, 0);
}

void Coordinator::trace(Env<Message>& env, sim::RecordType type, uint16_t code, NodeId peer,
                        uint32_t kind, uint64_t a, uint64_t b) {
  env.trace(sim::Record{env.now().ns, type, code, self_, peer, kind, a, b});
}

void Coordinator::check_invariants() const {
  if (stopped_) return;  // stopped mid-handler at a point: the node crashes with this state
  ECSIM_ASSERT(txns_.size() <=
               config_.txns_max + counters_.recovered_decisions + counters_.recovered_aborts);
  ECSIM_ASSERT(outcomes_.size() <= config_.outcomes_max);
  ECSIM_ASSERT(remembered_order_.size() <= config_.outcomes_max);
  ECSIM_ASSERT(timers_.size() <= txns_.size());
  if (!pacer_.due(txns_.size())) return;
  // Liveness: a decision waiting for durability has a sync on its way.
  for (const auto& [txn, t] : txns_) {
    ECSIM_ASSERT(t.phase != Phase::kDeciding || sync_tag_ != 0);
    ECSIM_ASSERT((t.timer_tag != 0) == (t.phase != Phase::kDeciding));
  }
}

}  // namespace ecsim::proto::twopc
