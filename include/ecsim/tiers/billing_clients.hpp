// Open-loop billing clients (issue 11, item 1): one BillingGenerator per
// (billing workload, edge node), each with its own random stream
// "NODE/billing" ("NODE/billing-K" for the K-th workload at that node, K >=
// 2). Each operation carries a valid token of the subscriber who asks
// (RBAC at the edge checks it against the operation) and a client
// transaction id unique in the run. An operation sent to an edge node that
// is down fails at once (connection refused).
#pragma once
#include <cstdint>
#include <optional>
#include <vector>

#include "ecsim/node/cluster.hpp"
#include "ecsim/proto/auth.hpp"
#include "ecsim/tiers/billing.hpp"
#include "ecsim/tiers/world.hpp"

namespace ecsim::tiers {

class BillingClients {
 public:
  struct Source {
    net::NodeId node;
    workload::BillingConfig config;
    std::optional<sim::Time> until;
    sim::Duration timeout = sim::seconds(2);
    uint32_t workload = 0;  // its index among the billing workloads
  };
  // Client transaction ids: (source index + 1) << kSourceShift | operation id.
  static constexpr int kSourceShift = 40;
  BillingClients(sim::Simulator& sim, node::Cluster& cluster, World& world, Billing& billing,
                 std::vector<Source> sources);
  // Schedules every source's first arrival. Call once before running.
  void start();

 private:
  struct Generator {
    net::NodeId node;
    workload::BillingGenerator gen;
    std::optional<sim::Time> until;
    sim::Duration timeout;
    uint32_t workload;
  };
  static void on_arrival(void* self, const sim::Event& e);

  sim::Simulator& sim_;
  node::Cluster& cluster_;
  World& world_;
  Billing& billing_;
  proto::auth::Signer signer_;
  std::vector<Generator> generators_;
  sim::HandlerId arrival_handler_ = 0;
};

}  // namespace ecsim::tiers
