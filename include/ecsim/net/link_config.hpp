// The settings of one directed link. Probabilities are integer parts per
// million (TigerBeetle style: no float compared in a decision).
#pragma once
#include <cstdint>

#include "ecsim/net/latency.hpp"

namespace ecsim::net {

inline constexpr uint32_t kPpmOne = 1000000;

struct LinkConfig {
  LatencyModel latency = LatencyModel::constant(sim::milliseconds(1));
  uint32_t drop_ppm = 0;       // probability a message is lost
  uint32_t duplicate_ppm = 0;  // probability a message is delivered twice
  bool reorder = false;        // false: FIFO per connection (TCP-like)
  bool operator==(const LinkConfig&) const = default;
};

}  // namespace ecsim::net
