// ecsim: a deterministic simulator of an edge-core-cloud telecom cluster.
#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <exception>
#include <iostream>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>
#include <fmt/format.h>
#include <fmt/ranges.h>

#include "commands.hpp"
#include "ecsim/version.hpp"

namespace ecsim::cli {
std::string format_hash(uint64_t hash) { return fmt::format("0x{:016x}", hash); }
}  // namespace ecsim::cli

namespace {

// CLI11 says an option given twice as "--seed: At Most 1 required but
// received 2"; said plainly, CLI11's other mismatches as it has them.
std::string given_twice_text(const std::string& what) {
  const std::string marker = ": At Most 1 required but received ";
  const size_t at = what.find(marker);
  if (at == std::string::npos) return what;
  return fmt::format("{}: given {} times, expected once", what.substr(0, at), what.substr(at + marker.size()));
}

// CLI11 says only "A subcommand is required" for both a missing and a
// misspelt subcommand (`ecsim trace verify`). From what it parsed: the
// chain of subcommands it took, and the words none of them took. Empty:
// nothing better to say than CLI11's message.
std::string subcommand_error(CLI::App& app) {
  std::vector<CLI::App*> chain{&app};
  while (!chain.back()->get_subcommands().empty()) chain.push_back(chain.back()->get_subcommands().front());
  CLI::App* at = chain.back();
  std::vector<std::string> names;
  for (CLI::App* s : at->get_subcommands([](CLI::App*) { return true; })) names.push_back(s->get_name());
  if (names.empty()) return {};
  // The first command of the chain left with words nothing took: a
  // misspelt command if it is the last one and its first word is no option;
  // otherwise words out of place (an option before the command, a command
  // after `--`), as CLI11 would have said had it got there.
  std::string path;  // "ecsim trace": the chain up to `a`
  for (CLI::App* a : chain) {
    path += path.empty() ? "ecsim" : " " + a->get_name();
    const std::vector<std::string> rest = a->remaining(false);
    if (rest.empty()) continue;
    const std::string& first = rest.front();
    const bool a_command = std::find(names.begin(), names.end(), first) != names.end();
    if (a == at && !a_command && !first.empty() && first[0] != '-') {
      return fmt::format("{}: unknown command '{}' (one of {}; see {} --help)", path, first, fmt::join(names, ", "),
                         path);
    }
    return fmt::format("{}: the following arguments were not expected: {} (see {} --help)", path,
                       fmt::join(rest, " "), path);
  }
  return fmt::format("{}: a command is required, one of {} (see {} --help)", path, fmt::join(names, ", "), path);
}

// `exit_code`, or kExitBadInput when standard output (stdio's or, for
// CLI11's --help and --version, iostream's) could not be written. Output
// lost to a full disk must not pass for success: `--json > /dev/full` and
// `--help > /dev/full` exited 0 with nothing written (adversarial passes).
// This takes precedence over a failed verdict's exit 1: what the run found
// was not delivered. A closed pipe ends the process by SIGPIPE (the
// default) before it gets here; where SIGPIPE is ignored, it is reported
// here.
int delivered(int exit_code) {
  errno = 0;
  std::cout.flush();
  if (!std::cout.good() || std::fflush(stdout) != 0 || std::ferror(stdout) != 0) {
    std::fprintf(stderr, "ecsim: cannot write standard output: %s\n",
                 errno != 0 ? std::strerror(errno) : "a write failed");
    return ecsim::cli::kExitBadInput;
  }
  return exit_code;
}

}  // namespace

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
    return delivered(app.exit(e));
  } catch (const CLI::CallForAllHelp& e) {
    return delivered(app.exit(e));
  } catch (const CLI::CallForVersion& e) {
    return delivered(app.exit(e));
  } catch (const CLI::RequiredError& e) {
    const std::string better = std::string(e.what()) == "A subcommand is required" ? subcommand_error(app) : "";
    if (better.empty()) {
      std::fprintf(stderr, "ecsim: %s (see ecsim --help)\n", e.what());
    } else {
      std::fprintf(stderr, "%s\n", better.c_str());
    }
    return kExitBadInput;
  } catch (const CLI::ArgumentMismatch& e) {
    std::fprintf(stderr, "ecsim: %s (see ecsim --help)\n", given_twice_text(e.what()).c_str());
    return kExitBadInput;
  } catch (const CLI::ParseError& e) {
    // One line, exit code 2, as for every other bad input.
    std::fprintf(stderr, "ecsim: %s (see ecsim --help)\n", e.what());
    return kExitBadInput;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "ecsim: %s\n", e.what());
    return kExitBadInput;
  }
  return delivered(exit_code);
}
