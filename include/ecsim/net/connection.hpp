// Connection ids for the envelope (Envelope::conn). Links model TCP: FIFO
// per connection, so the network orders a message only behind the earlier
// messages of its own connection (in its direction); messages without a
// connection (id 0) share one FIFO queue per (src, dst) pair.
//
// A protocol names the connection it opened: `family` keeps protocols
// apart, `id` is the opener's own number for it (unique among the opener's
// connections of that family to that peer), and `opened_by_sender` tells
// the two directions' openers apart, so that on the link a -> b a's
// connection 5 and b's connection 5 are different queues.
#pragma once
#include <cstdint>

#include "ecsim/sim/assert.hpp"

namespace ecsim::net {

inline constexpr uint32_t kConnFamilyMax = 127;
inline constexpr uint64_t kConnIdMax = (uint64_t{1} << 55) - 1;

// Ids that differ only above kConnIdMax share a queue (only ordering, never
// correctness, depends on it). REQUIRES: 1 <= family <= kConnFamilyMax.
inline uint64_t connection_id(uint32_t family, bool opened_by_sender, uint64_t id) {
  ECSIM_ASSERT(family >= 1 && family <= kConnFamilyMax);
  return (uint64_t{family} << 56) | (uint64_t{opened_by_sender} << 55) | (id & kConnIdMax);
}

}  // namespace ecsim::net
