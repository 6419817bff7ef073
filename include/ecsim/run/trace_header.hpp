// A trace file's header (docs/trace-format.md), checked field by field: the
// header is outside the footer's hash, so a replay must not trust it. `trace
// hash|dump|latency|replay` and `viz --trace` read it through here, so every
// reader refuses the same headers with the same one line.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "ecsim/run/runner.hpp"
#include "ecsim/scenario/scenario.hpp"

namespace ecsim::run {

struct TraceHeader {
  uint64_t seed = 0;
  std::string scenario_text;
  std::string scenario_file;  // where the run read it
  std::string scenario_name;
  std::optional<int64_t> until_ns;  // always set by parse_trace_header
  uint64_t max_events = 0;
  std::optional<uint64_t> memory_max;
  std::string plant;                              // empty: none
  std::optional<std::vector<std::string>> nodes;  // names by id: the scenario's (always set by the parse)
};

// Throws sim::TraceFileError ("PATH: corrupted header: 'KEY' is V, expected
// ...") for a header ecsim would not have written.
TraceHeader parse_trace_header(const std::string& path, const std::string& json_text);

// The node called `name`: throws sim::TraceFileError when there is no such node.
uint32_t trace_node(const std::string& path, const TraceHeader& h, const std::string& name);

// The scenario and options that replay the header's run. The scenario's
// errors (scenario::LoadError) name the trace, not the file it once came
// from; an unknown plant is a sim::TraceFileError.
struct TraceReplay {
  scenario::Scenario scenario;
  RunOptions options;
};
TraceReplay trace_replay_setup(const std::string& path, const TraceHeader& h);

}  // namespace ecsim::run
