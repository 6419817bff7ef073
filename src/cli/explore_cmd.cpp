// `ecsim explore SCENARIO --crash-points`: the scenario without its faults
// runs once to learn which node reaches which protocol point how often
// (`points_by_node` in its JSON); then one run per reached (node, point)
// crashes that node at its first reach and at a later reach drawn from the
// seed, restarting it after --restart-after; and for each recovery point,
// which no unfaulted run reaches, a run crashes a node where it leaves work
// unfinished and again at the recovery point once it restarts; a point only
// a crash run reached gets one more run, that run's crashes and one there. Every run
// is judged by its own verdict (every invariant of the scenario). The runs
// are child processes (child_pool.hpp), reported in a fixed order, so the
// table does not depend on --jobs. Exit 1 when a run fails (each failing
// run's scenario is kept in --out-dir with the command that reproduces it)
// or a point of a protocol the scenario uses was never reached.
#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <map>
#include <set>
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
#include "ecsim/proto/plant.hpp"
#include "ecsim/proto/points.hpp"
#include "ecsim/scenario/loader.hpp"
#include "ecsim/scenario/selector.hpp"
#include "ecsim/scenario/swarm.hpp"
#include "ecsim/sim/rng.hpp"

namespace ecsim::cli {

namespace {

struct ExploreArgs {
  std::string scenario_path;
  bool crash_points = false;
  std::string restart_after = "2s";
  unsigned jobs = 0;
  std::optional<uint64_t> seed;
  std::string plant;
  std::string out_dir = ".";
  std::string timeout = "60s";
  bool json = false;
};

struct Crash {
  proto::Point point;
  std::string node;
  uint64_t nth = 1;
};

// One run: its crashes (a second one only for a recovery point), its file
// and what it gave.
struct ExploreRun {
  std::vector<Crash> crashes;
  std::string file;
  RunOutcome outcome;
};

// Where a recovery point's run crashes first: a step that leaves the
// recovery work behind (a logged decision not yet sent; a YES vote whose
// decision has not come).
proto::Point precursor(proto::Point recovery) {
  if (recovery == proto::Point::kTwopcCoordinatorRecoveryBeforeResend) {
    return proto::Point::kTwopcCoordinatorAfterDecisionLogged;
  }
  if (recovery == proto::Point::kTwopcParticipantRecoveryBeforeQuery) {
    return proto::Point::kTwopcParticipantAfterVoteSent;
  }
  throw std::logic_error(fmt::format("no precursor for the recovery point {}", proto::point_info(recovery).name));
}

std::string crash_fault(const Crash& c, const std::string& restart_after) {
  return fmt::format("{{ at_point: {}, node: {}, nth: {}, do: crash, for: {} }}", proto::point_info(c.point).name,
                     c.node, c.nth, restart_after);
}

void write_file(const std::string& path, const std::string& text) {
  std::FILE* f = std::fopen(path.c_str(), "w");
  if (f == nullptr || std::fputs(text.c_str(), f) < 0 || std::fclose(f) != 0) {
    throw std::runtime_error(fmt::format("{}: cannot write: {}", path, std::strerror(errno)));
  }
}

std::vector<std::string> explore_run_args(const ExploreArgs& a, const std::string& file, uint64_t seed) {
  std::vector<std::string> args{"run", path_arg(file), "--seed", std::to_string(seed), "--json", "--wall-timeout",
                                a.timeout};
  if (!a.plant.empty()) args.insert(args.end(), {"--plant", a.plant});
  return args;
}

// Runs `runs` in child processes, --jobs at a time; each outcome in its run.
void run_all(const ExploreArgs& a, uint64_t seed, std::vector<ExploreRun>& runs) {
  const unsigned jobs = a.jobs > 0 ? a.jobs : std::max(1u, std::thread::hardware_concurrency());
  const auto kill_after = std::chrono::nanoseconds(checked_duration(a.timeout).ns) + std::chrono::seconds(5);
  size_t started = 0;
  run_children(
      self_exe(), jobs, kill_after,
      [&]() -> std::optional<ChildSpec> {
        if (started >= runs.size()) return std::nullopt;
        const size_t i = started++;
        return ChildSpec{i, explore_run_args(a, runs[i].file, seed)};
      },
      [&](ChildExit&& c) { runs.at(c.tag).outcome = judge_run(c); }, [](size_t) {});
}

// The runs to make, in a fixed order: nodes in topology order, points in
// enum order; then the recovery points.
std::vector<ExploreRun> plan(const scenario::Scenario& sc, uint64_t seed, const nlohmann::json& by_node) {
  std::vector<ExploreRun> runs;
  const std::vector<std::string> names = scenario::node_names(sc.topology);
  for (const std::string& node : names) {
    const nlohmann::json counts = by_node.value(node, nlohmann::json::object());
    for (const proto::PointInfo& p : proto::points()) {
      const uint64_t count = counts.value(std::string(p.name), uint64_t{0});
      if (count == 0 || p.recovery) continue;
      runs.push_back({{{p.point, node, 1}}, "", {}});
      if (count < 2) continue;
      // A later reach, drawn from the seed: 2..count.
      sim::Rng rng = sim::Rng::stream(seed, fmt::format("explore/{}/{}", node, p.name));
      runs.push_back({{{p.point, node, 2 + rng.below(count - 1)}}, "", {}});
    }
  }
  for (const proto::PointInfo& p : proto::points()) {
    if (!p.recovery) continue;
    const std::string before(proto::point_info(precursor(p.point)).name);
    for (const std::string& node : names) {
      if (by_node.value(node, nlohmann::json::object()).value(before, uint64_t{0}) == 0) continue;
      runs.push_back({{{precursor(p.point), node, 1}, {p.point, node, 1}}, "", {}});
    }
  }
  return runs;
}

// Points no unfaulted run reaches but a crash run did (a participant's
// status query needs its coordinator down): one more run each, the first
// such run's crashes and then a crash at the point's first reach on the
// first node that reached it there.
std::vector<ExploreRun> follow_ups(const std::vector<ExploreRun>& runs, const proto::PointCounts& base,
                                   const std::vector<std::string>& names) {
  std::vector<ExploreRun> out;
  for (const proto::PointInfo& p : proto::points()) {
    if (p.recovery || base[static_cast<size_t>(p.point)] > 0) continue;
    for (const ExploreRun& r : runs) {
      if (!r.outcome.json.is_object() || r.outcome.points[static_cast<size_t>(p.point)] == 0) continue;
      const nlohmann::json by_node = r.outcome.json.value("points_by_node", nlohmann::json::object());
      const auto node = std::find_if(names.begin(), names.end(), [&](const std::string& n) {
        return by_node.value(n, nlohmann::json::object()).value(std::string(p.name), uint64_t{0}) > 0;
      });
      if (node == names.end()) continue;
      ExploreRun more{r.crashes, "", {}};
      more.crashes.push_back({p.point, *node, 1});
      out.push_back(std::move(more));
      break;
    }
  }
  return out;
}

std::string outcome_text(const ExploreRun& r) {
  const RunOutcome& o = r.outcome;
  if (!o.json.is_object()) return "-";
  const uint64_t applied = o.json.value("faults_applied", uint64_t{0});
  if (applied == 0) return "not reached";
  if (applied < r.crashes.size()) return "first crash only";
  // A restart due after the end of the run never happened (--restart-after
  // longer than the time left).
  const bool restarted = o.json.value("restarts", uint64_t{0}) >= r.crashes.size();
  if (r.crashes.size() == 1) return restarted ? "crashed, restarted" : "crashed, still down";
  return restarted ? "crashed twice" : "crashed twice, down";
}

std::string in_doubt_text(const RunOutcome& o) {
  if (!o.json.is_object() || !o.json.contains("billing")) return "-";
  const auto ns = o.json["billing"].value("in_doubt_max_ns", int64_t{0});
  return fmt::format("{:.1f}ms", static_cast<double>(ns) / 1e6);
}

std::string point_text(const ExploreRun& r) {
  std::string out(proto::point_info(r.crashes.back().point).name);
  if (r.crashes.size() > 1) {
    const Crash& c = r.crashes.front();
    out += fmt::format(" (after {}{})", proto::point_info(c.point).name,
                       c.node == r.crashes.back().node ? "" : " at " + c.node);
  }
  return out;
}

std::string reproduce(const ExploreArgs& a, const ExploreRun& r, uint64_t seed) {
  return fmt::format("ecsim run {} --seed {}{}{}", shell_word(path_arg(r.file)), seed,
                     a.plant.empty() ? "" : " --plant " + a.plant, reproduce_limit(r.outcome, a.timeout));
}

int do_explore(const ExploreArgs& a) {
  if (!a.crash_points) {
    throw CLI::ValidationError("--crash-points", "expected --crash-points (the one exploration explore makes)");
  }
  const scenario::Scenario sc = scenario::load_scenario_file(a.scenario_path);  // bad input: exit 2
  (void)checked_plant(a.plant, &sc);
  if (sc.requests.empty()) {
    throw CLI::ValidationError("scenario", fmt::format("{}: no requests workload, so no protocol has points to crash "
                                                       "at, expected a three-tier scenario", a.scenario_path));
  }
  const std::string restart_after = sim::format_duration(checked_duration(a.restart_after));
  (void)checked_duration(a.timeout);
  const uint64_t seed = a.seed.value_or(sc.seed);
  std::string stem = a.scenario_path.substr(a.scenario_path.rfind('/') + 1);
  if (const size_t dot = stem.rfind('.'); dot != std::string::npos) stem = stem.substr(0, dot);
  const auto file_of = [&](size_t i) { return fmt::format("{}/{}-explore-{}.yaml", a.out_dir, stem, i); };

  // The unfaulted run: which node reaches which point how often.
  std::vector<ExploreRun> base{{{}, file_of(0), {}}};
  write_file(base[0].file,
             scenario::swarm_scenario_text(sc, seed, {}, a.scenario_path, scenario::SeedFileMaker::kExplore));
  run_all(a, seed, base);
  if (base[0].outcome.verdict != "pass") {
    if (a.json) {
      std::printf("%s\n", json_text({{"unfaulted", true},
                                     {"verdict", base[0].outcome.verdict},
                                     {"detail", base[0].outcome.detail},
                                     {"reproduce", reproduce(a, base[0], seed)}})
                              .c_str());
      std::printf("%s\n", json_text({{"summary", true},
                                     {"scenario", a.scenario_path},
                                     {"seed", seed},
                                     {"plant", a.plant},
                                     {"runs", 1},
                                     {"failed", 1},
                                     {"points_unreached", nullptr},
                                     {"unfaulted_failed", true}})
                              .c_str());
      return kExitFailed;
    }
    std::printf("explore %s: the unfaulted run does not pass (%s): %s\n  reproduce: %s\n", a.scenario_path.c_str(),
                base[0].outcome.verdict.c_str(), base[0].outcome.detail.c_str(), reproduce(a, base[0], seed).c_str());
    return kExitFailed;
  }
  std::remove(base[0].file.c_str());
  const proto::PointCounts& base_points = base[0].outcome.points;
  if (std::all_of(base_points.begin(), base_points.end(), [](uint64_t n) { return n == 0; })) {
    // Nothing to crash at: an exploration of nothing fails, as every verdict
    // with nothing to judge does.
    const std::string why = "the unfaulted run reached no protocol point, so there is no crash to explore (a run "
                            "too short for any client request to reach core?)";
    if (a.json) {
      std::printf("%s\n", json_text({{"summary", true}, {"scenario", a.scenario_path}, {"seed", seed},
                                     {"plant", a.plant}, {"runs", 0}, {"failed", 0}, {"nothing_to_explore", why}})
                              .c_str());
    } else {
      std::printf("explore %s: nothing to explore: %s\n", a.scenario_path.c_str(), why.c_str());
    }
    return kExitFailed;
  }
  std::vector<ExploreRun> runs = plan(sc, seed, base[0].outcome.json.value("points_by_node", nlohmann::json::object()));
  const auto run_from = [&](size_t from) {
    for (size_t i = from; i < runs.size(); ++i) {
      runs[i].file = file_of(i + 1);
      std::vector<std::string> faults;
      for (const Crash& c : runs[i].crashes) faults.push_back(crash_fault(c, restart_after));
      write_file(runs[i].file,
                 scenario::swarm_scenario_text(sc, seed, faults, a.scenario_path, scenario::SeedFileMaker::kExplore));
    }
    std::vector<ExploreRun> batch(std::make_move_iterator(runs.begin() + static_cast<long>(from)),
                                  std::make_move_iterator(runs.end()));
    run_all(a, seed, batch);
    std::move(batch.begin(), batch.end(), runs.begin() + static_cast<long>(from));
  };
  run_from(0);
  const size_t planned = runs.size();
  for (ExploreRun& more : follow_ups(runs, base[0].outcome.points, scenario::node_names(sc.topology))) {
    runs.push_back(std::move(more));
  }
  run_from(planned);

  // The points reached over every run, and the protocols the scenario uses
  // (those its unfaulted run reached a point of).
  proto::PointCounts reached = base[0].outcome.points;
  std::set<std::string_view> used;
  for (const proto::PointInfo& p : proto::points()) {
    if (reached[static_cast<size_t>(p.point)] > 0) used.insert(proto::point_protocol(p.name));
  }
  for (const ExploreRun& r : runs) {
    for (size_t i = 0; i < proto::kPointCount; ++i) reached[i] += r.outcome.points[i];
  }
  std::vector<std::string_view> unreached;
  for (const proto::PointInfo& p : proto::points()) {
    if (used.count(proto::point_protocol(p.name)) != 0 && reached[static_cast<size_t>(p.point)] == 0) {
      unreached.push_back(p.name);
    }
  }
  // A crash before anything was promised (the first write not yet acked)
  // leaves an invariant nothing to judge: no broken promise, so not a
  // failing run, but not a pass either; counted apart.
  size_t failed = 0;
  size_t not_judged = 0;
  for (ExploreRun& r : runs) {
    if (r.outcome.verdict == "fail" && r.outcome.only_vacuous) {
      r.outcome.verdict = "not judged";
      ++not_judged;
    }
    if (r.outcome.verdict == "pass" || r.outcome.verdict == "not judged") {
      std::remove(r.file.c_str());
    } else {
      ++failed;
    }
  }
  if (a.json) {
    for (const ExploreRun& r : runs) {
      nlohmann::json crashes = nlohmann::json::array();
      for (const Crash& c : r.crashes) {
        crashes.push_back({{"point", proto::point_info(c.point).name}, {"node", c.node}, {"nth", c.nth}});
      }
      nlohmann::json j = {{"crashes", crashes}, {"outcome", outcome_text(r)}, {"in_doubt_max", in_doubt_text(r.outcome)},
                          {"verdict", r.outcome.verdict}, {"detail", r.outcome.detail}};
      if (r.outcome.verdict != "pass" && r.outcome.verdict != "not judged") j["reproduce"] = reproduce(a, r, seed);
      std::printf("%s\n", json_text(j).c_str());
    }
    nlohmann::json s = {{"summary", true}, {"scenario", a.scenario_path}, {"seed", seed}, {"plant", a.plant},
                        {"runs", runs.size()}, {"failed", failed}, {"not_judged", not_judged}};
    s["points_unreached"] = nlohmann::json::array();
    for (std::string_view name : unreached) s["points_unreached"].push_back(std::string(name));
    std::printf("%s\n", json_text(s).c_str());
    return failed == 0 && unreached.empty() ? kExitOk : kExitFailed;
  }
  const std::string unjudged =
      not_judged == 0 ? "" : fmt::format(", {} with nothing to judge (a crash before any promise)", not_judged);
  std::printf("explore %s --crash-points, seed %llu%s, restart after %s: %zu runs, %zu failed%s\n",
              a.scenario_path.c_str(), static_cast<unsigned long long>(seed),
              a.plant.empty() ? "" : (" --plant " + a.plant).c_str(), restart_after.c_str(), runs.size(), failed,
              unjudged.c_str());
  std::printf("  %-72s %-8s %5s  %-18s %10s  %s\n", "point", "node", "nth", "outcome", "in doubt", "verdict");
  for (const ExploreRun& r : runs) {
    std::printf("  %-72s %-8s %5llu  %-18s %10s  %s\n", point_text(r).c_str(), r.crashes.back().node.c_str(),
                static_cast<unsigned long long>(r.crashes.back().nth), outcome_text(r).c_str(),
                in_doubt_text(r.outcome).c_str(), r.outcome.verdict.c_str());
  }
  if (unreached.empty()) {
    std::printf("protocol points: every point of %s was reached\n", fmt::format("{}", fmt::join(used, ", ")).c_str());
  } else {
    std::printf("protocol points never reached: %zu\n", unreached.size());
    for (std::string_view name : unreached) std::printf("  %.*s\n", static_cast<int>(name.size()), name.data());
  }
  if (failed > 0) {
    std::printf("failing runs:\n");
    for (const ExploreRun& r : runs) {
      if (r.outcome.verdict == "pass" || r.outcome.verdict == "not judged") continue;
      std::printf("  %s at %s, nth %llu: %s %s\n    reproduce: %s\n", point_text(r).c_str(),
                  r.crashes.back().node.c_str(), static_cast<unsigned long long>(r.crashes.back().nth),
                  r.outcome.verdict.c_str(), r.outcome.detail.c_str(), reproduce(a, r, seed).c_str());
    }
  }
  return failed == 0 && unreached.empty() ? kExitOk : kExitFailed;
}

}  // namespace

void add_explore_command(CLI::App& app, int& exit_code) {
  auto a = std::make_shared<ExploreArgs>();
  CLI::App* cmd = app.add_subcommand("explore", "Crash each node at each protocol point it reaches, one run each");
  cmd->add_option("scenario", a->scenario_path, "Scenario YAML file (its own faults are left out)")
      ->required()
      ->check(non_empty());
  cmd->add_flag("--crash-points", a->crash_points, "Crash at every reached (node, point), and during recovery");
  cmd->add_option("--restart-after", a->restart_after, "Restart a crashed node this long after (default 2s)")
      ->check(duration_up_to(sim::seconds(3600)));
  cmd->add_option("--jobs", a->jobs, "Parallel runs (default: the number of cores)")->transform(whole_number(0, 1024));
  cmd->add_option("--seed", a->seed,
                  "Seed of every run and of the later reaches' draw (default: the scenario's)")
      ->transform(whole_number(0, UINT64_MAX));
  cmd->add_option("--plant", a->plant,
                  "Switch on one planted bug in every run (see ecsim plant --list)")
      ->check(non_empty());
  cmd->add_option("--out-dir", a->out_dir, "Where failing runs' scenario files go (default .)")
      ->check(non_empty());
  cmd->add_option("--timeout", a->timeout, "Wall-clock limit per run (default 60s)")
      ->check(duration_up_to(kWallTimeoutMax));
  cmd->add_flag("--json", a->json, "One JSON object per run, then a summary object");
  cmd->callback([a, &exit_code] {
    try {
      exit_code = do_explore(*a);
    } catch (const scenario::LoadError& e) {
      std::fprintf(stderr, "%s\n", e.what());
      exit_code = kExitBadInput;
    }
  });
}

}  // namespace ecsim::cli
