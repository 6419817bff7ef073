// The modelled system's message bodies while they travel. net/ carries only
// an opaque 64-bit handle (DESIGN: net/ never includes proto/); the body
// lives here, in a slot of a pool, with a reference count because the
// network may duplicate a message. Slots are reused LIFO, so in the steady
// state sending allocates nothing.
//
// Bounded: at most `slots_max` bodies live at once (kSlotsMax by default).
// Storing one more is refused, never an abort and never an overwrite: put()
// returns nullopt and the refusal is counted (refused()) and reported as a
// reach of sim::Resource::kPayloads (`tiers.payloads`) at the sending node.
// The sender then does not send the message: to the protocols it is a
// message lost on the way, which they already survive (retries, timeouts).
//
// Memory: each slot counts a fixed size (tiers.payloads' entry_bytes), and a
// body type with a `heap_bytes(const T&)` function (tiers::Carried: its
// vector clock, a DSM repair's entries) also counts the buffers its live
// bodies hold, so a large cluster's clocks in flight count against
// --memory-max.
#pragma once
#include <algorithm>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <utility>
#include <vector>

#include "ecsim/sim/assert.hpp"
#include "ecsim/sim/limits.hpp"

namespace ecsim::tiers {

template <class T>
concept HeapSized = requires(const T& v) {
  { heap_bytes(v) } -> std::convertible_to<size_t>;
};

template <class T>
class PayloadPool {
 public:
  // Never reached: a body lives while its messages are in flight (at most
  // net::Network::kInFlightMax) or a protocol's bounded queue holds it.
  static constexpr uint32_t kSlotsMax = 1u << 24;

  // REQUIRES: 1 <= slots_max <= kSlotsMax (tests use small tables).
  explicit PayloadPool(uint32_t slots_max = kSlotsMax) : slots_max_(slots_max) {
    ECSIM_ASSERT(slots_max_ >= 1 && slots_max_ <= kSlotsMax);
  }

  // True when put() would be refused.
  bool full() const { return live_ >= slots_max_; }

  // Counts a refusal at `node` without storing: for a sender that tests
  // full() first, so a refused message changes no other state.
  // REQUIRES: full().
  void refuse(uint32_t node) {
    ECSIM_ASSERT(full());
    ++refused_;
    sim::limit_reached(sim::Resource::kPayloads, node);
  }

  // Stores `value` with one reference and returns its handle, or nullopt
  // (counted, reported at `node`) when `slots_max` bodies are live.
  [[nodiscard]] std::optional<uint64_t> put(T value, uint32_t node = 0) {
    if (full()) [[unlikely]] {
      refuse(node);
      return std::nullopt;
    }
    uint32_t slot;
    if (!free_.empty()) {
      slot = free_.back();
      free_.pop_back();
      slots_[slot].value = std::move(value);
    } else {
      ECSIM_ASSERT(slots_.size() < slots_max_);  // every slot is live: full() was checked
      slot = static_cast<uint32_t>(slots_.size());
      slots_.push_back({std::move(value), 0});
      bytes_.set_entries(slots_.size());
    }
    slots_[slot].refs = 1;
    if constexpr (HeapSized<T>) {
      const size_t heap = heap_bytes(slots_[slot].value);
      slots_[slot].heap = static_cast<uint32_t>(std::min<size_t>(heap, UINT32_MAX));
      heap_bytes_.add(slots_[slot].heap);
    }
    ++live_;
    ECSIM_ASSERT(live_ <= slots_max_);
    return uint64_t{slot};
  }
  // REQUIRES: the handle is live.
  const T& get(uint64_t handle) const {
    ECSIM_ASSERT(handle < slots_.size() && slots_[handle].refs > 0);
    return slots_[handle].value;
  }
  // Drops one reference and returns the value: moved out of the slot when
  // that was the last reference (the slot is then free, its value left
  // moved-from), copied otherwise (a duplicate still holds it). The receive
  // path takes a body this way instead of copying it and then releasing.
  // REQUIRES: the handle is live.
  T take(uint64_t handle) {
    ECSIM_ASSERT(handle < slots_.size() && slots_[handle].refs > 0);
    if (slots_[handle].refs > 1) {
      --slots_[handle].refs;
      return slots_[handle].value;
    }
    T out = std::move(slots_[handle].value);
    forget_heap(slots_[handle]);  // moved out: the slot holds no buffer now
    release(handle);
    return out;
  }
  void retain(uint64_t handle) {
    ECSIM_ASSERT(handle < slots_.size() && slots_[handle].refs > 0);
    ++slots_[handle].refs;
  }
  void release(uint64_t handle) {
    ECSIM_ASSERT(handle < slots_.size() && slots_[handle].refs > 0);
    if (--slots_[handle].refs == 0) {
      if constexpr (HeapSized<T>) {
        // Dropped unread (a lost message): its buffers go now, not when the
        // slot is next used, so what is accounted is what is held.
        if (slots_[handle].heap != 0) {
          forget_heap(slots_[handle]);
          slots_[handle].value = T{};
        }
      }
      free_.push_back(static_cast<uint32_t>(handle));
      --live_;
    }
  }
  size_t live() const { return live_; }
  uint64_t refused() const { return refused_; }

 private:
  struct Slot {
    T value;
    uint32_t refs;
    uint32_t heap = 0;  // heap_bytes(value) when stored, accounted while held
  };
  void forget_heap(Slot& s) {
    if constexpr (HeapSized<T>) {
      heap_bytes_.add(-static_cast<int64_t>(s.heap));
      s.heap = 0;
    }
  }
  std::vector<Slot> slots_;
  std::vector<uint32_t> free_;
  size_t live_ = 0;
  uint64_t refused_ = 0;
  uint32_t slots_max_;
  sim::Accounted bytes_{sim::Resource::kPayloads};
  sim::AccountedRunning heap_bytes_{sim::Resource::kPayloads};  // the live bodies' buffers
};

}  // namespace ecsim::tiers
