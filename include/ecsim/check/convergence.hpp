// Convergence checker for the distributed shared memory: given every
// replica's final state (key -> value and clock hash), it reports each key on
// which the replicas differ (a different value or clock, or missing at some
// node), naming the key, the nodes and what each holds.
//
// The check only means something once the system has settled: the network
// healed and no DSM write or update in flight for the scenario's quiescence
// period. Quiescence answers that question from what the run tells it.
#pragma once
#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "ecsim/net/envelope.hpp"
#include "ecsim/sim/time.hpp"

namespace ecsim::check {

struct ReplicaValue {
  uint64_t value = 0;
  uint64_t clock_hash = 0;
  bool operator==(const ReplicaValue&) const = default;
};

struct ReplicaState {
  net::NodeId node = 0;
  std::map<uint64_t, ReplicaValue> entries;
  // Where its end state is in the trace: its summary record, and the record
  // of each key (absent: the summary's).
  int64_t time_ns = 0;
  uint64_t record = 0;
  std::map<uint64_t, uint64_t> key_records;
};

struct Divergence {
  uint64_t key = 0;
  std::vector<net::NodeId> nodes;  // every replica that took part, ascending
  std::string what;                // "at 60s, record #12: key 7 diverges: value 3 at edge-1, core-1; ..."
  int64_t time_ns = 0;             // the end state's time and the first record of the key
  uint64_t record = 0;
};

struct ConvergenceReport {
  static constexpr size_t kDivergencesMax = 100;
  std::vector<Divergence> divergences;  // the first kDivergencesMax, by key
  uint64_t divergent_keys = 0;          // all of them
  uint64_t keys_checked = 0;
  bool converged() const { return divergent_keys == 0; }
};

// `names` labels nodes in messages (node ids index it). `group_of[node]`:
// the node's DSM group (tiers/dsm_groups.hpp); only replicas of one group
// must agree, a key is checked once per group that holds it. Empty: one group.
// REQUIRES: each node appears at most once in `replicas`; with groups, every
// replica's node indexes `group_of`.
ConvergenceReport check_convergence(const std::vector<ReplicaState>& replicas,
                                    const std::vector<std::string>& names,
                                    const std::vector<uint32_t>& group_of = {});

// The quiescence rule. The network starts healed at time 0; a fault that
// cuts or degrades it unheals it until the next heal.
class Quiescence {
 public:
  void on_dsm_activity(sim::Time t);  // a DSM write or update sent or received
  void on_network_faulted(sim::Time t);
  void on_network_healed(sim::Time t);

  // True if at `end` the network is healed and both the heal and the last
  // DSM activity are at least `quiescence` in the past.
  bool applies(sim::Time end, sim::Duration quiescence) const;
  // From when the system has been quiet: the later of the heal and the last
  // activity. Meaningful only while healed.
  sim::Time quiet_since() const;
  bool healed() const { return healed_; }
  sim::Time healed_at() const { return healed_at_; }

 private:
  bool healed_ = true;
  sim::Time healed_at_{0};
  sim::Time last_activity_{0};
};

}  // namespace ecsim::check
