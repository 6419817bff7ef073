// Cloud storage (DESIGN.md, "The modelled system" -> Cloud; issue 4, item 2):
// a key-value store (uint64 -> uint64) replicated on N = 3 cloud nodes, each
// keeping its data in a write-ahead log on its Disk, written through a 2-of-3
// quorum by core nodes and read through a 2-of-3 quorum.
//
// What it promises:
// - Last-write-wins: every value carries a Version (counter, writer), totally
//   ordered by counter, then writer; a replica keeps the larger (a maximum:
//   the arrival order and duplicates change nothing).
// - A replica acknowledges a write (WriteAck) only once its log holds, durably
//   (a sync covering it completed), that version or a newer one of the key.
//   Syncs are group-committed: at most one in flight; the writes that arrive
//   meanwhile ride on the next one.
// - Only core nodes may write: a WriteReq from any other node is refused,
//   counted, traced, and changes nothing (not the map, not the log).
// - Quorums: a QuorumWriter reports success once W = 2 distinct replicas
//   acknowledged; a QuorumReader asks all 3 and answers with the highest
//   version among the first R = 2 answers. R + W > N: every read quorum
//   shares a replica with every write quorum, and that replica holds the
//   acknowledged version or a newer one (it acknowledged only after a durable
//   append, and it never replaces a version with an older one), so a read
//   through the quorum sees a version >= every write acknowledged before the
//   read began — also for two core nodes writing the same key.
// - Recovery: `recover` replays the log (records that fail their length or
//   checksum are rejected and counted; replay order does not matter because
//   the merge is a maximum), then catches up from the peer replicas. Catch-up
//   from one peer suffices for the durability promise: a write acknowledged
//   by 2 of 3 without this replica is on both peers. It continues with the
//   others in the background for convergence.
// - Catch-up cursor: each replica stamps every change to its copy with its
//   own time (`updated_at`, kept in the log so it survives its restarts). A
//   pass with a peer has two sweeps, each in bounded batches, and its start
//   P is the peer's time when it served the first batch (`as_of`):
//   1. by time: the entries with mark <= updated_at < P, in (updated_at,
//      key) order from a cursor. That set only loses members (a change
//      stamps an entry with a time >= P), so the sweep ends however fast
//      the clients write to the peer -- while the peer lives: one that
//      restarts may have lost un-synced versions, putting keys back at
//      older stamps behind the cursor, so it answers a request of a pass
//      begun before its restart with restart_pass, and the pass begins again;
//   2. by key: the entries with updated_at >= P of keys the peer held
//      before P (created_at < P), in key order from a key cursor. An entry
//      the peer changed during the pass left sweep 1 for this set and stays
//      in it (stamps only grow), and a change does not move a key in key
//      order, so the sweep reaches it; keys created during the pass never
//      join, so the set is bounded by the keys held at P and the sweep
//      ends too (docs/model.md: why not one sweep). Keys created after P are not owed:
//      a version acknowledged before the restart without this replica is
//      on both peers before P. A key a peer replayed from its (maybe
//      truncated) log counts as created at 0: only more entries to send.
//   When both are over, the recovering replica logs a Mark (peer, P) after
//   the entries; the next recovery asks that peer only `since` the mark:
//   every entry the peer held before P, at that version or a newer one, is
//   here. A crash keeps a prefix of the log, so a surviving mark implies its
//   entries survived; a rejected (corrupted) record voids every mark, and the
//   next catch-up is a full one. This relies on a node's now() never moving
//   backwards across its restarts.
// - Checkpoints: the log grows with every write, the replica's state only
//   with its keys. When the log holds more than 2 x keys + wal_slack
//   entries, the replica appends a copy of its state (one put per key in key
//   order, then each peer's mark) and, once a sync made that copy durable,
//   truncates the log before it (node::Disk::truncate_front). Replay applies
//   the newest version of a key wherever it is, so recovery from the
//   truncated log, or from a crash before the copy was durable, gives the
//   same state. Log positions are absolute (never renumbered).
// - Reads are served from the map, which may hold a version not yet durable
//   here; quorum reads still keep the promise about acknowledged writes.
// - Everything is bounded: keys, pending acks, outstanding requests, catch-up
//   batches; every refusal has a counter and a trace record.
//
// Dispatch: the message types share one variant. A cloud node hands every
// message, timer and sync completion to its Replica. A core node hands
// WriteAck to its QuorumWriter and ReadResp to its QuorumReader, and routes
// timers by `is_writer_tag` / `is_reader_tag` (the tag spaces are disjoint).
// Completions are polled with take_completions: no callbacks.
#pragma once
#include <array>
#include <compare>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "ecsim/node/disk.hpp"
#include "ecsim/proto/env.hpp"
#include "ecsim/proto/storage_records.hpp"
#include "ecsim/sim/flat_map.hpp"
#include "ecsim/sim/limits.hpp"
#include "ecsim/sim/slot_pool.hpp"

namespace ecsim::proto::storage {

inline constexpr size_t kReplicas = 3;  // N
inline constexpr size_t kQuorum = 2;    // W = R = 2; R + W > N
inline constexpr size_t kKeysMax = size_t{1} << 20;
inline constexpr uint64_t kWalSlackDefault = 16384;
inline constexpr size_t kPendingAcksMax = 4096;
// Outstanding requests per QuorumWriter/Reader: the capacity of their slot
// tables (ClientConfig::requests_max, at most this, bounds them; a request
// beyond it is refused, counted and traced as Refusal::kPendingFull).
inline constexpr size_t kRequestsMax = 4096;
inline constexpr size_t kCatchUpBatchMax = 512;  // per answer: one round trip each (docs/model.md)
// Catch-up requests per peer whose send times a replica keeps, to time a
// late answer to any of them (CatchUpEvent::kAnsweredLate): 20 asks at the
// timeout and 44 backed off, round trips up to about 98 s.
inline constexpr size_t kCatchUpSentKept = 64;
// Keys a peer examines for one batch of a sweep by key: bounds its work.
inline constexpr size_t kCatchUpScanMax = 4096;
inline constexpr size_t kCoreNodesMax = 1024;

// Sharding (docs/model.md, "Scale"): a cloud tier of 3G nodes is G groups of
// kReplicas, the cloud nodes in id order taken three by three; key k lives
// on group key_group(k, G) only, and each group keeps the 2-of-3 quorums.
// One group (G = 1) holds every key.
inline uint32_t key_group(uint64_t key, size_t groups) {
  if (groups <= 1) return 0;
  uint64_t x = key * 0x9E3779B97F4A7C15ull;  // spread consecutive keys
  x ^= x >> 29;
  return static_cast<uint32_t>(x % groups);
}

// Timer tags: the three machines' tag spaces are disjoint so one node may
// host several and route its timers by tag.
inline constexpr uint64_t kWriterTagBit = uint64_t{1} << 63;
inline constexpr uint64_t kReaderTagBit = uint64_t{1} << 62;
inline constexpr uint64_t kReplicaTagBit = uint64_t{1} << 61;
inline constexpr bool is_writer_tag(uint64_t tag) { return (tag & kWriterTagBit) != 0; }
inline constexpr bool is_reader_tag(uint64_t tag) { return (tag & kReaderTagBit) != 0; }
inline constexpr bool is_replica_tag(uint64_t tag) { return (tag & kReplicaTagBit) != 0; }

// Last-write-wins version: the larger (counter, then writer) wins.
struct Version {
  uint64_t counter = 0;
  NodeId writer = 0;
  friend auto operator<=>(const Version&, const Version&) = default;
};

// `slot`: the quorum client's slot for the request (its table's id), which
// a replica echoes in its answer so the client finds the request without a
// lookup by id. It is not part of the modelled wire (a real client would
// fold it into the JSON-RPC id; the id on the wire and in traces stays
// `req_id`, and wire_size_bytes ignores `slot`). 0: none.
struct WriteReq {
  uint64_t req_id = 0;
  uint64_t key = 0;
  uint64_t value = 0;
  Version version;
  uint64_t slot = 0;
};
struct WriteAck {
  uint64_t req_id = 0;
  uint64_t key = 0;
  Version version;
  uint64_t slot = 0;  // the WriteReq's
};
struct ReadReq {
  uint64_t req_id = 0;
  uint64_t key = 0;
  uint64_t slot = 0;
};
struct ReadResp {
  uint64_t req_id = 0;
  uint64_t key = 0;
  bool found = false;
  uint64_t value = 0;
  Version version;
  uint64_t slot = 0;  // the ReadReq's
};
// Sweep by time (by_key false): entries of the sender with (updated_at,
// key) >= (since_ns, from_key) and updated_at < until_ns; until_ns 0: the
// sender's time when it answers (the first batch of a pass). Sweep by key:
// entries with updated_at >= since_ns of keys created before since_ns, with
// key >= from_key, in key order.
struct CatchUpReq {
  uint64_t req_id = 0;
  int64_t since_ns = 0;
  uint64_t from_key = 0;
  int64_t until_ns = 0;
  bool by_key = false;
};
struct CatchUpEntry {
  uint64_t key = 0;
  uint64_t value = 0;
  Version version;
  int64_t updated_at_ns = 0;  // at the sender: orders the cursor
};
// At most kCatchUpBatchMax entries; `more`: ask again from the next cursor
// (next_since_ns, next_key); the sweep by key moves only the key.
struct CatchUpResp {
  uint64_t req_id = 0;
  std::vector<CatchUpEntry> entries;
  bool more = false;
  int64_t next_since_ns = 0;
  uint64_t next_key = 0;
  int64_t as_of_ns = 0;  // the sender's time when it answered
  bool restart_pass = false;  // the sender restarted since the pass began: again (no entries)
};

using Message = std::variant<WriteReq, WriteAck, ReadReq, ReadResp, CatchUpReq, CatchUpResp>;

// Wire size under the JSON-RPC 2.0 encoding, e.g. for a WriteReq
// {"jsonrpc":"2.0","method":"storage.write","params":{"key":K,"value":V,
//  "version":[C,W]},"id":I}; answers are {"jsonrpc":"2.0","result":{..},"id":I}.
// Counted from the fields' decimal widths, without building the text.
uint32_t wire_size_bytes(const Message& m);

// One WAL record: a put (an entry) or a catch-up mark. Fixed little-endian
// layout with a kind byte and a trailing 32-bit checksum (FNV-1a).
struct WalPut {
  uint64_t key = 0;
  uint64_t value = 0;
  Version version;
  int64_t updated_at_ns = 0;
};
struct WalMark {
  NodeId peer = 0;
  int64_t as_of_ns = 0;
};
using WalRecord = std::variant<WalPut, WalMark>;
inline constexpr size_t kWalPutBytes = 1 + 8 + 8 + 8 + 4 + 8 + 4;
inline constexpr size_t kWalMarkBytes = 1 + 4 + 8 + 4;
std::string encode(const WalRecord& r);
// nullopt for a record of the wrong length, an unknown kind or a bad checksum.
std::optional<WalRecord> decode(std::string_view bytes);

// The disk as a replica sees it. In a node it adapts the Context; unit tests
// complete syncs by hand.
class StorageIo {
 public:
  virtual ~StorageIo() = default;
  virtual node::Disk& disk() = 0;
  // Starts a sync covering every entry appended so far. When it completes,
  // those entries are durable and the owner calls Replica::on_sync_done(tag).
  // A sync started before a crash never completes for the next incarnation.
  virtual void sync(uint64_t tag) = 0;
};

struct ReplicaConfig {
  std::vector<NodeId> peers;       // the other replicas; self excluded
  std::vector<NodeId> core_nodes;  // the only nodes allowed to write
  size_t keys_max = kKeysMax;
  size_t pending_acks_max = kPendingAcksMax;
  sim::Duration catch_up_timeout = sim::milliseconds(500);
  // Consecutive unanswered requests to a peer at catch_up_timeout; after
  // them the replica never gives up (a partition may heal at any time): it
  // asks again after 2, 4, ... x the timeout, at most catch_up_backoff_max.
  uint32_t catch_up_retries_max = 20;
  sim::Duration catch_up_backoff_max = sim::seconds(2);
  // Catch-up request ids are incarnation << 40 | seq: an answer to an earlier life's
  // request (queued at the peer across the crash) never passes for this one's.
  uint32_t incarnation = 0;
  // The log is checkpointed when it holds more than 2 x keys + wal_slack
  // entries (see "Checkpoints" above).
  uint64_t wal_slack = kWalSlackDefault;
};

struct ReplicaCounters {
  uint64_t writes_applied = 0;
  uint64_t writes_superseded = 0;                 // older than what the replica holds
  uint64_t writes_duplicate = 0;                  // equal to what it holds
  std::array<uint64_t, kRefusalKinds> refused{};  // by Refusal
  uint64_t acks_sent = 0;
  uint64_t reads_served = 0;
  uint64_t syncs_started = 0;
  uint64_t wal_appended = 0;
  uint64_t wal_replayed = 0;
  uint64_t wal_rejected = 0;  // corrupted or partial records at replay
  uint64_t wal_checkpoints = 0;  // completed: their copy durable, the log before it dropped
  uint64_t wal_truncated = 0;    // entries the checkpoints dropped
  uint64_t catch_up_requests_sent = 0;
  uint64_t catch_up_batches_served = 0;
  uint64_t catch_up_entries_served = 0;
  uint64_t catch_up_entries_applied = 0;  // received entries that won
  uint64_t catch_up_gave_up = 0;
  uint64_t catch_up_backoffs = 0;  // requests asked at a backed-off interval
  uint64_t catch_up_passes_restarted = 0;  // passes begun again: the peer restarted meanwhile
  uint64_t catch_up_answers_late = 0;      // answers to a request before the latest (CatchUpEvent::kAnsweredLate)
  uint64_t ignored = 0;
  uint64_t refused_total() const;
};

struct Stored {
  uint64_t value = 0;
  Version version;
  int64_t updated_at_ns = 0;
  uint64_t wal_length = 0;  // the log length at which this version is durable here
  // When the key first came here, or 0 for a key replayed from the log (a
  // lower bound: the log may have been truncated). Not logged.
  int64_t created_at_ns = 0;
};

class Replica {
 public:
  // REQUIRES: peers distinct, exclude `self`, kReplicas - 1 of them at most;
  // core_nodes at most kCoreNodesMax.
  Replica(NodeId self, ReplicaConfig config);

  // Call once at every start: replays the log, then starts catch-up.
  void recover(Env<Message>& env, StorageIo& io);
  void on_message(Env<Message>& env, StorageIo& io, NodeId from, const Message& m);
  void on_timer(Env<Message>& env, StorageIo& io, uint64_t tag);
  // A sync this replica started (`io.sync(tag)`) completed.
  void on_sync_done(Env<Message>& env, StorageIo& io, uint64_t tag);

  std::optional<Stored> get(uint64_t key) const;
  // By key, in no particular order (a hash table: reads and writes look up
  // a key on every request); sort the keys to walk them in order.
  const sim::FlatMap<Stored>& entries() const { return entries_; }
  const ReplicaCounters& counters() const { return counters_; }
  uint64_t refused(Refusal r) const { return counters_.refused[static_cast<size_t>(r)]; }
  // True once one peer's catch-up pass is durable here (see the header).
  bool caught_up() const { return caught_up_; }
  sim::Time caught_up_at() const { return caught_up_at_; }
  size_t peers_caught_up() const;
  // The catch-up mark replayed or logged for `peer` (0: none, a full pass).
  int64_t mark_ns(NodeId peer) const;
  size_t pending_acks() const { return pending_acks_.size(); }

 private:
  struct PendingAck {
    NodeId to;
    uint64_t req_id;
    uint64_t key;
    Version version;
    uint64_t wal_length;
    uint64_t slot;  // the WriteReq's, echoed in the ack
  };
  struct PeerCatchUp {
    NodeId peer = 0;
    int64_t mark_ns = 0;  // replayed from the log
    int64_t cursor_ns = 0;
    uint64_t cursor_key = 0;
    int64_t pass_start_ns = -1;  // as_of of the pass's first batch; -1: none yet
    bool by_key = false;         // the pass's second sweep (by key from cursor_key) is under way
    uint64_t req_id = 0;         // the request awaited; 0: none
    uint64_t cursor_req_first = 0;  // the first request at this cursor: a late answer to it still counts
    int64_t cursor_req_first_ns = 0;  // when it went out
    TimerId timer = 0;           // its timeout
    uint32_t retries = 0;
    // The latest requests (a ring of kCatchUpSentKept) and when they went
    // out, to time a late answer to any of them (or to the first at the
    // cursor, whenever).
    struct Sent {
      uint64_t req_id = 0;
      int64_t at_ns = 0;
    };
    std::array<Sent, kCatchUpSentKept> sent{};
    uint32_t sent_next = 0;
    bool pass_refused = false;     // an entry of this pass was refused: keep the old mark
    uint64_t mark_wal_length = 0;  // the mark's log length, while its sync is pending
    bool done = false;
  };

  void on_write(Env<Message>& env, StorageIo& io, NodeId from, const WriteReq& w);
  void on_read(Env<Message>& env, NodeId from, const ReadReq& r);
  void on_catch_up_req(Env<Message>& env, NodeId from, const CatchUpReq& r);
  void on_catch_up_resp(Env<Message>& env, StorageIo& io, NodeId from, const CatchUpResp& r);
  // Fills a sweep by key's batch (on_catch_up_req).
  void serve_by_key(const CatchUpReq& r, CatchUpResp& resp) const;
  bool refuse_write(Env<Message>& env, StorageIo& io, NodeId from, const WriteReq& w);
  void replay(Env<Message>& env, StorageIo& io);
  // Logs and applies a version if it is newer; false if the disk refused.
  // `*log_length` is the log length at which the key's version is durable.
  bool put(StorageIo& io, const WalPut& p, uint64_t* log_length);
  // `created_at_ns`: the key's creation time if it is new here.
  void apply(const WalPut& p, uint64_t wal_length, int64_t created_at_ns);
  void want_sync(StorageIo& io);
  // Starts a checkpoint when the log outgrew the keys (storage_wal.cpp).
  void maybe_checkpoint(StorageIo& io);
  // Truncates the log once the checkpoint's copy is durable.
  void finish_checkpoint(Env<Message>& env, StorageIo& io, uint64_t durable_length);
  // True when the node stopped at a protocol point (proto/points.hpp).
  bool release_acks(Env<Message>& env, uint64_t durable_length);
  void finish_marks(Env<Message>& env, uint64_t durable_length);
  void request_batch(Env<Message>& env, PeerCatchUp& p);
  // How long to wait for the answer to a request after `retries` unanswered ones.
  sim::Duration catch_up_wait(uint32_t retries) const;
  // An answer to request `req_id` of `p` that is not the latest request: its
  // kAnsweredLate record, timed from that request's send when kept.
  void note_late_answer(Env<Message>& env, PeerCatchUp& p, uint64_t req_id);
  // The pass with `p` is over: log its mark and sync it.
  void end_pass(Env<Message>& env, StorageIo& io, PeerCatchUp& p);
  void give_up(Env<Message>& env, PeerCatchUp& p);
  void send(Env<Message>& env, NodeId dst, Message m);
  void refuse(Env<Message>& env, Refusal r, NodeId from, uint64_t key, uint64_t req_id);
  void ignore(Env<Message>& env, Ignored why, NodeId from, uint64_t a);
  void trace(Env<Message>& env, sim::RecordType type, uint16_t code, NodeId peer, uint64_t a, uint64_t b,
             uint32_t kind);
  void trace(Env<Message>& env, sim::RecordType type, uint16_t code, NodeId peer, uint64_t a,
             uint64_t b);
  bool is_core(NodeId n) const;
  PeerCatchUp* find_peer(NodeId n);
  void check_invariants() const;

  NodeId self_;
  ReplicaConfig config_;
  bool recovered_ = false;
  sim::FlatMap<Stored> entries_;  // by key
  // (updated_at, key) of every entry: the catch-up sweep by time's order.
  std::set<std::pair<int64_t, uint64_t>> by_time_;
  // Every key, in order: the sweep by key's (changes only with a new key).
  std::set<uint64_t> by_key_;
  sim::Accounted entries_bytes_{sim::Resource::kStorageKeys};  // entries_, by_time_, by_key_
  // A std::set node: its value and about four words of links and colour.
  static constexpr uint64_t kByTimeNodeBytes =
      sizeof(std::pair<int64_t, uint64_t>) + 4 * sizeof(void*);
  static constexpr uint64_t kByKeyNodeBytes = sizeof(uint64_t) + 4 * sizeof(void*);
  // Indexes an entry just stored and accounts the tables' bytes: the key
  // table's slots (grown by doubling) and a node of each ordered index per entry.
  void index(int64_t updated_at_ns, uint64_t key) {
    by_time_.insert(by_time_.end(), {updated_at_ns, key});  // mostly the latest time (see apply)
    by_key_.insert(key);
    entries_bytes_.set_bytes(
        static_cast<int64_t>(entries_.slot_count() * sim::FlatMap<Stored>::slot_bytes() +
                             by_time_.size() * (kByTimeNodeBytes + kByKeyNodeBytes)));
  }
  std::vector<PendingAck> pending_acks_;  // in arrival order
  uint64_t sync_tag_ = 0;                 // the sync in flight; 0: none
  uint64_t checkpoint_begin_ = 0;         // the copy's first index, while it is not durable
  uint64_t checkpoint_end_ = 0;           // one past its last; 0: no checkpoint under way
  uint64_t next_sync_tag_ = 1;
  uint64_t next_req_id_ = 1;
  std::vector<PeerCatchUp> catch_up_;
  bool caught_up_ = false;
  sim::Time caught_up_at_{0};
  int64_t started_ns_ = 0;  // this life's start (recover)
  ReplicaCounters counters_;
};

// --- Core side -------------------------------------------------------------

struct ClientConfig {
  // Every cloud node, in id order: a positive multiple of kReplicas, each
  // consecutive three a group (key_group picks a key's group).
  std::vector<NodeId> replicas;
  sim::Duration timeout = sim::milliseconds(500);
  uint32_t retries_max = 3;  // resends to the replicas that have not answered
  uint32_t incarnation = 0;  // keeps a restarted core's request ids fresh
  size_t requests_max = kRequestsMax;
};

struct ClientCounters {
  uint64_t started = 0;
  uint64_t refused_full = 0;  // refused at requests_max
  uint64_t ok = 0;
  uint64_t failed = 0;
  uint64_t resends = 0;
  uint64_t ignored = 0;
};

struct WriteCompletion {
  uint64_t req_id = 0;
  uint64_t key = 0;
  Version version;
  bool ok = false;
  uint32_t acks = 0;
  uint32_t attempts = 0;
  sim::Duration latency{0};
};

struct ReadCompletion {
  uint64_t req_id = 0;
  uint64_t key = 0;
  bool ok = false;
  bool found = false;  // some answering replica held the key
  uint64_t value = 0;
  Version version;  // the highest among the answers
  uint32_t answers = 0;
  uint32_t attempts = 0;
  sim::Duration latency{0};
};

class QuorumWriter {
 public:
  // REQUIRES: distinct replicas, a positive multiple of kReplicas; timeout > 0.
  explicit QuorumWriter(ClientConfig config);
  // Sends the write to every replica. Returns its request id, or nullopt if
  // refused (requests_max outstanding; counted).
  std::optional<uint64_t> write(Env<Message>& env, uint64_t key, uint64_t value, Version version);
  void on_ack(Env<Message>& env, NodeId from, const WriteAck& a);
  // REQUIRES: is_writer_tag(tag).
  void on_timer(Env<Message>& env, uint64_t tag);
  // Moves the finished writes into `out` (cleared first).
  void take_completions(std::vector<WriteCompletion>& out);
  const ClientCounters& counters() const { return counters_; }
  size_t outstanding() const { return pending_.size(); }

 private:
  struct Pending {
    WriteReq req;  // req.slot: this entry's id in pending_
    uint32_t group = 0;  // key_group of its key
    std::array<bool, kReplicas> acked{};
    uint32_t attempts = 1;
    TimerId timer = 0;
    sim::Time started{0};
  };
  void finish(Env<Message>& env, uint64_t slot, bool ok);

  ClientConfig config_;
  uint64_t next_seq_ = 1;
  // Outstanding writes, at most config_.requests_max (<= kRequestsMax). Acks
  // echo the slot and timer tags carry it (storage_quorum.cpp), so nothing
  // looks a write up by request id; nothing walks the table.
  sim::SlotPool<Pending> pending_;
  std::vector<WriteCompletion> done_;
  ClientCounters counters_;
};

class QuorumReader {
 public:
  // REQUIRES: distinct replicas, a positive multiple of kReplicas; timeout > 0.
  explicit QuorumReader(ClientConfig config);
  std::optional<uint64_t> read(Env<Message>& env, uint64_t key);
  void on_resp(Env<Message>& env, NodeId from, const ReadResp& r);
  // REQUIRES: is_reader_tag(tag).
  void on_timer(Env<Message>& env, uint64_t tag);
  void take_completions(std::vector<ReadCompletion>& out);
  const ClientCounters& counters() const { return counters_; }
  size_t outstanding() const { return pending_.size(); }

 private:
  struct Pending {
    uint64_t req_id = 0;
    uint64_t key = 0;
    uint32_t group = 0;  // key_group of its key
    std::array<bool, kReplicas> answered{};
    uint32_t answers = 0;
    bool found = false;
    uint64_t value = 0;
    Version version;
    uint32_t attempts = 1;
    TimerId timer = 0;
    sim::Time started{0};
  };
  void finish(Env<Message>& env, uint64_t slot, bool ok);

  ClientConfig config_;
  uint64_t next_seq_ = 1;
  // Outstanding reads, as QuorumWriter's pending_.
  sim::SlotPool<Pending> pending_;
  std::vector<ReadCompletion> done_;
  ClientCounters counters_;
};

}  // namespace ecsim::proto::storage
