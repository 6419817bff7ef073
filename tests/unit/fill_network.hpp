// Fills a network to its in-flight maximum the way the links may share it:
// 24 links from node 0 to 8,192 messages each (three quarters of the
// maximum, before any share applies), then one message on each of 65,536
// more links between nodes 1..299 (each far below its share). Leaves link
// 0 -> 299 empty. `on_send(payload)` runs before each send.
#pragma once
#include <fmt/format.h>

#include <string>
#include <vector>

#include "ecsim/net/network.hpp"

namespace ecsim::test {

inline constexpr uint32_t kFillNodes = 300;

inline std::vector<std::string> fill_node_names() {
  std::vector<std::string> names;
  for (uint32_t n = 0; n < kFillNodes; ++n) names.push_back(fmt::format("n{}", n));
  return names;
}

template <typename OnSend>
void fill_network(net::Network& net, OnSend on_send) {
  constexpr uint32_t kHeavy = 24;
  static_assert(kHeavy * (net::Network::kLinkInFlightMax / 4) == net::Network::kInFlightShared);
  uint64_t payload = 1;
  for (uint32_t i = 0; i < net::Network::kInFlightShared; ++i, ++payload) {
    on_send(payload);
    net.send(0, static_cast<net::NodeId>(1 + i % kHeavy), 1, 10, payload);
  }
  uint32_t sent = net::Network::kInFlightShared;
  for (net::NodeId src = 1; src < kFillNodes && sent < net::Network::kInFlightMax; ++src) {
    for (net::NodeId dst = 0; dst < kFillNodes && sent < net::Network::kInFlightMax; ++dst) {
      if (dst == src) continue;
      on_send(payload);
      net.send(src, dst, 1, 10, payload++);
      ++sent;
    }
  }
}

}  // namespace ecsim::test
