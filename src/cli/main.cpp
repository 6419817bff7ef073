// ecsim: a deterministic simulator of an edge-core-cloud telecom cluster.
#include <cstdio>
#include <exception>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include "commands.hpp"
#include "ecsim/version.hpp"

namespace ecsim::cli {
std::string format_hash(uint64_t hash) { return fmt::format("0x{:016x}", hash); }
}  // namespace ecsim::cli

int main(int argc, char** argv) {
  using namespace ecsim::cli;
  CLI::App app{"ecsim: deterministic simulator of an edge-core-cloud telecom cluster"};
  app.set_version_flag("--version", fmt::format("ecsim {}", ecsim::kVersion));
  app.require_subcommand(1);
  // `--swarm=false` would switch a flag off where it says nothing else, and
  // pass the checks of the options that need it ("--swarm-out needs
  // --swarm"): a flag is on when named, never given a value. Subcommands
  // take these defaults when they are made, below.
  app.option_defaults()->disable_flag_override();
  int exit_code = kExitOk;
  add_run_commands(app, exit_code);
  add_sweep_command(app, exit_code);
  add_explore_command(app, exit_code);
  add_trace_command(app, exit_code);
  add_bench_command(app, exit_code);
  add_viz_command(app, exit_code);
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    // One line, exit code 2, as for every other bad input.
    std::fprintf(stderr, "ecsim: %s (see ecsim --help)\n", e.what());
    return kExitBadInput;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "ecsim: %s\n", e.what());
    return kExitBadInput;
  }
  return exit_code;
}
