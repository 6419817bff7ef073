// The modelled system's messages as they travel: the edge <-> core request
// protocol defined here, the cloud storage protocol (proto/storage) and the
// DSM (proto/dsm), assembled into one Payload variant. Each carries the
// sender's vector clock (DESIGN: clocks ride on every envelope of the
// modelled system's messages).
#pragma once
#include <cstdint>
#include <optional>
#include <variant>

#include "ecsim/net/vector_clock.hpp"
#include "ecsim/proto/dsm.hpp"
#include "ecsim/proto/msgq.hpp"
#include "ecsim/proto/rpc.hpp"
#include "ecsim/proto/storage.hpp"
#include "ecsim/proto/twopc.hpp"
#include "ecsim/tiers/billing_cache.hpp"

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
// Edge -> core: a billing operation (issue 11; tiers/billing.hpp). A write
// (debit, transfer, top-up, port) runs as a 2PC transaction under its
// client transaction id; a read (balance, number_owner) reads a committed
// value from the cloud replicas. Methods kSubscriberWrite and kSubscriberRead.
struct BillingCall {
  uint64_t client_txn = 0;
  uint8_t kind = 0;  // workload::BillingKind
  uint64_t from = 0;
  uint64_t to = 0;
  uint64_t amount = 0;
  uint64_t number = 0;
};
// Core -> edge: its answer. A transaction: outcome (proto::twopc::Outcome)
// and reason; a read: found and value (balance, or the number's owner).
struct BillingReply {
  uint16_t outcome = 0;
  uint16_t reason = 0;
  bool found = false;
  uint64_t value = 0;
  // With the edge billing cache on (docs/twopc.md, "Edge billing cache"):
  // whether a read's value may be cached (no prepared transaction held the
  // key at the replica), and the core's sync point for the edge.
  bool cacheable = false;
  bool synced = false;
  CacheSync sync;
};
using CoreBody = std::variant<std::monostate, CoreRead, CoreWrite, CoreReply, BillingCall, BillingReply>;

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
// Core -> edge over msgq: a committed transaction changed these keys (2PC
// lock keys); an edge caching them drops them (docs/twopc.md, "Edge
// billing cache").
struct BillingInval {
  uint64_t txn = 0;
  proto::twopc::OpKeys keys;
};
struct DsmQueued {
  proto::msgq::Message msg;
  proto::dsm::Update update;  // valid for msgq::Data without `inval`
  std::optional<BillingInval> inval;  // msgq::Data carrying an invalidation instead
};

// Core <-> cloud: a billing read of a committed value (read committed: the
// participant's committed state, never a prepared one). kind: 1 balance of
// account `key`, 2 owner of number `key`.
struct BillingReadReq {
  uint64_t req = 0;
  uint8_t kind = 0;
  uint64_t key = 0;
};
struct BillingReadResp {
  uint64_t req = 0;
  bool found = false;
  uint64_t value = 0;
  bool cacheable = false;  // no prepared transaction held the key's lock
};
using BillingRead = std::variant<BillingReadReq, BillingReadResp>;

using Payload = std::variant<EdgeCoreMessage, proto::storage::Message, proto::dsm::Message, DsmQueued,
                             proto::twopc::Message, BillingRead>;

// Envelope kinds (net/ reads only these).
// Edge <-> core RPC travels as kKindEdgeCore, except the TCP and TLS
// handshake flights (kKindHandshake), which the load model prices apart.
enum Kind : uint32_t {
  kKindEdgeCore = 10,
  kKindStorage = 11,
  kKindDsm = 12,
  kKindHandshake = 14,
  kKindTwopc = 15,
  kKindBillingRead = 16,
};

struct Carried {
  Payload payload;
  net::VectorClock clock;
};

// The heap buffers a body holds (its clock's, a DSM digest's or repair's
// entries and their clocks, a catch-up batch's): what PayloadPool accounts
// beside its slots.
size_t heap_bytes(const Carried& c);

}  // namespace ecsim::tiers
