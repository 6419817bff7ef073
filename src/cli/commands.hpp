// The subcommands of the ecsim binary. Each registers itself on the CLI11 app
// and returns the process exit code through `exit_code`: 0 every expectation
// held, 1 an expectation or invariant failed (or the run was cut short),
// 2 bad input.
#pragma once
#include <cstdint>
#include <string>

namespace CLI {
class App;
}

namespace ecsim::cli {

inline constexpr int kExitOk = 0;
inline constexpr int kExitFailed = 1;
inline constexpr int kExitBadInput = 2;

void add_run_commands(CLI::App& app, int& exit_code);    // run, validate
void add_sweep_command(CLI::App& app, int& exit_code);   // sweep
void add_trace_command(CLI::App& app, int& exit_code);   // trace hash|dump|replay
void add_bench_command(CLI::App& app, int& exit_code);   // bench kernel|pingpong

// "0x" and 16 lowercase hex digits.
std::string format_hash(uint64_t hash);

}  // namespace ecsim::cli
