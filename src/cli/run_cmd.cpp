// `ecsim run` and `ecsim validate`.
#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "commands.hpp"
#include "ecsim/fault/generator.hpp"
#include "ecsim/fault/random_scenario.hpp"
#include "ecsim/proto/plant.hpp"
#include "ecsim/run/runner.hpp"
#include "ecsim/scenario/loader.hpp"
#include "ecsim/scenario/selector.hpp"
#include "ecsim/scenario/swarm.hpp"
#include "ecsim/scenario/validate.hpp"
#include "ecsim/sim/trace_file.hpp"
#include "ecsim/version.hpp"
#include "json_out.hpp"
#include "options.hpp"
#include "run_report.hpp"

namespace ecsim::cli {

namespace {

struct RunArgs {
  std::string scenario_path;
  std::optional<uint64_t> seed;
  std::string until;
  std::string trace_path;
  std::string wall_timeout;
  uint64_t max_events = 0;
  bool json = false;
  bool quiet = false;
  std::string plant;
  bool swarm = false;
  std::string swarm_out;
  std::string memory_max;  // empty: the scenario's memory_max, else the default
  bool report_peak_rss = false;
  bool no_hash = false;          // count the records, do not hash them
  bool random_scenario = false;  // run fault::random_scenario_text(seed) instead of a file
  std::string scenario_out;      // with random_scenario: write its YAML here
};

// Events between wall-clock checks: often enough for a prompt timeout, rare
// enough to cost nothing.
constexpr uint64_t kEventsPerWallCheck = 1 << 16;

// --swarm: the seed's own fault mix replaces the scenario's faults, and the
// run judges invariants only (scenario/swarm.hpp).
struct Swarm {
  std::vector<std::string> faults;
  std::string text;
};

Swarm make_swarm(scenario::Scenario& sc, const RunArgs& args) {
  const uint64_t seed = args.seed.value_or(sc.seed);
  if (const std::string why = fault::swarm_no_room(sc); !why.empty()) throw CLI::ValidationError("--swarm", why);
  Swarm s;
  s.faults = fault::swarm_faults(sc, seed);
  const std::string origin = args.scenario_path.empty() ? "the quickstart" : args.scenario_path;
  s.text = scenario::swarm_scenario_text(sc, seed, s.faults, origin);
  sc = scenario::load_scenario_text(s.text, fmt::format("{} (swarm seed {})", sc.file, seed));
  if (!args.swarm_out.empty()) {
    std::FILE* f = std::fopen(args.swarm_out.c_str(), "w");
    if (f == nullptr || std::fputs(s.text.c_str(), f) < 0 || std::fclose(f) != 0) {
      throw CLI::ValidationError("--swarm-out", fmt::format("{}: cannot write: {}", args.swarm_out, std::strerror(errno)));
    }
  }
  return s;
}

// --random-scenario: the seed's random valid scenario (fault/random_scenario.hpp).
scenario::Scenario load_random(const RunArgs& args, std::string& text) {
  if (!args.scenario_path.empty() || args.swarm) {
    throw CLI::ValidationError("--random-scenario", "takes no scenario file and no --swarm");
  }
  const uint64_t seed = args.seed.value_or(1);
  text = fault::random_scenario_text(seed);
  if (!args.scenario_out.empty()) {
    std::FILE* f = std::fopen(args.scenario_out.c_str(), "w");
    if (f == nullptr || std::fputs(text.c_str(), f) < 0 || std::fclose(f) != 0) {
      throw CLI::ValidationError("--scenario-out",
                                 fmt::format("{}: cannot write: {}", args.scenario_out, std::strerror(errno)));
    }
  }
  return scenario::load_scenario_text(text, fmt::format("random-scenario-seed-{}.yaml", seed));
}

int do_run(const RunArgs& args) {
  refuse_shared_outputs({{"the scenario", args.scenario_path}},
                        {{"--trace", args.trace_path}, {"--swarm-out", args.swarm_out},
                         {"--scenario-out", args.scenario_out}});
  std::string random_text;
  scenario::Scenario sc = args.random_scenario        ? load_random(args, random_text)
                          : args.scenario_path.empty() ? scenario::load_quickstart()
                                                       : scenario::load_scenario_file(args.scenario_path);
  run::RunOptions options;
  std::optional<Swarm> swarm;
  if (args.swarm) {
    swarm = make_swarm(sc, args);
    options.invariants_only = true;
  }
  options.seed = args.seed;
  if (!args.until.empty()) options.until = checked_duration(args.until);
  options.trace_path = args.trace_path;
  if (args.no_hash && !args.trace_path.empty()) {
    // A trace file ends with the hash of its records, which a replay checks.
    throw CLI::ValidationError("--no-hash", "a --trace file carries the trace hash; drop one of the two");
  }
  if (!args.wall_timeout.empty() && !args.trace_path.empty()) {
    // The cut falls where the machine's speed puts it: the file's header
    // would replay the run to its end, not to the cut.
    throw CLI::ValidationError("--wall-timeout", "a --trace file replays to the run's end, and a run cut short by "
                                                 "wall time cannot be replayed; drop one of the two (--max-events "
                                                 "or --until cut a run where a replay can follow)");
  }
  options.hashing = !args.no_hash;
  options.max_events = args.max_events;
  options.plant = checked_plant(args.plant, args.random_scenario ? nullptr : &sc);
  if (!args.memory_max.empty()) options.memory_max = memory_max_bytes(args.memory_max);
  std::optional<sim::Duration> wall_timeout;
  if (!args.wall_timeout.empty()) wall_timeout = checked_duration(args.wall_timeout);

  // Testing hook for `sweep`: abort through an assertion when the run's seed
  // is the one named, as a model bug would.
  const char* abort_seed = std::getenv("ECSIM_DEBUG_ABORT_SEED");
  const uint64_t seed = options.seed.value_or(sc.seed);
  const bool abort_now = abort_seed != nullptr && std::strtoull(abort_seed, nullptr, 10) == seed;

  const auto wall_start = std::chrono::steady_clock::now();
  run::Run run(sc, options);
  bool timed_out = false;
  bool done = false;
  bool ended = false;  // the run reached its end by itself
  while (!done) {
    done = ended = run.advance(kEventsPerWallCheck);
    ECSIM_ASSERT(!abort_now || run.simulator().now() < sim::Time{0} + sim::seconds(1));
    // Checked after the last chunk too, so a limit shorter than one chunk's
    // wall time still fails a run that overran it.
    if (wall_timeout) {
      const auto elapsed = std::chrono::steady_clock::now() - wall_start;
      if (std::chrono::duration_cast<std::chrono::nanoseconds>(elapsed).count() > wall_timeout->ns) {
        timed_out = true;
        done = true;
      }
    }
  }
  run::RunResult result = run.finish();
  const double wall_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - wall_start).count();
  if (timed_out) {
    const std::string end = sim::format_time(result.end);
    result.verdicts.push_back(
        {"wall_timeout", false,
         ended ? fmt::format("ended past its {} wall-time limit (at simulated {})", args.wall_timeout, end)
               : fmt::format("stopped after {} of wall time at simulated {}", args.wall_timeout, end)});
  }
  if (args.json) {
    nlohmann::json j = run_result_json(result, wall_s);
    if (swarm) {
      j["swarm_faults"] = swarm->faults;
      j["swarm_scenario"] = swarm->text;
    }
    if (args.random_scenario) j["random_scenario"] = random_text;
    std::printf("%s\n", json_text(j).c_str());
  } else if (args.quiet) {
    std::printf("%s  %s\ntrace hash: %s\n", result.ok() ? "PASS" : "FAIL", result.scenario.c_str(),
                hash_text(result).c_str());
  } else {
    print_run_report(result, wall_s, args.trace_path);
  }
  // Flushed first, so that on one pipe (bench scenario) the line follows the summary.
  std::fflush(stdout);
  if (args.report_peak_rss) std::fprintf(stderr, "peak rss: %ld KiB\n", peak_rss_kib());
  return result.ok() ? kExitOk : kExitFailed;
}

int do_validate(const std::vector<std::string>& files) {
  int code = kExitOk;
  for (const std::string& f : files) {
    try {
      const scenario::Scenario sc = scenario::load_scenario_file(f);
      // Every kind counts: ping workloads, or requests and billing ones.
      const size_t workloads = sc.workload.size() + sc.requests.size() + sc.billing.size();
      std::printf("%s: ok: '%s', %zu nodes, %zu workload%s, %zu fault%s, %s\n", f.c_str(), sc.name.c_str(),
                  scenario::node_names(sc.topology).size(), workloads, workloads == 1 ? "" : "s", sc.faults.size(),
                  sc.faults.size() == 1 ? "" : "s",
                  sim::format_duration(sc.duration).c_str());
    } catch (const scenario::LoadError& e) {
      std::fprintf(stderr, "%s\n", e.what());
      code = kExitBadInput;
    }
  }
  return code;
}

}  // namespace

// The process's peak resident set (VmHWM) in KiB, or -1 where /proc cannot
// tell. For tests of memory regressions; it never enters a run's figures.
long peak_rss_kib() {
  std::FILE* f = std::fopen("/proc/self/status", "r");
  if (f == nullptr) return -1;
  char line[256];
  long kib = -1;
  while (std::fgets(line, sizeof line, f) != nullptr) {
    if (std::strncmp(line, "VmHWM:", 6) == 0) kib = std::strtol(line + 6, nullptr, 10);
  }
  std::fclose(f);
  return kib;
}

void add_memory_max_option(CLI::App& sub, std::string& text) {
  sub.add_option("--memory-max", text,
                 "Bytes the model may account for itself, e.g. 512MiB (overrides the scenario's memory_max; "
                 "default 4GiB); beyond, the run fails with 'limit: STRUCTURE'")
      ->check(CLI::Validator(
          [](std::string& value) {
            std::string why;
            return scenario::parse_memory_size(value, why) ? std::string() : fmt::format("'{}': {}", value, why);
          },
          "SIZE", "memory size"));
}

uint64_t memory_max_bytes(const std::string& text) {
  std::string why;
  const std::optional<uint64_t> bytes = scenario::parse_memory_size(text, why);
  ECSIM_ASSERT(bytes.has_value());  // the option's validator refused anything else
  return *bytes;
}

void add_run_commands(CLI::App& app, int& exit_code) {
  auto args = std::make_shared<RunArgs>();
  CLI::App* run = app.add_subcommand("run", "Run a scenario (the built-in quickstart when none is given)");
  run->add_option("scenario", args->scenario_path, "Scenario YAML file")->check(non_empty());
  run->add_option("--seed", args->seed, "Seed (overrides the scenario's)")->transform(whole_number(0, UINT64_MAX));
  run->add_option("--until", args->until, "Simulated time to stop at, e.g. 10s (overrides duration)")
      ->check(duration_up_to(scenario::kScenarioDurationMax));
  run->add_option("--trace", args->trace_path, "Write every trace record to FILE")
      ->check(non_empty());
  run->add_option("--max-events", args->max_events, "Stop after N events (a failed run)")
      ->transform(whole_number(0, UINT64_MAX));
  run->add_option("--wall-timeout", args->wall_timeout, "Stop after this much wall time, e.g. 30s (a failed run)")
      ->check(duration_up_to(kWallTimeoutMax));
  CLI::Option* json = run->add_flag("--json", args->json, "Print the summary as one JSON object");
  run->add_option("--plant", args->plant, "Switch on one planted bug (see ecsim plant --list)")
      ->check(non_empty());
  run->add_flag("--quiet", args->quiet, "Print only the verdict and the trace hash")->excludes(json);
  CLI::Option* swarm =
      run->add_flag("--swarm", args->swarm,
                    "Replace the faults with this seed's own random mix and judge invariants only");
  run->add_option("--swarm-out", args->swarm_out,
                  "With --swarm: write the seed's scenario YAML to FILE")
      ->check(non_empty())
      ->needs(swarm);
  add_memory_max_option(*run, args->memory_max);
  run->add_flag("--report-peak-rss", args->report_peak_rss,
                "Print the process's peak resident memory (VmHWM) on stderr at the end (for tests)");
  run->add_flag("--no-hash", args->no_hash,
                "Count the trace records but do not hash them (the summary says so; refused with --trace)");
  CLI::Option* random =
      run->add_flag("--random-scenario", args->random_scenario,
                    "Run the random valid scenario of --seed (default 1) instead of a file");
  run->add_option("--scenario-out", args->scenario_out,
                  "With --random-scenario: write its YAML to FILE")
      ->check(non_empty())
      ->needs(random);
  run->callback([args, &exit_code] {
    try {
      exit_code = do_run(*args);
    } catch (const scenario::LoadError& e) {
      std::fprintf(stderr, "%s\n", e.what());
      exit_code = kExitBadInput;
    } catch (const sim::TraceFileError& e) {
      std::fprintf(stderr, "%s\n", e.what());
      exit_code = kExitBadInput;
    }
  });

  auto files = std::make_shared<std::vector<std::string>>();
  CLI::App* validate = app.add_subcommand("validate", "Check scenario files without running them");
  validate->add_option("scenarios", *files, "Scenario YAML files")->required()->check(non_empty());
  validate->callback([files, &exit_code] { exit_code = do_validate(*files); });

  CLI::App* plant = app.add_subcommand("plant", "The planted bugs that --plant switches on");
  auto list = std::make_shared<bool>(false);
  plant->add_flag("--list", *list, "List every plant with the verdict that must find it (the default)");
  plant->callback([&exit_code] {
    // Columns as wide as their longest entry, so each stays aligned.
    int name_w = 5, verdict_w = 8;
    for (const proto::PlantInfo& p : proto::plants()) {
      name_w = std::max(name_w, static_cast<int>(p.name.size()));
      verdict_w = std::max(verdict_w, static_cast<int>(p.verdict.size()));
    }
    std::printf("%-*s  %-*s  %s\n", name_w, "plant", verdict_w, "found by", "what it breaks");
    for (const proto::PlantInfo& p : proto::plants()) {
      std::printf("%-*s  %-*s  %s\n", name_w, std::string(p.name).c_str(), verdict_w, std::string(p.verdict).c_str(),
                  std::string(p.what).c_str());
    }
    exit_code = kExitOk;
  });
}

}  // namespace ecsim::cli
