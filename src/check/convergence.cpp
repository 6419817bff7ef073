#include "ecsim/check/convergence.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <optional>
#include <set>

#include "ecsim/check/durability.hpp"  // violation_text
#include "ecsim/sim/assert.hpp"

namespace ecsim::check {

namespace {

std::string holder_name(const std::vector<std::string>& names, net::NodeId node) {
  return node < names.size() ? names[node] : std::to_string(node);
}

// Groups the replicas by what they hold for `key` and says it in one line:
// "key 7 diverges: value 3 (clock 00ab..) at edge-1, core-1; missing at edge-2".
std::string describe(uint64_t key, const std::vector<const ReplicaState*>& sorted,
                     const std::vector<std::string>& names) {
  std::map<std::optional<std::pair<uint64_t, uint64_t>>, std::vector<net::NodeId>> groups;
  for (const ReplicaState* r : sorted) {
    const auto it = r->entries.find(key);
    std::optional<std::pair<uint64_t, uint64_t>> held;
    if (it != r->entries.end()) held = std::pair{it->second.value, it->second.clock_hash};
    groups[held].push_back(r->node);
  }
  std::string out = fmt::format("key {} diverges:", key);
  const char* sep = " ";
  for (const auto& [held, nodes] : groups) {
    out += sep;
    out += held ? fmt::format("value {} (clock {:016x}) at", held->first, held->second)
                : std::string("missing at");
    for (size_t i = 0; i < nodes.size(); ++i) out += (i ? ", " : " ") + holder_name(names, nodes[i]);
    sep = "; ";
  }
  return out;
}

bool agrees(uint64_t key, const std::vector<const ReplicaState*>& sorted) {
  std::optional<ReplicaValue> first;
  bool first_seen = false;
  for (const ReplicaState* r : sorted) {
    const auto it = r->entries.find(key);
    const std::optional<ReplicaValue> held =
        it == r->entries.end() ? std::nullopt : std::optional{it->second};
    if (!first_seen)
      first = held, first_seen = true;
    else if (held != first)
      return false;
  }
  return true;
}

}  // namespace

namespace {

// Compares the replicas of one group (sorted by node) key by key into `report`.
void check_group(const std::vector<const ReplicaState*>& sorted, const std::vector<std::string>& names,
                 ConvergenceReport& report) {
  if (sorted.empty()) return;
  std::set<uint64_t> keys;  // bounded by the DSM's key limit per replica
  for (const ReplicaState* r : sorted) {
    for (const auto& [key, value] : r->entries) keys.insert(key);
  }
  std::vector<net::NodeId> nodes;
  for (const ReplicaState* r : sorted) nodes.push_back(r->node);
  for (uint64_t key : keys) {
    ++report.keys_checked;
    if (agrees(key, sorted)) continue;
    ++report.divergent_keys;
    if (report.divergences.size() < ConvergenceReport::kDivergencesMax) {
      // Located at the first replica's record of the key (its summary
      // record when it lacks the key).
      const ReplicaState& first = *sorted.front();
      const auto it = first.key_records.find(key);
      const uint64_t record = it == first.key_records.end() ? first.record : it->second;
      report.divergences.push_back(
          {key, nodes, violation_text("", first.time_ns, record, describe(key, sorted, names)), first.time_ns,
           record});
    }
  }
}

}  // namespace

ConvergenceReport check_convergence(const std::vector<ReplicaState>& replicas,
                                    const std::vector<std::string>& names,
                                    const std::vector<uint32_t>& group_of) {
  std::vector<const ReplicaState*> sorted;
  for (const ReplicaState& r : replicas) sorted.push_back(&r);
  std::sort(sorted.begin(), sorted.end(),
            [](const ReplicaState* a, const ReplicaState* b) { return a->node < b->node; });
  for (size_t i = 1; i < sorted.size(); ++i) ECSIM_ASSERT(sorted[i - 1]->node != sorted[i]->node);
  ConvergenceReport report;
  if (group_of.empty()) {
    check_group(sorted, names, report);
    return report;
  }
  // One group at a time, in group order; within a group, by node.
  std::map<uint32_t, std::vector<const ReplicaState*>> groups;
  for (const ReplicaState* r : sorted) {
    ECSIM_ASSERT(r->node < group_of.size());
    groups[group_of[r->node]].push_back(r);
  }
  for (const auto& [group, members] : groups) check_group(members, names, report);
  return report;
}

void Quiescence::on_dsm_activity(sim::Time t) { last_activity_ = std::max(last_activity_, t); }

void Quiescence::on_network_faulted(sim::Time t) {
  ECSIM_ASSERT(t >= healed_at_);
  healed_ = false;
}

void Quiescence::on_network_healed(sim::Time t) {
  ECSIM_ASSERT(t >= healed_at_);
  healed_ = true;
  healed_at_ = t;
}

sim::Time Quiescence::quiet_since() const { return std::max(healed_at_, last_activity_); }

bool Quiescence::applies(sim::Time end, sim::Duration quiescence) const {
  ECSIM_ASSERT(quiescence >= sim::Duration{0});
  return healed_ && end - quiet_since() >= quiescence;
}

}  // namespace ecsim::check
