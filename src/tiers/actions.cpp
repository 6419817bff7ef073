#include "ecsim/tiers/actions.hpp"

#include "ecsim/sim/assert.hpp"
#include "ecsim/tiers/tier_node.hpp"
#include "cloud_node.hpp"
#include "edge_node.hpp"
#include "tier_node_impl.hpp"

namespace ecsim::tiers {

// Declared in tier_node.hpp; here so that the node's own files stay as they are.
bool TierNode::dsm_set(uint64_t key, uint64_t value) {
  ECSIM_ASSERT(dsm_ != nullptr && envs_ != nullptr);
  return dsm_->set(envs_->dsm, key, value);
}

Actions::Actions(sim::Simulator& sim, node::Cluster& cluster, World& world, Billing* billing)
    : sim_(sim), cluster_(cluster), world_(world), billing_(billing), signer_(world.params().secret) {}

void Actions::trace(net::NodeId node, ActionResult r, uint64_t a, uint64_t b) {
  sim_.trace().record(sim::Record{sim_.now().ns, kRecordAction, static_cast<uint16_t>(r), node, 0, 0, a, b});
}

void Actions::dsm_set(net::NodeId node, uint64_t key, uint64_t value) {
  if (!cluster_.is_up(node)) {
    trace(node, ActionResult::kNodeDown, key, value);
    return;
  }
  trace(node, ActionResult::kSet, key, value);
  auto* n = static_cast<TierNode*>(cluster_.actor(node));
  if (!n->dsm_set(key, value)) trace(node, ActionResult::kSetRefused, key, value);
  cluster_.settle(node);  // a protocol point may have stopped it
}

void Actions::dsm_get(net::NodeId node, uint64_t key) {
  const TierNode* n = tier_node(cluster_, node);
  if (n == nullptr) {
    trace(node, ActionResult::kNodeDown, key, 0);
    return;
  }
  const std::optional<uint64_t> v = n->dsm().get(key);
  trace(node, v ? ActionResult::kGetFound : ActionResult::kGetMissing, key, v.value_or(0));
}

void Actions::billing(net::NodeId edge, workload::BillingOp op, sim::Duration timeout) {
  ECSIM_ASSERT(billing_ != nullptr && world_.role(edge) == Role::kEdge);
  ECSIM_ASSERT(workload::is_billing_write(op.kind));
  const sim::Time now = sim_.now();
  BillingRequest r;
  op.id = next_txn_++;
  r.op = op;
  r.client_txn = kActionTxnBase | op.id;
  r.token = signer_.issue(
      proto::auth::Claims{op.subscriber, proto::auth::Role::kSubscriber, now, now + world_.params().token_lifetime});
  r.start = now;
  r.deadline = now + timeout;
  r.edge = edge;
  r.workload = BillingRequest::kNoWorkload;  // the viewer's, not a workload's: in no workload's seconds
  trace(edge, ActionResult::kBillingSent, r.client_txn, static_cast<uint64_t>(op.kind));
  billing_->started(r);
  if (!cluster_.is_up(edge)) {
    billing_->failed(r, now);
    return;
  }
  auto* n = static_cast<EdgeNode*>(cluster_.actor(edge));
  n->on_billing_request(cluster_.context(edge), std::move(r));
  cluster_.settle(edge);
}

void Actions::twopc_vote_no(net::NodeId node, uint64_t count) {
  ECSIM_ASSERT(billing_ != nullptr && count >= 1);
  const Role role = world_.role(node);
  ECSIM_ASSERT(role == Role::kEdge || role == Role::kCloud);
  if (!cluster_.is_up(node)) {
    trace(node, ActionResult::kNodeDown, count, 0);
    return;
  }
  trace(node, ActionResult::kVoteNoArmed, count, 0);
  proto::twopc::Participant* p = role == Role::kEdge ? static_cast<EdgeNode*>(cluster_.actor(node))->participant()
                                                     : static_cast<CloudNode*>(cluster_.actor(node))->participant();
  ECSIM_ASSERT(p != nullptr);  // every edge and cloud node of a billing run is a participant
  p->force_no(count);
}

}  // namespace ecsim::tiers
