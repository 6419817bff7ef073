// One node of the modelled system: edge, core or cloud, composed from the
// sans-IO protocols. An edge node verifies tokens, answers from its cache or
// proxies to core; a core node reads and writes the cloud tier through
// quorums; a cloud node is a storage replica with a write-ahead log. Every
// node also holds a DSM replica and a vector clock that rides on everything
// it sends.
#pragma once
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <vector>

#include "ecsim/node/cluster.hpp"
#include "ecsim/proto/vclock.hpp"
#include "ecsim/tiers/world.hpp"

namespace ecsim::tiers {

class TierNode final : public node::Actor {
 public:
  TierNode(World& world, net::NodeId self);
  ~TierNode() override;

  void on_start(node::Context& ctx) override;
  void on_message(node::Context& ctx, const net::Envelope& m) override;
  void on_timer(node::Context& ctx, uint64_t tag) override;
  void on_sync(node::Context& ctx, uint64_t tag) override;

  // A client's request arrives at this (edge) node.
  void on_client_request(node::Context& ctx, ClientRequest request);

  EdgeCache* cache() { return cache_.get(); }
  const proto::dsm::Replica& dsm() const { return *dsm_; }
  const proto::storage::Replica* replica() const { return replica_.get(); }
  const proto::auth::Guard* guard() const { return guard_.get(); }

  // Sends one message of the modelled system (used by the protocol Envs).
  void send(node::Context& ctx, net::NodeId dst, Kind kind, Payload payload, uint32_t size_bytes);
  // Timers of the protocols, routed back by `route`.
  proto::TimerId set_timer(node::Context& ctx, uint8_t route, sim::Duration after, uint64_t tag);
  bool cancel_timer(node::Context& ctx, proto::TimerId id);

 private:
  struct Envs;
  struct EdgePending {
    ClientRequest request;
    uint32_t attempts = 0;
    proto::TimerId timer = 0;
    uint32_t core_index = 0;  // the core of the last attempt, into World::nodes(kCore)
  };
  struct CoreOp {
    net::NodeId edge;
    uint64_t edge_req;
    bool write;
    uint64_t value;  // for writes
  };
  struct Route {
    uint8_t route;
    uint64_t tag;
    proto::TimerId id;
  };

  void edge_served(node::Context& ctx, uint64_t edge_req);
  void edge_check_token(node::Context& ctx, ClientRequest request);
  void edge_admitted(node::Context& ctx, uint64_t edge_req);
  void edge_send_to_core(node::Context& ctx, uint64_t edge_req);
  void edge_reply(node::Context& ctx, const CoreReply& r);
  void edge_timeout(node::Context& ctx, uint64_t edge_req);
  void core_request(node::Context& ctx, net::NodeId from, const EdgeCoreMessage& m);
  void core_completions(node::Context& ctx);
  void dispatch(node::Context& ctx, net::NodeId from, const Payload& p);

  World& world_;
  net::NodeId self_;
  Role role_;
  proto::vclock::ClockKeeper clock_;
  std::unique_ptr<Envs> envs_;
  std::unique_ptr<proto::dsm::Replica> dsm_;
  // edge
  std::unique_ptr<EdgeCache> cache_;
  std::unique_ptr<proto::auth::Guard> guard_;
  std::map<uint64_t, EdgePending> edge_pending_;
  uint64_t next_edge_req_ = 1;
  uint32_t next_core_ = 0;  // round robin for first attempts
  // core
  std::unique_ptr<proto::storage::QuorumReader> reader_;
  std::unique_ptr<proto::storage::QuorumWriter> writer_;
  std::map<uint64_t, CoreOp> reads_;   // by storage request id
  std::map<uint64_t, CoreOp> writes_;  // by storage request id
  // cloud
  std::unique_ptr<proto::storage::Replica> replica_;
  // timer routes, by the tag given to the node's Context
  std::vector<Route> routes_;
  std::vector<uint32_t> free_routes_;
  std::map<proto::TimerId, uint32_t> route_of_;
};

}  // namespace ecsim::tiers
