// The spans of simulated time in which a scenario's faults are in force, as
// the schedule says (a crash until the node's restart, a partition until its
// heal or its `for` ends, a link fault for its window; a window with no end
// runs to the end of the run). Latency expectations with `outside_faults`
// leave out the requests begun inside one of these windows or within the
// margin after it.
#pragma once
#include <vector>

#include "ecsim/scenario/scenario.hpp"
#include "ecsim/sim/time.hpp"

namespace ecsim::fault {

// Where the window of a crash never restarted ends: at the end of the run
// (the latency expectations' `outside_faults`: the node stays down), or when
// the crash happens (`recovers_within`: what is left must recover without it).
enum class Unrestarted { kToEnd, kAtCrash };

// Every fault's window, each end extended by `margin` (capped at `end`),
// sorted by start. Windows may overlap; a fault at or after `end` has none.
// REQUIRES: margin >= 0.
std::vector<sim::TimeWindow> fault_windows(const scenario::Scenario& sc, sim::Time end, sim::Duration margin,
                                           Unrestarted unrestarted = Unrestarted::kToEnd);

}  // namespace ecsim::fault
