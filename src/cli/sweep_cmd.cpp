// `ecsim sweep SCENARIO --seeds A..B`: one simulation per seed, each in a
// child process (`ecsim run ... --seed N --json`), up to --jobs at a time.
// A child that crashes, aborts or outlives its timeout gets a verdict of its
// own and never stops the sweep. Results are reported in seed order, so the
// output does not depend on --jobs. Each child's protocol point counts
// (`points` in its JSON) are summed, and the sweep names the points that no
// seed reached (FoundationDB's code probes).
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include <CLI/CLI.hpp>
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "child_pool.hpp"
#include "commands.hpp"
#include "json_out.hpp"
#include "options.hpp"
#include "ecsim/fault/generator.hpp"
#include "ecsim/proto/plant.hpp"
#include "ecsim/proto/points.hpp"
#include "ecsim/scenario/loader.hpp"

namespace ecsim::cli {

namespace {

using Clock = std::chrono::steady_clock;

struct SweepArgs {
  std::string scenario_path;
  std::string seeds = "1..100";
  unsigned jobs = 0;
  std::string timeout = "60s";
  bool json = false;
  bool swarm = false;
  std::string plant;
  bool stop_on_fail = false;
  std::string out_dir = ".";  // where failing swarm seeds' scenarios are written
  std::string memory_max;  // empty: each seed's scenario's memory_max, else the default
  bool random_scenarios = false;  // each seed runs its own random valid scenario
};

struct SeedResult : RunOutcome {
  uint64_t seed = 0;
  std::vector<std::string> swarm_faults;
  std::string swarm_scenario;
  std::string swarm_file;  // written for a failing swarm seed
};

// The protocol points over every seed that reported them: how often each
// was reached, and whether some run had its protocol (only those can be
// named as unreached: a ping scenario has none, one without billing no 2PC).
struct PointTotals {
  uint64_t runs = 0;  // seeds whose counts are in
  uint64_t cut_short = 0;  // of them, runs stopped by --timeout: counts up to the cut
  proto::PointCounts reached{};
  std::array<bool, proto::kPointCount> in_scope{};
  size_t in_scope_count() const { return static_cast<size_t>(std::count(in_scope.begin(), in_scope.end(), true)); }
  std::vector<std::string_view> unreached() const { return named(true); }
  std::vector<std::string_view> out_of_scope() const { return named(false); }

 private:
  // In scope and never reached, or out of scope.
  std::vector<std::string_view> named(bool unreached_in_scope) const {
    std::vector<std::string_view> out;
    for (const proto::PointInfo& p : proto::points()) {
      const auto i = static_cast<size_t>(p.point);
      if (unreached_in_scope ? in_scope[i] && reached[i] == 0 : !in_scope[i]) out.push_back(p.name);
    }
    return out;
  }
};

// The most seeds one sweep runs.
constexpr uint64_t kSweepSeedsMax = 10000000;

// "N" or "A..B", digits only: std::stoull would read "-1" as 2^64-1.
std::pair<uint64_t, uint64_t> parse_seed_range(const std::string& text) {
  const size_t dots = text.find("..");
  if (dots == std::string::npos) {
    if (const std::optional<uint64_t> v = parse_decimal_u64(text)) return {*v, *v};
  } else {
    const std::optional<uint64_t> a = parse_decimal_u64(std::string_view(text).substr(0, dots));
    const std::optional<uint64_t> b = parse_decimal_u64(std::string_view(text).substr(dots + 2));
    if (a && b && *a <= *b && *b - *a < kSweepSeedsMax) return {*a, *b};
  }
  throw CLI::ValidationError(
      "--seeds", fmt::format("'{}': expected N or A..B with 0 <= A <= B <= 18446744073709551615, at most {} seeds",
                             text, kSweepSeedsMax));
}

// The child's arguments: `ecsim run` of one seed, with its JSON.
std::vector<std::string> sweep_run_args(const SweepArgs& a, uint64_t seed) {
  std::vector<std::string> args{"run", a.random_scenarios ? "--random-scenario" : path_arg(a.scenario_path),
                                "--seed", std::to_string(seed), "--json", "--wall-timeout", a.timeout};
  if (!a.memory_max.empty()) args.insert(args.end(), {"--memory-max", a.memory_max});
  if (a.swarm) args.push_back("--swarm");
  if (!a.plant.empty()) args.insert(args.end(), {"--plant", a.plant});
  return args;
}

SeedResult judge(const ChildExit& c) {
  SeedResult r;
  static_cast<RunOutcome&>(r) = judge_run(c);
  r.seed = c.tag;
  if (r.json.is_object() && r.json.contains("swarm_faults")) {
    r.swarm_faults = r.json["swarm_faults"].get<std::vector<std::string>>();
    r.swarm_scenario = r.json.value("swarm_scenario", std::string());
  }
  r.json = nullptr;  // kept no longer than judging needs: a sweep may run millions of seeds
  return r;
}

nlohmann::json seed_json(const SeedResult& r) {
  nlohmann::json j = {{"seed", r.seed},     {"verdict", r.verdict}, {"trace_hash", r.trace_hash},
                      {"events", r.events}, {"wall_s", r.wall_s},   {"detail", r.detail}};
  if (!r.failed_invariant.empty()) j["failed_invariant"] = r.failed_invariant;
  if (!r.swarm_file.empty()) {
    j["swarm_faults"] = r.swarm_faults;
    j["swarm_file"] = r.swarm_file;
  }
  return j;
}

// A failing swarm seed's scenario, written where the user can run it.
std::string write_swarm_file(const SweepArgs& a, const std::string& stem, SeedResult& r) {
  const std::string path = fmt::format("{}/{}-swarm-seed-{}.yaml", a.out_dir, stem, r.seed);
  std::FILE* f = std::fopen(path.c_str(), "w");
  if (f == nullptr || std::fputs(r.swarm_scenario.c_str(), f) < 0 || std::fclose(f) != 0) {
    return fmt::format("(cannot write {}: {})", path, std::strerror(errno));
  }
  r.swarm_file = path;
  return path;
}

std::string reproduce_command(const SweepArgs& a, const SeedResult& r) {
  const std::string flags = (a.plant.empty() ? "" : " --plant " + a.plant) + reproduce_limit(r, a.timeout);
  if (!r.swarm_file.empty()) return fmt::format("ecsim run {}{}", shell_word(path_arg(r.swarm_file)), flags);
  if (a.random_scenarios) return fmt::format("ecsim run --random-scenario --seed {}{}", r.seed, flags);
  return fmt::format("ecsim run {} --seed {}{}{}", shell_word(path_arg(a.scenario_path)), r.seed,
                     a.swarm ? " --swarm" : "", flags);
}

void print_progress(uint64_t done, uint64_t failed, uint64_t total, size_t running, double elapsed_s) {
  const double per_min = elapsed_s > 0 ? static_cast<double>(done) * 60.0 / elapsed_s : 0.0;
  const double left_s = done > 0 ? elapsed_s * static_cast<double>(total - done) / static_cast<double>(done) : 0.0;
  std::fprintf(stderr, "\rsweep: %llu/%llu done, %llu failed, %zu running, %.0f seeds/min, %.0fs left   ",
               static_cast<unsigned long long>(done), static_cast<unsigned long long>(total),
               static_cast<unsigned long long>(failed), running, per_min, left_s);
}

void print_unreached(const PointTotals& points, const std::vector<std::string_view>& unreached) {
  if (points.runs == 0) {
    std::printf("protocol points: no run reported its counts\n");
    return;
  }
  const auto runs = static_cast<unsigned long long>(points.runs);
  const size_t in_scope = points.in_scope_count();
  // The points of protocols no run had are counted, not listed: they could
  // not have been reached, and would hide the ones that could.
  const size_t others = proto::kPointCount - in_scope;
  std::string rest = points.cut_short == 0 ? "" : fmt::format(", {} of them cut short by --timeout", points.cut_short);
  if (others > 0) rest += fmt::format("; {} more in protocols no run had", others);
  if (in_scope == 0) {
    std::printf("protocol points: none in the protocols the runs had (over %llu runs%s)\n", runs, rest.c_str());
    return;
  }
  if (unreached.empty()) {
    std::printf("protocol points: every one of the %zu in the runs' protocols was reached (over %llu runs%s)\n",
                in_scope, runs, rest.c_str());
    return;
  }
  std::printf("protocol points no seed reached: %zu of %zu in the runs' protocols (over %llu runs%s)\n",
              unreached.size(), in_scope, runs, rest.c_str());
  for (std::string_view name : unreached) std::printf("  %.*s\n", static_cast<int>(name.size()), name.data());
}

int do_sweep(const SweepArgs& a) {
  if (a.random_scenarios == !a.scenario_path.empty()) {
    throw CLI::ValidationError("scenario", a.random_scenarios
                                               ? "a scenario file with --random-scenarios, expected one of the two"
                                               : "none given, expected a scenario file or --random-scenarios");
  }
  if (a.random_scenarios && a.swarm) throw CLI::ValidationError("--swarm", "does not go with --random-scenarios");
  // Bad input stops here, with exit 2.
  if (!a.random_scenarios) refuse_pipe_scenario(a.scenario_path, "sweep");
  const scenario::Scenario sc = a.random_scenarios ? scenario::Scenario{} : scenario::load_scenario_file(a.scenario_path);
  (void)checked_plant(a.plant, a.random_scenarios ? nullptr : &sc);
  // Failing swarm seeds' scenarios go to --out-dir: a directory that cannot
  // take them is bad input now, not a silent loss after the sweep.
  if (a.swarm) {
    const std::string probe = fmt::format("{}/.ecsim-sweep-{}", a.out_dir, getpid());
    std::FILE* f = std::fopen(probe.c_str(), "wx");  // never truncates a file of that name
    if (f == nullptr && errno != EEXIST) {
      throw CLI::ValidationError(
          "--out-dir", fmt::format("{}: cannot write there: {}", a.out_dir, std::strerror(errno)));
    }
    if (f != nullptr) {
      std::fclose(f);
      std::remove(probe.c_str());
    }
    if (const std::string why = fault::swarm_no_room(sc); !why.empty()) throw CLI::ValidationError("--swarm", why);
  }
  // Plain variables, not a structured binding: the lambdas below capture
  // them (clang 14 does not capture structured bindings).
  const std::pair<uint64_t, uint64_t> range = parse_seed_range(a.seeds);
  const uint64_t first = range.first;
  const uint64_t last = range.second;
  const sim::Duration timeout = checked_duration(a.timeout);
  const unsigned jobs = a.jobs > 0 ? a.jobs : std::max(1u, std::thread::hardware_concurrency());
  const std::string exe = self_exe();
  std::string stem = a.random_scenarios ? "random-scenarios" : a.scenario_path.substr(a.scenario_path.rfind('/') + 1);
  if (const size_t dot = stem.rfind('.'); dot != std::string::npos) stem = stem.substr(0, dot);
  // A child gets its own --wall-timeout; the parent kills it a little later
  // if it hangs somewhere that check cannot see.
  const auto kill_after = std::chrono::nanoseconds(timeout.ns) + std::chrono::seconds(5);
  const bool progress = isatty(2) != 0;
  const auto t0 = Clock::now();

  std::map<uint64_t, SeedResult> done;
  // Seeds are counted from `first`, never compared with `last`: a range that
  // ends at 2^64-1 would wrap its counter and never end.
  uint64_t started = 0;
  uint64_t printed = 0;
  uint64_t failed = 0;
  const uint64_t total = last - first + 1;
  const auto next = [&]() -> std::optional<ChildSpec> {
    if (started >= total || (a.stop_on_fail && failed > 0)) return std::nullopt;
    const uint64_t seed = first + started++;
    return ChildSpec{seed, sweep_run_args(a, seed)};
  };
  const auto finished = [&](ChildExit&& c) {
    SeedResult r = judge(c);
    if (r.verdict != "pass") {
      ++failed;
      if (!r.swarm_scenario.empty()) {
        const std::string written = write_swarm_file(a, stem, r);
        if (r.swarm_file.empty())
          std::fprintf(stderr, "ecsim sweep: seed %llu: %s\n",
                       static_cast<unsigned long long>(r.seed), written.c_str());
      }
    }
    done[c.tag] = std::move(r);
  };
  const auto tick = [&](size_t running) {
    while (printed < total && done.count(first + printed) != 0) {
      if (a.json) std::printf("%s\n", json_text(seed_json(done[first + printed])).c_str());
      ++printed;
    }
    if (progress) {
      print_progress(done.size(), failed, total, running, std::chrono::duration<double>(Clock::now() - t0).count());
    }
  };
  run_children(exe, jobs, kill_after, next, finished, tick);
  if (progress) std::fprintf(stderr, "\n");
  const double wall_s = std::chrono::duration<double>(Clock::now() - t0).count();
  std::map<std::string, uint64_t> counts{{"pass", 0}, {"fail", 0}, {"crash", 0}, {"timeout", 0}};
  for (const auto& [seed, r] : done) ++counts[r.verdict];
  const uint64_t runs = done.size();
  // Under --swarm an invariant that had nothing to judge on most seeds
  // proves nothing: the sweep fails when one judged on fewer than half.
  // Counted over every seed: one whose mix left the invariant out (no crash
  // for durability to judge) judged nothing for it either.
  std::vector<std::string> seldom;
  if (a.swarm && !(a.stop_on_fail && failed > 0)) {
    for (const std::string& name : sc.expect.invariants) {
      uint64_t yes = 0;
      for (const auto& [seed, r] : done) {
        const bool vacuous = std::find(r.vacuous.begin(), r.vacuous.end(), name) != r.vacuous.end();
        const bool present = std::find(r.judged.begin(), r.judged.end(), name) != r.judged.end() ||
                             r.failed_invariant == name;
        yes += present && !vacuous ? 1 : 0;
      }
      if (yes * 2 < runs) {
        seldom.push_back(fmt::format("{} had something to judge on {} of {} seeds, need at least half", name, yes, runs));
      }
    }
  }
  const bool all_pass = counts["pass"] == total && seldom.empty();
  PointTotals points;
  for (const auto& [seed, r] : done) {
    if (!r.has_points) continue;
    ++points.runs;
    // A run that reached its end past the limit has all its counts.
    if (r.verdict == "timeout" && r.detail.find("stopped after") != std::string::npos) ++points.cut_short;
    for (size_t i = 0; i < proto::kPointCount; ++i) {
      points.reached[i] += r.points[i];
      points.in_scope[i] = points.in_scope[i] || r.points_in_scope[i];
    }
  }
  const std::vector<std::string_view> unreached = points.unreached();
  if (a.json) {
    nlohmann::json s = {{"summary", true}, {"scenario", a.scenario_path}, {"runs", runs}, {"wall_s", wall_s},
                        {"swarm", a.swarm}, {"random_scenarios", a.random_scenarios}, {"plant", a.plant}, {"seeds_per_min", wall_s > 0 ? runs * 60.0 / wall_s : 0.0}};
    for (const auto& [k, v] : counts) s[k] = v;
    s["seldom_judged"] = seldom;
    nlohmann::json reached = nlohmann::json::object();
    for (const proto::PointInfo& p : proto::points()) reached[std::string(p.name)] = points.reached[static_cast<size_t>(p.point)];
    s["points"] = reached;
    s["points_runs"] = points.runs;
    s["points_runs_cut_short"] = points.cut_short;
    s["points_unreached"] = nlohmann::json::array();
    s["points_out_of_scope"] = nlohmann::json::array();
    if (points.runs > 0) {
      for (std::string_view name : unreached) s["points_unreached"].push_back(std::string(name));
      for (std::string_view name : points.out_of_scope()) s["points_out_of_scope"].push_back(std::string(name));
    }
    std::printf("%s\n", json_text(s).c_str());
    return all_pass ? kExitOk : kExitFailed;
  }
  std::printf("sweep %s%s%s, seeds %llu..%llu: %llu runs in %.1fs (jobs %u, %.0f seeds/min)%s\n",
              a.random_scenarios ? "--random-scenarios" : a.scenario_path.c_str(), a.swarm ? " --swarm" : "", a.plant.empty() ? "" : (" --plant " + a.plant).c_str(),
              static_cast<unsigned long long>(first), static_cast<unsigned long long>(last),
              static_cast<unsigned long long>(runs), wall_s, jobs, wall_s > 0 ? runs * 60.0 / wall_s : 0.0,
              runs < total ? " (stopped at the first failure)" : "");
  for (const char* k : {"pass", "fail", "crash", "timeout"}) {
    std::printf("  %-8s %llu\n", k, static_cast<unsigned long long>(counts[k]));
  }
  for (const std::string& line : seldom) std::printf("  FAIL     %s\n", line.c_str());
  print_unreached(points, unreached);
  if (counts["pass"] != total) {
    std::printf("failing seeds:\n");
    for (const auto& [seed, r] : done) {
      if (r.verdict == "pass") continue;
      std::printf("  seed %-8llu %-8s %s\n", static_cast<unsigned long long>(seed), r.verdict.c_str(), r.detail.c_str());
      if (!r.swarm_faults.empty()) {
        std::printf("    faults:\n");
        for (const std::string& f : r.swarm_faults) std::printf("      - %s\n", f.c_str());
      }
      std::printf("    reproduce: %s\n", reproduce_command(a, r).c_str());
    }
  }
  return all_pass ? kExitOk : kExitFailed;
}

}  // namespace

void add_sweep_command(CLI::App& app, int& exit_code) {
  auto a = std::make_shared<SweepArgs>();
  CLI::App* sweep = app.add_subcommand("sweep", "Run a scenario over many seeds, in parallel child processes");
  sweep
      ->add_option("scenario", a->scenario_path,
                   "Scenario YAML file (none with --random-scenarios)")
      ->check(non_empty());
  sweep->add_option("--seeds", a->seeds, "Seeds: N or A..B (default 1..100)");
  sweep->add_option("--jobs", a->jobs, "Parallel runs (default: the number of cores)")->transform(whole_number(0, 1024));
  sweep->add_option("--timeout", a->timeout, "Wall-clock limit per seed (default 60s)")
      ->check(duration_up_to(kWallTimeoutMax));
  sweep->add_flag("--json", a->json, "One JSON object per seed, then a summary object");
  CLI::Option* swarm =
      sweep->add_flag("--swarm", a->swarm, "Give every seed its own random fault mix; judge invariants only");
  sweep
      ->add_option("--plant", a->plant,
                   "Switch on one planted bug in every run (see ecsim plant --list)")
      ->check(non_empty());
  sweep->add_flag("--stop-on-fail", a->stop_on_fail, "Start no more seeds once one has failed");
  sweep->add_flag("--random-scenarios", a->random_scenarios,
                  "Give every seed its own random valid scenario (ecsim run --random-scenario)");
  sweep
      ->add_option("--out-dir", a->out_dir,
                   "Where failing swarm seeds' scenario files go (default .)")
      ->check(non_empty())
      ->needs(swarm);
  add_memory_max_option(*sweep, a->memory_max);
  sweep->callback([a, &exit_code] {
    try {
      exit_code = do_sweep(*a);
    } catch (const scenario::LoadError& e) {
      std::fprintf(stderr, "%s\n", e.what());
      exit_code = kExitBadInput;
    }
  });
}

}  // namespace ecsim::cli
