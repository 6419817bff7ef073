// The spans of simulated time in which a scenario's faults are in force, as
// the schedule says (a crash until the node's restart, a partition until its
// heal or its `for` ends, a link fault for its window; a window with no end
// runs to the end of the run). Latency expectations with `outside_faults`
// leave out the requests begun inside one of these windows or within the
// margin after it. An at_point fault's window is known only when its point
// fires: point_window reads it from the fault's trace record.
#pragma once
#include <optional>
#include <vector>

#include "ecsim/scenario/scenario.hpp"
#include "ecsim/sim/time.hpp"
#include "ecsim/sim/trace.hpp"

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

// The window of the at_point fault whose firing `r` records (a `fault`
// record with the at_point code and b = 1): from the reach to its `for`
// restart, or when it has none (the node stays down) to `end` (kToEnd) or
// the reach itself (kAtCrash, as fault_windows ends a timed crash never
// restarted), extended by `margin` and capped at `end`. A `do: cut` without
// `for` ends at the first heal after the reach, else at `end`, whichever
// `unrestarted` says (a cut is a partition, not a crash). Nothing for any
// other record. The run
// feeds it every record; a request begun inside the window starts after
// the record, so adding the window then classifies every request as a
// window known before the run would.
std::optional<sim::TimeWindow> point_window(const scenario::Scenario& sc, const sim::Record& r, sim::Time end,
                                            sim::Duration margin, Unrestarted unrestarted = Unrestarted::kToEnd);

}  // namespace ecsim::fault
