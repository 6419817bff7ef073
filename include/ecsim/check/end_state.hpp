// The end state of a three-tier run as the tiers trace it
// (tiers/end_state.hpp), collected from the records alone, for the verdicts
// that compare what the nodes hold at the end: acknowledged_writes,
// edge_isolation's replica writers and convergence. Fed the records of a
// run as it goes, or of a recorded trace file, it hands the same facts.
// Each fact keeps its time and 1-based record index, so that a violation
// can name them.
#pragma once
#include <cstddef>
#include <cstdint>
#include <map>
#include <vector>

#include "ecsim/check/acked_writes.hpp"
#include "ecsim/check/convergence.hpp"
#include "ecsim/check/edge_isolation.hpp"
#include "ecsim/sim/trace.hpp"

namespace ecsim::check {

class EndState final : public sim::TraceObserver {
 public:
  // REQUIRES: observing from the run's first record (the record indices
  // count every record seen).
  EndState() = default;
  void on_record(const sim::Record& r) override;
  std::span<const sim::RecordType> record_types() const override;

  // True once a cloud replica's end state was seen.
  bool seen() const { return !replicas_.empty(); }
  // Each cloud replica's versions of the acknowledged keys, by node id.
  const std::vector<ReplicaVersions>& replicas() const { return replicas_; }
  // Each cloud replica's versions counted by writer, by node id.
  const std::vector<ReplicaWriters>& writers() const { return writers_; }
  // The newest acknowledged version per key.
  const std::map<uint64_t, AckedVersion>& acked() const { return acked_; }
  // Every up node's DSM replica, by node id; `dsm_down` counts those down.
  const std::vector<ReplicaState>& dsm() const { return dsm_; }
  uint32_t dsm_down() const { return dsm_down_; }
  bool dsm_seen() const { return dsm_seen_; }

 private:
  std::vector<ReplicaVersions> replicas_;
  std::vector<ReplicaWriters> writers_;
  std::map<uint64_t, AckedVersion> acked_;
  std::vector<ReplicaState> dsm_;
  uint32_t dsm_down_ = 0;
  bool dsm_seen_ = false;
};

}  // namespace ecsim::check
