#include "ecsim/check/durability.hpp"

#include <fmt/format.h>

#include "ecsim/sim/time.hpp"

namespace ecsim::check {

using sim::RecordType;

DurabilityChecker::DurabilityChecker(std::vector<std::string> names)
    : names_(std::move(names)), durable_(names_.size(), 0), kept_(names_.size(), 0) {}

void DurabilityChecker::report(const sim::Record& r, std::string what) {
  ++violation_count_;
  if (violations_.size() < kViolationsMax) violations_.push_back({r.time_ns, r.node, std::move(what)});
}

void DurabilityChecker::on_record(const sim::Record& r) {
  if (r.type != RecordType::kDiskSync && r.type != RecordType::kDiskLoss &&
      r.type != RecordType::kRecover) {
    return;
  }
  if (r.node >= names_.size()) {
    report(r, fmt::format("record for unknown node {}", r.node));
    return;
  }
  const std::string& name = names_[r.node];
  const std::string at = sim::format_time(sim::Time{r.time_ns});
  switch (r.type) {
    case RecordType::kDiskSync:
      if (r.a < durable_[r.node]) {
        report(r, fmt::format("{}: durable length went back from {} to {} at {}", name,
                              durable_[r.node], r.a, at));
      }
      durable_[r.node] = std::max(durable_[r.node], r.a);
      break;
    case RecordType::kDiskLoss:
      ++crashes_checked_;
      if (r.a < durable_[r.node]) {
        report(r, fmt::format("{}: crash at {} kept {} entries but {} were synced: {} acknowledged "
                              "writes lost", name, at, r.a, durable_[r.node], durable_[r.node] - r.a));
      }
      kept_[r.node] = r.a;
      break;
    case RecordType::kRecover:
      if (r.a != kept_[r.node]) {
        report(r, fmt::format("{}: recovered {} entries at {} but the crash kept {}", name, r.a, at,
                              kept_[r.node]));
      }
      break;
    default:
      break;
  }
}

}  // namespace ecsim::check
