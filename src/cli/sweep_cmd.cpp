// `ecsim sweep SCENARIO --seeds A..B`: one simulation per seed, each in a
// child process (`ecsim run ... --seed N --json`), up to --jobs at a time.
// A child that crashes, aborts or outlives its timeout gets a verdict of its
// own and never stops the sweep. Results are reported in seed order, so the
// output does not depend on --jobs. Each child's protocol point counts
// (`points` in its JSON) are summed, and the sweep names the points that no
// seed reached (FoundationDB's code probes).
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
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

#include "commands.hpp"
#include "options.hpp"
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

struct SeedResult {
  uint64_t seed = 0;
  std::string verdict;  // pass, fail, crash, timeout
  std::string trace_hash;
  uint64_t events = 0;
  double wall_s = 0;
  std::string detail;  // first failed expectation, or how it died
  std::string failed_invariant;  // the name of the first failed invariant, if any
  std::vector<std::string> swarm_faults;
  std::string swarm_scenario;
  std::string swarm_file;  // written for a failing swarm seed
  // Invariants this seed judged, and those it found nothing to judge for.
  std::vector<std::string> judged, vacuous;
  bool has_points = false;  // the run reported its point counts
  proto::PointCounts points{};
};

// The protocol points over every seed that reported them.
struct PointTotals {
  uint64_t runs = 0;  // seeds whose counts are in
  proto::PointCounts reached{};
  std::vector<std::string_view> unreached() const {
    std::vector<std::string_view> out;
    for (const proto::PointInfo& p : proto::points()) {
      if (reached[static_cast<size_t>(p.point)] == 0) out.push_back(p.name);
    }
    return out;
  }
};

struct Child {
  pid_t pid = -1;
  uint64_t seed = 0;
  int out_fd = -1;
  int err_fd = -1;
  std::string out;
  std::string err;
  Clock::time_point start;
  bool killed = false;
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

std::string self_exe() {
  char buf[4096];
  const ssize_t n = readlink("/proc/self/exe", buf, sizeof buf - 1);
  if (n <= 0) return "ecsim";
  return std::string(buf, static_cast<size_t>(n));
}

Child spawn(const std::string& exe, const SweepArgs& a, uint64_t seed) {
  int out[2];
  int err[2];
  if (pipe(out) != 0 || pipe(err) != 0) throw std::runtime_error(fmt::format("pipe: {}", std::strerror(errno)));
  const std::string seed_s = std::to_string(seed);
  const pid_t pid = fork();
  if (pid < 0) throw std::runtime_error(fmt::format("fork: {}", std::strerror(errno)));
  if (pid == 0) {
    dup2(out[1], 1);
    dup2(err[1], 2);
    close(out[0]);
    close(err[0]);
    close(out[1]);
    close(err[1]);
    std::vector<const char*> argv{exe.c_str(), "run", a.random_scenarios ? "--random-scenario" : a.scenario_path.c_str(),
                                  "--seed", seed_s.c_str(), "--json", "--wall-timeout", a.timeout.c_str()};
    if (!a.memory_max.empty()) {
      argv.push_back("--memory-max");
      argv.push_back(a.memory_max.c_str());
    }
    if (a.swarm) argv.push_back("--swarm");
    if (!a.plant.empty()) {
      argv.push_back("--plant");
      argv.push_back(a.plant.c_str());
    }
    argv.push_back(nullptr);
    execv(exe.c_str(), const_cast<char* const*>(argv.data()));
    _exit(127);
  }
  close(out[1]);
  close(err[1]);
  fcntl(out[0], F_SETFL, O_NONBLOCK);
  fcntl(err[0], F_SETFL, O_NONBLOCK);
  Child c;
  c.pid = pid;
  c.seed = seed;
  c.out_fd = out[0];
  c.err_fd = err[0];
  c.start = Clock::now();
  return c;
}

// Reads what is available; closes the descriptor at end of file.
void drain(int& fd, std::string& into) {
  if (fd < 0) return;
  char buf[8192];
  for (;;) {
    const ssize_t n = read(fd, buf, sizeof buf);
    if (n > 0) {
      into.append(buf, static_cast<size_t>(n));
      continue;
    }
    if (n == 0 || (errno != EAGAIN && errno != EINTR)) {
      close(fd);
      fd = -1;
    }
    return;
  }
}

SeedResult judge(const Child& c, int status, double wall_s) {
  SeedResult r;
  r.seed = c.seed;
  r.wall_s = wall_s;
  const nlohmann::json j = nlohmann::json::parse(c.out, nullptr, false);
  const bool exited = WIFEXITED(status);
  const int code = exited ? WEXITSTATUS(status) : -1;
  if (exited && (code == 0 || code == 1) && j.is_object() && j.contains("trace_hash")) {
    r.trace_hash = j["trace_hash"].get<std::string>();
    r.events = j.value("events", uint64_t{0});
    r.verdict = code == 0 ? "pass" : "fail";
    // The first failed expectation explains the verdict, except that a run
    // stopped by its wall timeout is a timeout whatever else failed in it.
    if (j.contains("swarm_faults")) {
      r.swarm_faults = j["swarm_faults"].get<std::vector<std::string>>();
      r.swarm_scenario = j.value("swarm_scenario", std::string());
    }
    for (const auto& e : j.value("expectations", nlohmann::json::array())) {
      if (e.value("vacuous", false)) r.vacuous.push_back(e.value("name", ""));
      if (e.value("ok", true) && !e.value("informational", false)) r.judged.push_back(e.value("name", ""));
      if (e.value("ok", true) || e.value("informational", false)) continue;
      if (r.failed_invariant.empty()) r.failed_invariant = e.value("name", "");
      const bool timed_out = e.value("name", "") == "wall_timeout";
      if (!r.detail.empty() && !timed_out) continue;
      if (timed_out) r.verdict = "timeout";
      r.detail = e.value("name", "") + ": " + e.value("detail", "");
    }
    if (r.detail.empty() && j.value("event_limit_hit", false)) r.detail = "stopped by --max-events";
    if (const auto p = j.find("points"); p != j.end() && p->is_object()) {
      r.has_points = true;
      for (const proto::PointInfo& info : proto::points()) {
        r.points[static_cast<size_t>(info.point)] = p->value(std::string(info.name), uint64_t{0});
      }
    }
    return r;
  }
  if (c.killed) {
    r.verdict = "timeout";
    r.detail = "killed after the timeout";
    return r;
  }
  r.verdict = "crash";
  std::string last = c.err;
  while (!last.empty() && last.back() == '\n') last.pop_back();
  if (const size_t nl = last.rfind('\n'); nl != std::string::npos) last = last.substr(nl + 1);
  r.detail = exited ? fmt::format("exit code {}: {}", code, last)
                    : fmt::format("signal {} ({}): {}", WTERMSIG(status), strsignal(WTERMSIG(status)), last);
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
  const std::string plant = a.plant.empty() ? "" : " --plant " + a.plant;
  if (!r.swarm_file.empty()) return fmt::format("ecsim run {}{}", r.swarm_file, plant);
  if (a.random_scenarios) return fmt::format("ecsim run --random-scenario --seed {}{}", r.seed, plant);
  return fmt::format("ecsim run {} --seed {}{}{}", a.scenario_path, r.seed, a.swarm ? " --swarm" : "", plant);
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
  if (unreached.empty()) {
    std::printf("protocol points: every one of the %zu was reached (over %llu runs)\n", proto::kPointCount, runs);
    return;
  }
  std::printf("protocol points no seed reached: %zu of %zu (over %llu runs)\n", unreached.size(), proto::kPointCount,
              runs);
  for (std::string_view name : unreached) std::printf("  %.*s\n", static_cast<int>(name.size()), name.data());
}

int do_sweep(const SweepArgs& a) {
  if (a.random_scenarios == !a.scenario_path.empty()) {
    throw CLI::ValidationError("scenario", "expected a scenario file or --random-scenarios (not both)");
  }
  if (a.random_scenarios && a.swarm) throw CLI::ValidationError("--swarm", "does not go with --random-scenarios");
  // Bad input stops here, with exit 2.
  const scenario::Scenario sc = a.random_scenarios ? scenario::Scenario{} : scenario::load_scenario_file(a.scenario_path);
  if (!a.plant.empty() && !proto::plant_by_name(a.plant)) {
    throw CLI::ValidationError("--plant", fmt::format("unknown plant '{}', see ecsim plant --list", a.plant));
  }
  const auto [first, last] = parse_seed_range(a.seeds);
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
  std::vector<Child> running;
  // Seeds are counted from `first`, never compared with `last`: a range that
  // ends at 2^64-1 would wrap its counter and never end.
  uint64_t started = 0;
  uint64_t printed = 0;
  uint64_t failed = 0;
  const uint64_t total = last - first + 1;
  while ((started < total && !(a.stop_on_fail && failed > 0)) || !running.empty()) {
    while (started < total && running.size() < jobs && !(a.stop_on_fail && failed > 0)) {
      running.push_back(spawn(exe, a, first + started));
      ++started;
    }
    std::vector<pollfd> fds;
    for (const Child& c : running) {
      if (c.out_fd >= 0) fds.push_back({c.out_fd, POLLIN, 0});
      if (c.err_fd >= 0) fds.push_back({c.err_fd, POLLIN, 0});
    }
    if (!fds.empty()) poll(fds.data(), fds.size(), 100);
    for (size_t i = 0; i < running.size();) {
      Child& c = running[i];
      drain(c.out_fd, c.out);
      drain(c.err_fd, c.err);
      if (!c.killed && Clock::now() - c.start > kill_after) {
        kill(c.pid, SIGKILL);
        c.killed = true;
      }
      int status = 0;
      if ((c.out_fd >= 0 || c.err_fd >= 0) && !c.killed) {
        ++i;
        continue;
      }
      if (waitpid(c.pid, &status, c.killed ? 0 : WNOHANG) == 0) {
        ++i;
        continue;
      }
      if (c.out_fd >= 0) close(c.out_fd);
      if (c.err_fd >= 0) close(c.err_fd);
      const double wall_s = std::chrono::duration<double>(Clock::now() - c.start).count();
      SeedResult r = judge(c, status, wall_s);
      if (r.verdict != "pass") {
        ++failed;
        if (!r.swarm_scenario.empty()) write_swarm_file(a, stem, r);
      }
      done[c.seed] = std::move(r);
      running.erase(running.begin() + static_cast<long>(i));
    }
    while (printed < total && done.count(first + printed) != 0) {
      if (a.json) std::printf("%s\n", seed_json(done[first + printed]).dump().c_str());
      ++printed;
    }
    if (progress) {
      print_progress(done.size(), failed, total, running.size(),
                     std::chrono::duration<double>(Clock::now() - t0).count());
    }
  }
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
    for (size_t i = 0; i < proto::kPointCount; ++i) points.reached[i] += r.points[i];
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
    s["points_unreached"] = nlohmann::json::array();
    if (points.runs > 0) {
      for (std::string_view name : unreached) s["points_unreached"].push_back(std::string(name));
    }
    std::printf("%s\n", s.dump().c_str());
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
  sweep->add_option("scenario", a->scenario_path, "Scenario YAML file (none with --random-scenarios)");
  sweep->add_option("--seeds", a->seeds, "Seeds: N or A..B (default 1..100)");
  sweep->add_option("--jobs", a->jobs, "Parallel runs (default: the number of cores)")->check(whole_number(0, 1024));
  sweep->add_option("--timeout", a->timeout, "Wall-clock limit per seed (default 60s)")
      ->check(duration_up_to(kWallTimeoutMax));
  sweep->add_flag("--json", a->json, "One JSON object per seed, then a summary object");
  sweep->add_flag("--swarm", a->swarm, "Give every seed its own random fault mix; judge invariants only");
  sweep->add_option("--plant", a->plant, "Switch on one planted bug in every run (see ecsim plant --list)");
  sweep->add_flag("--stop-on-fail", a->stop_on_fail, "Start no more seeds once one has failed");
  sweep->add_flag("--random-scenarios", a->random_scenarios,
                  "Give every seed its own random valid scenario (ecsim run --random-scenario)");
  sweep->add_option("--out-dir", a->out_dir, "Where failing swarm seeds' scenario files go (default .)");
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
