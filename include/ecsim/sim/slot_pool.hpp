// SlotPool: a bounded table of live entries, indexed by the ids it hands out
// (TigerBeetle's static limits, in place of a std::map per pending request
// or a hand-written free list).
//
// What it promises:
// - An id is (generation << 32 | slot index). The pool owns the ids: acquire
//   picks the slot, release bumps the slot's generation, so an id kept after
//   its release (a late timer, a late reply) is stale and refused by find()
//   and release(), never confused with the slot's next tenant. Id 0 is never
//   handed out (generations start at 1), so 0 can mean "none".
// - Bounded: at most `slots_max` live entries. Acquiring at the limit is
//   refused: acquire returns 0, the refusal is counted (refused()) and, when
//   the pool names a resource, reported through sim::limit_reached (counted,
//   traced). Never an abort, never an overwrite of a live entry.
// - Lazy: the slot array grows one slot at a time up to `slots_max`, so a
//   small run keeps a small table. A freed slot is reused before the array
//   grows, the most recently freed first (LIFO, as the free lists it
//   replaces did, so whatever depends on slot numbers keeps its order).
// - Accounted: with a resource whose entry_bytes is set, the grown slots are
//   charged to it (sim::memory_add), and given back when the pool goes.
//
// Iteration order: for_each visits live entries by slot index, which is NOT
// the order of acquisition once slots are reused; a caller whose order is
// observable must keep its own order.
#pragma once
#include <cstdint>
#include <optional>
#include <utility>
#include <vector>

#include "ecsim/sim/assert.hpp"
#include "ecsim/sim/limits.hpp"

namespace ecsim::sim {

template <class T>
class SlotPool {
 public:
  using Id = uint64_t;
  static constexpr Id kNone = 0;

  // REQUIRES: 1 <= slots_max < 2^32.
  explicit SlotPool(uint32_t slots_max, std::optional<Resource> resource = std::nullopt)
      : slots_max_(slots_max), resource_(resource) {
    ECSIM_ASSERT(slots_max_ >= 1);
  }
  ~SlotPool() { account(-accounted_bytes_); }
  SlotPool(const SlotPool&) = delete;
  SlotPool& operator=(const SlotPool&) = delete;
  SlotPool(SlotPool&& o) noexcept
      : slots_(std::move(o.slots_)),
        free_(std::move(o.free_)),
        live_(std::exchange(o.live_, 0)),
        refused_(o.refused_),
        slots_max_(o.slots_max_),
        resource_(o.resource_),
        accounted_bytes_(std::exchange(o.accounted_bytes_, 0)) {}
  SlotPool& operator=(SlotPool&&) = delete;

  // True when acquire would be refused.
  bool full() const { return live_ >= slots_max_; }

  // Counts a refusal at `node` without acquiring: for a caller that tests
  // full() first (so a refused request consumes no randomness).
  // REQUIRES: full().
  void refuse(uint32_t node) {
    ECSIM_ASSERT(full());
    ++refused_;
    if (resource_) limit_reached(*resource_, node);
  }

  // Stores `value` in a free slot and returns its id, or kNone (counted,
  // reported at `node`) when `slots_max` entries are live.
  Id acquire(T value, uint32_t node = 0) {
    if (full()) [[unlikely]] {
      refuse(node);
      return kNone;
    }
    uint32_t index;
    if (!free_.empty()) {
      index = free_.back();
      free_.pop_back();
    } else {
      index = static_cast<uint32_t>(slots_.size());
      slots_.emplace_back();
      account(static_cast<int64_t>(entry_bytes()));
    }
    Slot& s = slots_[index];
    ECSIM_ASSERT(!s.value.has_value());
    s.value.emplace(std::move(value));
    ++live_;
    const Id id = (Id{s.generation} << 32) | index;
    ECSIM_ASSERT(id != kNone && find(id) != nullptr);
    return id;
  }

  // The live entry `id` names, or nullptr when it is stale, released or
  // was never handed out.
  T* find(Id id) {
    const auto index = static_cast<uint32_t>(id);
    if (index >= slots_.size()) return nullptr;
    Slot& s = slots_[index];
    if (s.generation != static_cast<uint32_t>(id >> 32) || !s.value) return nullptr;
    return &*s.value;
  }
  const T* find(Id id) const { return const_cast<SlotPool*>(this)->find(id); }

  // The id of the live entry in slot `index`, or kNone when that slot is
  // free or was never grown: for a caller that handed out the bare index.
  Id live_id(uint32_t index) const {
    if (index >= slots_.size() || !slots_[index].value) return kNone;
    return (Id{slots_[index].generation} << 32) | index;
  }

  // REQUIRES: `id` is live.
  T& at(Id id) {
    T* v = find(id);
    ECSIM_ASSERT(v != nullptr);
    return *v;
  }

  // Frees `id`'s slot and returns its entry; nullopt (nothing changes) when
  // `id` is not live.
  std::optional<T> take(Id id) {
    T* v = find(id);
    if (v == nullptr) return std::nullopt;
    const auto index = static_cast<uint32_t>(id);
    Slot& s = slots_[index];
    std::optional<T> out(std::move(*s.value));
    s.value.reset();
    // Generation 0 is skipped so that no id is ever kNone.
    if (++s.generation == 0) s.generation = 1;
    free_.push_back(index);
    ECSIM_ASSERT(live_ > 0);
    --live_;
    return out;
  }
  bool release(Id id) { return take(id).has_value(); }

  // Visits every live entry as f(id, value), by slot index.
  template <class F>
  void for_each(F&& f) {
    for (uint32_t i = 0; i < slots_.size(); ++i) {
      Slot& s = slots_[i];
      if (s.value) f((Id{s.generation} << 32) | i, *s.value);
    }
  }

  size_t size() const { return live_; }
  bool empty() const { return live_ == 0; }
  size_t slots() const { return slots_.size(); }  // grown so far, <= slots_max
  uint32_t slots_max() const { return slots_max_; }
  uint64_t refused() const { return refused_; }

 private:
  struct Slot {
    std::optional<T> value;
    uint32_t generation = 1;
  };

  uint64_t entry_bytes() const { return resource_ ? resource_info(*resource_).entry_bytes : 0; }
  void account(int64_t delta_bytes) {
    if (delta_bytes == 0 || !resource_) return;
    memory_add(*resource_, delta_bytes);
    accounted_bytes_ += delta_bytes;
  }

  std::vector<Slot> slots_;
  std::vector<uint32_t> free_;  // free slot indices, most recently freed last
  uint32_t live_ = 0;
  uint64_t refused_ = 0;
  uint32_t slots_max_;
  std::optional<Resource> resource_;
  int64_t accounted_bytes_ = 0;
};

}  // namespace ecsim::sim
