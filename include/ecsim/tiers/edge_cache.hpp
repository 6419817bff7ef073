// The edge tier's building blocks, free of the simulator so unit tests drive
// them directly:
//
// - `Version`: the version of a record, (counter, writer id), totally ordered
//   by counter then writer; the larger wins everywhere (last-write-wins).
// - `EdgeCache`: a bounded LRU cache of versioned records. It promises: never
//   more than `capacity()` entries; get and put in O(1); a put replaces an
//   entry only with a strictly larger version (an older one is ignored and
//   counted, an equal one is a no-op), so replaying or reordering fills can
//   never move a key backwards; when full, the least recently used entry goes.
//   Memory grows with the entries held, not with the capacity: slots are
//   allocated as keys arrive (a 10-million-entry cache that sees a thousand
//   keys holds a thousand slots), and they are accounted
//   (sim::Resource::kEdgeCache) for --memory-max.
// - `StalenessMeter`: measures how far each edge read is behind the newest
//   acknowledged write of its key, in versions and in time, with bounded
//   memory.
// - `HotKeys`: a bounded top-K popularity tracker (space-saving sketch), so a
//   rehydrating edge can fetch its hottest keys first.
//
// Keys are uint64 (see workload/requests.hpp for how a subscriber's records
// map to keys) and values are uint64, the modelled record's payload.
#pragma once
#include <compare>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <vector>

#include "ecsim/sim/flat_map.hpp"
#include "ecsim/sim/histogram.hpp"
#include "ecsim/sim/limits.hpp"
#include "ecsim/sim/time.hpp"

namespace ecsim::tiers {

// A record's version. Member order is the comparison order: counter first,
// then writer id as the deterministic tie-break between two writers that
// produced the same counter.
struct Version {
  uint64_t counter = 0;
  uint32_t writer = 0;
  constexpr auto operator<=>(const Version&) const = default;
};

struct CacheEntry {
  uint64_t key = 0;
  uint64_t value = 0;
  Version version;
  sim::Time stored_at;  // when this version entered the cache
};

enum class PutResult : uint8_t {
  kInserted,  // the key was absent (possibly evicting the LRU entry)
  kReplaced,  // a strictly newer version replaced the cached one
  kStale,     // an older version: ignored
  kEqual,     // the same version: nothing to do
};

struct CacheCounters {
  uint64_t hits = 0;
  uint64_t misses = 0;
  uint64_t inserts = 0;
  uint64_t replacements = 0;
  uint64_t evictions = 0;
  uint64_t stale_puts = 0;  // older versions ignored
  uint64_t equal_puts = 0;  // same version, no-op
  uint64_t clears = 0;
};

// Hits per million lookups in the counters (0 when there were none). The
// caller can subtract two snapshots' hits and misses to get the ratio of a
// window, e.g. before and after a rehydration.
uint64_t hit_ratio_ppm(uint64_t hits, uint64_t misses);

class EdgeCache {
 public:
  static constexpr size_t kCapacityMax = size_t{1} << 24;

  // REQUIRES: 1 <= capacity <= kCapacityMax.
  explicit EdgeCache(size_t capacity);

  // The cached entry of `key`, made most recently used; counts a hit or a
  // miss. REQUIRES: `now` does not go backwards between calls.
  std::optional<CacheEntry> get(uint64_t key, sim::Time now);
  // The cached entry without touching recency or counters (for checkers,
  // tests and rehydration planning).
  std::optional<CacheEntry> peek(uint64_t key) const;
  // Stores `value` at `version` under last-write-wins (see the header). An
  // inserted or replaced entry becomes most recently used; a stale or equal
  // put leaves recency alone. REQUIRES: `now` does not go backwards.
  PutResult put(uint64_t key, uint64_t value, Version version, sim::Time now);
  // Drops every entry (a crash loses the volatile cache). Counters are
  // measurements, not cache state, so they survive; `clears` counts this.
  void clear();

  size_t size() const { return size_; }
  size_t capacity() const { return capacity_; }
  const CacheCounters& counters() const { return counters_; }
  uint64_t hit_ratio_ppm() const { return tiers::hit_ratio_ppm(counters_.hits, counters_.misses); }
  // Keys from most to least recently used: O(size), for tests and traces.
  std::vector<uint64_t> keys_by_recency() const;

 private:
  static constexpr uint32_t kNil = UINT32_MAX;
  struct Slot {
    CacheEntry entry;
    uint32_t prev = kNil;  // towards the most recently used end
    uint32_t next = kNil;  // towards the least recently used end
  };
  void unlink(uint32_t s);
  void push_front(uint32_t s);
  uint32_t take_slot();  // a free or new slot, evicting the LRU entry when full
  void check_invariants() const;

  size_t capacity_;
  std::vector<Slot> slots_;  // grows up to capacity_ as keys arrive
  sim::Accounted bytes_{sim::Resource::kEdgeCache};
  // Lookup only, never iterated: iteration order of an unordered map must
  // not leak into behaviour (DESIGN rule 4).
  sim::FlatMap<uint32_t> index_;
  std::vector<uint32_t> free_;  // unused slots, a stack
  uint32_t head_ = kNil;        // most recently used
  uint32_t tail_ = kNil;        // least recently used
  size_t size_ = 0;
  sim::Time last_now_;
  CacheCounters counters_;
};

// What one read was behind the newest acknowledged write of its key.
struct ReadStaleness {
  bool stale = false;
  // The newest acknowledged counter minus the read's counter; at least 1 for
  // a stale read (two writers can ack the same counter: the read then lost
  // on the writer tie-break and is one version behind).
  uint64_t versions_behind = 0;
  // Time since the read's value was superseded: now minus the earliest ack
  // time of any acknowledged version newer than the read's.
  sim::Duration time_behind;
};

// Fed from two sides: the write path reports each acknowledged write
// (key, version, time), the edge reports each read (key, version returned,
// time). Memory is bounded: at most `keys_max` keys, each with its
// kAckHistoryMax newest acknowledged versions. When a read is older than
// every retained version of its key and some were dropped, its time_behind
// is a lower bound (counted in `truncated_reads`). Acks for new keys beyond
// `keys_max` are refused and counted; reads of keys never acknowledged are
// fresh by definition (counted in `unknown_key_reads`).
class StalenessMeter {
 public:
  static constexpr size_t kAckHistoryMax = 4;

  // REQUIRES: keys_max >= 1.
  explicit StalenessMeter(size_t keys_max);

  void on_ack(uint64_t key, Version version, sim::Time at);
  ReadStaleness on_read(uint64_t key, Version version, sim::Time at);

  uint64_t reads() const { return reads_; }
  uint64_t stale_reads() const { return stale_reads_; }
  uint64_t truncated_reads() const { return truncated_reads_; }
  uint64_t unknown_key_reads() const { return unknown_key_reads_; }
  uint64_t acks_refused() const { return acks_refused_; }
  size_t keys() const { return keys_.size(); }
  // Over every read (a fresh read counts as 0 behind).
  uint64_t versions_behind_max() const { return static_cast<uint64_t>(versions_.max()); }
  uint64_t versions_behind_p99() const { return static_cast<uint64_t>(versions_.quantile(0.99)); }
  sim::Duration time_behind_max() const { return {time_.max()}; }
  sim::Duration time_behind_p99() const { return {time_.quantile(0.99)}; }
  const sim::Histogram& time_behind() const { return time_; }

 private:
  struct Ack {
    Version version;
    sim::Time at;
  };
  struct KeyAcks {
    Ack acks[kAckHistoryMax];  // ascending by version
    uint32_t count = 0;
    bool dropped = false;  // an older ack was pushed out of the history
  };
  static void insert(KeyAcks& k, const Ack& a);
  ReadStaleness measure(const KeyAcks& k, Version version, sim::Time at, bool& truncated) const;

  size_t keys_max_;
  sim::FlatMap<KeyAcks> keys_;  // lookup only, never iterated
  sim::Accounted keys_bytes_{sim::Resource::kStalenessKeys};  // keys_, for --memory-max
  sim::Histogram versions_;
  sim::Histogram time_;
  uint64_t reads_ = 0;
  uint64_t stale_reads_ = 0;
  uint64_t truncated_reads_ = 0;
  uint64_t unknown_key_reads_ = 0;
  uint64_t acks_refused_ = 0;
};

// Space-saving top-K (Metwally et al., 2005): at most `capacity` keys are
// tracked; an untracked key replaces the least popular tracked one and
// inherits its count (+ weight), so any key more frequent than
// total/capacity is guaranteed to be tracked, and counts overestimate by at
// most the inherited amount. `decay()` halves every count so the sketch
// follows a shifting popularity (the caller decides the period). The victim
// and the order of `top` are fixed: count descending, then key ascending.
class HotKeys {
 public:
  static constexpr size_t kCapacityMax = size_t{1} << 20;

  // REQUIRES: 1 <= capacity <= kCapacityMax.
  explicit HotKeys(size_t capacity);

  // Counts `weight` accesses of `key`. REQUIRES: weight >= 1.
  void touch(uint64_t key, uint64_t weight = 1);
  // The (estimated) count of `key`, 0 when untracked.
  uint64_t count(uint64_t key) const;
  // Up to k keys, hottest first; ties by ascending key.
  std::vector<uint64_t> top(size_t k) const;
  // Halves every count; keys whose count reaches 0 are forgotten.
  void decay();
  void clear();

  size_t size() const { return heap_.size(); }
  size_t capacity() const { return capacity_; }
  uint64_t replacements() const { return replacements_; }

 private:
  // A tracked key and its count. The heap keeps the coldest entry at the
  // root (lowest count; among equal counts the largest key), which is the
  // victim; `top` sorts a copy. A touch of a tracked key only moves it
  // towards the leaves, and the hottest keys sit at the leaves already, so
  // the common touch is one lookup and two comparisons (a balanced tree
  // erased and reinserted a node per touch before). Each key keeps a slot
  // for as long as it is tracked (a replacement hands the victim's slot to
  // the newcomer); the key map names the slot, and the slot its place in
  // the heap, so a move in the heap writes an array, never the key map.
  struct Entry {
    uint64_t count;
    uint64_t key;
    uint32_t slot;
  };
  static bool colder(const Entry& a, const Entry& b) {
    return a.count != b.count ? a.count < b.count : a.key > b.key;
  }
  void place(size_t i, const Entry& e);
  void sift_down(size_t i);
  void check_invariants() const;
  // The three tables' storage: --memory-max (tiers.hot_keys).
  void account() {
    bytes_.set_bytes(static_cast<int64_t>(heap_.capacity() * sizeof(Entry) + pos_.capacity() * sizeof(uint32_t) +
                                          at_.slot_count() * sim::FlatMap<uint32_t>::slot_bytes()));
  }

  size_t capacity_;
  std::vector<Entry> heap_;                    // a min-heap by `colder`
  std::vector<uint32_t> pos_;                  // slot -> index in heap_
  sim::FlatMap<uint32_t> at_;  // key -> slot; lookup only
  uint64_t replacements_ = 0;
  sim::Accounted bytes_{sim::Resource::kHotKeys};
};

}  // namespace ecsim::tiers
