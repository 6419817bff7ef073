// ecsim: a deterministic simulator of an edge-core-cloud telecom cluster.
#include <cstdio>
#include <exception>
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

// CLI11 says only "A subcommand is required" for both a missing and a
// misspelt subcommand (`ecsim trace verify`). The commands that hold
// subcommands take no options of their own, so walking the words that are
// not options finds where the chain of subcommands stopped and why.
std::string subcommand_error(CLI::App& app, int argc, char** argv) {
  CLI::App* at = &app;
  std::string path = "ecsim";
  for (int i = 1; i < argc; ++i) {
    const std::string word = argv[i];
    if (word.empty() || word[0] == '-') continue;
    CLI::App* sub = nullptr;
    for (CLI::App* s : at->get_subcommands([](CLI::App*) { return true; })) {
      if (s->check_name(word)) sub = s;
    }
    std::vector<std::string> names;
    for (CLI::App* s : at->get_subcommands([](CLI::App*) { return true; })) names.push_back(s->get_name());
    if (sub == nullptr) {
      return fmt::format("{}: unknown command '{}' (one of {}; see {} --help)", path, word, fmt::join(names, ", "),
                         path);
    }
    at = sub;
    path += " " + sub->get_name();
    if (at->get_subcommands([](CLI::App*) { return true; }).empty()) break;
  }
  std::vector<std::string> names;
  for (CLI::App* s : at->get_subcommands([](CLI::App*) { return true; })) names.push_back(s->get_name());
  return fmt::format("{}: a command is required, one of {} (see {} --help)", path, fmt::join(names, ", "), path);
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
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::RequiredError& e) {
    if (std::string(e.what()) != "A subcommand is required") {
      std::fprintf(stderr, "ecsim: %s (see ecsim --help)\n", e.what());
    } else {
      std::fprintf(stderr, "%s\n", subcommand_error(app, argc, argv).c_str());
    }
    return kExitBadInput;
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
