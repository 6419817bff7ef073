// The modelled system's messages as they travel: the edge <-> core request
// protocol defined here, the cloud storage protocol (proto/storage) and the
// DSM (proto/dsm), assembled into one Payload variant. Each carries the
// sender's vector clock (DESIGN: clocks ride on every envelope of the
// modelled system's messages).
#pragma once
#include <cstdint>
#include <variant>

#include "ecsim/net/vector_clock.hpp"
#include "ecsim/proto/dsm.hpp"
#include "ecsim/proto/storage.hpp"

namespace ecsim::tiers {

// Edge -> core: read a key through core (a quorum read of the cloud tier).
struct CoreRead {
  uint64_t req_id = 0;
  uint64_t key = 0;
};
// Edge -> core: write a key through core (versioned, a quorum write).
struct CoreWrite {
  uint64_t req_id = 0;
  uint64_t key = 0;
  uint64_t value = 0;
};
// Core -> edge: the answer to either.
struct CoreReply {
  uint64_t req_id = 0;
  bool ok = false;
  bool found = false;
  uint64_t value = 0;
  proto::storage::Version version;
};
using EdgeCoreMessage = std::variant<CoreRead, CoreWrite, CoreReply>;

// JSON-RPC size of an edge <-> core message, e.g.
// {"jsonrpc":"2.0","method":"core.read","params":{"key":K},"id":I}.
uint32_t wire_size_bytes(const EdgeCoreMessage& m);

using Payload = std::variant<EdgeCoreMessage, proto::storage::Message, proto::dsm::Message>;

// Envelope kinds (net/ reads only these).
enum Kind : uint32_t { kKindEdgeCore = 10, kKindStorage = 11, kKindDsm = 12 };

struct Carried {
  Payload payload;
  net::VectorClock clock;
};

}  // namespace ecsim::tiers
