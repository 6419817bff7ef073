// The node shell every node of the modelled system runs in: what edge, core
// and cloud nodes share. It owns the node's vector clock (it rides on
// everything the node sends), its DSM replica and the reliable messaging
// (msgq) that carries the DSM's UPDATEs, the protocol Envs bound to the
// node's Context, and the timer routes that bring each protocol's timers
// back to it. It sends every message of the modelled system (the send_*
// functions name each protocol's connections) and receives them: the DSM
// and msgq kinds it handles itself, every other kind goes to the role.
//
// The roles are its subclasses, internal to src/tiers/: EdgeNode
// (edge_node.hpp: token checks, the cache, RPC to core, rehydration after a
// restart), CoreNode (core_node.hpp: the RPC server, quorum reads and writes
// of the cloud tier, the 2PC coordinator) and CloudNode (cloud_node.hpp: a
// storage replica with a write-ahead log, a 2PC participant). World's roles
// decide which one a node runs (make_tier_node).
#pragma once
#include <cstdint>
#include <memory>
#include <unordered_map>
#include <vector>

#include "ecsim/node/cluster.hpp"
#include "ecsim/proto/twopc.hpp"
#include "ecsim/proto/vclock.hpp"
#include "ecsim/sim/flat_map.hpp"
#include "ecsim/sim/slot_pool.hpp"
#include "ecsim/tiers/billing.hpp"
#include "ecsim/tiers/world.hpp"

namespace ecsim::tiers {

class TierNode : public node::Actor {
 public:
  ~TierNode() override;

  void on_start(node::Context& ctx) final;
  void on_message(node::Context& ctx, const net::Envelope& m) final;
  void on_timer(node::Context& ctx, uint64_t tag) final;

  Role role() const { return role_; }
  const proto::dsm::Replica& dsm() const { return *dsm_; }
  // The node's vector clock (read-only: the viewer's snapshots, tiers/snapshot.hpp).
  const net::VectorClock& clock() const { return clock_.clock(); }
  bool started() const { return dsm_ != nullptr; }  // on_start ran
  // A scenario's dsm_set action (tiers/actions.hpp) writes the replica as an
  // admitted client SET does. False: refused (full).
  bool dsm_set(uint64_t key, uint64_t value);
  const proto::msgq::Sender* msgq_sender() const { return msgq_sender_.get(); }
  const proto::msgq::Receiver* msgq_receiver() const { return msgq_receiver_.get(); }

  // Sends one message of the modelled system (used by the protocol Envs) on
  // connection `conn` (net/connection.hpp; the send_* functions below name
  // each protocol's connections).
  void send(node::Context& ctx, net::NodeId dst, Kind kind, Payload payload, uint32_t size_bytes, uint64_t conn);
  // Sends an RPC message with the body its handle names (rpc_body).
  void send_rpc(node::Context& ctx, net::NodeId dst, proto::rpc::Message m, uint32_t size_bytes);
  void send_storage(node::Context& ctx, net::NodeId dst, proto::storage::Message m, uint32_t size_bytes);
  // Sends a DSM message: an UPDATE through reliable messaging, the rest as is.
  void send_dsm(node::Context& ctx, net::NodeId dst, proto::dsm::Message m, uint32_t size_bytes);
  // Sends a msgq message with the UPDATE its body handle names.
  void send_msgq(node::Context& ctx, net::NodeId dst, proto::msgq::Message m, uint32_t size_bytes);
  void send_twopc(node::Context& ctx, net::NodeId dst, proto::twopc::Message m, uint32_t size_bytes);
  // Timers of the protocols, routed back by `route`.
  proto::TimerId set_timer(node::Context& ctx, uint8_t route, sim::Duration after, uint64_t tag);
  bool cancel_timer(node::Context& ctx, proto::TimerId id);

 protected:
  struct Envs;

  // `billing`: the billing domain when the run has a billing workload
  // (billing_node.cpp): then core nodes run a 2PC Coordinator, cloud and
  // edge nodes a Participant, over the node's log disk.
  TierNode(World& world, net::NodeId self, Billing* billing);

  // The role's part of on_start, after the shell's (envs_, msgq, DSM).
  virtual void start_role(node::Context& ctx) = 0;
  // The role's messages; a kind the role does not take is ignored.
  virtual void on_rpc_message(node::Context&, net::NodeId /*from*/, const EdgeCoreMessage&) {}
  virtual void on_storage_message(node::Context&, net::NodeId /*from*/, const proto::storage::Message&) {}
  virtual void on_twopc_message(node::Context&, net::NodeId /*from*/, const proto::twopc::Message&) {}
  virtual void on_billing_read(node::Context&, net::NodeId /*from*/, const BillingRead&) {}
  // An edge billing cache invalidation delivered by msgq (once per message).
  virtual void on_billing_inval(node::Context&, net::NodeId /*from*/, const BillingInval&) {}
  // A timer on a route other than the shell's own (DSM, msgq).
  virtual void on_role_timer(node::Context& ctx, uint8_t route, uint64_t tag) = 0;
  // The body an outgoing RPC message carries (send_rpc): none by default.
  virtual CoreBody rpc_body(const proto::rpc::Message&) const { return std::monostate{}; }

  // A billing read and its answer (core asks, cloud answers).
  void send_billing_read(node::Context& ctx, net::NodeId dst, BillingRead m);
  // Queues an invalidation for `dst` on the node's msgq; its seq, or 0 when
  // msgq refused it (pending queue full).
  uint64_t send_billing_inval(net::NodeId dst, const BillingInval& inval);

  World& world_;
  const net::NodeId self_;
  const Role role_;
  // The billing domain (nullptr without a billing workload).
  Billing* const billing_;
  std::unique_ptr<Envs> envs_;
  std::unique_ptr<proto::dsm::Replica> dsm_;

 private:
  struct Route {
    uint8_t route;
    uint64_t tag;
    node::TimerId timer;  // the Context's timer
  };

  void dispatch(node::Context& ctx, net::NodeId from, const Payload& p);
  void dsm_queued(node::Context& ctx, net::NodeId from, const DsmQueued& q);
  void msgq_settled();

  proto::vclock::ClockKeeper clock_;
  // DSM UPDATEs through msgq: the bodies of messages not ACKed yet.
  std::unique_ptr<proto::msgq::Sender> msgq_sender_;
  std::unique_ptr<proto::msgq::Receiver> msgq_receiver_;
  sim::FlatMap<proto::dsm::Update> queued_updates_;           // by handle; looked up only
  std::unordered_map<uint64_t, BillingInval> queued_invals_;  // the same handles
  uint64_t next_update_handle_ = 1;
  std::vector<uint64_t> settled_;
  // timer routes: a protocol's timer id is its route's id here, and the
  // route's slot index is the tag given to the node's Context
  sim::SlotPool<Route> routes_{node::Cluster::kTimersPerNodeMax};
};

// The node that runs on `self` in a three-tier run: an EdgeNode, CoreNode
// or CloudNode as World's roles say. REQUIRES: `self` is a node of `world`.
std::unique_ptr<node::Actor> make_tier_node(World& world, net::NodeId self, Billing* billing = nullptr);

// The byzantine `cloud_direct_write` strategy (fault/byzantine.hpp): edge
// node `edge` sends the forged storage write `req` to cloud replica `cloud`,
// past core, as if its own code had been subverted.
// REQUIRES: `edge` is an up edge node of a three-tier cluster.
void send_forged_write(node::Cluster& cluster, net::NodeId edge, net::NodeId cloud,
                       const proto::storage::WriteReq& req);

// The tier node running on `n`, checked; nullptr when `n` is down. For the
// tiers' own use only: the end state they trace (end_state.hpp) and the
// summary's totals. run/ and check/ never call it (tests/lint_layers.sh):
// verdicts read the traced end state. REQUIRES: the cluster runs the three
// tiers. The roles' typed accessors (edge_node(), core_node(),
// cloud_node()) are in their internal headers.
const TierNode* tier_node(const node::Cluster& cluster, net::NodeId n);

}  // namespace ecsim::tiers
