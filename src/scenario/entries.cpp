// Appending the viewer's recorded actions to a scenario's YAML text.
#include "ecsim/scenario/entries.hpp"

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include "ecsim/scenario/invariants.hpp"
#include "ecsim/scenario/loader.hpp"
#include "ecsim/scenario/windows.hpp"

namespace ecsim::scenario {

namespace {

YAML::Node load_map(std::string_view text) {
  YAML::Node root;
  try {
    root = YAML::Load(std::string(text));
  } catch (const YAML::Exception& e) {
    throw LoadError(fmt::format("<scenario>: not YAML: {}", e.what()));
  }
  if (!root.IsMap()) throw LoadError("<scenario>: not a YAML map");
  return root;
}

std::string emit(const YAML::Node& root) {
  YAML::Emitter out;
  out << root;
  return std::string(out.c_str()) + "\n";
}

}  // namespace

std::string append_entries(std::string_view text, const std::vector<Entry>& entries, std::optional<uint64_t> seed) {
  YAML::Node root = load_map(text);
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
  return emit(root);
}

std::string fit_recovers_within(std::string_view text, const std::string& file, sim::Duration fallback) {
  YAML::Node root = load_map(text);
  const YAML::Node expect = root["expect"];
  const bool has = expect && expect.IsMap() && expect["recovers_within"];
  const bool has_billing = expect && expect.IsMap() && expect["billing"] && expect["billing"].IsMap() &&
                           expect["billing"]["recovers_within"];
  // Takes the two keys out of `node` as asked, and what they leave empty.
  const auto drop = [](YAML::Node node, bool requests, bool billing) {
    if (requests) node["expect"].remove("recovers_within");
    if (billing) {
      node["expect"]["billing"].remove("recovers_within");
      if (node["expect"]["billing"].size() == 0) node["expect"].remove("billing");
    }
    if ((requests || billing) && node["expect"].size() == 0) node.remove("expect");
  };
  YAML::Node without = YAML::Clone(root);
  drop(without, has, has_billing);
  // The schedule as the loader reads it, without the rules that would ask
  // for (or refuse) the expectations being decided here.
  const Scenario sc = parse_scenario_text_unvalidated(emit(without), file);
  // The values set the deadlines (an unreadable one is the loader's to refuse).
  const auto within_at = [](const YAML::Node& n) {
    if (n.IsScalar()) {
      if (const std::optional<sim::Duration> d = sim::parse_duration(n.Scalar())) return *d;
    }
    return sim::seconds(1);
  };
  const bool drop_requests =
      has && !recovers_within_refusal(sc, RecoveryClients::kRequests, within_at(expect["recovers_within"])).empty();
  const bool drop_billing =
      has_billing &&
      !billing_expect_missing(sc, "recovers_within", within_at(expect["billing"]["recovers_within"])).empty();
  // A value dropped for its deadline gives way to 1 s where that is required.
  const bool add = (!has || drop_requests) && recovers_within_required(sc);
  if (!drop_requests && !drop_billing && !add) return std::string(text);
  drop(root, drop_requests, drop_billing);
  if (add) {
    // Required means judgeable at 1 s; the fallback may leave its deadline too late.
    root["expect"]["recovers_within"] = sim::format_duration(recovers_within_fitting(sc, fallback));
  }
  return emit(root);
}

}  // namespace ecsim::scenario
