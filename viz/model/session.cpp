#include "model/session.hpp"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "ecsim/proto/plant.hpp"
#include "ecsim/scenario/loader.hpp"
#include "ecsim/sim/limits.hpp"
#include "ecsim/sim/trace_file.hpp"

namespace ecsim::viz {

namespace {
// The longest run a header may ask for: a scenario's longest duration.
constexpr int64_t kUntilNsMax = 24LL * 3600 * 1000000000;

Session open_trace(const OpenRequest& request) {
  const std::string& path = request.trace_path;
  sim::TraceFileInfo info;
  try {
    info = sim::read_trace_file(path);
  } catch (const sim::TraceFileError& e) {
    throw OpenError(e.what());
  }
  const nlohmann::json h = nlohmann::json::parse(info.header_json, nullptr, false);
  if (h.is_discarded() || !h.is_object() || !h.contains("seed") || !h["seed"].is_number_unsigned() ||
      !h.contains("scenario") || !h["scenario"].is_string()) {
    throw OpenError(fmt::format("{}: corrupted header (not the JSON object ecsim writes)", path));
  }
  const int64_t until_ns = h.value("until_ns", int64_t{0});
  if (until_ns < 0 || until_ns > kUntilNsMax) {
    throw OpenError(fmt::format("{}: corrupted header: 'until_ns' is {}", path, until_ns));
  }
  scenario::Scenario sc;
  try {
    sc = scenario::load_scenario_text(h["scenario"].get<std::string>(), h.value("scenario_file", path));
  } catch (const scenario::LoadError& e) {
    throw OpenError(e.what());
  }
  run::RunOptions options;
  options.seed = h["seed"].get<uint64_t>();
  if (h.contains("until_ns")) options.until = sim::Duration{until_ns};
  options.max_events = h.value("max_events", uint64_t{0});
  options.memory_max = std::max<uint64_t>(1, h.value("memory_max", sim::kMemoryMaxDefault));
  const std::string plant = h.value("plant", std::string());
  if (!plant.empty()) {
    const auto p = proto::plant_by_name(plant);
    if (!p) throw OpenError(fmt::format("{}: header names unknown plant '{}'", path, plant));
    options.plant = *p;
  }
  Session s;
  s.label = fmt::format("{} seed {} (from {})", sc.name, *options.seed, path);
  s.trace_hash = info.hash;
  s.trace_records = info.record_count;
  s.timeline = std::make_unique<Timeline>(std::move(sc), options, request.limits);
  return s;
}
}  // namespace

Session open_session(const OpenRequest& request) {
  if (!request.trace_path.empty()) {
    if (!request.scenario_path.empty()) throw OpenError("--trace takes no scenario file");
    if (request.seed) throw OpenError("--trace takes no --seed: the trace header holds it");
    return open_trace(request);
  }
  scenario::Scenario sc;
  try {
    sc = request.scenario_path.empty() ? scenario::load_quickstart() : scenario::load_scenario_file(request.scenario_path);
  } catch (const scenario::LoadError& e) {
    throw OpenError(e.what());
  }
  run::RunOptions options;
  options.seed = request.seed;
  Session s;
  s.label = fmt::format("{} seed {}", sc.name, request.seed.value_or(sc.seed));
  try {
    s.timeline = std::make_unique<Timeline>(std::move(sc), options, request.limits);
  } catch (const scenario::LoadError& e) {
    throw OpenError(e.what());
  }
  return s;
}

std::string verify_trace(Session& session) {
  if (!session.trace_hash) return {};
  Timeline& t = *session.timeline;
  t.simulate_all();
  if (t.truncated()) return "the run has more records than the viewer keeps; cannot verify it";
  const run::RunResult& r = t.result();
  if (r.trace_hash == *session.trace_hash && r.records == session.trace_records) return {};
  return fmt::format("the re-simulated run gives trace hash 0x{:016x} ({} records), the file 0x{:016x} ({} records): "
                     "not this build's run",
                     r.trace_hash, r.records, *session.trace_hash, session.trace_records);
}

}  // namespace ecsim::viz
