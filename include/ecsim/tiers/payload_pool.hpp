// The modelled system's message bodies while they travel. net/ carries only
// an opaque 64-bit handle (DESIGN: net/ never includes proto/); the body
// lives here, in a slot of a pool, with a reference count because the
// network may duplicate a message. Slots are reused LIFO, so in the steady
// state sending allocates nothing.
#pragma once
#include <cstdint>
#include <utility>
#include <vector>

#include "ecsim/sim/assert.hpp"
#include "ecsim/sim/limits.hpp"

namespace ecsim::tiers {

template <class T>
class PayloadPool {
 public:
  // Never reached: a body lives while its messages are in flight (at most
  // net::Network::kInFlightMax) or a protocol's bounded queue holds it.
  static constexpr uint32_t kSlotsMax = 1u << 24;

  // Stores `value` with one reference; returns its handle.
  uint64_t put(T value) {
    uint32_t slot;
    if (!free_.empty()) {
      slot = free_.back();
      free_.pop_back();
      slots_[slot].value = std::move(value);
    } else {
      ECSIM_ASSERT(slots_.size() < kSlotsMax);
      slot = static_cast<uint32_t>(slots_.size());
      slots_.push_back({std::move(value), 0});
      bytes_.set_entries(slots_.size());
    }
    slots_[slot].refs = 1;
    ++live_;
    return slot;
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
      free_.push_back(static_cast<uint32_t>(handle));
      --live_;
    }
  }
  size_t live() const { return live_; }

 private:
  struct Slot {
    T value;
    uint32_t refs;
  };
  std::vector<Slot> slots_;
  std::vector<uint32_t> free_;
  size_t live_ = 0;
  sim::Accounted bytes_{sim::Resource::kPayloads};
};

}  // namespace ecsim::tiers
