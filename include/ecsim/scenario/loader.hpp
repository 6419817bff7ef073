// Loading a YAML scenario into a validated Scenario. Every problem is one
// line, "FILE:LINE:COL: what was wrong, what was expected" (or
// "FILE: cannot read: reason" where there is no line); the CLI prints it and
// exits with code 2.
#pragma once
#include <cstdint>
#include <optional>
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
// The scenario's values as the loader reads them, each key checked, but
// without validate() (the schedule's node states, what the model cannot
// run, which expectations the schedule needs): for tools that edit a
// scenario's text and must first know its schedule. Never for running.
// THROWS LoadError.
Scenario parse_scenario_text_unvalidated(std::string_view text, const std::string& file);

// A memory size, "512MiB", "4GiB", "1TB" or a plain byte count (units B,
// KB/kB, MB, GB, TB, KiB, MiB, GiB, TiB), within kMemoryMaxMin..kMemoryMaxMax
// (1MiB..1TiB); nullopt with `why` otherwise. `memory_max` in a scenario and
// the CLI's --memory-max both read sizes with it.
std::optional<uint64_t> parse_memory_size(std::string_view text, std::string& why);

// A value as error messages show it: in single quotes, on one line (control
// characters escaped as \n, \t, \xNN), cut short when long.
std::string quoted(std::string_view text);
// The same on one line without quotes and whole.
std::string escaped(std::string_view text);

}  // namespace ecsim::scenario
