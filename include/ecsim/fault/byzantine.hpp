// Byzantine strategies: what a node that lies does while a `byzantine`
// fault is in force. The one strategy so far, `cloud_direct_write`: each
// faulty edge node that is up sends a forged storage write every 1/rate to a
// cloud replica (round robin), straight past core, for a key the workload
// uses and with a version that would win if applied. DESIGN says an edge
// node has no path to write cloud storage: every replica must refuse them
// (the `edge_isolation` verdict follows each one, check/edge_isolation.hpp).
#pragma once
#include <cstdint>
#include <vector>

#include "ecsim/check/edge_isolation.hpp"
#include "ecsim/node/cluster.hpp"
#include "ecsim/scenario/scenario.hpp"
#include "ecsim/sim/simulator.hpp"
#include "ecsim/tiers/world.hpp"

namespace ecsim::fault {

class Byzantine {
 public:
  // `forged` follows the writes for the verdict. REQUIRES: `sc` has a
  // requests workload (the loader allows byzantine faults only then).
  Byzantine(sim::Simulator& sim, node::Cluster& cluster, tiers::World& world, const scenario::Scenario& sc,
            sim::Time end, check::ForgedWrites& forged);

  // Fault `index` begins on `nodes` (edge nodes) / ends.
  void begin(uint32_t index, const std::vector<net::NodeId>& nodes);
  void end(uint32_t index);
  // Forged writes not sent because the follower was full.
  uint64_t not_sent() const { return not_sent_; }

 private:
  static void on_event(void* self, const sim::Event& e);
  void round(uint32_t index);
  void forge_write(uint32_t index, net::NodeId edge);

  sim::Simulator& sim_;
  node::Cluster& cluster_;
  tiers::World& world_;
  const scenario::Scenario& sc_;
  sim::Time end_;
  check::ForgedWrites& forged_;
  sim::HandlerId handler_ = 0;
  std::vector<uint8_t> active_;                 // by fault index
  std::vector<std::vector<net::NodeId>> nodes_; // by fault index
  std::vector<sim::Rng> rng_;                   // by fault index
  std::vector<uint32_t> next_cloud_;            // by node
  uint64_t req_id_ = 0;
  uint64_t not_sent_ = 0;
};

}  // namespace ecsim::fault
