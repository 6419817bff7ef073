// Internal to src/tiers/: the core node (tier 2). It serves the edges' RPC
// calls (proto/rpc Server, whose response cache answers a retried call
// without running it twice), reads and writes the cloud tier through
// 2-of-3 quorums (proto/storage QuorumReader and QuorumWriter), and keeps
// its response bodies in a ring at least as large as the server's response
// cache, so a cached answer can be sent again. With a billing workload it runs a 2PC
// Coordinator for the billing writes and reads committed values from one
// cloud replica at a time (billing_node.cpp).
#pragma once
#include <cstdint>
#include <map>
#include <memory>
#include <vector>

#include "ecsim/sim/flat_map.hpp"
#include "ecsim/sim/limits.hpp"
#include "ecsim/tiers/tier_node.hpp"

namespace ecsim::tiers {

class CoreNode final : public TierNode {
 public:
  CoreNode(World& world, net::NodeId self, Billing* billing);
  ~CoreNode() override;

  void on_sync(node::Context& ctx, uint64_t tag) override;
  uint32_t open_connections() const override;

  const proto::rpc::Server* rpc_server() const { return rpc_server_.get(); }
  const proto::twopc::Coordinator* coordinator() const { return coordinator_.get(); }

 private:
  struct CoreOp {
    net::NodeId edge;
    uint64_t call_id;
    bool write;
    uint64_t value;  // for writes
  };
  struct ReplySlot {
    uint64_t handle = 0;
    CoreBody reply;
  };
  struct Caller {
    net::NodeId edge = 0;
    uint64_t call_id = 0;
  };
  struct CoreBillingRead {
    Caller caller;
    uint8_t kind = 0;  // BillingReadReq::kind
    uint64_t key = 0;
    uint32_t tried = 0;  // replicas asked
    proto::TimerId timer = 0;
  };

  void start_role(node::Context& ctx) override;
  void on_rpc_message(node::Context& ctx, net::NodeId from, const EdgeCoreMessage& m) override;
  void on_storage_message(node::Context& ctx, net::NodeId from, const proto::storage::Message& m) override;
  void on_twopc_message(node::Context& ctx, net::NodeId from, const proto::twopc::Message& m) override;
  void on_billing_read(node::Context& ctx, net::NodeId from, const BillingRead& m) override;
  void on_role_timer(node::Context& ctx, uint8_t route, uint64_t tag) override;
  CoreBody rpc_body(const proto::rpc::Message& m) const override;

  void core_respond(const CoreOp& op, bool ok, const CoreReply& reply);
  void core_completions(node::Context& ctx);
  // billing (billing_node.cpp)
  void billing_on_start(node::Context& ctx);
  void core_billing(node::Context& ctx, net::NodeId from, uint64_t call_id, const BillingCall& call);
  void core_billing_read(node::Context& ctx, uint64_t req);
  void core_billing_read_timeout(node::Context& ctx, uint64_t req);
  void core_respond_body(node::Context& ctx, const Caller& to, CoreBody body);
  // edge billing caches (billing_cache_node.cpp)
  void core_send_invals(node::Context& ctx);
  void core_attach_sync(node::Context& ctx, net::NodeId edge, BillingReply& reply) const;
  void core_txn_completions(node::Context& ctx);
  std::vector<net::NodeId> txn_participants(const proto::twopc::Op& op, net::NodeId edge) const;

  std::unique_ptr<proto::storage::QuorumReader> reader_;
  std::unique_ptr<proto::storage::QuorumWriter> writer_;
  // The quorum machines' completions, taken in turns (core_completions):
  // two buffers swapped with theirs, so that taking allocates nothing.
  std::vector<proto::storage::ReadCompletion> reads_done_;
  std::vector<proto::storage::WriteCompletion> writes_done_;
  // By storage request id; looked up and erased, never iterated.
  sim::FlatMap<CoreOp> reads_;
  sim::FlatMap<CoreOp> writes_;
  std::unique_ptr<proto::rpc::Server> rpc_server_;
  // A ring of the last replies_cap_ replies by handle (made in answer order,
  // as the server's cache keeps its answers: the cached ones are among the
  // newest cached() handles). Filled lazily on its first lap; doubled when
  // the server's cache holds more answers than it (a rate above
  // cache_min / cache_keep), up to the cache's own max.
  static constexpr size_t kRepliesMin = proto::rpc::ServerConfig{}.cache_min;
  size_t reply_index(uint64_t handle) const {
    return static_cast<size_t>((handle - 1) & (replies_cap_ - 1));
  }
  // Keeps a reply's body in the ring for the RPC response about to carry it; its handle.
  uint64_t keep_reply(CoreBody body);
  std::vector<ReplySlot> replies_;
  sim::Accounted replies_bytes_{sim::Resource::kResponseCache};  // replies_: --memory-max
  size_t replies_cap_ = kRepliesMin;  // a power of two
  uint64_t next_reply_ = 1;
  // billing: the node's 2PC coordinator, its callers per client txn id (a
  // retry joins its first) and its reads
  std::unique_ptr<proto::twopc::Coordinator> coordinator_;
  std::multimap<uint64_t, Caller> txn_callers_;  // by client txn
  std::map<uint64_t, CoreBillingRead> billing_reads_;  // by read id
  uint64_t next_billing_read_ = 1;
  std::vector<proto::twopc::Completion> txn_done_;
  // edge billing caches: per edge, the seq of the last invalidation msgq
  // accepted for it and how many it refused (the sync point's N and R)
  struct InvalTo {
    uint64_t seq = 0;
    uint64_t refused = 0;
  };
  std::map<net::NodeId, InvalTo> inval_to_;
  std::vector<std::pair<uint64_t, proto::twopc::Op>> commits_;
};

// The core node running on `n`, checked; nullptr when `n` is down. As
// tier_node(): for the tiers' own use. REQUIRES: `n` is a core node of a
// three-tier cluster.
const CoreNode* core_node(const node::Cluster& cluster, net::NodeId n);

}  // namespace ecsim::tiers
