// The 2PC participant (a node holding the accounts: a cloud replica, or the
// edge node that took the request) as a sans-IO machine; the messages, log
// records, promises and the Coordinator are in twopc.hpp.
#pragma once

#include "ecsim/proto/twopc.hpp"

namespace ecsim::proto::twopc {

// --- Participant -------------------------------------------------------------------

struct ParticipantConfig {
  std::vector<Account> accounts;  // the initial state (the log holds only changes)
  // A cache holder (the edge node that took the request): it does not judge
  // the operation (the cloud replicas, which hold the accounts, do), so it
  // votes YES once its locks are taken and PREPARED is durable, and on a
  // COMMIT it drops its cached copies of what changed (balance() and
  // number_owner() then say nullopt: not cached) instead of applying.
  bool cache_only = false;
  std::vector<NumberOwner> numbers;
  // The cloud tier in groups: a replica is the authority on its own group's
  // accounts and numbers only, and holds no copy of the others'. It judges
  // and applies a transaction's changes to its own keys; another group's
  // key in the same transaction is judged by that group's replicas, which
  // take part too. `key_group` maps a lock key (account_key, number_key)
  // to its group; null: every key is this participant's (one group).
  // `accounts` and `numbers` then hold exactly the group's own.
  uint32_t (*key_group)(uint64_t lock_key, size_t groups) = nullptr;
  size_t groups = 1;
  uint32_t group = 0;
  sim::Duration lock_wait_timeout = sim::milliseconds(100);
  sim::Duration query_interval = sim::milliseconds(300);  // in doubt: ask the coordinator
  size_t txns_max = kTxnsMax;
  size_t outcomes_max = kOutcomesMax;
  // Remembered outcomes are kept this long: a client's retries of a
  // transaction id must fall within it (tiers: twice the longest billing
  // client timeout, at least 30 s).
  sim::Duration outcome_retention = sim::seconds(30);
  // Records appended since the last checkpoint that start the next one
  // (and at least half the checkpoint's items, so checkpoints cost O(1)
  // per record however large the state).
  uint32_t checkpoint_records = 1024;
  // The viewer's observer of the log's entries (twopc.hpp); nullptr: none. Not owned.
  LogObserver* log_observer = nullptr;
};

struct ParticipantCounters {
  uint64_t prepares = 0;
  uint64_t votes_yes = 0;
  uint64_t votes_no = 0;
  std::array<uint64_t, kReasonKinds> no_by{};  // by Reason
  uint64_t lock_waits = 0;
  uint64_t lock_dies = 0;
  uint64_t lock_timeouts = 0;
  uint64_t committed = 0;
  uint64_t aborted = 0;
  uint64_t acks_sent = 0;
  uint64_t queries_sent = 0;
  uint64_t in_doubt_recovered = 0;
  uint64_t checkpoints = 0;
  uint64_t ignored = 0;
  uint64_t refused = 0;
  uint64_t wal_appended = 0;
  uint64_t wal_replayed = 0;
  uint64_t wal_rejected = 0;
  uint64_t syncs_started = 0;
  uint64_t truncated = 0;  // log entries dropped
};

enum class TxnState : uint8_t {
  kWaiting = 1,    // for a lock
  kPreparing = 2,  // PREPARED appended, not yet durable
  kPrepared = 3,   // voted YES: in doubt until the decision
  kDeciding = 4,   // decision applied and appended, ACK once durable
};

class Participant {
 public:
  // REQUIRES: accounts and numbers distinct, within kAccountsMax / kNumbersMax,
  // balances >= 0; timeouts > 0.
  Participant(NodeId self, ParticipantConfig config);

  // Call once at every start, before anything else: replays the log.
  void recover(Env<Message>& env, LogIo& io);
  void on_message(Env<Message>& env, LogIo& io, NodeId from, const Message& m);
  // REQUIRES: is_participant_tag(tag).
  void on_timer(Env<Message>& env, LogIo& io, uint64_t tag);
  void on_sync_done(Env<Message>& env, LogIo& io, uint64_t tag);

  // Whether `lock_key` (account_key, number_key) is this participant's to
  // judge and hold (ParticipantConfig::key_group).
  bool owns(uint64_t lock_key) const;
  // Committed values only: the state the log gives; nullopt for a key
  // another group owns.
  std::optional<int64_t> balance(uint64_t subscriber) const;
  std::optional<uint64_t> number_owner(uint64_t number) const;
  // What a read outside a transaction sees: committed values only (read
  // committed), the same as balance() and number_owner() -- unless the
  // plant twopc.read_uncommitted applies the prepared transactions first.
  std::optional<int64_t> read_balance(uint64_t subscriber) const;
  std::optional<uint64_t> read_number_owner(uint64_t number) const;
  // The live transaction holding `key`'s lock; 0: free.
  uint64_t lock_holder(uint64_t key) const;
  // One key of the lock table: its holder (exclusive; 0: free, only
  // waiters) and the live transactions waiting for it, oldest first.
  struct LockView {
    uint64_t key = 0;
    uint64_t holder = 0;
    TxnState holder_state = TxnState::kWaiting;
    std::vector<uint64_t> waiters;
  };
  // The lock table now, by key, at most `max` keys (the lowest). The whole
  // table has at most two rows per live transaction (a transaction has at
  // most two keys; one it waits for is one it does not hold): 2 * (txns_max
  // plus those recovered in doubt at a restart). Read-only, for the viewer's
  // snapshots (tiers/snapshot.hpp): never on the hot path.
  std::vector<LockView> lock_table(size_t max) const;
  std::optional<TxnState> state(uint64_t txn) const;
  // The decision applied here for a transaction no longer live; nullopt: none remembered.
  std::optional<bool> resolved(uint64_t txn) const;
  const ParticipantCounters& counters() const { return counters_; }
  size_t live() const { return txns_.size(); }
  size_t locks_held() const { return locks_.size(); }
  size_t remembered() const { return resolved_.size(); }
  // The scenario action `twopc_vote_no` (docs/scenarios.md): the next
  // `count` transactions whose locks this participant is granted get a NO
  // (Reason::kForced) instead of being judged, and roll back everywhere.
  // Volatile: a crash forgets what is left of it. Draws no random number.
  // REQUIRES: count >= 1.
  void force_no(uint64_t count);
  uint64_t forced_no_left() const { return forced_no_; }

 private:
  struct Txn {
    uint64_t client_txn = 0;
    NodeId coordinator = 0;
    int64_t ts_ns = 0;
    Op op;
    OpKeys keys;
    size_t held = 0;  // keys[0..held) are locked by this transaction
    TxnState state = TxnState::kWaiting;
    bool commit = false;
    bool in_doubt = false;  // recovered PREPARED: ask the coordinator
    uint64_t wal_length = 0;
    uint64_t prepared_index = kNoIndex;  // its PREPARED record in the log
    uint64_t timer_tag = 0;
    TimerId timer = 0;
  };
  static constexpr uint64_t kNoIndex = UINT64_MAX;
  struct Resolved {
    uint64_t client_txn = 0;
    bool commit = false;
    uint64_t wal_length = 0;  // durable at this log length
    int64_t at_ns = 0;        // resolved then: retention counts from there
    Reason reason = Reason::kNone;  // an abort by its own NO: why (a PREPARE again gets the same NO)
  };
  enum class LockResult : uint8_t { kGranted, kWait, kDie };

  void on_prepare(Env<Message>& env, LogIo& io, NodeId from, const Prepare& p);
  void on_decision(Env<Message>& env, LogIo& io, NodeId from, const Decision& d);
  bool answer_known(Env<Message>& env, NodeId from, const Prepare& p);
  LockResult try_lock(Env<Message>& env, uint64_t txn, Txn& t);
  // The locks are granted: validate and log PREPARED, or vote NO.
  void proceed(Env<Message>& env, LogIo& io, uint64_t txn, Txn& t);
  void vote_no(Env<Message>& env, LogIo& io, uint64_t txn, Reason reason);
  void release(Env<Message>& env, uint64_t txn, Txn& t);
  void wake_waiters(Env<Message>& env, LogIo& io);
  Reason validate(const Op& op) const;
  void apply(const Op& op);
  void resolve(Env<Message>& env, LogIo& io, uint64_t txn, bool commit);
  void finish_durable(Env<Message>& env, LogIo& io, uint64_t durable_length);
  void send_vote(Env<Message>& env, uint64_t txn, const Txn& t);
  // Remembers a resolved transaction, and forgets the oldest past the
  // retention or over outcomes_max (twopc_participant_state.cpp).
  void remember(uint64_t txn, uint64_t client_txn, bool commit, uint64_t wal_length, int64_t at_ns,
                Reason reason = Reason::kNone);
  // True: `txn` is no newer than a transaction of its coordinator's
  // incarnation that was resolved here and forgotten, so a PREPARE of it is
  // a late copy (a coordinator asks for votes for 600 ms, not 30 s).
  bool forgotten(uint64_t txn) const;
  // Counts `txn` as forgotten: forgotten() is true for it and older ones of its life.
  void mark_forgotten(uint64_t txn);
  // Checkpoints (twopc_participant_state.cpp): appends one when enough records
  // came since the last; once it is durable, drops the log before it.
  void maybe_checkpoint(Env<Message>& env, LogIo& io);
  void maybe_truncate(Env<Message>& env, LogIo& io);
  // Replay: a checkpoint's part; the last one replaces the replayed state.
  void replay_checkpoint(const LogCheckpoint& c, uint64_t wal_length, LogCheckpoint& pending);
  void arm(Env<Message>& env, uint64_t txn, Txn& t, sim::Duration after);
  void disarm(Env<Message>& env, Txn& t);
  bool append(Env<Message>& env, LogIo& io, const LogRecord& r);
  void want_sync(LogIo& io);
  void replay(Env<Message>& env, LogIo& io);
  void replay_prepared(Env<Message>& env, const LogPrepared& p, uint64_t wal_length);
  void replay_resolved(Env<Message>& env, const LogResolved& r, uint64_t wal_length, bool state_known);
  void send(Env<Message>& env, NodeId dst, const Message& m);
  void ignore(Env<Message>& env, Ignored why, NodeId from, uint64_t a);
  void trace(Env<Message>& env, sim::RecordType type, uint16_t code, NodeId peer, uint32_t kind,
             uint64_t a, uint64_t b);
  // A protocol point (proto/points.hpp); true: the node stops here, return at once.
  bool stop_at(Env<Message>& env, Point p);
  void check_invariants() const;

  NodeId self_;
  ParticipantConfig config_;
  bool recovered_ = false;
  bool stopped_ = false;  // stopped at a point: the node crashes, nothing more happens here
  std::map<uint64_t, int64_t> balances_;  // committed
  std::map<uint64_t, uint64_t> owners_;   // number -> subscriber, committed
  std::map<uint64_t, Txn> txns_;          // live, by txn id
  mutable InvariantPacer pacer_;          // check_invariants' walk over txns_
  std::map<uint64_t, uint64_t> locks_;    // key -> holder txn
  std::map<uint64_t, uint64_t> timers_;   // timer tag -> txn
  uint64_t next_tag_ = 1;
  std::map<uint64_t, uint64_t> clients_;  // client txn -> its first txn here (live or resolved)
  // Resolved transactions kept for duplicates and retries: at most
  // outcomes_max, the oldest forgotten first.
  std::map<uint64_t, Resolved> resolved_;
  std::deque<uint64_t> resolved_order_;
  // Per coordinator incarnation (txn >> kTxnLifeShift), the newest
  // transaction forgotten from resolved_ (or, after a restart, the newest
  // in the log: older ones may have been truncated). One entry per
  // coordinator life seen.
  std::map<uint64_t, uint64_t> forgotten_max_;
  // Checkpoints: the last one's number; records appended since it; the
  // one waiting to be durable (its log length; 0: none) and where the log
  // may be cut then.
  uint64_t checkpoint_seq_ = 0;
  uint64_t since_checkpoint_ = 0;
  uint64_t checkpoint_end_ = 0;
  uint64_t checkpoint_cut_ = 0;
  uint64_t sync_tag_ = 0;
  uint64_t next_sync_tag_ = 1;
  uint64_t forced_no_ = 0;  // force_no(): NO votes still to give
  ParticipantCounters counters_;
};

}  // namespace ecsim::proto::twopc
