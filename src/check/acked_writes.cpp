#include "ecsim/check/acked_writes.hpp"

#include "ecsim/check/durability.hpp"  // violation_text

#include <fmt/format.h>

#include <algorithm>
#include <span>

#include "ecsim/sim/assert.hpp"

namespace ecsim::check {

AckedWritesReport check_acknowledged_writes(const std::map<uint64_t, AckedVersion>& acked,
                                            const std::vector<ReplicaVersions>& replicas,
                                            const std::vector<std::string>& names, size_t need) {
  auto name = [&names](uint32_t n) { return n < names.size() ? names[n] : fmt::format("node{}", n); };
  namespace st = proto::storage;
  ECSIM_ASSERT(!replicas.empty() && replicas.size() % st::kReplicas == 0);
  std::vector<const ReplicaVersions*> by_node;
  for (const ReplicaVersions& r : replicas) by_node.push_back(&r);
  std::sort(by_node.begin(), by_node.end(),
            [](const ReplicaVersions* a, const ReplicaVersions* b) { return a->node < b->node; });
  const size_t groups = by_node.size() / st::kReplicas;
  AckedWritesReport rep;
  for (const auto& [key, at] : acked) {
    const proto::storage::Version& version = at.version;
    ++rep.keys_checked;
    const size_t g = st::key_group(key, groups);
    const std::span<const ReplicaVersions* const> group(by_node.data() + g * st::kReplicas, st::kReplicas);
    size_t holding = 0;
    for (const ReplicaVersions* rp : group) {
      const ReplicaVersions& r = *rp;
      const auto it = r.versions.find(key);
      if (it != r.versions.end() && it->second >= version) ++holding;
    }
    if (holding >= need) continue;
    ++rep.violation_count;
    if (rep.violations.size() >= AckedWritesReport::kViolationsMax) continue;
    std::string held;
    for (const ReplicaVersions* rp : group) {
      const ReplicaVersions& r = *rp;
      const auto it = r.versions.find(key);
      if (!held.empty()) held += ", ";
      held += it == r.versions.end()
                  ? fmt::format("{} has none", name(r.node))
                  : fmt::format("{} has ({}, {})", name(r.node), it->second.counter, name(it->second.writer));
      if (r.from_disk) held += " (down, from its log)";
    }
    rep.violations.push_back({key, version,
                              violation_text("", at.time_ns, at.record,
                                             fmt::format("key {} acknowledged at version ({}, {}) is held by {} of "
                                                         "{} replicas, need {}: {}",
                                                         key, version.counter, name(version.writer), holding,
                                                         group.size(), need, held))});
  }
  return rep;
}

}  // namespace ecsim::check
