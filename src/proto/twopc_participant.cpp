// The 2PC participant: validation, wait-die locks, PREPARED before YES, the
// decision logged before its ACK, and recovery of in-doubt transactions. See
// proto/twopc.hpp for what it promises and docs/twopc.md for the rules.
#include <algorithm>
#include <limits>

#include "ecsim/proto/plant.hpp"
#include "ecsim/proto/twopc_participant.hpp"
#include "ecsim/proto/visit.hpp"
#include "ecsim/sim/assert.hpp"

namespace ecsim::proto::twopc {

namespace {

constexpr uint16_t kVoteYes = 1;
constexpr uint16_t kVoteNo = 2;
constexpr uint16_t kQueryAsked = 1;
constexpr auto kBalanceMax = static_cast<uint64_t>(std::numeric_limits<int64_t>::max());

}  // namespace

Participant::Participant(NodeId self, ParticipantConfig config)
    : self_(self), config_(std::move(config)) {
  ECSIM_ASSERT(config_.accounts.size() <= kAccountsMax);
  ECSIM_ASSERT(config_.numbers.size() <= kNumbersMax);
  ECSIM_ASSERT(config_.lock_wait_timeout > sim::Duration{0});
  ECSIM_ASSERT(config_.query_interval > sim::Duration{0});
  ECSIM_ASSERT(config_.txns_max > 0 && config_.txns_max <= kTxnsMax);
  ECSIM_ASSERT(config_.outcomes_max > 0 && config_.outcomes_max <= kOutcomesMax);
  ECSIM_ASSERT(config_.groups >= 1 && config_.group < config_.groups);
  ECSIM_ASSERT(config_.groups == 1 || config_.key_group != nullptr);
  for (const Account& a : config_.accounts) {
    ECSIM_ASSERT(a.balance >= 0 && a.subscriber < kNumberKeyBit);
    ECSIM_ASSERT(owns(account_key(a.subscriber)));
    ECSIM_ASSERT(balances_.emplace(a.subscriber, a.balance).second);
  }
  for (const NumberOwner& n : config_.numbers) {
    ECSIM_ASSERT(n.number < kNumberKeyBit);
    ECSIM_ASSERT(owns(number_key(n.number)));
    ECSIM_ASSERT(owners_.emplace(n.number, n.subscriber).second);
  }
  // The initial state lives in the maps now; the log holds only changes.
  config_.accounts = {};
  config_.numbers = {};
}

void Participant::on_message(Env<Message>& env, LogIo& io, NodeId from, const Message& m) {
  ECSIM_ASSERT(recovered_);
  ECSIM_ASSERT(env.self() == self_);
  std::visit(Overloaded{
                 [&](const Prepare& p) { on_prepare(env, io, from, p); },
                 [&](const Decision& d) { on_decision(env, io, from, d); },
                 [&](const Vote& v) { ignore(env, Ignored::kUnexpected, from, v.txn); },
                 [&](const Ack& a) { ignore(env, Ignored::kUnexpected, from, a.txn); },
                 [&](const StatusQuery& q) { ignore(env, Ignored::kUnexpected, from, q.txn); },
             },
             m);
  if (stopped_) return;
  wake_waiters(env, io);
  maybe_checkpoint(env, io);
  check_invariants();
}

bool Participant::stop_at(Env<Message>& env, Point p) {
  if (!stopped_) stopped_ = reach(env, p);
  return stopped_;
}

// A PREPARE for a transaction this participant knows: answer again, never
// run it twice.
bool Participant::answer_known(Env<Message>& env, NodeId from, const Prepare& p) {
  if (const auto it = txns_.find(p.txn); it != txns_.end()) {
    if (it->second.state == TxnState::kPrepared) {
      send_vote(env, p.txn, it->second);
    } else {
      ignore(env, Ignored::kDuplicate, from, p.txn);  // its vote comes when it is ready
    }
    return true;
  }
  if (const auto it = resolved_.find(p.txn); it != resolved_.end()) {
    send(env, from, Vote{p.txn, it->second.commit, it->second.reason, Outcome::kUnknown});
    return true;
  }
  if (forgotten(p.txn) && !planted(Plant::kTwopcPrepareForgotten)) {
    // A late copy: preparing it again could apply it twice.
    ignore(env, Ignored::kForgotten, from, p.txn);
    return true;
  }
  return false;
}

void Participant::on_prepare(Env<Message>& env, LogIo& io, NodeId from, const Prepare& p) {
  if (answer_known(env, from, p)) return;
  ++counters_.prepares;
  Reason refusal = Reason::kNone;
  Outcome prior = Outcome::kUnknown;
  // Planted: a client id that already ran here runs again (a retry through
  // another coordinator executes twice).
  if (const auto c = clients_.find(p.client_txn);
      c != clients_.end() && !planted(Plant::kTwopcRerunClientTxn)) {
    // The client id already ran here: its first outcome, no second execution.
    refusal = Reason::kDuplicate;
    if (const auto r = resolved_.find(c->second); r != resolved_.end()) {
      prior = r->second.commit ? Outcome::kCommitted : Outcome::kAborted;
    }
  } else if (txns_.size() >= config_.txns_max) {
    refusal = Reason::kFull;
    ++counters_.refused;
    trace(env, kRecordRefused, static_cast<uint16_t>(Refusal::kFull), from, 0, p.txn,
          p.client_txn);
  }
  if (refusal != Reason::kNone) {
    // Nothing logged or remembered: this transaction changed nothing here.
    send(env, from, Vote{p.txn, false, refusal, prior});
    ++counters_.votes_no;
    ++counters_.no_by[static_cast<size_t>(refusal)];
    trace(env, kRecordVote, kVoteNo, from, static_cast<uint32_t>(refusal), p.txn, p.client_txn);
    return;
  }
  Txn t;
  t.client_txn = p.client_txn;
  t.coordinator = from;
  t.ts_ns = p.ts_ns;
  t.op = p.op;
  t.keys = keys_of(p.op);
  Txn& live = txns_.emplace(p.txn, std::move(t)).first->second;
  clients_.emplace(p.client_txn, p.txn);
  switch (try_lock(env, p.txn, live)) {
    case LockResult::kGranted:
      proceed(env, io, p.txn, live);
      break;
    case LockResult::kWait:
      ++counters_.lock_waits;
      arm(env, p.txn, live, config_.lock_wait_timeout);
      break;
    case LockResult::kDie:
      ++counters_.lock_dies;
      vote_no(env, io, p.txn, Reason::kLockDied);
      break;
  }
}

// Wait-die: an older transaction (smaller (ts, txn)) waits for a younger
// holder; a younger one dies. Keys are taken in ascending order.
Participant::LockResult Participant::try_lock(Env<Message>& env, uint64_t txn, Txn& t) {
  while (t.held < t.keys.count) {
    const uint64_t key = t.keys.keys[t.held];
    const auto it = locks_.find(key);
    if (it == locks_.end()) {
      locks_.emplace(key, txn);
      ++t.held;
      trace(env, kRecordLock, static_cast<uint16_t>(LockEvent::kGranted), 0, 0, txn, key);
      continue;
    }
    const uint64_t holder = it->second;
    ECSIM_ASSERT(holder != txn);
    const Txn& h = txns_.at(holder);  // a lock's holder is live
    const bool older = std::pair{t.ts_ns, txn} < std::pair{h.ts_ns, holder};
    const auto event = older ? LockEvent::kWait : LockEvent::kDie;
    trace(env, kRecordLock, static_cast<uint16_t>(event), 0, static_cast<uint32_t>(holder), txn,
          key);
    return older ? LockResult::kWait : LockResult::kDie;
  }
  return LockResult::kGranted;
}

void Participant::proceed(Env<Message>& env, LogIo& io, uint64_t txn, Txn& t) {
  ECSIM_ASSERT(t.held == t.keys.count);
  ECSIM_ASSERT(t.state == TxnState::kWaiting);
  if (forced_no_ > 0) {  // force_no(): NO without judging the operation
    --forced_no_;
    vote_no(env, io, txn, Reason::kForced);
    return;
  }
  // Validated under the locks: no other transaction can change these keys
  // before the decision.
  const Reason invalid = validate(t.op);
  if (invalid != Reason::kNone) {
    vote_no(env, io, txn, invalid);
    return;
  }
  if (!append(env, io, LogPrepared{txn, t.client_txn, t.coordinator, t.ts_ns, t.op})) {
    vote_no(env, io, txn, Reason::kDiskFull);
    return;
  }
  disarm(env, t);
  t.state = TxnState::kPreparing;
  t.wal_length = io.disk().length();
  t.prepared_index = t.wal_length - 1;
  trace(env, kRecordParticipant, static_cast<uint16_t>(ParticipantEvent::kPreparedLogged),
        t.coordinator, 0, txn, t.client_txn);
  // Planted: the next transaction on these keys validates against balances
  // this one may still change.
  if (planted(Plant::kTwopcReleaseLocksAtPrepare)) release(env, txn, t);
  want_sync(io);  // the YES goes once PREPARED is durable
  if (planted(Plant::kTwopcVoteBeforePreparedLog)) {
    // Planted: the YES goes now, and a crash may lose the PREPARED it promises.
    t.state = TxnState::kPrepared;
    send_vote(env, txn, t);
    if (stop_at(env, Point::kTwopcParticipantAfterVoteSent)) return;
    arm(env, txn, t, config_.query_interval);
  }
}

void Participant::force_no(uint64_t count) {
  ECSIM_ASSERT(count >= 1);
  ECSIM_ASSERT(forced_no_ <= UINT64_MAX - count);
  forced_no_ += count;
}

// Votes NO for a live transaction that is not prepared, and forgets it. The
// NO is logged unforced: it only serves retries (presumed abort needs none).
void Participant::vote_no(Env<Message>& env, LogIo& io, uint64_t txn, Reason reason) {
  Txn& t = txns_.at(txn);
  ECSIM_ASSERT(t.state == TxnState::kWaiting);
  disarm(env, t);
  release(env, txn, t);
  send(env, t.coordinator, Vote{txn, false, reason, Outcome::kUnknown});
  ++counters_.votes_no;
  ++counters_.no_by[static_cast<size_t>(reason)];
  trace(env, kRecordVote, kVoteNo, t.coordinator, static_cast<uint32_t>(reason), txn,
        t.client_txn);
  const bool logged = append(env, io, LogResolved{txn, t.client_txn, false, reason});
  remember(txn, t.client_txn, false, logged ? io.disk().length() : 0, env.now().ns, reason);
  txns_.erase(txn);
}

void Participant::release(Env<Message>& env, uint64_t txn, Txn& t) {
  for (size_t i = 0; i < t.held; ++i) {
    const auto it = locks_.find(t.keys.keys[i]);
    ECSIM_ASSERT(it != locks_.end() && it->second == txn);
    locks_.erase(it);
    trace(env, kRecordLock, static_cast<uint16_t>(LockEvent::kReleased), 0, 0, txn,
          t.keys.keys[i]);
  }
  t.held = 0;
}

// Retries the waiters, oldest first, until none can move.
void Participant::wake_waiters(Env<Message>& env, LogIo& io) {
  for (size_t rounds = 0; rounds <= config_.txns_max; ++rounds) {
    std::vector<std::pair<int64_t, uint64_t>> waiting;
    for (const auto& [txn, t] : txns_) {
      if (t.state == TxnState::kWaiting) waiting.emplace_back(t.ts_ns, txn);
    }
    std::sort(waiting.begin(), waiting.end());
    bool moved = false;
    for (const auto& [ts, txn] : waiting) {
      Txn& t = txns_.at(txn);
      const LockResult r = try_lock(env, txn, t);
      if (r == LockResult::kWait) continue;
      if (r == LockResult::kGranted) {
        proceed(env, io, txn, t);
      } else {
        ++counters_.lock_dies;
        vote_no(env, io, txn, Reason::kLockDied);
      }
      moved = true;
      break;  // the lock table changed: start again from the oldest
    }
    if (!moved) return;
  }
  ECSIM_ASSERT(false);  // every round removes a waiter: at most txns_max rounds
}

bool Participant::owns(uint64_t lock_key) const {
  return config_.key_group == nullptr || config_.key_group(lock_key, config_.groups) == config_.group;
}

// Each condition is judged by the group owning the key it is about: the
// payer's funds by the payer's group, the payee's ceiling by the payee's,
// a number's owner by the number's group. A key of another group is not
// held here, so it is neither judged nor unknown.
Reason Participant::validate(const Op& op) const {
  if (config_.cache_only) return Reason::kNone;  // the replicas judge
  const bool money = op.kind != OpKind::kPort;
  if (money && (op.amount == 0 || op.amount > kBalanceMax)) return Reason::kInvalid;
  if (op.kind == OpKind::kTransfer && op.from == op.to) return Reason::kInvalid;
  const bool judge_from = (op.kind == OpKind::kDebit || op.kind == OpKind::kTransfer) && owns(account_key(op.from));
  const bool judge_to = op.kind != OpKind::kDebit && owns(account_key(op.to));
  const bool judge_number = op.kind == OpKind::kPort && owns(number_key(op.number));
  const auto from = judge_from ? balances_.find(op.from) : balances_.end();
  const auto to = judge_to ? balances_.find(op.to) : balances_.end();
  const auto owner = judge_number ? owners_.find(op.number) : owners_.end();
  if ((judge_from && from == balances_.end()) || (judge_to && to == balances_.end()) ||
      (judge_number && owner == owners_.end())) {
    return Reason::kUnknownKey;
  }
  if (op.kind == OpKind::kPort && op.from == op.to) return Reason::kInvalid;
  if (judge_number && owner->second != op.from) return Reason::kNotOwner;
  if (judge_from && static_cast<uint64_t>(from->second) < op.amount) return Reason::kInsufficientFunds;
  if (judge_to && money && kBalanceMax - static_cast<uint64_t>(to->second) < op.amount) return Reason::kInvalid;
  return Reason::kNone;
}

void Participant::apply(const Op& op) {
  if (config_.cache_only) {  // invalidate what changed
    balances_.erase(op.from);
    balances_.erase(op.to);
    if (op.kind == OpKind::kPort) owners_.erase(op.number);
    return;
  }
  // Only this group's keys: another group's replicas apply their own part.
  const auto amount = static_cast<int64_t>(op.amount);
  const bool pays = op.kind == OpKind::kDebit || op.kind == OpKind::kTransfer;
  if (pays && owns(account_key(op.from))) {
    int64_t& from = balances_.at(op.from);
    from -= amount;
    // Validated under the lock it still holds: never negative (unless the
    // plant gave the lock away before the decision; the checker judges that).
    ECSIM_ASSERT(from >= 0 || planted(Plant::kTwopcReleaseLocksAtPrepare));
  }
  if ((op.kind == OpKind::kTransfer || op.kind == OpKind::kTopUp) && owns(account_key(op.to))) {
    balances_.at(op.to) += amount;
  }
  if (op.kind == OpKind::kPort && owns(number_key(op.number))) owners_.at(op.number) = op.to;
}

void Participant::on_decision(Env<Message>& env, LogIo& io, NodeId from, const Decision& d) {
  if (const auto it = txns_.find(d.txn); it != txns_.end()) {
    Txn& t = it->second;
    if (t.state == TxnState::kDeciding) {
      ignore(env, t.commit == d.commit ? Ignored::kDuplicate : Ignored::kConflict, from, d.txn);
      return;
    }
    if (t.state == TxnState::kWaiting) {
      if (d.commit) {  // a COMMIT needs this participant's YES, never sent
        ignore(env, Ignored::kConflict, from, d.txn);
        return;
      }
      // Not prepared: nothing to undo beyond the locks it took while waiting.
      disarm(env, t);
      release(env, d.txn, t);
      ++counters_.aborted;
      trace(env, kRecordParticipant, static_cast<uint16_t>(ParticipantEvent::kAborted), from, 0,
            d.txn, t.client_txn);
      const bool logged = append(env, io, LogResolved{d.txn, t.client_txn, false});
      remember(d.txn, t.client_txn, false, logged ? io.disk().length() : 0, env.now().ns);
      txns_.erase(it);
      send(env, from, Ack{d.txn});
      ++counters_.acks_sent;
      return;
    }
    resolve(env, io, d.txn, d.commit);
    return;
  }
  // Not live: resolved before, or never prepared here (a NO, or a PREPARE
  // that never came). Either way there is nothing to undo.
  const auto r = resolved_.find(d.txn);
  if (r != resolved_.end() && r->second.commit != d.commit) {
    ignore(env, Ignored::kConflict, from, d.txn);
    return;
  }
  // A COMMIT is acknowledged only once its record is durable: after the ACK
  // the coordinator forgets, and a lost record would leave this participant
  // in doubt with nobody to ask (presumed abort would then be wrong).
  if (r != resolved_.end() && r->second.commit &&
      r->second.wal_length > io.disk().durable_length()) {
    ignore(env, Ignored::kNotDurable, from, d.txn);
    return;
  }
  if (r == resolved_.end() && d.commit) {
    // Traced, so that a YES whose PREPARED was lost (nothing here commits
    // it) shows as an acknowledged COMMIT that was never applied.
    trace(env, kRecordParticipant, static_cast<uint16_t>(ParticipantEvent::kAckedUnknown), from, 0, d.txn, 0);
  }
  send(env, from, Ack{d.txn});
  ++counters_.acks_sent;
}

void Participant::resolve(Env<Message>& env, LogIo& io, uint64_t txn, bool commit) {
  Txn& t = txns_.at(txn);
  ECSIM_ASSERT(t.state == TxnState::kPreparing || t.state == TxnState::kPrepared);
  ECSIM_ASSERT(t.held == t.keys.count || planted(Plant::kTwopcReleaseLocksAtPrepare));
  if (!append(env, io, LogResolved{txn, t.client_txn, commit})) {
    ++counters_.refused;  // stays prepared, locks kept: a resend or its query retries
    return;
  }
  disarm(env, t);
  if (commit) {
    apply(t.op);
    trace(env, kRecordApplied, static_cast<uint16_t>(t.op.kind), t.coordinator, 0, txn,
          t.client_txn);
  }
  release(env, txn, t);
  commit ? ++counters_.committed : ++counters_.aborted;
  t.state = TxnState::kDeciding;
  t.commit = commit;
  t.wal_length = io.disk().length();
  const auto event = commit ? ParticipantEvent::kCommitted : ParticipantEvent::kAborted;
  trace(env, kRecordParticipant, static_cast<uint16_t>(event), t.coordinator, 0, txn,
        t.client_txn);
  if (t.in_doubt) {
    trace(env, kRecordParticipant, static_cast<uint16_t>(ParticipantEvent::kResolved),
          t.coordinator, 0, txn, t.client_txn);
  }
  if (stop_at(env, Point::kTwopcParticipantAfterDecisionApplied)) return;
  want_sync(io);  // the ACK goes once the decision is durable
}

void Participant::on_timer(Env<Message>& env, LogIo& io, uint64_t tag) {
  ECSIM_ASSERT(recovered_);
  ECSIM_ASSERT(is_participant_tag(tag));
  const auto found = timers_.find(tag);
  if (found == timers_.end()) {
    ignore(env, Ignored::kStaleTimer, self_, tag);
    return;
  }
  const uint64_t txn = found->second;
  timers_.erase(found);
  Txn& t = txns_.at(txn);  // a live transaction's timer is in timers_ only
  t.timer_tag = 0;
  if (t.state == TxnState::kWaiting) {
    ++counters_.lock_timeouts;
    trace(env, kRecordLock, static_cast<uint16_t>(LockEvent::kTimeout), 0, 0, txn,
          t.keys.keys[t.held]);
    vote_no(env, io, txn, Reason::kLockTimeout);
  } else {
    // Prepared and still no decision: ask (the coordinator may have crashed,
    // or the decision was lost). The locks stay until the answer.
    ECSIM_ASSERT(t.state == TxnState::kPrepared);
    if (stop_at(env, Point::kTwopcParticipantBeforeStatusQuery)) return;
    send(env, t.coordinator, StatusQuery{txn});
    ++counters_.queries_sent;
    trace(env, kRecordQuery, kQueryAsked, t.coordinator, 0, txn, 0);
    arm(env, txn, t, config_.query_interval);
  }
  if (stopped_) return;
  wake_waiters(env, io);
  maybe_checkpoint(env, io);
  check_invariants();
}

void Participant::on_sync_done(Env<Message>& env, LogIo& io, uint64_t tag) {
  ECSIM_ASSERT(recovered_);
  if (tag == 0 || tag != sync_tag_) {
    ignore(env, Ignored::kStaleSync, self_, tag);
    return;
  }
  sync_tag_ = 0;
  const uint64_t durable = io.disk().durable_length();
  finish_durable(env, io, durable);
  if (stopped_) return;
  maybe_truncate(env, io);
  maybe_checkpoint(env, io);
  if (io.disk().length() > durable) want_sync(io);
  check_invariants();
}

// What waited for the log: YES votes of durable PREPAREDs (and, in doubt, a
// status query), ACKs of durable decisions.
void Participant::finish_durable(Env<Message>& env, LogIo& io, uint64_t durable_length) {
  (void)io;
  std::vector<uint64_t> ready;
  for (const auto& [txn, t] : txns_) {
    const bool waits = t.state == TxnState::kPreparing || t.state == TxnState::kDeciding;
    if (waits && t.wal_length <= durable_length) ready.push_back(txn);
  }
  for (const uint64_t txn : ready) {
    Txn& t = txns_.at(txn);
    if (t.state == TxnState::kPreparing) {
      const Point p = t.in_doubt ? Point::kTwopcParticipantRecoveryBeforeQuery
                                 : Point::kTwopcParticipantAfterPreparedLogged;
      if (stop_at(env, p)) return;
      t.state = TxnState::kPrepared;
      send_vote(env, txn, t);
      if (stop_at(env, Point::kTwopcParticipantAfterVoteSent)) return;
      if (t.in_doubt) {
        send(env, t.coordinator, StatusQuery{txn});
        ++counters_.queries_sent;
        trace(env, kRecordQuery, kQueryAsked, t.coordinator, 0, txn, 0);
      }
      arm(env, txn, t, config_.query_interval);
      continue;
    }
    if (stop_at(env, Point::kTwopcParticipantAfterDecisionLogged)) return;
    send(env, t.coordinator, Ack{txn});
    ++counters_.acks_sent;
    trace(env, kRecordParticipant, static_cast<uint16_t>(ParticipantEvent::kAcked), t.coordinator,
          0, txn, t.client_txn);
    if (stop_at(env, Point::kTwopcParticipantAfterAckSent)) return;
    remember(txn, t.client_txn, t.commit, t.wal_length, env.now().ns);
    txns_.erase(txn);
  }
}

void Participant::send_vote(Env<Message>& env, uint64_t txn, const Txn& t) {
  ECSIM_ASSERT(t.state == TxnState::kPrepared);
  send(env, t.coordinator, Vote{txn, true, Reason::kNone, Outcome::kUnknown});
  ++counters_.votes_yes;
  trace(env, kRecordVote, kVoteYes, t.coordinator, 0, txn, t.client_txn);
}

uint64_t Participant::lock_holder(uint64_t key) const {
  const auto it = locks_.find(key);
  return it == locks_.end() ? 0 : it->second;
}

std::optional<TxnState> Participant::state(uint64_t txn) const {
  const auto it = txns_.find(txn);
  if (it == txns_.end()) return std::nullopt;
  return it->second.state;
}

std::optional<bool> Participant::resolved(uint64_t txn) const {
  const auto it = resolved_.find(txn);
  if (it == resolved_.end()) return std::nullopt;
  return it->second.commit;
}

void Participant::arm(Env<Message>& env, uint64_t txn, Txn& t, sim::Duration after) {
  ECSIM_ASSERT(t.timer_tag == 0);
  t.timer_tag = kParticipantTagBit | next_tag_++;
  t.timer = env.set_timer(after, t.timer_tag);
  timers_[t.timer_tag] = txn;
}

void Participant::disarm(Env<Message>& env, Txn& t) {
  if (t.timer_tag == 0) return;
  env.cancel_timer(t.timer);
  timers_.erase(t.timer_tag);
  t.timer_tag = 0;
}

bool Participant::append(Env<Message>& env, LogIo& io, const LogRecord& r) {
  if (!io.disk().append(encode(r))) {
    ++counters_.refused;
    trace(env, kRecordRefused, static_cast<uint16_t>(Refusal::kDiskFull), 0, 0, 0, 0);
    return false;
  }
  ++counters_.wal_appended;
  ++since_checkpoint_;
  if (config_.log_observer != nullptr) [[unlikely]] {
    config_.log_observer->on_log_append(self_, io.disk().length() - 1, txn_of(r));
  }
  return true;
}

void Participant::want_sync(LogIo& io) {
  if (sync_tag_ != 0) return;  // group commit: the next sync takes what arrives meanwhile
  sync_tag_ = next_sync_tag_++;
  ++counters_.syncs_started;
  io.sync(sync_tag_);
}

void Participant::send(Env<Message>& env, NodeId dst, const Message& m) {
  env.send(dst, m, wire_size_bytes(m));
}

void Participant::ignore(Env<Message>& env, Ignored why, NodeId from, uint64_t a) {
  ++counters_.ignored;
  trace(env, kRecordIgnored, static_cast<uint16_t>(why), from, 0, a, 0);
}

void Participant::trace(Env<Message>& env, sim::RecordType type, uint16_t code, NodeId peer,
                        uint32_t kind, uint64_t a, uint64_t b) {
  env.trace(sim::Record{env.now().ns, type, code, self_, peer, kind, a, b});
}

void Participant::check_invariants() const {
  if (stopped_) return;  // stopped mid-handler at a point: the node crashes with this state
  ECSIM_ASSERT(txns_.size() <= config_.txns_max + counters_.in_doubt_recovered);
  ECSIM_ASSERT(resolved_order_.size() <= config_.outcomes_max);
  ECSIM_ASSERT(timers_.size() <= txns_.size());
  if (!pacer_.due(txns_.size())) return;
  size_t held = 0;
  for (const auto& [txn, t] : txns_) {
    held += t.held;
    // Prepared means every lock held; a decided transaction holds none.
    const bool prepared = t.state == TxnState::kPreparing || t.state == TxnState::kPrepared;
    ECSIM_ASSERT(!prepared || t.held == t.keys.count || planted(Plant::kTwopcReleaseLocksAtPrepare));
    ECSIM_ASSERT(t.state != TxnState::kDeciding || t.held == 0);
    // Liveness: what waits for the log has a sync on its way; the rest a timer.
    const bool on_log = t.state == TxnState::kPreparing || t.state == TxnState::kDeciding;
    ECSIM_ASSERT(!on_log || sync_tag_ != 0);
    ECSIM_ASSERT(on_log || t.timer_tag != 0);
    for (size_t i = 0; i < t.held; ++i) ECSIM_ASSERT(lock_holder(t.keys.keys[i]) == txn);
  }
  ECSIM_ASSERT(held == locks_.size());
}

}  // namespace ecsim::proto::twopc
