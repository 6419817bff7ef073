// The cloud node (cloud_node.hpp): a storage replica over the node's disk
// (recovered from it at start), and what it hands to the shell (its timers,
// storage and 2PC messages, syncs). Billing reads are answered in
// billing_node.cpp.

#include "cloud_node.hpp"

#include <algorithm>

#include "tier_node_impl.hpp"

namespace ecsim::tiers {

CloudNode::CloudNode(World& world, net::NodeId self, Billing* billing) : TierNode(world, self, billing) {}

CloudNode::~CloudNode() {
  // A crash (or the end of the run) takes the node's counters with it: they
  // move to the World.
  if (replica_ != nullptr) world_.add_replica_refusals(replica_->counters().refused);
}

size_t CloudNode::cloud_index() const {
  const std::vector<net::NodeId>& clouds = world_.nodes(Role::kCloud);
  const auto me = static_cast<size_t>(std::find(clouds.begin(), clouds.end(), self_) - clouds.begin());
  ECSIM_ASSERT(me < clouds.size());
  return me;
}

void CloudNode::start_role(node::Context& ctx) {
  // Its peers: the other two replicas of its group (the cloud nodes in id
  // order, three by three; proto/storage.hpp, key_group).
  proto::storage::ReplicaConfig rc;
  const std::vector<net::NodeId>& clouds = world_.nodes(Role::kCloud);
  const size_t me = cloud_index();
  const size_t first = me - me % proto::storage::kReplicas;
  for (size_t i = first; i < first + proto::storage::kReplicas; ++i) {
    if (clouds[i] != self_) rc.peers.push_back(clouds[i]);
  }
  rc.core_nodes = world_.nodes(Role::kCore);
  rc.wal_slack = world_.params().wal_slack;
  rc.incarnation = ctx.incarnation();
  replica_ = std::make_unique<proto::storage::Replica>(self_, rc);
  replica_->recover(envs_->storage, envs_->io);
  if (billing_ != nullptr) billing_on_start(ctx);
}

void CloudNode::on_role_timer(node::Context&, uint8_t route, uint64_t tag) {
  switch (route) {
    case kRouteStorage:
      replica_->on_timer(envs_->storage, envs_->io, tag);
      return;
    case kRouteTwopc:
      ECSIM_ASSERT(participant_ != nullptr);  // the only setter of these timers here
      participant_->on_timer(envs_->twopc, envs_->log, tag);
      return;
  }
  ECSIM_ASSERT(false);
}

// Syncs of the log disk go to the node's 2PC participant; the others to the
// storage replica.
void CloudNode::on_sync(node::Context&, uint64_t tag) {
  if ((tag & kLogSyncBit) != 0) {
    ECSIM_ASSERT(participant_ != nullptr);  // only it syncs the log disk
    participant_->on_sync_done(envs_->twopc, envs_->log, tag & ~kLogSyncBit);
    return;
  }
  if (replica_ != nullptr) replica_->on_sync_done(envs_->storage, envs_->io, tag);
}

void CloudNode::on_storage_message(node::Context&, net::NodeId from, const proto::storage::Message& m) {
  replica_->on_message(envs_->storage, envs_->io, from, m);
}

void CloudNode::on_twopc_message(node::Context&, net::NodeId from, const proto::twopc::Message& m) {
  // Without billing no node sends these.
  if (participant_ != nullptr) participant_->on_message(envs_->twopc, envs_->log, from, m);
}

const CloudNode* cloud_node(const node::Cluster& cluster, net::NodeId n) {
  const TierNode* node = tier_node(cluster, n);
  if (node == nullptr) return nullptr;
  ECSIM_ASSERT(node->role() == Role::kCloud);
  return static_cast<const CloudNode*>(node);
}

}  // namespace ecsim::tiers
