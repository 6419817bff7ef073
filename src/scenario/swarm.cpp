#include "ecsim/scenario/swarm.hpp"

#include <algorithm>

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include "ecsim/scenario/invariants.hpp"
#include "ecsim/scenario/loader.hpp"
#include "ecsim/scenario/selector.hpp"
#include "ecsim/scenario/windows.hpp"
#include "ecsim/sim/assert.hpp"

namespace ecsim::scenario {

namespace {
// The crashes among the drawn faults (`crash: NODE`), as faults of the mix.
std::vector<Fault> drawn_crashes(const Scenario& sc, const std::vector<std::string>& faults) {
  std::vector<Fault> out;
  for (const std::string& text : faults) {
    const YAML::Node f = YAML::Load(text);
    if (!f["crash"]) continue;
    Fault crash;
    crash.kind = Fault::Kind::kCrash;
    crash.target.text = f["crash"].as<std::string>();
    ECSIM_ASSERT(!resolve(sc.topology, crash.target.text).empty());
    out.push_back(std::move(crash));
  }
  return out;
}

// When the drawn mix's last outage window ends: every timed fault the
// generator draws has its `at` and its `for`; Byzantine behaviour and
// at_point crashes are no timed outage. Nothing without one.
std::optional<sim::Time> drawn_outage_end(const Scenario& sc, const std::vector<std::string>& faults) {
  std::optional<sim::Time> last;
  const sim::Time end = sim::Time{0} + sc.duration;
  for (const std::string& text : faults) {
    const YAML::Node f = YAML::Load(text);
    if (f["byzantine"] || f["at_point"]) continue;
    const std::optional<sim::Duration> at = sim::parse_duration(f["at"].as<std::string>());
    ECSIM_ASSERT(at.has_value());
    sim::Time to = end;
    if (f["for"]) {
      const std::optional<sim::Duration> lasts = sim::parse_duration(f["for"].as<std::string>());
      ECSIM_ASSERT(lasts.has_value());
      to = std::min(end, sim::Time{0} + *at + *lasts);
    }
    last = std::max(last.value_or(to), to);
  }
  return last;
}
}  // namespace

std::string swarm_scenario_text(const Scenario& sc, uint64_t seed, const std::vector<std::string>& faults,
                                const std::string& origin) {
  YAML::Node root;
  try {
    root = YAML::Load(sc.text);
  } catch (const YAML::Exception& e) {
    throw LoadError(fmt::format("{}: cannot re-read the scenario for a swarm seed: {}", sc.file, e.what()));
  }
  root["seed"] = seed;
  std::string list = "[";
  for (size_t i = 0; i < faults.size(); ++i) list += (i ? ", " : "") + faults[i];
  list += "]";
  // recovers_within applies when some drawn fault is a timed outage (every
  // kind the generator draws but Byzantine behaviour, scenario::is_outage,
  // and a crash at a protocol point, whose time the loader cannot know).
  // It is left out when the clients stop sending before a whole second
  // after the mix's last outage (the loader refuses it then).
  const std::optional<sim::Time> last_outage = drawn_outage_end(sc, faults);
  const bool outage = last_outage && recovery_unjudgeable(sc, *last_outage).empty();
  root.remove("faults");
  if (!faults.empty()) root["faults"] = YAML::Load(list);
  if (root["expect"]) {
    YAML::Node kept;
    if (root["expect"]["quiescence"]) kept["quiescence"] = root["expect"]["quiescence"];
    if (root["expect"]["recovers_within"] && outage) {
      kept["recovers_within"] = root["expect"]["recovers_within"];
    }
    // Only the invariants that can apply to this mix (a crash-less mix has
    // no restart for `durability` or `catch_up` to judge).
    const std::vector<Fault> crashes = drawn_crashes(sc, faults);
    YAML::Node invariants(YAML::NodeType::Sequence);
    invariants.SetStyle(YAML::EmitterStyle::Flow);
    for (const std::string& name : sc.expect.invariants) {
      if (missing_for(*invariant_by_name(name), crashes, sc.topology, !sc.requests.empty()).empty()) {
        invariants.push_back(name);
      }
    }
    if (invariants.size() > 0) kept["invariants"] = invariants;
    root.remove("expect");
    if (kept.size() > 0) root["expect"] = kept;
  }
  // A three-tier mix with faults must say how soon it recovers (the loader
  // refuses it otherwise): the scenario's own figure, else 5 s. Under
  // --swarm it is a figure like the others, reported but not judged.
  if (!sc.requests.empty() && outage && !(root["expect"] && root["expect"]["recovers_within"])) {
    root["expect"]["recovers_within"] = "5s";
  }
  YAML::Emitter out;
  out << root;
  return fmt::format(
      "# Swarm seed {} of {} (ecsim sweep --swarm): its own fault mix; only\n"
      "# invariants are judged. `ecsim run` on this file replays the seed.\n{}\n",
      seed, origin, out.c_str());
}

}  // namespace ecsim::scenario
