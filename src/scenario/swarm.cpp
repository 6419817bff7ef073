#include "ecsim/scenario/swarm.hpp"

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include "ecsim/scenario/loader.hpp"

namespace ecsim::scenario {

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
  root.remove("faults");
  if (!faults.empty()) root["faults"] = YAML::Load(list);
  if (root["expect"]) {
    YAML::Node kept;
    for (const char* key : {"invariants", "quiescence"}) {
      if (root["expect"][key]) kept[key] = root["expect"][key];
    }
    root.remove("expect");
    if (kept.size() > 0) root["expect"] = kept;
  }
  YAML::Emitter out;
  out << root;
  return fmt::format(
      "# Swarm seed {} of {} (ecsim sweep --swarm): its own fault mix; only\n"
      "# invariants are judged. `ecsim run` on this file replays the seed.\n{}\n",
      seed, origin, out.c_str());
}

}  // namespace ecsim::scenario
