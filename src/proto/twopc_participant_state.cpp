// The 2PC participant's committed state: what reads see (committed values
// only, read committed) and its checkpoints (issue 11, item 4), which keep
// its log flat over a long run. A checkpoint holds the committed balances
// and number owners and the remembered outcomes at one instant; once it is
// durable, the log before it goes -- or before the PREPARED of the oldest
// transaction that was live when it was taken, since the checkpoint lacks
// that one's outcome. See proto/twopc.hpp (LogCheckpoint) and docs/twopc.md.
// Also the read-only view of its lock table (the viewer's snapshots).
#include <algorithm>
#include <map>
#include <tuple>

#include "ecsim/proto/plant.hpp"
#include "ecsim/proto/twopc_participant.hpp"
#include "ecsim/sim/assert.hpp"

namespace ecsim::proto::twopc {

void Participant::remember(uint64_t txn, uint64_t client_txn, bool commit, uint64_t wal_length,
                           int64_t at_ns, Reason reason) {
  resolved_[txn] = Resolved{client_txn, commit, wal_length, at_ns, reason};
  resolved_order_.push_back(txn);
  // The oldest go first: past the retention, or over outcomes_max.
  while (!resolved_order_.empty()) {
    const uint64_t old = resolved_order_.front();
    const auto it = resolved_.find(old);
    const bool keep = it != resolved_.end() && resolved_order_.size() <= config_.outcomes_max &&
                      it->second.at_ns + config_.outcome_retention.ns >= at_ns;
    if (keep) break;
    resolved_order_.pop_front();
    if (it == resolved_.end()) continue;
    mark_forgotten(old);
    if (const auto c = clients_.find(it->second.client_txn); c != clients_.end() && c->second == old) {
      clients_.erase(c);
    }
    resolved_.erase(it);
  }
}

void Participant::mark_forgotten(uint64_t txn) {
  uint64_t& newest = forgotten_max_[txn >> kTxnLifeShift];
  newest = std::max(newest, txn);
}

bool Participant::forgotten(uint64_t txn) const {
  const auto it = forgotten_max_.find(txn >> kTxnLifeShift);
  return it != forgotten_max_.end() && txn <= it->second;
}

std::optional<int64_t> Participant::balance(uint64_t subscriber) const {
  const auto it = balances_.find(subscriber);
  if (it == balances_.end()) return std::nullopt;
  return it->second;
}

std::optional<uint64_t> Participant::number_owner(uint64_t number) const {
  const auto it = owners_.find(number);
  if (it == owners_.end()) return std::nullopt;
  return it->second;
}

// Planted: a dirty read, the prepared transactions' effects as if committed.
std::optional<int64_t> Participant::read_balance(uint64_t subscriber) const {
  std::optional<int64_t> b = balance(subscriber);
  if (!b || !planted(Plant::kTwopcReadUncommitted)) return b;
  for (const auto& [txn, t] : txns_) {
    if (t.state != TxnState::kPreparing && t.state != TxnState::kPrepared) continue;
    const auto amount = static_cast<int64_t>(t.op.amount);
    if (t.op.kind != OpKind::kPort && t.op.kind != OpKind::kTopUp && t.op.from == subscriber) *b -= amount;
    if ((t.op.kind == OpKind::kTransfer || t.op.kind == OpKind::kTopUp) && t.op.to == subscriber) *b += amount;
  }
  return b;
}

std::optional<uint64_t> Participant::read_number_owner(uint64_t number) const {
  std::optional<uint64_t> o = number_owner(number);
  if (!o || !planted(Plant::kTwopcReadUncommitted)) return o;
  for (const auto& [txn, t] : txns_) {
    const bool prepared = t.state == TxnState::kPreparing || t.state == TxnState::kPrepared;
    if (prepared && t.op.kind == OpKind::kPort && t.op.number == number) o = t.op.to;
  }
  return o;
}


void Participant::maybe_checkpoint(Env<Message>& env, LogIo& io) {
  if (stopped_ || checkpoint_end_ != 0) return;  // one at a time
  // At least half the checkpoint's size in records since the last one: a
  // large state is copied no more than twice per record appended.
  const uint64_t items = balances_.size() + owners_.size() + resolved_.size();
  if (since_checkpoint_ < std::max<uint64_t>(config_.checkpoint_records, items / 2)) return;
  node::Disk& disk = io.disk();
  const uint64_t start = disk.length();
  uint64_t cut = start;
  for (const auto& [txn, t] : txns_) cut = std::min(cut, t.prepared_index);
  const int64_t now = env.now().ns;
  LogCheckpoint part;
  part.seq = ++checkpoint_seq_;
  size_t in_part = 0;
  size_t total = 0;
  bool ok = true;
  const auto flush = [&](bool last) {
    part.last = last;
    ok = ok && disk.append(encode(part));
    if (ok && config_.log_observer != nullptr) [[unlikely]] {
      config_.log_observer->on_log_append(self_, disk.length() - 1, 0);  // no transaction's
    }
    part.balances.clear();
    part.owners.clear();
    part.outcomes.clear();
    in_part = 0;
  };
  const auto room = [&] {
    if (in_part == kCheckpointItemsMax) flush(false);
    ++in_part;
    ++total;
  };
  for (const auto& [subscriber, balance] : balances_) {
    room();
    part.balances.push_back({subscriber, balance});
  }
  for (const auto& [number, owner] : owners_) {
    room();
    part.owners.push_back({number, owner});
  }
  for (const uint64_t txn : resolved_order_) {
    const auto it = resolved_.find(txn);
    if (it == resolved_.end()) continue;  // forgotten, or remembered again later
    room();
    part.outcomes.push_back({txn, it->second.client_txn, it->second.commit, it->second.at_ns, it->second.reason});
  }
  // Decided and applied, its ACK waiting for the log: its outcome is in the
  // balances above, so it is remembered with them.
  for (const auto& [txn, t] : txns_) {
    if (t.state != TxnState::kDeciding) continue;
    room();
    part.outcomes.push_back({txn, t.client_txn, t.commit, now});
  }
  flush(true);
  if (!ok) {
    // A checkpoint without its last part counts for nothing at replay; the
    // log before it stays, and the next attempt comes after more records.
    ++counters_.refused;
    since_checkpoint_ = 0;
    trace(env, kRecordRefused, static_cast<uint16_t>(Refusal::kDiskFull), 0, 0, 0, 0);
    return;
  }
  ++counters_.checkpoints;
  since_checkpoint_ = 0;
  checkpoint_end_ = disk.length();
  checkpoint_cut_ = cut;
  trace(env, kRecordWal, static_cast<uint16_t>(WalEvent::kCheckpointed), 0,
        static_cast<uint32_t>(std::min<size_t>(total, UINT32_MAX)), start, disk.length());
  want_sync(io);
}

void Participant::maybe_truncate(Env<Message>& env, LogIo& io) {
  node::Disk& disk = io.disk();
  if (checkpoint_end_ == 0 || disk.durable_length() < checkpoint_end_) return;
  checkpoint_end_ = 0;
  if (checkpoint_cut_ <= disk.first()) return;
  const auto before = static_cast<uint64_t>(disk.accounted_bytes());
  const size_t dropped = disk.truncate_front(checkpoint_cut_);
  counters_.truncated += dropped;
  trace(env, kRecordWal, static_cast<uint16_t>(WalEvent::kTruncated), 0,
        static_cast<uint32_t>(disk.retained()), dropped, before);
}

void Participant::replay_checkpoint(const LogCheckpoint& c, uint64_t wal_length,
                                    LogCheckpoint& pending) {
  if (c.seq != pending.seq) pending = LogCheckpoint{c.seq, false, {}, {}, {}};
  checkpoint_seq_ = std::max(checkpoint_seq_, c.seq);
  pending.balances.insert(pending.balances.end(), c.balances.begin(), c.balances.end());
  pending.owners.insert(pending.owners.end(), c.owners.begin(), c.owners.end());
  pending.outcomes.insert(pending.outcomes.end(), c.outcomes.begin(), c.outcomes.end());
  if (!c.last) return;
  // The state at the checkpoint replaces what the records before it built;
  // transactions live then (PREPARED before it, decided after) stay live.
  balances_.clear();
  for (const Account& a : pending.balances) balances_[a.subscriber] = a.balance;
  owners_.clear();
  for (const NumberOwner& n : pending.owners) owners_[n.number] = n.subscriber;
  resolved_.clear();
  resolved_order_.clear();
  clients_.clear();
  for (const CheckpointOutcome& o : pending.outcomes) {
    clients_.emplace(o.client_txn, o.txn);
    remember(o.txn, o.client_txn, o.commit, wal_length, o.at_ns, o.reason);
  }
  for (const auto& [txn, t] : txns_) clients_.emplace(t.client_txn, txn);
  pending = LogCheckpoint{};
  since_checkpoint_ = 0;
}

std::vector<Participant::LockView> Participant::lock_table(size_t max) const {
  // Waiters, oldest first (the order wake_waiters retries them in): each
  // waits for the first key it does not hold yet.
  std::vector<std::tuple<int64_t, uint64_t, uint64_t>> waiting;  // (ts, txn, key)
  for (const auto& [txn, t] : txns_) {
    if (t.state == TxnState::kWaiting && t.held < t.keys.count) {
      waiting.emplace_back(t.ts_ns, txn, t.keys.keys[t.held]);
    }
  }
  std::sort(waiting.begin(), waiting.end());
  std::map<uint64_t, LockView> rows;
  for (const auto& [key, holder] : locks_) {
    const auto h = txns_.find(holder);
    ECSIM_ASSERT(h != txns_.end());  // a lock's holder is live
    rows.emplace(key, LockView{key, holder, h->second.state, {}});
  }
  for (const auto& [ts, txn, key] : waiting) rows[key].waiters.push_back(txn);
  // A live transaction has at most two keys, held or waited for: the whole
  // table is bounded by the live transactions.
  ECSIM_ASSERT(rows.size() <= 2 * txns_.size());
  std::vector<LockView> out;
  for (auto& [key, row] : rows) {
    if (out.size() >= max) break;
    row.key = key;
    out.push_back(std::move(row));
  }
  ECSIM_ASSERT(out.size() <= max);
  return out;
}

}  // namespace ecsim::proto::twopc
