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
#include "ecsim/proto/msgq.hpp"
#include "ecsim/proto/rpc.hpp"
#include "ecsim/proto/storage.hpp"

namespace ecsim::tiers {

// The edge <-> core protocol is RPC (proto/rpc): edge nodes are clients with
// pooled TCP + TLS connections, core nodes are servers. The RPC layer moves
// opaque body handles; the bodies below travel with the RPC message that
// names them, so a receiver never looks into another node's memory.

// Edge -> core: read a key through core (a quorum read of the cloud tier).
// Methods kSubscriberRead (a client's read or session check) and kRehydrate.
struct CoreRead {
  uint64_t key = 0;
};
// Edge -> core: write a key through core (versioned, a quorum write).
// Method kSubscriberWrite.
struct CoreWrite {
  uint64_t key = 0;
  uint64_t value = 0;
};
// Core -> edge: the result of either (an RPC error code carries failures).
struct CoreReply {
  bool found = false;
  uint64_t value = 0;
  proto::storage::Version version;
};
using CoreBody = std::variant<std::monostate, CoreRead, CoreWrite, CoreReply>;

// The application error a core answers with when the cloud quorum failed.
inline constexpr uint16_t kCodeStorageUnavailable =
    static_cast<uint16_t>(proto::rpc::Code::kAppErrorFirst) + 1;

// JSON size of a body as RPC params or result: {"key":K},
// {"key":K,"value":V}, {"found":true,"value":V,"version":[C,W]}.
uint32_t body_size_bytes(const CoreBody& b);

struct EdgeCoreMessage {
  proto::rpc::Message rpc;
  CoreBody body;  // what rpc's body handle names (monostate for handshakes and errors)
};

// A DSM UPDATE sent through reliable messaging (proto/msgq): the msgq
// message and, for a Data, the update its body handle names.
struct DsmQueued {
  proto::msgq::Message msg;
  proto::dsm::Update update;  // valid for msgq::Data
};

using Payload = std::variant<EdgeCoreMessage, proto::storage::Message, proto::dsm::Message, DsmQueued>;

// Envelope kinds (net/ reads only these).
// Edge <-> core RPC travels as kKindEdgeCore, except the TCP and TLS
// handshake flights (kKindHandshake), which the load model prices apart.
enum Kind : uint32_t { kKindEdgeCore = 10, kKindStorage = 11, kKindDsm = 12, kKindHandshake = 14 };

struct Carried {
  Payload payload;
  net::VectorClock clock;
};

}  // namespace ecsim::tiers
