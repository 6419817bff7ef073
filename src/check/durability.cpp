#include "ecsim/check/durability.hpp"

#include <fmt/format.h>

#include "ecsim/sim/time.hpp"

namespace ecsim::check {

using sim::RecordType;

DurabilityChecker::DurabilityChecker(std::vector<std::string> names)
    : names_(std::move(names)),
      durable_(names_.size(), 0),
      kept_(names_.size(), 0),
      log_durable_(names_.size(), 0) {}

std::string violation_text(std::string_view who, int64_t time_ns, uint64_t record, std::string_view what) {
  return fmt::format("{}{}at {}, record #{}: {}", who, who.empty() ? "" : " ", sim::format_time(sim::Time{time_ns}),
                     record, what);
}

void DurabilityChecker::report(const sim::Record& r, std::string what) {
  ++violation_count_;
  if (violations_.size() >= kViolationsMax) return;
  const std::string who = r.node < names_.size() ? names_[r.node] : std::string();
  violations_.push_back({r.time_ns, r.node, violation_text(who, r.time_ns, record_index(), what), record_index()});
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
  // Code 1: the node's log disk (node/cluster.hpp, Context::log_disk): the
  // same promise, judged apart; its replay is the transaction machines'.
  if (r.code == 1 && r.type != RecordType::kRecover) {
    uint64_t& durable = log_durable_[r.node];
    if (r.type == RecordType::kDiskSync) {
      if (r.a < durable) report(r, fmt::format("log disk: durable length went back from {} to {}", durable, r.a));
      durable = std::max(durable, r.a);
    } else {
      ++crashes_checked_;
      synced_checked_ += durable;
      if (r.a < durable) {
        report(r, fmt::format("log disk: a crash kept {} entries but {} were synced", r.a, durable));
      }
    }
    return;
  }
  switch (r.type) {
    case RecordType::kDiskSync:
      if (r.a < durable_[r.node]) {
        report(r, fmt::format("durable length went back from {} to {}", durable_[r.node], r.a));
      }
      durable_[r.node] = std::max(durable_[r.node], r.a);
      break;
    case RecordType::kDiskLoss:
      ++crashes_checked_;
      synced_checked_ += durable_[r.node];
      if (r.a < durable_[r.node]) {
        report(r, fmt::format("a crash kept {} entries but {} were synced: {} acknowledged writes lost", r.a,
                              durable_[r.node], durable_[r.node] - r.a));
      }
      kept_[r.node] = r.a;
      break;
    case RecordType::kRecover:
      if (r.a != kept_[r.node]) {
        report(r, fmt::format("recovered {} entries but the crash kept {}", r.a, kept_[r.node]));
      }
      break;
    default:
      break;
  }
}


std::span<const sim::RecordType> DurabilityChecker::record_types() const {
  static constexpr sim::RecordType kTypes[] = {sim::RecordType::kDiskSync, sim::RecordType::kDiskLoss, sim::RecordType::kRecover};
  return kTypes;
}

}  // namespace ecsim::check
