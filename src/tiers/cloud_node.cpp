// The cloud role of TierNode: a storage replica over the node's disk
// (recovered from it at start; its timers and storage messages are routed
// to it by the shell in tier_node.cpp).

#include "tier_node_impl.hpp"

namespace ecsim::tiers {

void TierNode::cloud_on_start(node::Context&) {
  proto::storage::ReplicaConfig rc;
  for (net::NodeId n : world_.nodes(Role::kCloud)) {
    if (n != self_) rc.peers.push_back(n);
  }
  rc.core_nodes = world_.nodes(Role::kCore);
  replica_ = std::make_unique<proto::storage::Replica>(self_, rc);
  replica_->recover(envs_->storage, envs_->io);
}

void TierNode::on_sync(node::Context&, uint64_t tag) {
  if (replica_ != nullptr) replica_->on_sync_done(envs_->storage, envs_->io, tag);
}

}  // namespace ecsim::tiers
