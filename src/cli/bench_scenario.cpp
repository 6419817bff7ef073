// `ecsim bench scenario [FILE]`: the simulator's speed and memory on a whole
// scenario (verdict machinery on), each figure also as a ratio to the bare
// kernel (`ecsim bench kernel --pending 1000`) measured in the same
// invocation, so that a figure means the same on a fast or a loaded machine.
//
// Every measured run, the kernel's and the scenario's, is a child process
// (this binary re-executed: `ecsim run FILE --json --report-peak-rss` and
// `ecsim bench kernel --json`): its peak resident set (VmHWM, read by the
// child itself at its end) is then its own, not the parent's nor an earlier
// run's. A forked child would inherit the parent's pages and, through the
// kernel's accounting at exec, its high-water mark. The runs alternate
// kernel, scenario, kernel, scenario, ...; a ratio is taken per pair and the
// median over the pairs is reported, as are the medians of the raw figures.
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <exception>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "child_pool.hpp"
#include "commands.hpp"
#include "ecsim/scenario/loader.hpp"
#include "ecsim/scenario/selector.hpp"
#include "ecsim/scenario/validate.hpp"
#include "ecsim/sim/assert.hpp"
#include "json_out.hpp"
#include "options.hpp"

extern char** environ;

namespace ecsim::cli {

namespace {

struct ScenarioBenchArgs {
  std::string scenario_path;  // empty: the built-in quickstart
  std::optional<uint64_t> seed;
  std::string until;
  uint64_t runs = 3;
  uint64_t kernel_events = 5000000;
  uint64_t kernel_pending = 1000;
  bool json = false;
};

// What one child printed and how it ended.
struct ChildOutput {
  int exit_code = -1;  // -1: killed by a signal
  std::string text;    // stdout and stderr, interleaved
};

// Runs `exe args...` with stdout and stderr into one pipe, waits for it.
ChildOutput run_child(const std::string& exe, const std::vector<std::string>& args) {
  int fds[2];
  if (::pipe(fds) != 0) throw std::runtime_error(fmt::format("bench scenario: pipe: {}", std::strerror(errno)));
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addclose(&actions, fds[0]);
  posix_spawn_file_actions_adddup2(&actions, fds[1], 1);
  posix_spawn_file_actions_adddup2(&actions, fds[1], 2);
  posix_spawn_file_actions_addclose(&actions, fds[1]);
  std::vector<char*> argv;
  argv.push_back(const_cast<char*>(exe.c_str()));
  for (const std::string& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  pid_t pid = 0;
  const int rc = ::posix_spawn(&pid, exe.c_str(), &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  ::close(fds[1]);
  if (rc != 0) {
    ::close(fds[0]);
    throw std::runtime_error(fmt::format("bench scenario: cannot start {}: {}", exe, std::strerror(rc)));
  }
  ChildOutput out;
  char buf[65536];
  for (;;) {
    const ssize_t n = ::read(fds[0], buf, sizeof buf);
    if (n > 0) {
      out.text.append(buf, static_cast<size_t>(n));
    } else if (n == 0 || errno != EINTR) {
      break;
    }
  }
  ::close(fds[0]);
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (WIFEXITED(status)) out.exit_code = WEXITSTATUS(status);
  return out;
}

// The one JSON object a child printed (the line that starts with '{').
nlohmann::json child_json(const ChildOutput& c, const std::string& what) {
  size_t pos = 0;
  while (pos < c.text.size()) {
    const size_t end = std::min(c.text.find('\n', pos), c.text.size());
    if (c.text[pos] == '{') return nlohmann::json::parse(c.text.substr(pos, end - pos));
    pos = end + 1;
  }
  const std::string first = c.text.substr(0, c.text.find('\n'));
  throw std::runtime_error(fmt::format("bench scenario: {} exited with {} and printed no JSON: {}", what,
                                       c.exit_code, first));
}

// "peak rss: N KiB" from `ecsim run --report-peak-rss`, in bytes.
int64_t child_peak_rss_bytes(const ChildOutput& c) {
  const size_t at = c.text.find("peak rss: ");
  if (at == std::string::npos) return -1;
  return std::strtoll(c.text.c_str() + at + 10, nullptr, 10) * 1024;
}

double median(std::vector<double> v) {
  ECSIM_ASSERT(!v.empty());
  std::sort(v.begin(), v.end());
  const size_t n = v.size();
  return n % 2 == 1 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

// One alternating pair: the kernel's and the scenario's figures.
struct Pair {
  double kernel_events_per_s = 0;
  int64_t kernel_peak_rss_bytes = 0;
  double wall_s = 0;
  double events_per_s = 0;
  int64_t peak_rss_bytes = 0;
  uint64_t events = 0;
  uint64_t requests = 0;
  std::string verdict;
  std::string trace_hash;
};

// Simulated client requests of a run: what the tiers' clients offered, or
// the pings the ping workloads sent.
uint64_t client_requests(const nlohmann::json& run) {
  uint64_t n = 0;
  if (run.contains("tiers") && run["tiers"].is_object()) {
    for (const auto& t : run["tiers"]["throughput"]) n += t["offered"].get<uint64_t>();
  }
  for (const auto& w : run["workloads"]) n += w["sent"].get<uint64_t>();
  return n;
}

Pair measure_pair(const std::string& exe, const ScenarioBenchArgs& a) {
  Pair p;
  const ChildOutput k = run_child(exe, {"bench", "kernel", "--pending", std::to_string(a.kernel_pending), "--events",
                                        std::to_string(a.kernel_events), "--json"});
  if (k.exit_code != 0) {
    throw std::runtime_error(fmt::format("bench scenario: ecsim bench kernel exited with {}: {}", k.exit_code,
                                         k.text.substr(0, k.text.find('\n'))));
  }
  const nlohmann::json kj = child_json(k, "ecsim bench kernel");
  p.kernel_events_per_s = kj.at("events_per_s").get<double>();
  p.kernel_peak_rss_bytes = kj.at("peak_rss_kib").get<int64_t>() * 1024;

  std::vector<std::string> args = {"run"};
  if (!a.scenario_path.empty()) args.push_back(path_arg(a.scenario_path));
  if (a.seed) args.insert(args.end(), {"--seed", std::to_string(*a.seed)});
  if (!a.until.empty()) args.insert(args.end(), {"--until", a.until});
  args.insert(args.end(), {"--json", "--report-peak-rss"});
  const ChildOutput s = run_child(exe, args);
  if (s.exit_code != 0 && s.exit_code != 1) {
    throw std::runtime_error(fmt::format("bench scenario: ecsim run exited with {}: {}", s.exit_code,
                                         s.text.substr(0, s.text.find('\n'))));
  }
  const nlohmann::json sj = child_json(s, "ecsim run");
  p.wall_s = sj.at("wall_s").get<double>();
  p.events_per_s = sj.at("events_per_s").get<double>();
  p.events = sj.at("events").get<uint64_t>();
  p.requests = client_requests(sj);
  p.verdict = sj.at("verdict").get<std::string>();
  p.trace_hash = sj.at("trace_hash").get<std::string>();
  p.peak_rss_bytes = child_peak_rss_bytes(s);
  return p;
}

template <class F>
double median_of(const std::vector<Pair>& pairs, F f) {
  std::vector<double> v;
  for (const Pair& p : pairs) v.push_back(f(p));
  return median(v);
}

nlohmann::json bench_json(const ScenarioBenchArgs& a, const scenario::Scenario& sc, const std::vector<Pair>& pairs) {
  const Pair& first = pairs.front();
  const double nodes = static_cast<double>(scenario::node_names(sc.topology).size());
  const double requests = static_cast<double>(first.requests);
  const double per_request = requests > 0 ? static_cast<double>(first.events) / requests : 0.0;
  auto req_per_s = [&](const Pair& p) { return p.wall_s > 0 ? requests / p.wall_s : 0.0; };
  auto rss = [](const Pair& p) { return static_cast<double>(p.peak_rss_bytes); };
  auto krss = [](const Pair& p) { return static_cast<double>(p.kernel_peak_rss_bytes); };
  nlohmann::json samples = nlohmann::json::array();
  for (const Pair& p : pairs) {
    samples.push_back({{"kernel_events_per_s", p.kernel_events_per_s}, {"kernel_peak_rss_bytes", p.kernel_peak_rss_bytes},
                       {"wall_s", p.wall_s}, {"events_per_s", p.events_per_s}, {"peak_rss_bytes", p.peak_rss_bytes}});
  }
  nlohmann::json vs_kernel = {
      // The scenario's wall time counted in events the bare kernel dispatches meanwhile.
      {"wall_kernel_events", median_of(pairs, [](const Pair& p) { return p.wall_s * p.kernel_events_per_s; })},
      {"events_per_s", median_of(pairs, [](const Pair& p) { return p.events_per_s / p.kernel_events_per_s; })},
      {"requests_per_s", median_of(pairs, [&](const Pair& p) { return req_per_s(p) / p.kernel_events_per_s; })},
      // Kernel events dispatched in the wall time one simulated request takes.
      // 0 without a client request (no time per request to count in).
      {"kernel_events_per_request",
       requests > 0
           ? median_of(pairs, [&](const Pair& p) { return p.kernel_events_per_s / std::max(req_per_s(p), 1e-9); })
           : 0.0},
      {"peak_rss", median_of(pairs, [&](const Pair& p) { return rss(p) / krss(p); })},
      {"bytes_per_node", median_of(pairs, [&](const Pair& p) { return rss(p) / nodes / krss(p); })}};
  return {{"bench", "scenario"},
          {"scenario", sc.name},
          {"file", a.scenario_path},
          {"runs", pairs.size()},
          {"nodes", static_cast<uint64_t>(nodes)},
          {"events", first.events},
          {"client_requests", first.requests},
          {"events_per_request", per_request},
          {"verdict", first.verdict},
          {"trace_hash", first.trace_hash},
          {"wall_s", median_of(pairs, [](const Pair& p) { return p.wall_s; })},
          {"events_per_s", median_of(pairs, [](const Pair& p) { return p.events_per_s; })},
          {"requests_per_s", median_of(pairs, req_per_s)},
          {"peak_rss_bytes", median_of(pairs, rss)},
          {"bytes_per_node", median_of(pairs, rss) / nodes},
          {"kernel", {{"pending", a.kernel_pending}, {"events", a.kernel_events},
                      {"events_per_s", median_of(pairs, [](const Pair& p) { return p.kernel_events_per_s; })},
                      {"peak_rss_bytes", median_of(pairs, krss)}}},
          {"vs_kernel", vs_kernel},
          {"samples", samples}};
}

void print_bench(const nlohmann::json& j) {
  const nlohmann::json& k = j["kernel"];
  const nlohmann::json& r = j["vs_kernel"];
  std::printf("bench scenario '%s'  %llu nodes  %llu events  %llu client requests  (%.2f events per request)  %s\n",
              j["scenario"].get<std::string>().c_str(), j["nodes"].get<unsigned long long>(),
              j["events"].get<unsigned long long>(), j["client_requests"].get<unsigned long long>(),
              j["events_per_request"].get<double>(), j["verdict"].get<std::string>().c_str());
  std::printf("  medians of %llu alternating runs; ratios to `bench kernel --pending %llu` taken pair by pair\n",
              j["runs"].get<unsigned long long>(), k["pending"].get<unsigned long long>());
  std::printf("  %-22s%16.0f events/s\n", "kernel", k["events_per_s"].get<double>());
  std::printf("  %-22s%16.3f s     = %.3g kernel events\n", "wall time", j["wall_s"].get<double>(),
              r["wall_kernel_events"].get<double>());
  std::printf("  %-22s%16.0f        = %.4fx the kernel's\n", "events/s", j["events_per_s"].get<double>(),
              r["events_per_s"].get<double>());
  if (j["client_requests"].get<uint64_t>() == 0) {
    std::printf("  %-22s%16.0f        (no client request in the run)\n", "client requests/s", 0.0);
  } else {
    std::printf("  %-22s%16.0f        = %.5fx the kernel's events/s (%.0f kernel events per request)\n",
                "client requests/s", j["requests_per_s"].get<double>(), r["requests_per_s"].get<double>(),
                r["kernel_events_per_request"].get<double>());
  }
  std::printf("  %-22s%16.1f MiB   = %.2fx the kernel bench's (%.1f MiB)\n", "peak RSS",
              j["peak_rss_bytes"].get<double>() / (1 << 20), r["peak_rss"].get<double>(),
              k["peak_rss_bytes"].get<double>() / (1 << 20));
  std::printf("  %-22s%16.0f bytes = %.4fx the kernel bench's peak RSS\n", "peak RSS per node",
              j["bytes_per_node"].get<double>(), r["bytes_per_node"].get<double>());
  std::printf("trace hash: %s\n", j["trace_hash"].get<std::string>().c_str());
}

int do_bench_scenario(const ScenarioBenchArgs& a) {
  // Bad input is refused here, in one line with exit 2, before any child runs.
  if (!a.scenario_path.empty()) refuse_pipe_scenario(a.scenario_path, "bench scenario");
  const scenario::Scenario sc =
      a.scenario_path.empty() ? scenario::load_quickstart() : scenario::load_scenario_file(a.scenario_path);
  const std::string exe = self_exe();
  std::vector<Pair> pairs;
  for (uint64_t i = 0; i < a.runs; ++i) {
    pairs.push_back(measure_pair(exe, a));
    // The same scenario and seed must give the same run every time.
    if (pairs.back().events != pairs.front().events || pairs.back().trace_hash != pairs.front().trace_hash) {
      throw std::runtime_error(fmt::format("bench scenario: run {} differs from run 1 ({} events, hash {} vs {} "
                                           "events, hash {}): the simulation is not deterministic",
                                           i + 1, pairs.back().events, pairs.back().trace_hash, pairs.front().events,
                                           pairs.front().trace_hash));
    }
  }
  const nlohmann::json j = bench_json(a, sc, pairs);
  if (a.json) {
    std::printf("%s\n", json_text(j).c_str());
  } else {
    print_bench(j);
  }
  return kExitOk;
}

}  // namespace

void add_bench_scenario_command(CLI::App& bench, int& exit_code) {
  auto a = std::make_shared<ScenarioBenchArgs>();
  CLI::App* sub = bench.add_subcommand(
      "scenario", "A scenario's wall time, events/s, requests/s and peak RSS, as ratios to the bare kernel");
  sub->add_option("scenario", a->scenario_path,
                  "Scenario YAML file (default: the built-in quickstart)")
      ->check(non_empty());
  sub->add_option("--seed", a->seed, "Seed (overrides the scenario's)")->transform(whole_number(0, UINT64_MAX));
  sub->add_option("--until", a->until, "Simulated time to stop at, e.g. 10s (overrides duration)")
      ->check(duration_up_to(scenario::kScenarioDurationMax));
  sub->add_option("--runs", a->runs, "Alternating kernel/scenario pairs (default 3; the medians are reported)")
      ->transform(whole_number(1, 99));
  sub->add_option("--kernel-events", a->kernel_events, "Events of each kernel run (default 5000000)")
      ->transform(whole_number(1000, 100000000000));  // bench kernel's --events
  sub->add_flag("--json", a->json, "Print one JSON object");
  sub->callback([a, &exit_code] {
    try {
      exit_code = do_bench_scenario(*a);
    } catch (const scenario::LoadError& e) {
      std::fprintf(stderr, "%s\n", e.what());
      exit_code = kExitBadInput;
    } catch (const CLI::ParseError&) {
      throw;  // bad input, said by main in one line with exit 2
    } catch (const std::exception& e) {
      // A child that failed or printed something unreadable: not bad input.
      std::fprintf(stderr, "ecsim: %s\n", e.what());
      exit_code = kExitFailed;
    }
  });
}

}  // namespace ecsim::cli
