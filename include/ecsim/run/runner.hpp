// Assembles a simulation from a validated Scenario (kernel, network, nodes,
// workload, fault schedule, checkers, optional trace file), runs it, and
// judges it against the scenario's `expect` block. The CLI, sweeps, benches
// and tests all go through here, so a seed's hash is the same everywhere.
#pragma once
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "ecsim/net/network.hpp"
#include "ecsim/node/cluster.hpp"
#include "ecsim/scenario/scenario.hpp"
#include "ecsim/sim/histogram.hpp"

namespace ecsim::run {

struct RunOptions {
  std::optional<uint64_t> seed;          // overrides the scenario's
  std::optional<sim::Duration> until;    // overrides the scenario's duration
  std::string trace_path;                // empty: no trace file
  uint64_t max_events = 0;               // 0: no limit
  bool hashing = true;
};

struct Verdict {
  std::string name;    // "durability", "served_ratio_min", ...
  bool ok = true;
  std::string detail;  // measured value against the bound, or the violation
};

struct WorkloadSummary {
  std::string label;  // "ping edge->core"
  uint64_t sent = 0;
  uint64_t answered = 0;
  uint64_t lost = 0;
  uint64_t unsettled = 0;
  int64_t p50_ns = 0;
  int64_t p99_ns = 0;
  int64_t max_ns = 0;
};

struct RunResult {
  std::string scenario;
  std::string file;
  uint64_t seed = 0;
  sim::Time end{0};
  bool event_limit_hit = false;
  uint64_t events = 0;
  uint64_t records = 0;
  uint64_t faults_applied = 0;
  net::NetworkStats net;
  node::ClusterStats nodes;
  std::vector<WorkloadSummary> workloads;
  std::vector<Verdict> verdicts;
  uint64_t trace_hash = 0;
  bool ok() const;  // every verdict held and the run was not cut short
};

class Run {
 public:
  // THROWS sim::TraceFileError if the trace file cannot be created.
  Run(const scenario::Scenario& scenario, const RunOptions& options);
  ~Run();
  Run(const Run&) = delete;
  Run& operator=(const Run&) = delete;

  // Dispatches up to `budget` events. Returns true when the run is over
  // (the end time was reached or --max-events hit).
  bool advance(uint64_t budget);
  // Settles statistics, runs the checkers' verdicts, closes the trace file.
  // REQUIRES: advance() returned true. Call once.
  RunResult finish();

  sim::Simulator& simulator();
  sim::Time end_time() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Runs to the end in one go.
RunResult run_scenario(const scenario::Scenario& scenario, const RunOptions& options);

}  // namespace ecsim::run
