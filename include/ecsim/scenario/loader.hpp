// Loading a YAML scenario into a validated Scenario. Every problem is one
// line, "FILE:LINE:COL: what was wrong, what was expected" (or
// "FILE: cannot read: reason" where there is no line); the CLI prints it and
// exits with code 2.
#pragma once
#include <stdexcept>
#include <string>
#include <string_view>

#include "ecsim/scenario/scenario.hpp"

namespace ecsim::scenario {

class LoadError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// The built-in default scenario (scenarios/quickstart.yaml compiled in).
extern const std::string_view kQuickstartYaml;

// THROWS LoadError. `file` labels error messages and Scenario::file.
Scenario load_scenario_text(std::string_view text, const std::string& file);
// THROWS LoadError (including "FILE: cannot read: No such file or directory").
Scenario load_scenario_file(const std::string& path);
Scenario load_quickstart();

}  // namespace ecsim::scenario
