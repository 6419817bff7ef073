// One-shot workload actions from a scenario's schedule (docs/scenarios.md,
// "Actions"; the viewer's DSM and 2PC tabs record them): a DSM SET or GET on
// one node's replica, and a billing operation handed to an edge node as a
// billing client's would be. The fault layer applies them at their time (or
// after their event); they draw no random number, so a scenario without
// them runs exactly as before.
//
// - dsm_set writes the node's replica as an admitted client SET does
//   (proto/dsm: a local write stamped with the replica's clock, UPDATEs to
//   its group); two sets of one key on two nodes at one instant are
//   concurrent, and the DSM's tie-break resolves them the same way on every
//   replica.
// - dsm_get reads the node's replica and traces what it holds.
// - billing: the operation goes through the edge node's on_billing_request
//   (load model, token and RBAC, RPC to core, 2PC) with a valid token of the
//   subscriber who asks and a client transaction id of its own
//   (kActionTxnBase | n, apart from every billing client's).
// - twopc_vote_no: the node's 2PC participant votes NO (Reason::kForced) on
//   its next `count` transactions (proto/twopc Participant::force_no); the
//   count is volatile, a crash forgets what is left of it.
#pragma once
#include <cstdint>

#include "ecsim/node/cluster.hpp"
#include "ecsim/proto/auth.hpp"
#include "ecsim/sim/simulator.hpp"
#include "ecsim/sim/trace.hpp"
#include "ecsim/tiers/billing.hpp"
#include "ecsim/tiers/world.hpp"
#include "ecsim/workload/billing.hpp"

namespace ecsim::tiers {

// kRecordAction: an action applied: node, code = ActionResult, a = key (DSM)
// or client txn (billing), b = value (set; a get's value when found).
inline constexpr auto kRecordAction = static_cast<sim::RecordType>(89);
enum class ActionResult : uint16_t {
  kSet = 1,          // dsm_set written (the replica's dsm record follows it)
  kSetRefused = 2,   // dsm_set refused: the replica is full
  kGetFound = 3,     // dsm_get: the replica holds b for key a
  kGetMissing = 4,   // dsm_get: the replica holds nothing for key a
  kNodeDown = 5,     // the node was down: nothing done
  kBillingSent = 6,  // billing handed to the edge node (billing.start has the op)
  kVoteNoArmed = 7,  // twopc_vote_no: the participant's next a transactions vote NO
};

// Billing actions' client transaction ids: above every billing client's
// ((source index + 1) << 40, source index < 2^24 - 2).
inline constexpr uint64_t kActionTxnBase = uint64_t{0xffffff} << 40;

class Actions {
 public:
  // `billing`: the run's billing domain, nullptr without a billing workload.
  Actions(sim::Simulator& sim, node::Cluster& cluster, World& world, Billing* billing);

  void dsm_set(net::NodeId node, uint64_t key, uint64_t value);
  void dsm_get(net::NodeId node, uint64_t key);
  // REQUIRES: a billing domain; `edge` an edge node; op.kind a write.
  void billing(net::NodeId edge, workload::BillingOp op, sim::Duration timeout);
  // REQUIRES: a billing domain; `node` an edge or cloud node (a participant); count >= 1.
  void twopc_vote_no(net::NodeId node, uint64_t count);

 private:
  void trace(net::NodeId node, ActionResult r, uint64_t a, uint64_t b);

  sim::Simulator& sim_;
  node::Cluster& cluster_;
  World& world_;
  Billing* billing_;
  proto::auth::Signer signer_;
  uint64_t next_txn_ = 1;
};

}  // namespace ecsim::tiers
