// Two-phase commit for billing (DESIGN.md, "The modelled system" -> Core and
// Transactions; issue 11, items 2-4) as two sans-IO machines: a Coordinator
// (the transaction manager of a core node) and a Participant (a node holding
// the accounts: a cloud replica, or the edge node that took the request).
// docs/twopc.md describes the message flow, the log records and the rules.
//
// What they promise:
// - Atomicity: a transaction commits at a participant only if the coordinator
//   decided COMMIT, which it does only after every participant voted YES; any
//   NO, or a vote missing after the retries, aborts it everywhere.
// - Write-ahead: a participant votes YES only once its PREPARED record is
//   durable; it ACKs a decision only once its record of the decision is
//   durable. The coordinator sends a decision (and reports it to the client)
//   only once the decision is durable in its log, and forgets a transaction
//   (END) only once every participant acknowledged it (an ABORT: every
//   participant whose YES it received; the others ask if in doubt).
// - Presumed abort: a coordinator that holds no decision for a transaction
//   answers ABORT. It never says so for a transaction it may still commit:
//   transaction ids carry the coordinator's node and incarnation, and a
//   coordinator's live transactions are all in its table.
// - Locks: per key, exclusive, held from PREPARE to the decision, wait-die by
//   transaction age (the coordinator's start time, then the id): an older
//   transaction waits for a younger holder, a younger one dies (votes NO).
//   Waits only go from older to younger, so no cycle, no deadlock. A waiter
//   that is not granted within lock_wait_timeout votes NO too, so a vanished
//   coordinator cannot hold it for ever. A prepared transaction keeps its
//   locks until it learns the decision, across restarts.
// - Read committed: balances and number owners change only when a COMMIT is
//   applied; balance() and number_owner() see committed values only.
// - At most once per client transaction id: a coordinator returns the first
//   outcome it knows for a client id instead of running it again; a
//   participant that already ran a client id under another transaction votes
//   NO (kDuplicate) and tells the first outcome, so a retry on the other core
//   aborts and reports the first outcome. Both remember client ids for a
//   bounded retention (`outcomes_max`, oldest decided first).
// - Recovery: `recover` replays the log. The coordinator re-sends every
//   logged decision without END and decides ABORT for every START without a
//   decision; a participant re-takes the locks of every PREPARED without a
//   decision, votes YES again and asks the coordinator (StatusQuery) until a
//   decision arrives.
// - Bounded: transactions, waiters, remembered outcomes, participants per
//   transaction; every refusal has a counter and a trace record. Outcomes
//   are remembered for `outcome_retention` (longer than any client retries a
//   transaction id) and at most `outcomes_max`.
// - Flat logs: a coordinator drops the log before the first record of its
//   oldest live transaction (ended ones need nothing at recovery); a
//   participant appends a checkpoint (its committed state and remembered
//   outcomes) every `checkpoint_records` records and, once it is durable,
//   drops the log before it -- or before the PREPARED of the oldest
//   transaction live when it was taken, if that is older.
//
// The Participant is in twopc_participant.hpp.
//
// Dispatch: a node hands every message, timer (routed by is_coordinator_tag /
// is_participant_tag) and sync completion to its machine. Completions are
// polled with Coordinator::take_completions: no callbacks.
#pragma once
#include <array>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "ecsim/node/disk.hpp"
#include "ecsim/proto/env.hpp"
#include "ecsim/proto/points.hpp"

namespace ecsim::proto::twopc {

// Per transaction: up to three groups of three cloud replicas (the two
// accounts' and the ported number's) and the edge node that took the request.
inline constexpr size_t kParticipantsMax = 10;
inline constexpr size_t kTxnsMax = 4096;               // live, per machine
inline constexpr size_t kOutcomesMax = size_t{1} << 16;  // remembered outcomes, per machine
inline constexpr size_t kAccountsMax = size_t{1} << 20;
inline constexpr size_t kNumbersMax = size_t{1} << 20;
inline constexpr NodeId kCoordinatorNodeMax = 0xffff;  // its id is in the transaction id
inline constexpr uint32_t kIncarnationMax = 0xffff;
// A transaction id is node << 48 | incarnation << 32 | sequence: id >> this
// names the coordinator's life, and ids of one life grow with time.
inline constexpr int kTxnLifeShift = 32;

inline constexpr uint64_t kCoordinatorTagBit = uint64_t{1} << 59;
inline constexpr uint64_t kParticipantTagBit = uint64_t{1} << 58;
inline constexpr bool is_coordinator_tag(uint64_t tag) { return (tag & kCoordinatorTagBit) != 0; }
inline constexpr bool is_participant_tag(uint64_t tag) { return (tag & kParticipantTagBit) != 0; }

// Trace record types 70-79 (registered in sim/trace.hpp's list).
// kRecordCoordinator: node = coordinator, code = CoordinatorEvent, kind = Reason, a = txn,
// b = client txn.
inline constexpr auto kRecordCoordinator = static_cast<sim::RecordType>(70);
// kRecordVote: node = participant, peer = coordinator, code = 1 yes / 2 no, kind = Reason,
// a = txn, b = client txn. The promise a YES makes: PREPARED is durable here.
inline constexpr auto kRecordVote = static_cast<sim::RecordType>(71);
// kRecordParticipant: node = participant, peer = coordinator, code = ParticipantEvent, a = txn,
// b = client txn.
inline constexpr auto kRecordParticipant = static_cast<sim::RecordType>(72);
// kRecordLock: node = participant, code = LockEvent, kind = holder's txn low 32 bits (0: none),
// a = txn, b = key.
inline constexpr auto kRecordLock = static_cast<sim::RecordType>(73);
// kRecordQuery: node = sender, peer = receiver, code = 1 asked / 2 answered commit / 3 answered
// abort / 4 answered by presumed abort, a = txn.
inline constexpr auto kRecordQuery = static_cast<sim::RecordType>(74);
// kRecordIgnored: node, peer = sender, code = Ignored, a = txn or tag.
inline constexpr auto kRecordIgnored = static_cast<sim::RecordType>(75);
// kRecordRefused: node, peer = sender, code = Refusal, a = txn, b = client txn.
inline constexpr auto kRecordRefused = static_cast<sim::RecordType>(76);
// kRecordWal: node, code = WalEvent, a = log index or records replayed, b = log length.
inline constexpr auto kRecordWal = static_cast<sim::RecordType>(77);
// kRecordOutcome: node = coordinator, code = Outcome, kind = 1 when it is the first outcome
// returned again for a retried client id, a = txn, b = client txn. The promise to the client.
inline constexpr auto kRecordOutcome = static_cast<sim::RecordType>(78);
// kRecordApplied: node = participant, code = OpKind, a = txn, b = client txn: a committed
// operation changed the balances or number owners here.
inline constexpr auto kRecordApplied = static_cast<sim::RecordType>(79);

// --- Billing operations (issue 11, item 1, minimally) ------------------------

enum class OpKind : uint8_t { kDebit = 1, kTransfer = 2, kTopUp = 3, kPort = 4 };
// Amounts are integer minor units (Ksh cents). Debit: `from` pays `amount`;
// transfer: `from` pays `to`; top-up: `to` receives; port: `number` moves
// from subscriber `from` to subscriber `to`.
struct Op {
  OpKind kind = OpKind::kDebit;
  uint64_t from = 0;
  uint64_t to = 0;
  uint64_t amount = 0;
  uint64_t number = 0;
};
// Lock keys: an account is its subscriber id, a phone number has the top bit.
inline constexpr uint64_t kNumberKeyBit = uint64_t{1} << 63;
inline constexpr uint64_t account_key(uint64_t subscriber) { return subscriber; }
inline constexpr uint64_t number_key(uint64_t number) { return number | kNumberKeyBit; }
struct OpKeys {
  std::array<uint64_t, 2> keys{};  // ascending: the order locks are taken in
  size_t count = 0;
};
OpKeys keys_of(const Op& op);

struct Account {
  uint64_t subscriber = 0;
  int64_t balance = 0;
};
struct NumberOwner {
  uint64_t number = 0;
  uint64_t subscriber = 0;
};

// Why a participant voted NO or a transaction aborted.
enum class Reason : uint16_t {
  kNone = 0,
  kInsufficientFunds = 1,
  kUnknownKey = 2,     // no such account or number
  kNotOwner = 3,       // port of a number the `from` subscriber does not own
  kInvalid = 4,        // zero amount, transfer or port to oneself
  kLockDied = 5,       // wait-die: younger than the holder of a lock
  kLockTimeout = 6,    // waited lock_wait_timeout for a lock
  kDuplicate = 7,      // the client id already ran here under another transaction
  kFull = 8,           // a table at its _max
  kDiskFull = 9,       // the Disk refused an append
  kVoteTimeout = 10,   // coordinator: votes missing after the retries
  kRecovered = 11,     // coordinator: START without decision at recovery (presumed abort)
  kForced = 12,        // a `twopc_vote_no` action told this participant to vote NO (force_no)
};
inline constexpr size_t kReasonKinds = 13;
enum class Outcome : uint16_t {
  kCommitted = 1,
  kAborted = 2,
  kUnknown = 3,  // the client id's first transaction is still undecided somewhere: ask again
};
enum class CoordinatorEvent : uint16_t {
  kStartLogged = 1,
  kPrepareSent = 2,
  kDecidedCommit = 3,  // decision appended to the log
  kDecidedAbort = 4,
  kDecisionSent = 5,   // durable, sent to every participant
  kEndLogged = 6,      // every participant acknowledged (an ABORT: the YES voters)
  kJoined = 7,         // begin() of a client id that is running: its transaction's id
  kDecisionResent = 8,
  kPrepareResent = 9,
  kRecoveredDecision = 10,  // a logged decision without END, to re-send
};
enum class ParticipantEvent : uint16_t {
  kPreparedLogged = 1,  // appended (durable later: then the YES)
  kCommitted = 2,       // decision applied and appended
  kAborted = 3,
  kAcked = 4,
  kInDoubt = 5,         // recovered a PREPARED without decision: locks kept
  kResolved = 6,        // an in-doubt transaction learnt its decision
  kAckedUnknown = 7,    // a COMMIT of a transaction neither live nor remembered here, acknowledged:
                        // forgotten after the retention, or never prepared here -- or a
                        // PREPARED it voted YES on was lost (the checker tells them apart)
};
enum class LockEvent : uint16_t { kGranted = 1, kWait = 2, kDie = 3, kTimeout = 4, kReleased = 5 };
enum class Ignored : uint16_t {
  kUnknownTxn = 1,    // a vote or ack of no live transaction
  kNotParticipant = 2,
  kDuplicate = 3,     // a second vote or ack, or a PREPARE being handled
  kStaleTimer = 4,
  kStaleSync = 5,
  kUnexpected = 6,    // a message kind this machine does not serve
  kConflict = 7,      // a decision contradicting what is known here (never expected)
  kNotDurable = 8,    // a decision to ack whose record is not durable yet: the resend will do
  kPending = 9,       // a status query of an undecided transaction: the decision will come
  kForgotten = 10,    // a PREPARE of a transaction resolved here and forgotten: a late copy
};
enum class Refusal : uint16_t { kFull = 1, kDiskFull = 2, kBadRequest = 3 };
// kCheckpointed: a = the checkpoint's first index, b = the log's length after it, kind =
// items in it. kTruncated: a = entries dropped, kind = entries kept, b = the log's bytes
// before (its high-water mark since the last truncation).
enum class WalEvent : uint16_t { kReplayed = 1, kRejected = 2, kCheckpointed = 3, kTruncated = 4 };

// --- Messages ------------------------------------------------------------------

struct Prepare {
  uint64_t txn = 0;
  uint64_t client_txn = 0;
  int64_t ts_ns = 0;  // the transaction's age for wait-die
  Op op;
};
struct Vote {
  uint64_t txn = 0;
  bool yes = false;
  Reason reason = Reason::kNone;
  Outcome prior = Outcome::kUnknown;  // with kDuplicate: the client id's first outcome here
};
struct Decision {
  uint64_t txn = 0;
  bool commit = false;
};
struct Ack {
  uint64_t txn = 0;
};
struct StatusQuery {
  uint64_t txn = 0;
};
using Message = std::variant<Prepare, Vote, Decision, Ack, StatusQuery>;

// Wire size under the JSON-RPC 2.0 encoding (e.g. {"jsonrpc":"2.0","method":
// "twopc.prepare","params":{..},"id":TXN}), counted without building text.
uint32_t wire_size_bytes(const Message& m);

// --- Log records -----------------------------------------------------------------
// Fixed little-endian layouts with a kind byte and a trailing FNV-1a checksum,
// like the storage WAL. Coordinator: Start, Decided, End. Participant:
// Prepared, Resolved.

struct LogStart {
  uint64_t txn = 0;
  uint64_t client_txn = 0;
  int64_t ts_ns = 0;
  std::vector<NodeId> participants;
};
struct LogDecision {
  uint64_t txn = 0;
  uint64_t client_txn = 0;
  bool commit = false;
  Reason reason = Reason::kNone;
  std::vector<NodeId> participants;
};
struct LogEnd {
  uint64_t txn = 0;
};
struct LogPrepared {
  uint64_t txn = 0;
  uint64_t client_txn = 0;
  NodeId coordinator = 0;
  int64_t ts_ns = 0;
  Op op;
};
// A participant's decision (or its own NO vote, which it logs unforced).
struct LogResolved {
  uint64_t txn = 0;
  uint64_t client_txn = 0;
  bool commit = false;
  // An abort by this participant's own NO: the vote's reason, so a PREPARE
  // sent again after it is answered with the same NO. Shares the outcome's
  // byte on disk (outcome_byte): the entry's size does not change.
  Reason reason = Reason::kNone;
};
// A participant's checkpoint: its committed balances and number owners and
// its remembered outcomes at one instant (transactions live then are not in
// it: their PREPARED records stay in the log). Appended back to back in
// parts of at most kCheckpointItemsMax items; replay takes a checkpoint
// once it reads its `last` part (a crash may keep only some parts: then the
// records before it, still in the log, are what counts).
inline constexpr size_t kCheckpointItemsMax = 8192;
struct CheckpointOutcome {
  uint64_t txn = 0;
  uint64_t client_txn = 0;
  bool commit = false;
  int64_t at_ns = 0;  // when it was resolved: retention counts from there
  Reason reason = Reason::kNone;  // as LogResolved's
};
struct LogCheckpoint {
  uint64_t seq = 0;  // the participant's checkpoints count up from 1
  bool last = false;
  std::vector<Account> balances;
  std::vector<NumberOwner> owners;
  std::vector<CheckpointOutcome> outcomes;  // oldest first
};
using LogRecord = std::variant<LogStart, LogDecision, LogEnd, LogPrepared, LogResolved, LogCheckpoint>;
std::string encode(const LogRecord& r);
// nullopt for a record of the wrong length, an unknown kind, too many
// participants or a bad checksum.
std::optional<LogRecord> decode(std::string_view bytes);
// The transaction a log record is an entry of; 0 for a checkpoint part
// (the participant's state, no transaction's).
uint64_t txn_of(const LogRecord& r);

// A read-only look at every entry a machine appends to its 2PC log: the
// viewer's way to know which transaction each log index holds (its WAL
// records name a log index or a range of the log, never a transaction, and
// the trace must not change). Set through CoordinatorConfig /
// ParticipantConfig::log_observer; the machine never reads anything back.
// Unset (the default), it costs one null-pointer test per append.
class LogObserver {
 public:
  virtual ~LogObserver() = default;
  // `node` appended the entry at `index` of its 2PC log, an entry of
  // transaction `txn` (0: a checkpoint part). Called after the append
  // succeeded, before the record that reports it. It must not touch the run.
  virtual void on_log_append(NodeId node, uint64_t index, uint64_t txn) = 0;
};

// The disk as a machine sees it (the pattern of storage::StorageIo).
class LogIo {
 public:
  virtual ~LogIo() = default;
  virtual node::Disk& disk() = 0;
  // Starts a sync covering every entry appended so far; when it completes
  // the owner calls the machine's on_sync_done(tag). A sync started before a
  // crash never completes for the next incarnation.
  virtual void sync(uint64_t tag) = 0;
};

// The machines' invariant checks walk every live transaction after each
// handler: O(live) per event, which a partition that leaves thousands of
// transactions unfinished turned into most of the run's time. Past
// kWalkLiveMin live transactions the walk runs once every live /
// kWalkLiveMin handlers, so its cost per handler stays bounded while every
// state is still walked often. Deterministic (a call count, no draw).
class InvariantPacer {
 public:
  static constexpr size_t kWalkLiveMin = 32;
  bool due(size_t live) {
    const uint64_t every = live <= kWalkLiveMin ? 1 : live / kWalkLiveMin;
    return ++calls_ % every == 0;
  }

 private:
  uint64_t calls_ = 0;
};

// --- Coordinator -----------------------------------------------------------------

struct CoordinatorConfig {
  // REQUIRES: larger than every earlier incarnation of this node (it keeps
  // transaction ids unique across restarts); <= kIncarnationMax.
  uint32_t incarnation = 0;
  sim::Duration prepare_timeout = sim::milliseconds(200);
  uint32_t prepare_retries_max = 2;  // PREPARE resends to the silent before ABORT
  sim::Duration ack_timeout = sim::milliseconds(200);  // decision resend interval
  // Decision resends to one participant since the coordinator last heard
  // anything from it (a vote, an ACK, a query); beyond them it gets one
  // resend per ack_timeout (a probe) until it answers. Without the window
  // a participant cut off by a stalled connection got every un-ACKed
  // decision again every ack_timeout: thousands of transactions, each
  // resent 5 times a second, filled the network (docs/twopc.md).
  uint32_t resend_window = 64;
  size_t txns_max = kTxnsMax;
  size_t outcomes_max = kOutcomesMax;
  sim::Duration outcome_retention = sim::seconds(30);
  // ENDs between two truncations of the log.
  uint32_t truncate_every = 256;
  // Hand out each COMMIT this incarnation sends (take_commits), for the
  // edge caches' invalidations.
  bool report_commits = false;
  // The viewer's observer of the log's entries; nullptr: none. Not owned.
  LogObserver* log_observer = nullptr;
};

struct CoordinatorCounters {
  uint64_t begun = 0;
  uint64_t refused = 0;
  uint64_t joined = 0;    // begin() of a running client id
  uint64_t replayed = 0;  // begin() of a finished client id: first outcome again
  uint64_t committed = 0;
  uint64_t aborted = 0;
  std::array<uint64_t, kReasonKinds> aborted_by{};  // by Reason
  uint64_t prepare_resends = 0;
  uint64_t decision_resends = 0;
  uint64_t decision_resends_held = 0;  // not sent: the participant's resend window was full
  uint64_t queries_answered = 0;
  uint64_t presumed_aborts = 0;  // queries of a transaction with no decision here
  uint64_t recovered_decisions = 0;  // logged decisions without END, re-sent
  uint64_t recovered_aborts = 0;     // START without decision: presumed abort
  uint64_t ended = 0;
  uint64_t ignored = 0;
  uint64_t wal_appended = 0;
  uint64_t wal_replayed = 0;
  uint64_t wal_rejected = 0;
  uint64_t syncs_started = 0;
  uint64_t truncated = 0;  // log entries dropped
};

struct Completion {
  uint64_t client_txn = 0;
  uint64_t txn = 0;
  Outcome outcome = Outcome::kAborted;
  Reason reason = Reason::kNone;
  bool replayed = false;  // the first outcome of this client id, returned again
  sim::Duration latency{0};
};

class Coordinator {
 public:
  // REQUIRES: self <= kCoordinatorNodeMax; timeouts > 0; limits within their maximum.
  Coordinator(NodeId self, CoordinatorConfig config);

  // Call once at every start, before anything else: replays the log.
  void recover(Env<Message>& env, LogIo& io);
  // Starts a transaction of `op` over `participants` (every node holding its
  // data). Returns its id; a retried `client_txn` returns the id of its first
  // transaction (and, when that one is decided, a replayed completion at once).
  // nullopt: refused (tables full or disk full; counted and traced).
  // REQUIRES: 1..kParticipantsMax distinct participants.
  std::optional<uint64_t> begin(Env<Message>& env, LogIo& io, uint64_t client_txn, const Op& op,
                                std::span<const NodeId> participants);
  void on_message(Env<Message>& env, LogIo& io, NodeId from, const Message& m);
  // REQUIRES: is_coordinator_tag(tag).
  void on_timer(Env<Message>& env, LogIo& io, uint64_t tag);
  void on_sync_done(Env<Message>& env, LogIo& io, uint64_t tag);
  // Moves the reported outcomes into `out` (cleared first).
  void take_completions(std::vector<Completion>& out);
  // With report_commits: moves the (txn, op) of every COMMIT sent since the
  // last call into `out` (cleared first), in order; not a recovered one
  // (its op is not in the log).
  void take_commits(std::vector<std::pair<uint64_t, Op>>& out);

  const CoordinatorCounters& counters() const { return counters_; }
  size_t live() const { return txns_.size(); }
  size_t remembered() const { return remembered_order_.size(); }
  // The decision known here for `txn` (live or remembered); nullopt: none.
  std::optional<bool> decision(uint64_t txn) const;

 private:
  enum class Phase : uint8_t { kPreparing, kDeciding, kCompleting };
  struct Txn {
    uint64_t client_txn = 0;
    int64_t ts_ns = 0;
    Op op;
    std::vector<NodeId> participants;
    std::array<bool, kParticipantsMax> answered{};  // voted YES, then acknowledged
    Phase phase = Phase::kPreparing;
    bool commit = false;
    Reason reason = Reason::kNone;
    Outcome prior = Outcome::kUnknown;  // a kDuplicate vote's first outcome
    uint64_t decision_wal_length = 0;
    uint64_t timer_tag = 0;
    TimerId timer = 0;
    uint32_t attempts = 1;
    bool report = false;     // begun by this incarnation: report its outcome
    bool recovered = false;  // rebuilt from the log at recovery, its decision not yet re-sent
    bool reported = false;   // its outcome went to the client before the decision was sent (a plant)
    sim::Time started{0};
    uint64_t first_index = 0;  // the log index of its first record (START, or the decision)
  };
  struct Remembered {
    uint64_t txn = 0;
    Outcome outcome = Outcome::kAborted;  // for the client: the first outcome
  };
  // What a participant was sent since it was last heard from.
  struct Peer {
    uint32_t unheard_resends = 0;
    int64_t probe_at_ns = 0;  // the next resend beyond the window, not before
    // True: a decision resend may go out at `now_ns` (counted in the window).
    bool may_resend(int64_t now_ns, uint32_t window, int64_t probe_interval_ns) {
      if (unheard_resends < window) {
        ++unheard_resends;
        return true;
      }
      if (now_ns <= probe_at_ns) return false;  // <=: the next timer, not the last probe's, probes
      probe_at_ns = now_ns + probe_interval_ns;
      return true;
    }
  };
  struct Forget {
    uint64_t client_txn = 0;
    uint64_t txn = 0;
    int64_t at_ns = 0;  // remembered then
  };

  void on_vote(Env<Message>& env, LogIo& io, NodeId from, const Vote& v);
  void on_ack(Env<Message>& env, LogIo& io, NodeId from, const Ack& a);
  void on_query(Env<Message>& env, NodeId from, const StatusQuery& q);
  void decide(Env<Message>& env, LogIo& io, uint64_t txn, bool commit, Reason reason);
  void send_decision(Env<Message>& env, LogIo& io, uint64_t txn);
  void report(Env<Message>& env, uint64_t txn, const Txn& t);
  void end(Env<Message>& env, LogIo& io, uint64_t txn);
  void remember(Env<Message>& env, uint64_t client_txn, uint64_t txn, bool commit,
                std::optional<Outcome> for_client);
  // Drops the log before the first record of the oldest live transaction.
  void truncate(Env<Message>& env, LogIo& io);
  void arm(Env<Message>& env, uint64_t txn, Txn& t, sim::Duration after);
  void disarm(Env<Message>& env, Txn& t);
  bool append(Env<Message>& env, LogIo& io, const LogRecord& r);
  void want_sync(LogIo& io);
  void replay(Env<Message>& env, LogIo& io);
  void send(Env<Message>& env, NodeId dst, const Message& m);
  void ignore(Env<Message>& env, Ignored why, NodeId from, uint64_t a);
  void trace(Env<Message>& env, sim::RecordType type, uint16_t code, NodeId peer, uint32_t kind,
             uint64_t a, uint64_t b);
  // A protocol point (proto/points.hpp); true: the node stops here, return at once.
  bool stop_at(Env<Message>& env, Point p);
  void check_invariants() const;

  NodeId self_;
  CoordinatorConfig config_;
  bool recovered_ = false;
  bool stopped_ = false;  // stopped at a point: the node crashes, nothing more happens here
  uint64_t next_seq_ = 1;
  std::map<uint64_t, Txn> txns_;            // live, by txn id (ordered: deterministic walks)
  mutable InvariantPacer pacer_;            // check_invariants' walk over txns_
  std::map<uint64_t, uint64_t> by_client_;  // client txn -> live txn, outcome not yet known
  std::map<uint64_t, uint64_t> timers_;     // timer tag -> txn
  std::map<NodeId, Peer> peers_;            // participants resent a decision, by node
  uint64_t next_tag_ = 1;
  // Decided transactions kept for retries and status queries: at most
  // outcomes_max, the oldest forgotten first.
  std::map<uint64_t, Remembered> outcomes_;    // by client txn
  std::map<uint64_t, bool> decisions_;         // txn -> commit
  std::deque<Forget> remembered_order_;
  uint32_t ends_since_truncate_ = 0;
  uint64_t sync_tag_ = 0;
  uint64_t next_sync_tag_ = 1;
  std::vector<Completion> done_;
  std::vector<std::pair<uint64_t, Op>> commits_;  // report_commits
  CoordinatorCounters counters_;
};

}  // namespace ecsim::proto::twopc
