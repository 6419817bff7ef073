// Child processes for commands that run many simulations (`ecsim sweep`,
// `ecsim explore`): each simulation is one `ecsim run ... --json` in a
// child process (DESIGN rule 1: parallelism only across simulations), up to
// `jobs` at a time. A child that crashes, aborts or outlives its kill time
// gets a result of its own and never stops the others. Results come back
// as children end; callers that print keep their own order (by tag), so
// their output does not depend on the number of jobs.
#pragma once
#include <array>
#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "ecsim/proto/points.hpp"
#include "ecsim/sim/shell_word.hpp"

namespace ecsim::cli {

// The path of the running binary, which the children run; throws
// std::runtime_error when /proc/self/exe cannot be read.
std::string self_exe();

// One child to start: the caller's tag for it and its arguments (after the
// program name).
struct ChildSpec {
  uint64_t tag = 0;
  std::vector<std::string> args;
};

// One child that ended.
struct ChildExit {
  uint64_t tag = 0;
  int status = 0;       // as waitpid gives it
  bool killed = false;  // killed after kill_after
  std::string out;      // its stdout
  std::string err;      // its stderr
  double wall_s = 0;
};

// Starts what `next` gives (nullopt: nothing more to start now or ever) while
// fewer than `jobs` run, and calls `done` for each child as it ends; `tick`
// runs about every 100 ms with the number running. Returns once `next` gave
// nullopt and every child ended. REQUIRES: jobs >= 1.
void run_children(const std::string& exe, unsigned jobs, std::chrono::nanoseconds kill_after,
                  const std::function<std::optional<ChildSpec>()>& next,
                  const std::function<void(ChildExit&&)>& done, const std::function<void(size_t)>& tick);

// What a child `ecsim run ... --json` reported, or how it died.
struct RunOutcome {
  std::string verdict;  // pass, fail, crash, timeout
  std::string trace_hash;
  uint64_t events = 0;
  double wall_s = 0;
  std::string detail;            // first failed expectation, or how it died
  std::string failed_invariant;  // the name of the first failed invariant, if any
  // Invariants the run judged, and those it found nothing to judge for.
  std::vector<std::string> judged, vacuous;
  // A failed run whose every failed expectation had nothing to judge (no
  // broken promise: what it tested was not there, as for a crash before
  // anything was promised).
  bool only_vacuous = false;
  bool has_points = false;  // the run reported its point counts
  proto::PointCounts points{};
  std::array<bool, proto::kPointCount> points_in_scope{};  // of the protocols the run had
  nlohmann::json json;  // the run's whole JSON (null when it died)
};

RunOutcome judge_run(const ChildExit& c);

// What a reproducing command adds for `r`: a timed-out run reproduces its
// verdict only under the same wall-clock limit (" --wall-timeout 60s").
inline std::string reproduce_limit(const RunOutcome& r, const std::string& timeout) {
  return r.verdict == "timeout" ? " --wall-timeout " + timeout : "";
}

// A child's argument for a file's path, and a reproducing command's words
// (sim/shell_word.hpp, shared with the viewer).
using sim::path_arg;
using sim::shell_word;

}  // namespace ecsim::cli
