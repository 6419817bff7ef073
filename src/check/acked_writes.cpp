#include "ecsim/check/acked_writes.hpp"

#include <variant>

#include <fmt/format.h>

namespace ecsim::check {

std::map<uint64_t, proto::storage::Version> replay_versions(const std::vector<std::string>& log) {
  std::map<uint64_t, proto::storage::Version> out;
  for (const std::string& bytes : log) {
    const auto rec = proto::storage::decode(bytes);
    if (!rec) continue;
    const auto* put = std::get_if<proto::storage::WalPut>(&*rec);
    if (put == nullptr) continue;
    auto [it, inserted] = out.emplace(put->key, put->version);
    if (!inserted && it->second < put->version) it->second = put->version;
  }
  return out;
}

AckedWritesReport check_acknowledged_writes(const std::map<uint64_t, proto::storage::Version>& acked,
                                            const std::vector<ReplicaVersions>& replicas,
                                            const std::vector<std::string>& names, size_t need) {
  auto name = [&names](uint32_t n) { return n < names.size() ? names[n] : fmt::format("node{}", n); };
  AckedWritesReport rep;
  for (const auto& [key, version] : acked) {
    ++rep.keys_checked;
    size_t holding = 0;
    for (const ReplicaVersions& r : replicas) {
      const auto it = r.versions.find(key);
      if (it != r.versions.end() && it->second >= version) ++holding;
    }
    if (holding >= need) continue;
    ++rep.violation_count;
    if (rep.violations.size() >= AckedWritesReport::kViolationsMax) continue;
    std::string held;
    for (const ReplicaVersions& r : replicas) {
      const auto it = r.versions.find(key);
      if (!held.empty()) held += ", ";
      held += it == r.versions.end()
                  ? fmt::format("{} has none", name(r.node))
                  : fmt::format("{} has ({}, {})", name(r.node), it->second.counter, name(it->second.writer));
      if (r.from_disk) held += " (down, from its log)";
    }
    rep.violations.push_back({key, version,
                              fmt::format("key {} acknowledged at version ({}, {}) is held by {} of {} replicas, "
                                          "need {}: {}",
                                          key, version.counter, name(version.writer), holding, replicas.size(),
                                          need, held)});
  }
  return rep;
}

}  // namespace ecsim::check
