// FlatMap: a hash table from keys (uint64_t, or a small struct) to values, stored in one array
// (open addressing, linear probing), in place of std::unordered_map for
// the model's lookup tables (requests by id, keys by key). A lookup that
// hits touches one slot, usually one cache line; std::unordered_map
// touches a bucket and then a node allocated on its own, one heap
// allocation per insert.
//
// What it promises:
// - find/contains/try_emplace/erase as a map; every key value is allowed.
// - Unlike std::unordered_map, entries move: an insert may grow the table
//   and move every entry, and an erase shifts the entries after it in its
//   probe run back (no tombstones, so runs stay as short as the load
//   makes them). A pointer from find() or try_emplace() is valid until the
//   next insert or erase on the same table.
// - No iteration order is promised. for_each visits the entries in slot
//   order, which depends on the hash and the insert history: callers use
//   it only where the order cannot show (sums, checks, or a sort after),
//   as DESIGN's rule on unordered containers demands.
// - Lazy: no allocation until the first insert; the table doubles (a
//   power of two) when an insert would fill more than 3/4 of it. It never
//   shrinks but on clear().
#pragma once
#include <cstddef>
#include <cstdint>
#include <utility>
#include <vector>

#include "ecsim/sim/assert.hpp"

namespace ecsim::sim {

// The key's 64 bits before mixing: the key itself for integers; a struct
// key gives FlatMap a functor that folds its fields into 64 bits.
struct KeyBits {
  uint64_t operator()(uint64_t key) const { return key; }
};

template <class V, class K = uint64_t, class Bits = KeyBits>
class FlatMap {
 public:
  bool empty() const { return live_ == 0; }
  size_t size() const { return live_; }
  // Slots allocated, each sizeof(Slot) bytes (memory accounting).
  size_t slot_count() const { return slots_.size(); }
  static constexpr size_t slot_bytes() { return sizeof(Slot); }

  V* find(const K& key) {
    const size_t i = locate(key);
    return i == kNone ? nullptr : &slots_[i].value;
  }
  const V* find(const K& key) const {
    const size_t i = locate(key);
    return i == kNone ? nullptr : &slots_[i].value;
  }
  bool contains(const K& key) const { return locate(key) != kNone; }
  // REQUIRES: contains(key).
  V& at(const K& key) {
    V* v = find(key);
    ECSIM_ASSERT(v != nullptr);
    return *v;
  }
  const V& at(const K& key) const {
    const V* v = find(key);
    ECSIM_ASSERT(v != nullptr);
    return *v;
  }

  // The entry of `key`, made from `args` when absent; true when made.
  template <class... Args>
  std::pair<V*, bool> try_emplace(const K& key, Args&&... args) {
    if (const size_t i = locate(key); i != kNone) return {&slots_[i].value, false};
    if ((live_ + 1) * 4 > slots_.size() * 3) rebuild(slots_.empty() ? 8 : slots_.size() * 2);
    size_t i = index(key);
    while (slots_[i].state == kFull) i = (i + 1) & mask_;
    Slot& s = slots_[i];
    s.state = kFull;
    s.key = key;
    s.value = V(std::forward<Args>(args)...);
    ++live_;
    return {&s.value, true};
  }
  V& operator[](const K& key) { return *try_emplace(key).first; }

  // True when `key` was there. Later entries of its probe run that may
  // sit nearer their home slot move back into the hole (backward shift).
  bool erase(const K& key) {
    size_t hole = locate(key);
    if (hole == kNone) return false;
    for (size_t j = (hole + 1) & mask_; slots_[j].state == kFull; j = (j + 1) & mask_) {
      // The entry at j may fill the hole when the hole lies on its way
      // from its home slot to j.
      const size_t home = index(slots_[j].key);
      if (((j - home) & mask_) >= ((j - hole) & mask_)) {
        slots_[hole].key = slots_[j].key;
        slots_[hole].value = std::move(slots_[j].value);
        hole = j;
      }
    }
    Slot& s = slots_[hole];
    s.state = kEmpty;
    s.value = V();  // release what the value holds now
    --live_;
    return true;
  }
  void clear() {
    slots_.clear();
    slots_.shrink_to_fit();
    mask_ = 0;
    live_ = 0;
  }
  // Room for `n` entries without growing.
  void reserve(size_t n) {
    size_t want = 8;
    while (want * 3 < n * 4) want *= 2;
    if (want > slots_.size()) rebuild(want);
  }

  // f(key, value) for each entry, in slot order (see the header comment).
  // f must not insert into or erase from this table: an erase shifts
  // entries, so the walk could skip one or see one twice.
  template <class F>
  void for_each(F&& f) const {
    for (const Slot& s : slots_) {
      if (s.state == kFull) f(s.key, s.value);
    }
  }
  // The same, with the values writable (not the keys).
  template <class F>
  void for_each(F&& f) {
    for (Slot& s : slots_) {
      if (s.state == kFull) f(s.key, s.value);
    }
  }

 private:
  static constexpr uint8_t kEmpty = 0, kFull = 1;
  static constexpr size_t kNone = SIZE_MAX;
  struct Slot {
    K key{};
    uint8_t state = kEmpty;
    V value{};
  };

  // splitmix64's finaliser: every key bit moves the low bits the mask keeps.
  size_t index(const K& k) const {
    uint64_t key = Bits{}(k);
    key ^= key >> 30;
    key *= 0xbf58476d1ce4e5b9ULL;
    key ^= key >> 27;
    key *= 0x94d049bb133111ebULL;
    key ^= key >> 31;
    return static_cast<size_t>(key) & mask_;
  }
  size_t locate(const K& key) const {
    if (live_ == 0) return kNone;
    for (size_t i = index(key);; i = (i + 1) & mask_) {
      const Slot& s = slots_[i];
      if (s.state == kEmpty) return kNone;
      if (s.key == key) return i;
    }
  }
  void rebuild(size_t n) {
    ECSIM_ASSERT(n >= 8 && (n & (n - 1)) == 0 && live_ * 4 < n * 3);
    std::vector<Slot> old(n);
    old.swap(slots_);
    mask_ = n - 1;
    for (Slot& s : old) {
      if (s.state != kFull) continue;
      size_t i = index(s.key);
      while (slots_[i].state == kFull) i = (i + 1) & mask_;
      slots_[i].state = kFull;
      slots_[i].key = s.key;
      slots_[i].value = std::move(s.value);
    }
  }

  std::vector<Slot> slots_;
  size_t mask_ = 0;
  size_t live_ = 0;
};

}  // namespace ecsim::sim
