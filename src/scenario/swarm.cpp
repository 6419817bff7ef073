#include "ecsim/scenario/swarm.hpp"

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include "ecsim/scenario/invariants.hpp"
#include "ecsim/scenario/loader.hpp"
#include "ecsim/scenario/windows.hpp"

namespace ecsim::scenario {

std::string swarm_scenario_text(const Scenario& sc, uint64_t seed, const std::vector<std::string>& faults,
                                const std::string& origin, SeedFileMaker maker) {
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
  root.remove("faults");
  if (!faults.empty()) root["faults"] = YAML::Load(list);
  // The seed's schedule as the loader reads it, without expectations: the
  // ones kept are those the loader accepts for it. recovers_within applies
  // when the loader would require it (a timed outage among the drawn faults,
  // Byzantine behaviour is none, and a whole second after the last one in
  // which the clients send: scenario::recovers_within_required).
  YAML::Node bare = YAML::Clone(root);
  bare.remove("expect");
  YAML::Emitter bare_text;
  bare_text << bare;
  const Scenario drawn = parse_scenario_text_unvalidated(bare_text.c_str(), sc.file);
  const bool outage = recovers_within_required(drawn);
  if (root["expect"]) {
    YAML::Node kept;
    if (root["expect"]["quiescence"]) kept["quiescence"] = root["expect"]["quiescence"];
    if (root["expect"]["recovers_within"] && outage) {
      // Its deadline may fall too late for the drawn faults: then the
      // shortest, which `outage` says can be judged.
      const bool fits = sc.expect.recovers_within &&
                        recovers_within_fitting(drawn, *sc.expect.recovers_within) == *sc.expect.recovers_within;
      kept["recovers_within"] = fits ? root["expect"]["recovers_within"] : YAML::Node("1s");
    }
    // Only the invariants that can apply to this mix (a mix without a cloud
    // restart has none for `durability` or `catch_up` to judge).
    YAML::Node invariants(YAML::NodeType::Sequence);
    invariants.SetStyle(YAML::EmitterStyle::Flow);
    for (const std::string& name : sc.expect.invariants) {
      if (judgeable(*invariant_by_name(name), drawn, sc.expect.quiescence)) invariants.push_back(name);
    }
    if (invariants.size() > 0) kept["invariants"] = invariants;
    root.remove("expect");
    if (kept.size() > 0) root["expect"] = kept;
  }
  // A three-tier mix with faults must say how soon it recovers (the loader
  // refuses it otherwise): the scenario's own figure, else 5 s where its
  // deadline leaves a second to judge, else 1 s. Under --swarm it is a
  // figure like the others, reported but not judged.
  if (!sc.requests.empty() && outage && !(root["expect"] && root["expect"]["recovers_within"])) {
    root["expect"]["recovers_within"] = sim::format_duration(recovers_within_fitting(drawn, sim::seconds(5)));
  }
  YAML::Emitter out;
  out << root;
  if (maker == SeedFileMaker::kExplore) {
    return fmt::format(
        "# A run of ecsim explore --crash-points on {} (seed {}): its faults are\n"
        "# the crashes at protocol points it tried, none for the unfaulted run; only\n"
        "# invariants are judged. `ecsim run` on this file replays the run.\n{}\n",
        origin, seed, out.c_str());
  }
  return fmt::format(
      "# Swarm seed {} of {} (ecsim sweep --swarm): its own fault mix; only\n"
      "# invariants are judged. `ecsim run` on this file replays the seed.\n{}\n",
      seed, origin, out.c_str());
}

}  // namespace ecsim::scenario
