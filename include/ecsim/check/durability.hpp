// Durability checker: a synced disk write is never lost. It follows the
// trace alone (DESIGN: check/ never reaches into nodes): a disk_sync record
// raises a node's durable length; a disk_loss record (a crash) must keep at
// least that many entries and report the same durable length; a recover
// record must find what the crash kept.
#pragma once
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "ecsim/sim/trace.hpp"

namespace ecsim::check {

struct Violation {
  int64_t time_ns = 0;
  uint32_t node = 0;
  std::string what;
  uint64_t record = 0;  // the trace record it is about (1-based index in the run's trace)
};

// Every checker's violation text starts alike, so that a viewer or a script
// can jump to it: "<who> at <simulated time>, record #<index>: <what>" (no
// "<who> " when `who` is empty). `record` is the 1-based index of the trace
// record the violation is about, counted over every record of the run.
std::string violation_text(std::string_view who, int64_t time_ns, uint64_t record, std::string_view what);

class DurabilityChecker final : public sim::TraceObserver {
 public:
  static constexpr size_t kViolationsMax = 100;

  // `names` labels nodes in messages.
  explicit DurabilityChecker(std::vector<std::string> names);
  void on_record(const sim::Record& r) override;
  std::span<const sim::RecordType> record_types() const override;
  const std::vector<Violation>& violations() const { return violations_; }
  uint64_t violation_count() const { return violation_count_; }
  uint64_t crashes_checked() const { return crashes_checked_; }
  // Synced entries a crash had to keep, summed over the crashes (an entry
  // counts at each crash it was synced before): what the promise was tested
  // on; 0 when no crashed node had synced anything.
  uint64_t synced_checked() const { return synced_checked_; }

 private:
  void report(const sim::Record& r, std::string what);
  std::vector<std::string> names_;
  std::vector<uint64_t> durable_;  // per node, from disk_sync records
  std::vector<uint64_t> kept_;     // per node, from the last disk_loss
  std::vector<uint64_t> log_durable_;  // per node, of its log disk (records with code 1)
  std::vector<Violation> violations_;
  uint64_t violation_count_ = 0;
  uint64_t crashes_checked_ = 0;
  uint64_t synced_checked_ = 0;
};

}  // namespace ecsim::check
