// Opening a run in the viewer: a scenario file (or the built-in quickstart)
// with an optional seed, or a trace file, whose header holds the scenario
// and the seed; the viewer re-simulates it and checks that the run gives the
// file's trace hash. Errors are one line (OpenError).
#pragma once
#include <cstdint>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>

#include "model/timeline.hpp"

namespace ecsim::viz {

class OpenError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct OpenRequest {
  std::string scenario_path;  // empty and no trace_path: the quickstart
  std::optional<uint64_t> seed;
  std::string trace_path;  // a trace file instead of a scenario
  TimelineLimits limits;
};

struct Session {
  std::unique_ptr<Timeline> timeline;
  std::string label;  // "quickstart seed 1", shown in the title
  // From a trace file: its record count and hash, which the run must give.
  std::optional<uint64_t> trace_hash;
  uint64_t trace_records = 0;
};

// THROWS OpenError: an unreadable scenario or trace file, a bad header.
Session open_session(const OpenRequest& request);

// For a session opened from a trace file: runs the whole simulation and
// compares. Returns an empty string when the hash reproduces, else the
// one-line reason. Sessions from a scenario always pass.
std::string verify_trace(Session& session);

}  // namespace ecsim::viz
