// Shared by the viewer's model tests: the scenario most of them open
// (edge-1 crashes at 10 s and restarts at 12 s) and run options that end
// it early.
#pragma once
#include <cstdint>

#include "ecsim/run/runner.hpp"
#include "ecsim/scenario/loader.hpp"

namespace ecsim::viz_test {

inline scenario::Scenario crash_scenario() {
  return scenario::load_scenario_file(ECSIM_SOURCE_DIR "/scenarios/edge-crash-rehydrate.yaml");
}

inline run::RunOptions until(int64_t seconds) {
  run::RunOptions o;
  o.until = sim::seconds(seconds);
  return o;
}

}  // namespace ecsim::viz_test
