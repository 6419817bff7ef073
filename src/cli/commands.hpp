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
void add_explore_command(CLI::App& app, int& exit_code);  // explore
void add_trace_command(CLI::App& app, int& exit_code);   // trace hash|dump|replay
void add_viz_command(CLI::App& app, int& exit_code);     // viz (viz_cmd.cpp)
void add_bench_command(CLI::App& app, int& exit_code);   // bench kernel|pingpong|scenario
void add_bench_scenario_command(CLI::App& bench, int& exit_code);  // bench scenario (bench_scenario.cpp)

// The process's peak resident set (VmHWM) in KiB, or -1 where /proc cannot
// tell. For benches and memory tests; it never enters a run's figures.
long peak_rss_kib();

// `--memory-max SIZE` (run and sweep): a whole number of bytes with an
// optional unit (B, KB, MB, GB, TB in powers of 1000; KiB, MiB, GiB, TiB in
// powers of 1024), 1 MiB..1 TiB (scenario::parse_memory_size). Not given
// (the text stays empty): the scenario's `memory_max`, else 4 GiB.
// Registers the option with a CLI11 validator; memory_max_bytes() converts
// a validated text.
void add_memory_max_option(CLI::App& sub, std::string& text);
uint64_t memory_max_bytes(const std::string& text);

// "0x" and 16 lowercase hex digits.
std::string format_hash(uint64_t hash);

}  // namespace ecsim::cli
