// Internal to src/tiers/: the edge node (tier 1). It takes the clients'
// requests (load model, token verification, RBAC), answers reads from its
// cache (last-write-wins, a TTL bounds staleness) or proxies them to core,
// serves DSM sets and gets from its replica, and takes billing operations
// to core; with a billing workload it runs a 2PC Participant that holds a
// cache of the accounts (it does not judge).
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
// when a partition cuts it off, the same for `core_suspect`.
//
// Rehydration (issue 4, item 3; rehydration.cpp). Hotness is tracked where
// the reads are served: each edge node keeps a HotKeys sketch of the keys
// its clients read (hits and misses alike; halved every 10 snapshots so it
// follows shifting popularity) and, every `hot_snapshot_period`, appends its
// top `rehydrate_keys` keys to its own Disk as one entry ("hot1" + keys, 8
// bytes each, little-endian) and syncs it -- only when the list changed.
// This was chosen over popularity tracking at core or cloud because it needs
// no new message kinds and no cross-tier state: the node that needs the list
// after a crash is the one that wrote it, and a crash keeps a prefix of the
// log, so the last surviving snapshot entry is the newest durable one. Only
// the last snapshot is read; older ones are dead weight on an append-only
// disk (one entry a second at most, a few KB each).
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
#include <utility>
#include <vector>

#include "ecsim/proto/twopc_participant.hpp"
#include "ecsim/sim/flat_map.hpp"
#include "ecsim/tiers/tier_node.hpp"

namespace ecsim::tiers {

class EdgeNode final : public TierNode {
 public:
  EdgeNode(World& world, net::NodeId self, Billing* billing);
  ~EdgeNode() override;

  void on_sync(node::Context& ctx, uint64_t tag) override;
  uint32_t open_connections() const override;
  void on_connections_reset(node::Context& ctx, net::NodeId peer, bool crashed) override;
  void on_peer_restarted(node::Context& ctx, net::NodeId peer) override;

  // A client's request arrives at this node.
  void on_client_request(node::Context& ctx, ClientRequest request);
  // A billing client's operation arrives at this node (billing_node.cpp).
  // REQUIRES: the run has a billing workload.
  void on_billing_request(node::Context& ctx, BillingRequest request);

  EdgeCache* cache() { return cache_.get(); }
  const proto::auth::Guard* guard() const { return guard_.get(); }
  const proto::rpc::Client* rpc_client() const { return rpc_client_.get(); }
  const proto::twopc::Participant* participant() const { return participant_.get(); }
  proto::twopc::Participant* participant() { return participant_.get(); }  // actions.cpp

 private:
  struct EdgePending {
    ClientRequest request;
    uint32_t attempts = 0;    // cores tried
    uint64_t call_id = 0;     // the RPC call in flight
    uint32_t core_index = 0;  // the core of the last attempt, into home_cores_
  };
  struct BillingPending {
    BillingRequest request;
    uint32_t attempts = 0;    // cores tried
    uint64_t call_id = 0;
    uint32_t core_index = 0;  // into home_cores_
  };
  struct RehydrateFetch {
    uint64_t key = 0;
    uint32_t attempts = 0;
    uint64_t call_id = 0;
    uint32_t core_index = 0;
  };

  void start_role(node::Context& ctx) override;
  void on_rpc_message(node::Context& ctx, net::NodeId from, const EdgeCoreMessage& m) override;
  void on_twopc_message(node::Context& ctx, net::NodeId from, const proto::twopc::Message& m) override;
  void on_role_timer(node::Context& ctx, uint8_t route, uint64_t tag) override;
  CoreBody rpc_body(const proto::rpc::Message& m) const override;

  void edge_served(node::Context& ctx, uint64_t edge_req);
  void edge_check_token(node::Context& ctx, ClientRequest request);
  void edge_admitted(node::Context& ctx, uint64_t edge_req);
  void edge_send_to_core(node::Context& ctx, uint64_t edge_req);
  void edge_rpc_done(node::Context& ctx);
  void edge_reply(node::Context& ctx, uint64_t edge_req, const proto::rpc::Completion& c);
  bool may_try_next_core(const proto::rpc::Completion& c, uint32_t attempts);
  void edge_connections_report();
  void suspect_core(node::Context& ctx, uint32_t index, bool until_restart);
  void core_trusted_again(uint32_t index);
  uint32_t core_index(net::NodeId core) const;
  // hot keys and rehydration (rehydration.cpp)
  void edge_start(node::Context& ctx);
  void edge_snapshot(node::Context& ctx);
  void rehydrate_pump(node::Context& ctx);
  void rehydrate_send(node::Context& ctx, uint64_t req);
  void rehydrate_reply(node::Context& ctx, uint64_t req, const proto::rpc::Completion& c);
  // billing (billing_node.cpp)
  void billing_on_start(node::Context& ctx);
  void billing_check_token(node::Context& ctx, uint64_t edge_req);
  void billing_admitted(node::Context& ctx, uint64_t edge_req);
  void billing_send_to_core(node::Context& ctx, uint64_t edge_req);
  void billing_reply(node::Context& ctx, uint64_t edge_req, const proto::rpc::Completion& c);
  // edge billing cache (billing_cache_node.cpp)
  void billing_cache_start();
  bool billing_cache_serve(node::Context& ctx, uint64_t edge_req);
  void billing_cache_answer(node::Context& ctx, uint64_t edge_req, net::NodeId core, const BillingReply* reply);
  void on_billing_inval(node::Context& ctx, net::NodeId from, const BillingInval& inval) override;

  std::unique_ptr<EdgeCache> cache_;
  std::unique_ptr<proto::auth::Guard> guard_;
  // Never iterated. Pointers into them are dropped before the next insert.
  sim::FlatMap<EdgePending> edge_pending_;
  std::unique_ptr<proto::rpc::Client> rpc_client_;
  sim::FlatMap<uint64_t> call_req_;  // RPC call id -> edge request id
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
  // The node's home cores (world.hpp, home_cores): the only cores it pools
  // connections to and calls; indexes conns_reported_ and suspect_timer_.
  std::vector<net::NodeId> home_cores_;
  // hot keys, their snapshots, rehydration after a restart
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
  // billing: the operations on their way to core, the body of the Response
  // being handled, and the node's 2PC participant (a cache holder)
  std::map<uint64_t, BillingPending> billing_pending_;  // by edge request id
  std::optional<std::pair<uint64_t, BillingReply>> billing_in_;
  std::unique_ptr<proto::twopc::Participant> participant_;
  std::unique_ptr<BillingCache> billing_cache_;  // volatile: rebuilt empty at every start
};

// The edge node running on `n`, checked; nullptr when `n` is down. As
// tier_node(): for the tiers' own use. REQUIRES: `n` is an edge node of a
// three-tier cluster.
const EdgeNode* edge_node(const node::Cluster& cluster, net::NodeId n);

}  // namespace ecsim::tiers
