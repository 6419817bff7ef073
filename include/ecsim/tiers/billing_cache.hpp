// An edge node's cache of committed billing values (issue 11, point 2/3;
// docs/twopc.md, "Edge billing cache"), sans-IO: it sees times, keys,
// values and the cores' sync points, never a Context, so unit tests drive
// it by hand (tests/unit/test_billing_cache.cpp).
//
// Keys are the 2PC lock keys (proto::twopc::account_key, number_key); a
// value is a committed balance or number owner a core read from a cloud
// replica. What it promises, with `staleness_max` = B:
//
// - A value is served (`lookup`) only while the edge is in sync with every
//   core: for each core it holds a sync point (epoch, invalidation seq N,
//   refused count, time T) with T >= now - B, and the node's msgq receiver
//   has delivered every seq <= N of that core's epoch. Every COMMIT a core
//   decided before T had its invalidation accepted by msgq with a seq <= N
//   (it is accepted when the decision is durable, before anything later is
//   answered), so it has reached this edge; a COMMIT decided after T >= now
//   - B leaves the old value committed (at the replica, at least until the
//   decision) at a time no earlier than now - B. Hence: every value served
//   was some replica's committed state at a time >= now - B.
// - A fill never re-installs a value older than an invalidation: an
//   invalidation (or a flush) marks every read of the key still on its way,
//   and a marked read fills nothing. A replica answers `cacheable` only
//   when no prepared transaction holds the key's lock, so the value it read
//   contains every COMMIT decided before it answered; a later one's
//   invalidation is delivered after the read began: it either marks the
//   read or drops the entry.
// - A sync point of a new core epoch (the core restarted: invalidations it
//   had accepted may be lost) or with more refused invalidations (msgq's
//   queue was full) flushes the whole cache, and marks every read on its way;
//   so does the first sync point from a core (what it did before is unknown).
// - Bounded: `entries_max` entries (the oldest fill evicted first, counted),
//   `reads_max` reads tracked (beyond it a read is not tracked and fills
//   nothing). Volatile: the node rebuilds it empty at every start.
#pragma once
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <vector>

#include "ecsim/net/envelope.hpp"

namespace ecsim::tiers {

// What a core tells an edge with every billing answer: its msgq epoch, the
// seq of the last invalidation it accepted for this edge, how many it could
// not send (msgq refused them), and its time.
struct CacheSync {
  uint32_t epoch = 0;
  uint64_t inval_seq = 0;
  uint64_t refused = 0;
  int64_t at_ns = 0;
};

struct BillingCacheCounters {
  uint64_t served = 0;     // lookups answered from the cache
  uint64_t misses = 0;     // not held, or not in sync
  uint64_t unsynced = 0;   // of the misses: held, but not in sync with every core
  uint64_t filled = 0;
  uint64_t fill_refused = 0;  // raced an invalidation, or not cacheable
  uint64_t invalidated = 0;   // entries dropped by an invalidation
  uint64_t flushed = 0;       // entries dropped by a flush
  uint64_t evicted = 0;       // entries dropped at entries_max
  uint64_t untracked = 0;     // reads beyond reads_max
};

class BillingCache {
 public:
  static constexpr uint32_t kReadsMax = 4096;
  // Whether the node's msgq receiver delivered every seq <= `seq` that
  // `core` sent under `epoch`.
  using Delivered = std::function<bool(net::NodeId core, uint32_t epoch, uint64_t seq)>;

  // REQUIRES: entries_max > 0, staleness_max_ns > 0, cores not empty.
  BillingCache(uint32_t entries_max, int64_t staleness_max_ns, std::vector<net::NodeId> cores,
               uint32_t reads_max = kReadsMax);

  // The value held for `key` when it may be served at `now_ns`.
  std::optional<uint64_t> lookup(uint64_t key, int64_t now_ns, const Delivered& delivered);
  // A read of `key` went to core (`read` unique among reads on their way).
  void read_started(uint64_t read, uint64_t key);
  // Its answer came back: installs the value unless the read was marked or
  // the value is not cacheable; true when installed.
  bool read_answered(uint64_t read, uint64_t value, bool cacheable);
  // Its answer never came (failure, or not found).
  void read_dropped(uint64_t read);
  // An invalidation of `key` arrived: drops its entry, marks its reads.
  // True when an entry was dropped.
  bool invalidate(uint64_t key);
  // A core's sync point arrived (any billing answer). Returns the entries
  // flushed (a new epoch, or more refusals, than this core's last).
  size_t sync(net::NodeId core, const CacheSync& s);
  // Drops every entry and marks every read; returns the entries dropped.
  size_t flush();

  bool in_sync(int64_t now_ns, const Delivered& delivered) const;
  size_t size() const { return entries_.size(); }
  const BillingCacheCounters& counters() const { return counters_; }

 private:
  struct Entry {
    uint64_t value = 0;
    uint64_t order = 0;  // fill order, for eviction
  };
  struct Read {
    uint64_t key = 0;
    bool raced = false;
  };
  void check_invariants() const;

  uint32_t entries_max_;
  int64_t staleness_max_ns_;
  std::vector<net::NodeId> cores_;
  uint32_t reads_max_;
  std::map<uint64_t, Entry> entries_;     // by key
  std::map<uint64_t, uint64_t> by_order_;  // fill order -> key
  uint64_t next_order_ = 1;
  std::map<uint64_t, Read> reads_;  // by read id
  std::map<net::NodeId, CacheSync> syncs_;  // per core: the newest
  BillingCacheCounters counters_;
};

}  // namespace ecsim::tiers
