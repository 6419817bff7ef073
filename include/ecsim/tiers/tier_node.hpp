// One node of the modelled system: edge, core or cloud, composed from the
// sans-IO protocols. An edge node verifies tokens, answers from its cache or
// proxies to core; a core node reads and writes the cloud tier through
// quorums; a cloud node is a storage replica with a write-ahead log. Every
// node also holds a DSM replica and a vector clock that rides on everything
// it sends.
//
// Edge -> core is RPC (proto/rpc, messages.hpp): each edge node holds an
// rpc::Client with a pool of connections per core (TLS where the link has
// it), each core an rpc::Server whose response cache makes a retried call
// execute at most once there. A call is retried on its core
// (`core_retries_max`) and, if it still fails at the RPC layer (timeout,
// unreachable, reset), tried on the next core, up to `core_attempts_max`
// cores; an application error (the cloud quorum failed) goes back to the
// client as a failure. When a core crashes, calls to it fail at once (the
// host refuses connections) and go to the next core until it restarts;
// when a partition cuts it off, the same for `core_suspect`. Core response bodies sit in a ring as large as the
// server's response cache, so a cached answer can be sent again.
//
// Rehydration (issue 4, item 3). Hotness is tracked where the reads are
// served: each edge node keeps a HotKeys sketch of the keys its clients read
// (hits and misses alike; halved every 10 snapshots so it follows shifting
// popularity) and, every `hot_snapshot_period`, appends its top
// `rehydrate_keys` keys to its own Disk as one entry ("hot1" + keys, 8 bytes
// each, little-endian) and syncs it -- only when the list changed. This was
// chosen over popularity tracking at core or cloud because it needs no new
// message kinds and no cross-tier state: the node that needs the list after
// a crash is the one that wrote it, and a crash keeps a prefix of the log,
// so the last surviving snapshot entry is the newest durable one. Only the
// last snapshot is read; older ones are dead weight on an append-only disk
// (one entry a second at most, a few KB each).
// Every start appends and syncs a "boot" entry; a start that finds one is a
// restart. A restarted edge starts with an empty cache, seeds its sketch from
// the snapshot and reads the snapshot's keys, hottest first, through core
// (CoreRead, round robin, at most `rehydrate_outstanding_max` in flight, each
// tried on up to `core_attempts_max` cores, then given up), filling the
// cache; when every key was fetched or given up it reports the rehydration
// done to the World (for the run summary). Client traffic is served
// meanwhile as usual.
#pragma once
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <unordered_map>
#include <utility>
#include <vector>

#include "ecsim/node/cluster.hpp"
#include "ecsim/proto/twopc.hpp"
#include "ecsim/proto/vclock.hpp"
#include "ecsim/sim/slot_pool.hpp"
#include "ecsim/tiers/billing.hpp"
#include "ecsim/tiers/world.hpp"

namespace ecsim::tiers {

class TierNode final : public node::Actor {
 public:
  // `billing`: the billing domain when the run has a billing workload
  // (billing_node.cpp): then core nodes run a 2PC Coordinator, cloud and
  // edge nodes a Participant, over the node's log disk.
  TierNode(World& world, net::NodeId self, Billing* billing = nullptr);
  ~TierNode() override;

  void on_start(node::Context& ctx) override;
  void on_message(node::Context& ctx, const net::Envelope& m) override;
  void on_timer(node::Context& ctx, uint64_t tag) override;
  void on_sync(node::Context& ctx, uint64_t tag) override;
  uint32_t open_connections() const override;
  void on_connections_reset(node::Context& ctx, net::NodeId peer, bool crashed) override;
  void on_peer_restarted(node::Context& ctx, net::NodeId peer) override;

  // A client's request arrives at this (edge) node.
  void on_client_request(node::Context& ctx, ClientRequest request);
  // A billing client's operation arrives at this (edge) node.
  void on_billing_request(node::Context& ctx, BillingRequest request);
  const proto::twopc::Coordinator* coordinator() const { return coordinator_.get(); }
  const proto::twopc::Participant* participant() const { return participant_.get(); }

  EdgeCache* cache() { return cache_.get(); }
  const proto::dsm::Replica& dsm() const { return *dsm_; }
  // A scenario's dsm_set action (tiers/actions.hpp) writes the replica as an
  // admitted client SET does. False: refused (full).
  bool dsm_set(uint64_t key, uint64_t value);
  const proto::storage::Replica* replica() const { return replica_.get(); }
  const proto::auth::Guard* guard() const { return guard_.get(); }
  const proto::rpc::Client* rpc_client() const { return rpc_client_.get(); }
  const proto::rpc::Server* rpc_server() const { return rpc_server_.get(); }
  const proto::msgq::Sender* msgq_sender() const { return msgq_sender_.get(); }
  const proto::msgq::Receiver* msgq_receiver() const { return msgq_receiver_.get(); }

  // Sends one message of the modelled system (used by the protocol Envs) on
  // connection `conn` (net/connection.hpp; the send_* functions below name
  // each protocol's connections).
  void send(node::Context& ctx, net::NodeId dst, Kind kind, Payload payload, uint32_t size_bytes, uint64_t conn);
  // Sends an RPC message with the body its handle names.
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

 private:
  struct Envs;
  struct EdgePending {
    ClientRequest request;
    uint32_t attempts = 0;    // cores tried
    uint64_t call_id = 0;     // the RPC call in flight
    uint32_t core_index = 0;  // the core of the last attempt, into World::nodes(kCore)
  };
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
  struct BillingPending {
    BillingRequest request;
    uint32_t attempts = 0;    // cores tried
    uint64_t call_id = 0;
    uint32_t core_index = 0;  // into home_cores_
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
  struct Route {
    uint8_t route;
    uint64_t tag;
    node::TimerId timer;  // the Context's timer
  };

  void edge_served(node::Context& ctx, uint64_t edge_req);
  void edge_check_token(node::Context& ctx, ClientRequest request);
  void edge_admitted(node::Context& ctx, uint64_t edge_req);
  void edge_send_to_core(node::Context& ctx, uint64_t edge_req);
  void edge_rpc(node::Context& ctx, net::NodeId from, const EdgeCoreMessage& m);
  void edge_rpc_done(node::Context& ctx);
  void edge_reply(node::Context& ctx, uint64_t edge_req, const proto::rpc::Completion& c);
  bool may_try_next_core(const proto::rpc::Completion& c, uint32_t attempts);
  void edge_connections_report();
  void suspect_core(node::Context& ctx, uint32_t index, bool until_restart);
  void core_trusted_again(uint32_t index);
  uint32_t core_index(net::NodeId core) const;
  CoreBody rpc_body(const proto::rpc::Message& m) const;
  void core_request(node::Context& ctx, net::NodeId from, const EdgeCoreMessage& m);
  void core_respond(const CoreOp& op, bool ok, const CoreReply& reply);
  void core_completions(node::Context& ctx);
  void dispatch(node::Context& ctx, net::NodeId from, const Payload& p);
  // The role's own part of on_start (edge_node.cpp, core_node.cpp, cloud_node.cpp).
  void edge_on_start(node::Context& ctx);
  void core_on_start(node::Context& ctx);
  void cloud_on_start(node::Context& ctx);
  void edge_start(node::Context& ctx);
  void edge_snapshot(node::Context& ctx);
  void rehydrate_pump(node::Context& ctx);
  void rehydrate_send(node::Context& ctx, uint64_t req);
  void rehydrate_reply(node::Context& ctx, uint64_t req, const proto::rpc::Completion& c);
  void dsm_queued(node::Context& ctx, net::NodeId from, const DsmQueued& q);
  void msgq_settled();
  // billing (billing_node.cpp)
  void billing_on_start(node::Context& ctx);
  void billing_check_token(node::Context& ctx, uint64_t edge_req);
  void billing_admitted(node::Context& ctx, uint64_t edge_req);
  void billing_send_to_core(node::Context& ctx, uint64_t edge_req);
  void billing_reply(node::Context& ctx, uint64_t edge_req, const proto::rpc::Completion& c);
  void core_billing(node::Context& ctx, net::NodeId from, uint64_t call_id, const BillingCall& call);
  void core_billing_read(node::Context& ctx, uint64_t req);
  void core_billing_read_done(node::Context& ctx, net::NodeId from, const BillingReadResp& r);
  void core_billing_read_timeout(node::Context& ctx, uint64_t req);
  void core_respond_body(const Caller& to, const CoreBody& body);
  void core_txn_completions(node::Context& ctx);
  void billing_read_message(node::Context& ctx, net::NodeId from, const BillingRead& m);
  void send_billing_read(node::Context& ctx, net::NodeId dst, BillingRead m);
  std::vector<net::NodeId> txn_participants(const proto::twopc::Op& op, net::NodeId edge) const;

  World& world_;
  net::NodeId self_;
  Role role_;
  proto::vclock::ClockKeeper clock_;
  std::unique_ptr<Envs> envs_;
  std::unique_ptr<proto::dsm::Replica> dsm_;
  // DSM UPDATEs through msgq: the bodies of messages not ACKed yet.
  std::unique_ptr<proto::msgq::Sender> msgq_sender_;
  std::unique_ptr<proto::msgq::Receiver> msgq_receiver_;
  std::unordered_map<uint64_t, proto::dsm::Update> queued_updates_;
  uint64_t next_update_handle_ = 1;
  std::vector<uint64_t> settled_;
  // edge
  std::unique_ptr<EdgeCache> cache_;
  std::unique_ptr<proto::auth::Guard> guard_;
  std::map<uint64_t, EdgePending> edge_pending_;
  std::unique_ptr<proto::rpc::Client> rpc_client_;
  std::unordered_map<uint64_t, uint64_t> call_req_;  // RPC call id -> edge request id
  std::vector<proto::rpc::Completion> completions_;
  bool draining_ = false;  // in edge_rpc_done
  std::optional<std::pair<uint64_t, CoreReply>> reply_in_;  // the body of the Response being handled
  std::vector<uint32_t> conns_reported_;  // per core, as last told to the World
  // The rpc client's connections opened and closed when conns_reported_ was
  // last brought up to date: while neither moved, no count can differ.
  std::pair<uint64_t, uint64_t> conns_seen_{UINT64_MAX, UINT64_MAX};
  std::vector<proto::TimerId> suspect_timer_;  // per core: set while it is suspected for a while
  uint64_t next_edge_req_ = 1;
  uint32_t next_core_ = 0;  // round robin for first attempts, over home_cores_
  // An edge node's home cores (world.hpp, home_cores): the only cores it
  // pools connections to and calls; indexes conns_reported_ and suspect_timer_.
  std::vector<net::NodeId> home_cores_;
  // edge: hot keys, their snapshots, rehydration after a restart
  struct RehydrateFetch {
    uint64_t key = 0;
    uint32_t attempts = 0;
    uint64_t call_id = 0;
    uint32_t core_index = 0;
  };
  std::unique_ptr<HotKeys> hot_;
  std::vector<uint64_t> last_snapshot_;
  size_t snapshot_at_ = 0;  // log index of the last snapshot this incarnation appended; 0: none
  uint64_t snapshots_ = 0;
  std::vector<uint64_t> rehydrate_keys_;  // hottest first
  size_t rehydrate_next_ = 0;
  std::map<uint64_t, RehydrateFetch> rehydrate_pending_;  // by edge request id
  uint32_t rehydrate_fetched_ = 0;
  uint32_t rehydrate_given_up_ = 0;
  bool rehydrating_ = false;
  // cloud: the catch-up was reported to the World
  // core
  std::unique_ptr<proto::storage::QuorumReader> reader_;
  std::unique_ptr<proto::storage::QuorumWriter> writer_;
  std::map<uint64_t, CoreOp> reads_;   // by storage request id
  std::map<uint64_t, CoreOp> writes_;  // by storage request id
  std::unique_ptr<proto::rpc::Server> rpc_server_;
  std::vector<ReplySlot> replies_;  // ring, indexed by handle % size
  uint64_t next_reply_ = 1;
  // cloud
  std::unique_ptr<proto::storage::Replica> replica_;
  // billing: the domain (nullptr without a billing workload), the node's 2PC
  // machine, the edge's operations on their way to core, the core's callers
  // per client txn id (a retry joins its first) and its reads
  Billing* billing_ = nullptr;
  std::unique_ptr<proto::twopc::Coordinator> coordinator_;
  std::unique_ptr<proto::twopc::Participant> participant_;
  std::map<uint64_t, BillingPending> billing_pending_;  // by edge request id
  std::optional<std::pair<uint64_t, BillingReply>> billing_in_;  // the body of the Response being handled
  std::multimap<uint64_t, Caller> txn_callers_;  // by client txn
  std::map<uint64_t, CoreBillingRead> billing_reads_;  // by read id
  uint64_t next_billing_read_ = 1;
  std::vector<proto::twopc::Completion> txn_done_;
  // timer routes: a protocol's timer id is its route's id here, and the
  // route's slot index is the tag given to the node's Context
  sim::SlotPool<Route> routes_{node::Cluster::kTimersPerNodeMax};
};

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
// tiers.
const TierNode* tier_node(const node::Cluster& cluster, net::NodeId n);

}  // namespace ecsim::tiers
