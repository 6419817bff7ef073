// `ecsim viz`: the Dear ImGui viewer (viz/, docs/viewer.md). This file only
// reads the command line; the viewer library does the rest.
#include <cstdio>
#include <memory>
#include <optional>
#include <string>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include "commands.hpp"
#include "ecsim/scenario/loader.hpp"
#include "options.hpp"
#include "viewer.hpp"

namespace ecsim::cli {

namespace {
struct VizArgs {
  viz::ViewerOptions viewer;
  std::optional<uint64_t> seed;
  std::string checkpoint_memory;
  uint64_t bench = 0;
};
}  // namespace

void add_viz_command(CLI::App& app, int& exit_code) {
  auto args = std::make_shared<VizArgs>();
  CLI::App* viz = app.add_subcommand("viz", "Step through, scrub and replay a run in a window (docs/viewer.md)");
  viz->add_option("scenario", args->viewer.open.scenario_path, "Scenario YAML file (default: the quickstart)");
  viz->add_option("--seed", args->seed, "Seed (overrides the scenario's)")->check(whole_number(0, UINT64_MAX));
  viz->add_option("--trace", args->viewer.open.trace_path,
                  "Open a trace file: re-simulate its scenario and seed, refused unless the hash reproduces");
  viz->add_option("--at", args->viewer.at, "Open with the cursor at TIME (e.g. 12.5s) or at first-failure");
  viz->add_option("--checkpoint-memory", args->checkpoint_memory,
                  "Bytes the view-state checkpoints may take, e.g. 256MiB (default 1GiB)")
      ->check(CLI::Validator(
          [](std::string& value) {
            std::string why;
            return scenario::parse_memory_size(value, why) ? std::string() : fmt::format("'{}': {}", value, why);
          },
          "SIZE", "memory size"));
  viz->add_option("--screenshot", args->viewer.screenshot, "Render headless frames and write the last one as PNG");
  viz->add_option("--select", args->viewer.select, "Select this node (its state in the Node tab)");
  viz->add_option("--tab", args->viewer.tab, fmt::format("Open this tab: {}", viz::viewer_tabs()));
  viz->add_option("--frames", args->viewer.frames, "Frames to render before the screenshot (default 3)")
      ->check(CLI::Range(2, 10000));
  viz->add_option("--layout", args->viewer.layout_path, "JSON file of node centres: {\"nodes\": {\"edge-1\": [x, y]}}");
  viz->callback([args, &exit_code] {
    VizArgs& a = *args;
    a.viewer.open.seed = a.seed;
    if (!a.checkpoint_memory.empty()) {
      std::string why;
      a.viewer.open.limits.checkpoint_memory_bytes = *scenario::parse_memory_size(a.checkpoint_memory, why);
    }
    exit_code = viz::run_viewer(a.viewer);
  });
}

}  // namespace ecsim::cli
