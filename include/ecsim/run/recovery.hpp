// `recovers_within`: after the last fault window ends, the served ratio of
// the client requests, per simulated second, must be back to its level
// before the first fault (less 1 percentage point, or with no more failures
// than chance explains at that level when that allows more: beta-binomial,
// p >= 0.001 over the seconds judged) within the given time, and stay there
// to the end of the run, the seconds after the deadline also together
// (docs/scenarios.md, "Recovery").
#pragma once
#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "ecsim/sim/time.hpp"

namespace ecsim::run {

struct RecoveryInput {
  // Requests by the second they began in: {served ok, settled}.
  const std::vector<std::array<uint64_t, 2>>* by_second = nullptr;
  sim::Time first_fault{0};  // the first fault window's start
  sim::Time last_end{0};     // the last fault window's end
  sim::Duration within{0};
  // The longest a request judged may wait (its client's timeout): the level
  // is measured before the first fault less this.
  sim::Duration settle{0};
  // The start of the earliest request left out of by_second at the end
  // (still waiting, not overdue): the judged seconds end at the second it
  // began in, so that every second judged is complete (in the last
  // timeout's worth the fast failures are in and the slow answers not).
  sim::Time incomplete_from = sim::Time::max();
  sim::Time run_end{0};
  // The clients stop sending then: the judged seconds end there too, so a
  // workload that stopped is not judged on seconds it sent nothing in.
  sim::Time sending_until = sim::Time::max();
  // Its share of the false-alarm chance (1 / the workloads judged apart).
  double alarm_share = 1;
  const char* what = "request";  // what settles, in the detail: "request", "billing operation"
};

struct RecoveryReport {
  bool ok = false;
  uint64_t level_ppm = 0;      // the served ratio to recover to, before the 1-point allowance
  int64_t baseline_ns = 0;     // how much of the run before the first fault measured it (0: none)
  int64_t recovered_ns = -1;   // from the last window's end to the first second back for good; -1: never
  bool vacuous = false;        // nothing to judge (the detail says why): fails, as an empty verdict does
  // Vacuous because the judged seconds end before the deadline without its
  // clients stopping there (the run ended, or a request was still waiting)
  // while the ratio was not back: not known, where a workload that stopped
  // sending is only not judged.
  bool undecided = false;
  std::string detail;
};

// REQUIRES: in.by_second set; first_fault <= last_end; within > 0; 0 < alarm_share <= 1.
RecoveryReport judge_recovery(const RecoveryInput& in);

// One workload's clients, judged apart from the others: one that stops
// (`until`) while another sends on changes the mix of the seconds after it,
// and a small one beside a large one would vanish in a pooled ratio.
struct RecoveryWorkload {
  std::string label;  // names it in the detail: "requests workload 2 (at edge-*)"
  const std::vector<std::array<uint64_t, 2>>* by_second = nullptr;
  sim::Duration settle{0};  // its clients' timeout
  sim::Time incomplete_from = sim::Time::max();  // RecoveryInput::incomplete_from
  sim::Time sending_until = sim::Time::max();
};
// judge_recovery of each workload with `in`'s faults, bound, run end and
// noun, and its own counts, timeout and end, each with an equal share of the
// false-alarm chance. Holds when every workload judged holds; vacuous when
// none is judged (each one's reason said) or one is undecided. One
// workload: its report as is.
// REQUIRES: ws not empty, each by_second set.
RecoveryReport judge_recovery_by_workload(RecoveryInput in, const std::vector<RecoveryWorkload>& ws);

}  // namespace ecsim::run
