// Internal to src/tiers/: the cloud node (tier 3). It is a storage replica
// with a write-ahead log on the node's disk (proto/storage Replica,
// recovered from the log at start), one of the three of its key group; with
// a billing workload it runs a 2PC Participant that holds the accounts'
// locks and answers core's billing reads from committed state.
#pragma once
#include <cstdint>
#include <memory>

#include "ecsim/proto/twopc_participant.hpp"
#include "ecsim/tiers/tier_node.hpp"

namespace ecsim::tiers {

class CloudNode final : public TierNode {
 public:
  CloudNode(World& world, net::NodeId self, Billing* billing);
  ~CloudNode() override;

  void on_sync(node::Context& ctx, uint64_t tag) override;

  const proto::storage::Replica* replica() const { return replica_.get(); }
  const proto::twopc::Participant* participant() const { return participant_.get(); }
  proto::twopc::Participant* participant() { return participant_.get(); }  // actions.cpp

 private:
  void start_role(node::Context& ctx) override;
  void on_storage_message(node::Context& ctx, net::NodeId from, const proto::storage::Message& m) override;
  void on_twopc_message(node::Context& ctx, net::NodeId from, const proto::twopc::Message& m) override;
  void on_billing_read(node::Context& ctx, net::NodeId from, const BillingRead& m) override;
  void on_role_timer(node::Context& ctx, uint8_t route, uint64_t tag) override;
  void billing_on_start(node::Context& ctx);  // billing_node.cpp
  // Its place among the cloud nodes in id order; three by three they are
  // the key groups (proto/storage.hpp, key_group).
  size_t cloud_index() const;

  std::unique_ptr<proto::storage::Replica> replica_;
  std::unique_ptr<proto::twopc::Participant> participant_;
};

// The cloud node running on `n`, checked; nullptr when `n` is down. As
// tier_node(): for the tiers' own use. REQUIRES: `n` is a cloud node of a
// three-tier cluster.
const CloudNode* cloud_node(const node::Cluster& cluster, net::NodeId n);

}  // namespace ecsim::tiers
