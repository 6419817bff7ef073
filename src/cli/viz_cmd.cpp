// `ecsim viz`: the Dear ImGui viewer (viz/, docs/viewer.md). This file only
// reads the command line; the viewer library does the rest.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <memory>
#include <vector>
#include <optional>
#include <stdexcept>
#include <string>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include "commands.hpp"
#include "ecsim/scenario/loader.hpp"
#include "model/follow.hpp"
#include "model/probe.hpp"
#include "model/session.hpp"
#include "options.hpp"
#include "viewer.hpp"

namespace ecsim::cli {

namespace {
struct VizArgs {
  viz::ViewerOptions viewer;
  std::optional<uint64_t> seed;
  std::string checkpoint_memory;
  std::string run_checkpoint_memory;
  uint64_t run_checkpoint_every = 0;
  uint64_t bench = 0;
};
double ms_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
}

std::string figures(std::vector<double> ms) {
  std::sort(ms.begin(), ms.end());
  const auto at = [&ms](double q) { return ms[static_cast<size_t>(q * static_cast<double>(ms.size() - 1))]; };
  return fmt::format("p50 {:.3f} ms  p99 {:.3f} ms  max {:.3f} ms", at(0.5), at(0.99), ms.back());
}

// Node internals (the Node tab: model/probe.hpp) at the same seeded times,
// behind the probe once it has run to the end: from a checkpoint of its
// run (model/forks.hpp), or from t = 0 with --run-checkpoint-memory 0; and
// one event back from there. A jump samples the first node's snapshot.
void bench_internals(const VizArgs& a, viz::Timeline& t) {
  viz::Probe p(t, {}, viz::Probe::kCacheBytesDefault, viz::fork_limits(t.limits()));
  const auto internals = [&](uint64_t event) {
    const auto start = std::chrono::steady_clock::now();
    while (!p.advance_to(event, t.cursor_ns(), UINT64_MAX)) {
    }
    if (p.snapshot(0, event) == nullptr)
      throw std::logic_error("viz --bench: no snapshot where the probe is");
    return ms_since(start);
  };
  const double to_end_ms = internals(t.events_simulated());
  const uint64_t last = p.events();
  std::vector<double> jumps, backwards;
  uint64_t x = 0x9e3779b97f4a7c15ULL;  // the timeline's seeded times
  for (uint64_t i = 0; i < a.bench; ++i) {
    x ^= x << 13, x ^= x >> 7, x ^= x << 17;
    t.seek_time(static_cast<int64_t>(x % static_cast<uint64_t>(std::max<int64_t>(1, t.end_ns()))));
    const uint64_t event = std::min(t.cursor_event(), last - 1);
    jumps.push_back(internals(event));
    if (event > 0) backwards.push_back(internals(event - 1));
  }
  const viz::RunForks* f = p.forks();
  std::printf("node internals: the probe to the end in %.0f ms; %s\n", to_end_ms,
              f == nullptr ? "no checkpoints of its run (--run-checkpoint-memory 0)"
                           : fmt::format("{} checkpoints of its run every {} events, {:.1f} MiB",
                                         f->size(), f->every_events(),
                                         static_cast<double>(f->memory_bytes()) / (1 << 20))
                                 .c_str());
  std::printf("node internals at a seeded time behind it: %s\n", figures(jumps).c_str());
  if (!backwards.empty())
    std::printf("node internals one event back: %s\n", figures(backwards).c_str());
}

// `--bench N`, headless: opening (a trace file is re-simulated and checked
// whole), N jumps to seeded times, N single steps forwards and backwards
// around each, with their wall-clock latencies (docs/benchmarks.md).
int viz_bench(const VizArgs& a) {
  const auto open_start = std::chrono::steady_clock::now();
  viz::Session s;
  try {
    s = viz::open_session(a.viewer.open);
  } catch (const viz::OpenError& e) {
    std::fprintf(stderr, "ecsim viz: %s\n", e.what());
    return kExitBadInput;
  }
  if (const std::string why = viz::verify_trace(s); !why.empty()) {
    std::fprintf(stderr, "ecsim viz: %s: %s\n", a.viewer.open.trace_path.c_str(), why.c_str());
    return kExitBadInput;
  }
  viz::Timeline& t = *s.timeline;
  const double open_ms = ms_since(open_start);
  const auto all_start = std::chrono::steady_clock::now();
  t.simulate_all();
  const double all_ms = ms_since(all_start) + open_ms;
  std::vector<double> jumps, forwards, backwards;
  uint64_t x = 0x9e3779b97f4a7c15ULL;  // a fixed seed: the same times every run
  for (uint64_t i = 0; i < a.bench; ++i) {
    x ^= x << 13, x ^= x >> 7, x ^= x << 17;
    const int64_t when = static_cast<int64_t>(x % static_cast<uint64_t>(std::max<int64_t>(1, t.end_ns())));
    auto start = std::chrono::steady_clock::now();
    t.seek_time(when);
    jumps.push_back(ms_since(start));
    start = std::chrono::steady_clock::now();
    t.step(+1);
    forwards.push_back(ms_since(start));
    start = std::chrono::steady_clock::now();
    t.step(-1);
    t.step(-1);
    backwards.push_back(ms_since(start) / 2);
  }
  std::printf("%s: %llu records kept of %llu, simulated and collected in %.0f ms (open %.0f ms)\n", s.label.c_str(),
              static_cast<unsigned long long>(t.collected()), static_cast<unsigned long long>(t.result().records),
              all_ms, open_ms);
  std::printf("checkpoints: %zu every %llu records, %.1f MiB; records %.1f MiB\n", t.checkpoint_count(),
              static_cast<unsigned long long>(t.checkpoint_every()),
              static_cast<double>(t.checkpoint_bytes()) / (1 << 20), static_cast<double>(t.record_bytes()) / (1 << 20));
  if (a.bench > 0) {
    std::printf("jump to a seeded time (%llu): %s\n", static_cast<unsigned long long>(a.bench), figures(jumps).c_str());
    std::printf("step forwards: %s\n", figures(forwards).c_str());
    std::printf("step backwards: %s\n", figures(backwards).c_str());
  }
  bench_internals(a, t);
  return kExitOk;
}
}  // namespace

void add_viz_command(CLI::App& app, int& exit_code) {
  auto args = std::make_shared<VizArgs>();
  CLI::App* viz = app.add_subcommand("viz", "Step through, scrub and replay a run in a window (docs/viewer.md)");
  viz->add_option("scenario", args->viewer.open.scenario_path,
                  "Scenario YAML file (default: the quickstart)")
      ->check(non_empty());
  viz->add_option("--seed", args->seed, "Seed (overrides the scenario's)")->transform(whole_number(0, UINT64_MAX));
  viz->add_option(
         "--trace", args->viewer.open.trace_path,
         "Open a trace file: re-simulate its scenario and seed, refused unless the hash reproduces")
      ->check(non_empty());
  viz->add_option("--at", args->viewer.at,
                  "Open with the cursor at TIME (e.g. 12.5s) or at first-failure")
      ->check(non_empty());
  const CLI::Validator memory_size(
      [](std::string& value) {
        std::string why;
        return scenario::parse_memory_size(value, why) ? std::string()
                                                       : fmt::format("'{}': {}", value, why);
      },
      "SIZE", "memory size");
  viz->add_option("--checkpoint-memory", args->checkpoint_memory,
                  "Bytes the view-state checkpoints may take, e.g. 256MiB (default 1GiB)")
      ->check(memory_size);
  viz->add_option(
         "--run-checkpoint-memory", args->run_checkpoint_memory,
         "Bytes the checkpoints of the run for node internals (forked processes) may take; "
         "0: none, behind the probe it re-simulates from t = 0 (default 1GiB)")
      ->check(CLI::Validator(
          [](std::string& value) {
            std::string why;
            return value == "0" || scenario::parse_memory_size(value, why)
                       ? std::string()
                       : fmt::format("'{}': {} (or 0: none)", value, why);
          },
          "SIZE", "memory size or 0"));
  viz->add_option(
         "--run-checkpoint-every", args->run_checkpoint_every,
         fmt::format("Events between the run's checkpoints at first (default {}; doubles when "
                     "the memory runs short)",
                     viz::ForkLimits{}.every_events))
      ->transform(whole_number(1, UINT64_MAX));
  viz->add_option("--screenshot", args->viewer.screenshot,
                  "Render headless frames and write the last one as PNG")
      ->check(non_empty());
  viz->add_option("--select", args->viewer.select, "Select this node (its state in the Node tab)")
      ->check(non_empty());
  viz->add_option("--tab", args->viewer.tab,
                  fmt::format("Open this tab, or a side and a bottom tab like twopc,spacetime: {}",
                              viz::viewer_tabs()))
      ->check(non_empty());
  viz->add_option("--follow", args->viewer.follow,
                  fmt::format("Follow this 2PC transaction in every tab: its id (as the 2PC tab "
                              "and the log name it) "
                              "or one of {}; without --at, the cursor goes to its start",
                              viz::follow_names()))
      ->check(non_empty());
  viz->add_option("--frames", args->viewer.frames, "Frames to render before the screenshot (default 3)")
      ->transform(whole_number(2, 10000));
  viz->add_option("--layout", args->viewer.layout_path,
                  "JSON file of node centres: {\"nodes\": {\"edge-1\": [x, y]}}")
      ->check(non_empty());
  viz->add_option("--mouse", args->viewer.mouse,
                  "With --screenshot: hold the pointer at X,Y (pixels) on every frame, to show a "
                  "hover's tooltip")
      ->check(non_empty());
  viz->add_option(
         "--actions", args->viewer.actions_path,
         "JSON file of demo actions to take first: [{\"at\": \"10s\", \"crash\": \"edge-1\"}, ...]")
      ->check(non_empty());
  viz->add_option("--save-scenario", args->viewer.save_scenario,
                  "Save the session (scenario + actions) as YAML; without --screenshot, no window: "
                  "print its hash")
      ->check(non_empty());
  viz->add_option("--fps", args->viewer.fps_frames,
                  "Play N frames (1/30 s each) in a window, without vsync, and print the frame times")
      ->transform(whole_number(1, 100000));
  viz->add_option("--bench", args->bench,
                  "Headless: time N jumps to seeded times and steps back and forth, print the latencies")
      ->transform(whole_number(1, 1000000));
  // What cannot go together is refused rather than dropped: --bench is
  // headless and draws nothing, --fps plays a window it does not capture.
  for (const char* other : {"--screenshot", "--select", "--tab", "--follow", "--layout", "--mouse",
                            "--actions", "--save-scenario", "--fps", "--at", "--frames"}) {
    viz->get_option("--bench")->excludes(viz->get_option(other));
  }
  for (const char* other : {"--screenshot", "--save-scenario", "--frames"}) {
    viz->get_option("--fps")->excludes(viz->get_option(other));
  }
  // Frames are rendered only for a screenshot: without one, --frames was
  // taken and ignored (an adversarial pass).
  viz->get_option("--frames")->needs(viz->get_option("--screenshot"));
  viz->callback([args, &exit_code] {
    VizArgs& a = *args;
    refuse_shared_outputs({{"the scenario", a.viewer.open.scenario_path},
                           {"--trace", a.viewer.open.trace_path},
                           {"--layout", a.viewer.layout_path},
                           {"--actions", a.viewer.actions_path}},
                          {{"--screenshot", a.viewer.screenshot}, {"--save-scenario", a.viewer.save_scenario}});
    a.viewer.open.seed = a.seed;
    if (!a.checkpoint_memory.empty()) {
      std::string why;
      a.viewer.open.limits.checkpoint_memory_bytes = *scenario::parse_memory_size(a.checkpoint_memory, why);
    }
    if (!a.run_checkpoint_memory.empty()) {
      std::string why;
      a.viewer.open.limits.run_checkpoint_memory_bytes =
          a.run_checkpoint_memory == "0"
              ? 0
              : *scenario::parse_memory_size(a.run_checkpoint_memory, why);
    }
    if (a.run_checkpoint_every > 0)
      a.viewer.open.limits.run_checkpoint_every = a.run_checkpoint_every;
    exit_code = a.bench > 0 ? viz_bench(a) : viz::run_viewer(a.viewer);
  });
}

}  // namespace ecsim::cli
