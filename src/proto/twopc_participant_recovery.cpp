// The 2PC participant's recovery: the log replay that rebuilds the committed
// balances and re-takes the locks of every transaction still in doubt (see
// proto/twopc.hpp and docs/twopc.md, "Recovery").
#include "ecsim/proto/plant.hpp"
#include "ecsim/proto/twopc_participant.hpp"
#include "ecsim/sim/assert.hpp"

namespace ecsim::proto::twopc {

void Participant::recover(Env<Message>& env, LogIo& io) {
  ECSIM_ASSERT(!recovered_);
  ECSIM_ASSERT(env.self() == self_);
  replay(env, io);
  recovered_ = true;
  const uint64_t durable = io.disk().durable_length();
  if (io.disk().length() > durable) want_sync(io);
  // PREPARED without a decision: in doubt. The locks stay taken; once the
  // record is durable (it may have survived the crash un-synced) the vote is
  // sent again -- the coordinator may still be waiting for it -- and the
  // coordinator is asked until the decision comes.
  for (auto& [txn, t] : txns_) {
    ++counters_.in_doubt_recovered;
    trace(env, kRecordParticipant, static_cast<uint16_t>(ParticipantEvent::kInDoubt),
          t.coordinator, 0, txn, t.client_txn);
    t.state = TxnState::kPreparing;
  }
  finish_durable(env, io, durable);
  check_invariants();  // passes at once when it stopped at a point
}

void Participant::replay(Env<Message>& env, LogIo& io) {
  const node::Disk& disk = io.disk();
  LogCheckpoint pending;  // the parts of a checkpoint read so far
  // A truncated log starts at first(), with a checkpoint or the PREPARED
  // of a transaction that was live at the checkpoint. The records between
  // that PREPARED and the checkpoint come after history the truncation
  // dropped: they rebuild the live transactions and their locks, but a
  // commit among them is not applied to the initial state, which they no
  // longer follow (its effect is in the checkpoint's balances).
  bool state_known = disk.first() == 0;
  for (size_t i = disk.first(); i < disk.length(); ++i) {
    const std::optional<LogRecord> r = decode(disk.entry(i));
    const auto* prepared = r ? std::get_if<LogPrepared>(&*r) : nullptr;
    const auto* resolved = r ? std::get_if<LogResolved>(&*r) : nullptr;
    const auto* checkpoint = r ? std::get_if<LogCheckpoint>(&*r) : nullptr;
    if (checkpoint != nullptr) {
      ++counters_.wal_replayed;
      replay_checkpoint(*checkpoint, i + 1, pending);
      state_known = state_known || checkpoint->last;
      continue;
    }
    if (prepared == nullptr && resolved == nullptr) {
      ++counters_.wal_rejected;
      trace(env, kRecordWal, static_cast<uint16_t>(WalEvent::kRejected), 0, 0, i, disk.length());
      continue;
    }
    ++counters_.wal_replayed;
    ++since_checkpoint_;
    if (prepared != nullptr) replay_prepared(env, *prepared, i + 1);
    if (resolved != nullptr) replay_resolved(env, *resolved, i + 1, state_known);
  }
  // Truncation comes only after a complete checkpoint is durable.
  ECSIM_ASSERT(state_known);
  // What was forgotten before the crash is not in the log: any transaction
  // of a coordinator's life older than the newest resolved here counts as
  // forgotten (a live one of them only loses this vote and aborts).
  for (const auto& [txn, r] : resolved_) mark_forgotten(txn);
  trace(env, kRecordWal, static_cast<uint16_t>(WalEvent::kReplayed), 0, 0, counters_.wal_replayed,
        disk.length());
}

void Participant::replay_prepared(Env<Message>& env, const LogPrepared& p, uint64_t wal_length) {
  (void)env;
  Txn t;
  t.client_txn = p.client_txn;
  t.coordinator = p.coordinator;
  t.ts_ns = p.ts_ns;
  t.op = p.op;
  t.keys = keys_of(p.op);
  // Planted: the locks went at PREPARE, so two in-doubt transactions may
  // share a key; none is taken again.
  t.held = planted(Plant::kTwopcReleaseLocksAtPrepare) ? 0 : t.keys.count;
  t.state = TxnState::kPrepared;
  t.in_doubt = true;
  t.wal_length = wal_length;
  t.prepared_index = wal_length - 1;
  for (size_t i = 0; i < t.held; ++i) {
    // Two undecided PREPARED records never share a key: the lock was held
    // from the first until its decision was logged.
    ECSIM_ASSERT(locks_.emplace(t.keys.keys[i], p.txn).second);
  }
  clients_.emplace(p.client_txn, p.txn);
  txns_.emplace(p.txn, std::move(t));
}

void Participant::replay_resolved(Env<Message>& env, const LogResolved& r, uint64_t wal_length,
                                  bool state_known) {
  if (const auto it = txns_.find(r.txn); it != txns_.end()) {
    // Committed operations are applied again in log order, which is the order
    // their locks were granted in.
    if (r.commit && state_known) apply(it->second.op);
    for (size_t i = 0; i < it->second.held; ++i) locks_.erase(it->second.keys.keys[i]);
    txns_.erase(it);
  }
  clients_.emplace(r.client_txn, r.txn);
  // Remembered from now: the retention restarts at recovery.
  remember(r.txn, r.client_txn, r.commit, wal_length, env.now().ns, r.reason);
}

}  // namespace ecsim::proto::twopc
