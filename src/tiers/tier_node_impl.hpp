// Internal to src/tiers/: what the node shell (TierNode) and its roles
// (EdgeNode, CoreNode, CloudNode) share -- the timer routes and connection
// families, the edge timer tags, and the protocol Envs (ProtoEnv,
// NodeStorageIo, TierNode::Envs) that bind a node's Context.
#pragma once

#include "ecsim/tiers/tier_node.hpp"

#include <cstdint>
#include <utility>

namespace ecsim::tiers {

inline constexpr uint8_t kRouteStorage = 1;
inline constexpr uint8_t kRouteDsm = 2;
inline constexpr uint8_t kRouteEdge = 3;
inline constexpr uint8_t kRouteRpc = 4;
inline constexpr uint8_t kRouteMsgq = 5;
inline constexpr uint8_t kRouteTwopc = 6;
inline constexpr uint8_t kRouteBilling = 7;  // core: a billing read's timeout, tag = read id
// Connection families (net/connection.hpp): each protocol's connections.
inline constexpr uint32_t kConnRpc = 1;
inline constexpr uint32_t kConnStorage = 2;
inline constexpr uint32_t kConnMsgq = 3;
inline constexpr uint32_t kConnDsm = 4;
inline constexpr uint32_t kConnTwopc = 5;
inline constexpr uint32_t kConnBillingRead = 6;
// A sync of the log disk comes back to on_sync with this bit (the 2PC
// machines' own tags are below it).
inline constexpr uint64_t kLogSyncBit = uint64_t{1} << 62;
inline constexpr uint64_t kEdgeAuthDone = 1;    // edge timer: token verified, go on
inline constexpr uint64_t kEdgeServed = 3;      // edge timer: the request's edge service ended
inline constexpr uint64_t kEdgeSnapshot = 4;    // edge timer: persist the hot-key snapshot
inline constexpr uint64_t kEdgeSuspectEnd = 6;  // edge timer: a suspected core is tried again
inline constexpr uint64_t kEdgeBillingServed = 7;    // edge timer: a billing operation's edge service ended
inline constexpr uint64_t kEdgeBillingAuthDone = 8;  // edge timer: its token verified, go on
inline constexpr int kEdgeTagShift = 56;

// The options of every call to a core (edge requests, billing, rehydration);
// the core's response cache keeps answers for their horizon.
inline proto::rpc::CallOptions core_call_options(const TierParams& tp) {
  proto::rpc::CallOptions options;
  options.timeout = tp.core_timeout;
  options.retries_max = tp.core_retries_max;
  return options;
}

// The sans-IO surface of each protocol, bound to this node's Context: its
// timers come back on route R, and `Send` puts its messages on the wire
// (storage as they are; DSM UPDATEs through msgq; RPC and msgq messages with
// the bodies their handles name). Once the node stopped at a protocol point
// (proto/points.hpp), sends and trace records are refused: nothing after the
// point leaves the node. Timers are still set (the crash that follows at
// once cancels them), so that the protocols' own bookkeeping stays valid.
template <class M, uint8_t R, void (TierNode::*Send)(node::Context&, net::NodeId, M, uint32_t)>
class ProtoEnv final : public proto::Env<M> {
 public:
  ProtoEnv(TierNode& node, node::Context& ctx) : node_(node), ctx_(ctx) {}
  sim::Time now() const override { return ctx_.now(); }
  net::NodeId self() const override { return ctx_.self(); }
  void send(net::NodeId dst, M message, uint32_t size_bytes) override {
    if (ctx_.halted()) return;
    (node_.*Send)(ctx_, dst, std::move(message), size_bytes);
  }
  proto::TimerId set_timer(sim::Duration after, uint64_t tag) override { return node_.set_timer(ctx_, R, after, tag); }
  bool cancel_timer(proto::TimerId id) override { return node_.cancel_timer(ctx_, id); }
  sim::Rng& rng() override { return ctx_.rng(); }
  void trace(const sim::Record& r) override {
    if (!ctx_.halted()) ctx_.trace().record(r);
  }

 private:
  TierNode& node_;
  node::Context& ctx_;
};

// Cloud replicas see their disk through this.
class NodeStorageIo final : public proto::storage::StorageIo {
 public:
  explicit NodeStorageIo(node::Context& ctx) : ctx_(ctx) {}
  node::Disk& disk() override { return ctx_.disk(); }
  void sync(uint64_t tag) override {
    if (!ctx_.halted()) ctx_.sync(tag);
  }

 private:
  node::Context& ctx_;
};

// The 2PC machines see the node's log disk through this (node/cluster.hpp,
// Context::log_disk): apart from the storage replica's log on the main disk.
class NodeLogIo final : public proto::twopc::LogIo {
 public:
  explicit NodeLogIo(node::Context& ctx) : ctx_(ctx) {}
  node::Disk& disk() override { return ctx_.log_disk(); }
  void sync(uint64_t tag) override {
    ECSIM_ASSERT((tag & kLogSyncBit) == 0);
    if (!ctx_.halted()) ctx_.sync_log(tag | kLogSyncBit);
  }

 private:
  node::Context& ctx_;
};

struct TierNode::Envs {
  Envs(TierNode& n, node::Context& ctx)
      : storage(n, ctx), dsm(n, ctx), rpc(n, ctx), msgq(n, ctx), twopc(n, ctx), io(ctx), log(ctx) {}
  ProtoEnv<proto::storage::Message, kRouteStorage, &TierNode::send_storage> storage;
  ProtoEnv<proto::dsm::Message, kRouteDsm, &TierNode::send_dsm> dsm;
  ProtoEnv<proto::rpc::Message, kRouteRpc, &TierNode::send_rpc> rpc;
  ProtoEnv<proto::msgq::Message, kRouteMsgq, &TierNode::send_msgq> msgq;
  ProtoEnv<proto::twopc::Message, kRouteTwopc, &TierNode::send_twopc> twopc;
  NodeStorageIo io;
  NodeLogIo log;
};

}  // namespace ecsim::tiers
