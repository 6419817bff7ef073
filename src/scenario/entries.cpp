// Appending the viewer's recorded actions to a scenario's YAML text.
#include "ecsim/scenario/entries.hpp"

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include "ecsim/scenario/loader.hpp"

namespace ecsim::scenario {

std::string append_entries(std::string_view text, const std::vector<Entry>& entries, std::optional<uint64_t> seed) {
  YAML::Node root;
  try {
    root = YAML::Load(std::string(text));
  } catch (const YAML::Exception& e) {
    throw LoadError(fmt::format("<scenario>: not YAML: {}", e.what()));
  }
  if (!root.IsMap()) throw LoadError("<scenario>: not a YAML map");
  if (seed) root["seed"] = *seed;
  for (const Entry& e : entries) {
    if (e.section != "faults" && e.section != "workload") {
      throw LoadError(fmt::format("<entry>: section '{}', expected faults or workload", e.section));
    }
    YAML::Node item;
    try {
      item = YAML::Load(e.flow);
    } catch (const YAML::Exception& x) {
      throw LoadError(fmt::format("<entry>: {}: not YAML: {}", e.flow, x.what()));
    }
    if (!item.IsMap()) throw LoadError(fmt::format("<entry>: {}: not a YAML map", e.flow));
    item.SetStyle(YAML::EmitterStyle::Flow);
    if (!root[e.section]) root[e.section] = YAML::Node(YAML::NodeType::Sequence);
    root[e.section].push_back(item);
  }
  YAML::Emitter out;
  out << root;
  return std::string(out.c_str()) + "\n";
}

}  // namespace ecsim::scenario
