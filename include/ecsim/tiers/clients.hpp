// Open-loop clients: one request generator per edge node (Poisson arrivals,
// Zipf subscribers, the scenario's mix and bad-token fraction), each with its
// own random stream "NODE/clients". A request to an edge node that is down
// fails at once (connection refused); the rest go to the node's TierNode.
// A source with `until` sends nothing from that time on.
//
// Tokens: a subscriber's client keeps the token it was issued and sends it
// with every request until half its lifetime has passed, then asks for a
// new one (as OAuth clients refresh at half-life); the cache holding them
// is direct-mapped by subscriber (kTokenCacheSlots), so a subscriber whose
// slot was taken by another is issued a fresh token. Bad tokens (forged,
// expired, malformed) are made fresh for each request.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "ecsim/node/cluster.hpp"
#include "ecsim/proto/auth.hpp"
#include "ecsim/tiers/world.hpp"
#include "ecsim/workload/requests.hpp"

namespace ecsim::tiers {

class Clients {
 public:
  struct Source {
    net::NodeId node;
    workload::RequestConfig config;
    std::optional<sim::Time> until;
    sim::Duration timeout = sim::seconds(1);  // a client gives up on a request after this
    uint32_t workload = 0;  // its index among the scenario's requests workloads
  };
  Clients(sim::Simulator& sim, node::Cluster& cluster, World& world, std::vector<Source> sources);
  // Schedules every source's first arrival. Call once before running.
  void start();
  uint64_t generated() const { return generated_; }

 private:
  struct Generator {
    net::NodeId node;
    workload::RequestGenerator gen;
    sim::Rng rng;  // token forgery draws
    std::optional<sim::Time> until;
    sim::Duration timeout;
    uint32_t workload;
  };
  static void on_arrival(void* self, const sim::Event& e);
  std::string token_for(const workload::Request& r, Generator& g, sim::Time now);
  // A valid token of `subscriber` issued at most half a lifetime ago.
  const std::string& valid_token(uint64_t subscriber, sim::Time now);

  static constexpr size_t kTokenCacheSlots = 16384;
  struct CachedToken {
    uint64_t subscriber = 0;
    sim::Time issued_at{-1};  // -1: empty
    std::string token;
  };

  sim::Simulator& sim_;
  node::Cluster& cluster_;
  World& world_;
  proto::auth::Signer signer_;  // keyed once with world_.params().secret
  std::vector<Generator> generators_;
  std::vector<CachedToken> tokens_;  // kTokenCacheSlots once the first token is issued
  sim::HandlerId arrival_handler_ = 0;
  uint64_t generated_ = 0;
};

}  // namespace ecsim::tiers
