// Distributed shared memory: every node holds a full replica of a key-value
// space (uint64 -> uint64). Reads are local. A write updates the local
// replica, stamped with the replica's own vector clock after an increment,
// and broadcasts an UPDATE to every peer.
//
// Conflict resolution (the tie-break): entries are totally ordered by
//   (sum of the clock's counters, the clock's entries compared
//    lexicographically as (node, counter) pairs, writer id, value)
// and a replica keeps the larger entry. A causally later clock always has a
// larger sum, so "causally later wins" falls out of the same order, and two
// concurrent writes are resolved the same way at every replica whatever
// the order they arrive in. Keeping the maximum of a total order is
// commutative, associative and idempotent, so replicas that have seen the
// same set of entries hold the same values (convergence), and a duplicate
// UPDATE changes nothing.
//
// Reliability: UPDATEs may be lost. Anti-entropy repairs that: every
// interval a replica sends each peer a Digest of up to kDigestEntriesMax
// (key, clock hash) pairs covering a key range [lo, hi], walking its keys
// round-robin. A peer answers with a Repair holding its own entries in that
// range that differ from or are missing in the digest, and a pull list of
// the keys whose digest hash differs or it lacks; the digest's sender
// answers the pull with a Repair of its entries. After the network heals,
// every difference is thus found and merged within a bounded number of
// rounds (about keys / kDigestEntriesMax rounds, more when one side holds
// many more keys in a range than kRepairEntriesMax), with bounded messages.
//
// The replica's clock is the DSM's own data clock: it merges every clock it
// receives (UPDATE or repair entry) and increments, so a write made after
// seeing another one is causally later. It is separate from the clock the
// node layer attaches to envelopes.
#pragma once
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <variant>
#include <vector>

#include "ecsim/proto/env.hpp"
#include "ecsim/proto/vclock.hpp"
#include "ecsim/sim/flat_map.hpp"
#include "ecsim/sim/limits.hpp"

namespace ecsim::proto::dsm {

using net::VectorClock;

inline constexpr size_t kKeysMax = 65536;
inline constexpr size_t kDigestEntriesMax = 256;
inline constexpr size_t kRepairEntriesMax = 256;
inline constexpr size_t kPeersMax = 1024;
inline constexpr uint64_t kAntiEntropyTag = 1;  // timer tag

// Trace record type 20 (registered in sim/trace.hpp's list): one DSM event.
// node = this replica, peer = the entry's writer, code = Event, a = key,
// b = value.
inline constexpr auto kRecordDsm = static_cast<sim::RecordType>(20);
enum class Event : uint16_t {
  kSet = 1,             // a local write
  kApplied = 2,         // a received entry replaced the local one (or was new)
  kIgnoredOlder = 3,    // a received entry lost to the local one
  kDuplicate = 4,       // a received entry equal to the local one
  kRefusedFull = 5,     // a new key refused: the replica holds kKeysMax keys
  kDroppedInvalid = 6,  // a received entry with a malformed clock
};

// One versioned entry: the UPDATE message and the element of a Repair.
struct Update {
  uint64_t key = 0;
  uint64_t value = 0;
  VectorClock clock;
  NodeId writer = 0;
};

struct DigestEntry {
  uint64_t key = 0;
  uint64_t clock_hash = 0;
};

// The sender's keys in [key_lo, key_hi], all of them, ascending.
struct Digest {
  uint64_t key_lo = 0;
  uint64_t key_hi = 0;
  std::vector<DigestEntry> entries;
};

// Entries for the receiver to merge, and keys the receiver should send back.
struct Repair {
  std::vector<Update> entries;
  std::vector<uint64_t> pull;
};

using Message = std::variant<Update, Digest, Repair>;

// Wire size under the JSON-RPC encoding, e.g. for an UPDATE
// {"jsonrpc":"2.0","method":"dsm.update","params":{"key":K,"value":V,
//  "clock":{"N":C,..},"writer":W},"id":I}. Computed from field widths, not
// by building the text.
uint32_t wire_size_bytes(const Message& m, uint64_t rpc_id);

struct Config {
  std::vector<NodeId> peers;  // every other replica; self excluded
  sim::Duration anti_entropy_interval = sim::milliseconds(500);
};

struct Counters {
  uint64_t sets = 0;
  uint64_t updates_sent = 0;
  uint64_t applied = 0;              // received entries that won
  uint64_t ignored_older = 0;        // received entries that lost
  uint64_t duplicates = 0;           // received entries equal to ours
  uint64_t resolved_concurrent = 0;  // received entries concurrent with ours
  uint64_t refused_full = 0;         // new keys refused at kKeysMax (set or received)
  uint64_t dropped_invalid = 0;      // malformed input
  uint64_t digests_sent = 0;
  uint64_t repairs_sent = 0;
  uint64_t repair_entries_sent = 0;
};

struct Stored {
  uint64_t value = 0;
  VectorClock clock;
  NodeId writer = 0;
  // vclock::hash(clock), kept with it: every digest names each entry by its
  // clock's hash, so hashing once per write, not once per digest, keeps
  // anti-entropy's cost from growing with the clock's (the cluster's) size.
  uint64_t clock_hash = 0;

  static Stored of(uint64_t value, VectorClock clock, NodeId writer) {
    const uint64_t h = vclock::hash(clock);
    return Stored{value, std::move(clock), writer, h};
  }
  // Replaces the entry in place: the clock is copied into the buffer the
  // old one had (same size, or smaller: no allocation).
  void assign(uint64_t new_value, const VectorClock& new_clock, NodeId new_writer) {
    value = new_value;
    clock = new_clock;
    writer = new_writer;
    clock_hash = vclock::hash(clock);
  }
};

// A replica's entries: a FlatMap by key for the lookups of every update,
// and the keys in ascending order beside it for the walks that need an
// order (digests, repairs, the end state). A replica never forgets a key,
// so the order only grows: new keys wait in a list of their own and are
// merged into the ordered ones (sorted, then one linear merge) when a walk
// next needs the order, at most once per walk whatever the number of new
// keys (put in place one by one, filling 65,536 keys at random would shift
// gigabytes). An update changes the entry in place. A std::map's lookup
// cost a cache miss per level of its tree, most of the DSM's time on the
// quickstart.
class Entries {
 public:
  size_t size() const { return table_.size(); }
  bool empty() const { return table_.empty(); }
  const Stored* find(uint64_t key) const { return table_.find(key); }
  Stored* find(uint64_t key) { return table_.find(key); }
  // REQUIRES: the key is held.
  const Stored& at(uint64_t key) const { return table_.at(key); }
  // REQUIRES: the key is not held.
  void insert(uint64_t key, Stored stored) {
    const auto [slot, made] = table_.try_emplace(key, std::move(stored));
    ECSIM_ASSERT(made);
    (void)slot;
    added_.push_back(key);
  }
  // Every key held, ascending.
  const std::vector<uint64_t>& keys() const {
    settle();
    return keys_;
  }
  // The keys from the first one >= key on (an index into keys()).
  size_t lower_bound(uint64_t key) const {
    settle();
    return static_cast<size_t>(std::lower_bound(keys_.begin(), keys_.end(), key) - keys_.begin());
  }
  // f(key, stored) in ascending key order.
  template <class F>
  void for_each(F&& f) const {
    settle();
    for (uint64_t key : keys_) f(key, table_.at(key));
  }
  // The bytes the table's slots and the key order hold (memory
  // accounting; the clocks' own buffers are the replica's to add).
  size_t bytes() const {
    return table_.slot_count() * sim::FlatMap<Stored>::slot_bytes() +
           table_.size() * sizeof(uint64_t);
  }

 private:
  // Merges the keys added since the last walk into the order. The order is
  // a cache of the table's keys: settling it changes nothing a reader sees.
  void settle() const {
    if (added_.empty()) return;
    std::sort(added_.begin(), added_.end());
    const auto old = static_cast<std::ptrdiff_t>(keys_.size());
    keys_.insert(keys_.end(), added_.begin(), added_.end());
    std::inplace_merge(keys_.begin(), keys_.begin() + old, keys_.end());
    added_.clear();
    ECSIM_ASSERT(keys_.size() == table_.size());
  }

  sim::FlatMap<Stored> table_;
  mutable std::vector<uint64_t> keys_;   // ascending, but for added_
  mutable std::vector<uint64_t> added_;  // inserted since the last walk, in insert order
};

// True if entry (clock_a, writer_a, value_a) wins over b under the tie-break.
bool wins(const VectorClock& clock_a, NodeId writer_a, uint64_t value_a, const VectorClock& clock_b,
          NodeId writer_b, uint64_t value_b);

class Replica {
 public:
  // REQUIRES: peers exclude `self`, are distinct, at most kPeersMax.
  Replica(NodeId self, Config config);

  // Arms the anti-entropy timer. Call once when the node starts.
  void start(Env<Message>& env);
  // Writes locally and broadcasts. Returns false if refused (a new key at
  // kKeysMax), counted and traced.
  bool set(Env<Message>& env, uint64_t key, uint64_t value);
  std::optional<uint64_t> get(uint64_t key) const;
  void on_message(Env<Message>& env, NodeId src, const Message& m);
  // The same for an UPDATE held outside a Message (msgq's queued bodies):
  // no copy of its clock into a Message first.
  void on_message(Env<Message>& env, NodeId src, const Update& u);
  void on_timer(Env<Message>& env, uint64_t tag);

  const Entries& entries() const { return entries_; }
  const VectorClock& clock() const { return clock_.clock(); }
  const Counters& counters() const { return counters_; }
  NodeId self() const { return self_; }

 private:
  void on_update(Env<Message>& env, const Update& u);
  void on_digest(Env<Message>& env, NodeId src, const Digest& d);
  void on_repair(Env<Message>& env, NodeId src, const Repair& r);
  // Merges one received entry; the heart of conflict resolution.
  // True when the node stopped at a protocol point (proto/points.hpp): the
  // caller returns at once.
  bool apply(Env<Message>& env, const Update& u);
  void anti_entropy_round(Env<Message>& env);
  void send(Env<Message>& env, NodeId dst, Message m);
  void trace(Env<Message>& env, Event e, NodeId writer, uint64_t key, uint64_t value);
  Digest next_digest();
  void check_invariants() const;
  // Accounts the entries' bytes, each clock at the size of the replica's
  // own (which has merged every clock it holds: an upper bound).
  void account_entries();

  NodeId self_;
  Config config_;
  vclock::ClockKeeper clock_;
  Entries entries_;
  sim::Accounted entries_bytes_{sim::Resource::kDsmKeys};  // entries_, for --memory-max
  uint64_t cursor_key_ = 0;  // where the next digest's range starts
  uint64_t rpc_id_ = 0;      // JSON-RPC ids, for wire sizes only
  Counters counters_;
};

}  // namespace ecsim::proto::dsm
