#include "ecsim/run/trace_header.hpp"
#include "model/session.hpp"

#include <fmt/format.h>

#include "ecsim/scenario/loader.hpp"
#include "ecsim/sim/limits.hpp"
#include "ecsim/sim/trace_file.hpp"

namespace ecsim::viz {

namespace {
Session open_trace(const OpenRequest& request) {
  const std::string& path = request.trace_path;
  sim::TraceFileInfo info;
  try {
    info = sim::read_trace_file(path);
  } catch (const sim::TraceFileError& e) {
    throw OpenError(e.what());
  }
  run::TraceReplay setup;
  try {
    setup = run::trace_replay_setup(path, run::parse_trace_header(path, info.header_json));
  } catch (const sim::TraceFileError& e) {
    throw OpenError(e.what());
  } catch (const scenario::LoadError& e) {
    throw OpenError(e.what());
  }
  scenario::Scenario sc = std::move(setup.scenario);
  const run::RunOptions options = setup.options;
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
