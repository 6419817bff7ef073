// The cloud role of TierNode: a storage replica over the node's disk
// (recovered from it at start; its timers and storage messages are routed
// to it by the shell in tier_node.cpp).

#include <algorithm>

#include "tier_node_impl.hpp"

namespace ecsim::tiers {

void TierNode::cloud_on_start(node::Context&) {
  // Its peers: the other two replicas of its group (the cloud nodes in id
  // order, three by three; proto/storage.hpp, key_group).
  proto::storage::ReplicaConfig rc;
  const std::vector<net::NodeId>& clouds = world_.nodes(Role::kCloud);
  const auto me = static_cast<size_t>(std::find(clouds.begin(), clouds.end(), self_) - clouds.begin());
  ECSIM_ASSERT(me < clouds.size());
  const size_t first = me - me % proto::storage::kReplicas;
  for (size_t i = first; i < first + proto::storage::kReplicas; ++i) {
    if (clouds[i] != self_) rc.peers.push_back(clouds[i]);
  }
  rc.core_nodes = world_.nodes(Role::kCore);
  rc.wal_slack = world_.params().wal_slack;
  replica_ = std::make_unique<proto::storage::Replica>(self_, rc);
  replica_->recover(envs_->storage, envs_->io);
}

// Syncs of the log disk go to the node's 2PC machine; the others to the
// storage replica (the core's "boot" entries are never synced).
void TierNode::on_sync(node::Context& ctx, uint64_t tag) {
  if ((tag & kLogSyncBit) != 0) {
    const uint64_t machine_tag = tag & ~kLogSyncBit;
    if (coordinator_ != nullptr) {
      coordinator_->on_sync_done(envs_->twopc, envs_->log, machine_tag);
      core_txn_completions(ctx);
    } else {
      ECSIM_ASSERT(participant_ != nullptr);  // only they sync the log disk
      participant_->on_sync_done(envs_->twopc, envs_->log, machine_tag);
    }
    return;
  }
  if (replica_ != nullptr) replica_->on_sync_done(envs_->storage, envs_->io, tag);
}

}  // namespace ecsim::tiers
