// How a run's result is shown: a readable table, or one JSON object with the
// same figures. Wall-clock figures are reported but never hashed.
#pragma once
#include <string>

#include <nlohmann/json.hpp>

#include "ecsim/run/runner.hpp"

namespace ecsim::cli {

// The trace hash as printed, or that it was not computed (--no-hash).
std::string hash_text(const run::RunResult& r);
nlohmann::json run_result_json(const run::RunResult& r, double wall_s);
void print_run_report(const run::RunResult& r, double wall_s, const std::string& trace_path);

}  // namespace ecsim::cli
