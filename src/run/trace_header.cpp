#include "ecsim/run/trace_header.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <nlohmann/json.hpp>
#include <iterator>
#include <optional>
#include <set>
#include <string_view>
#include <vector>

#include "ecsim/proto/plant.hpp"
#include "ecsim/scenario/loader.hpp"
#include "ecsim/scenario/selector.hpp"
#include "ecsim/scenario/validate.hpp"
#include "ecsim/sim/assert.hpp"
#include "ecsim/sim/limits.hpp"
#include "ecsim/sim/trace_file.hpp"

namespace ecsim::run {

TraceHeader parse_trace_header(const std::string& path, const std::string& json_text) {
  // nlohmann keeps the last of two equal keys without a word: a header
  // naming its seed twice would replay another run than the one traced.
  std::vector<std::set<std::string>> keys;  // per open object
  std::string duplicate;
  // ecsim writes a header two levels deep; anything nested far deeper is
  // dropped as it is read (a value printed in an error, or destroyed, would
  // recurse once per level: 70,000 levels overflowed the stack).
  constexpr int kDepthMax = 64;
  bool too_deep = false;
  const nlohmann::json::parser_callback_t spot_duplicates = [&](int depth, nlohmann::json::parse_event_t event,
                                                                nlohmann::json& parsed) {
    if (depth > kDepthMax) {
      too_deep = true;
      return false;
    }
    if (event == nlohmann::json::parse_event_t::object_start) keys.emplace_back();
    if (event == nlohmann::json::parse_event_t::object_end && !keys.empty()) keys.pop_back();
    if (event == nlohmann::json::parse_event_t::key && !keys.empty() && parsed.is_string() &&
        !keys.back().insert(parsed.get<std::string>()).second && duplicate.empty()) {
      duplicate = parsed.get<std::string>();
    }
    return true;
  };
  // nlohmann skips a byte order mark; ecsim writes none.
  if (json_text.starts_with("\xEF\xBB\xBF")) {
    throw sim::TraceFileError(fmt::format("{}: corrupted header: a byte order mark before its JSON", path));
  }
  const nlohmann::json h = nlohmann::json::parse(json_text, spot_duplicates, false);
  if (too_deep) {
    throw sim::TraceFileError(
        fmt::format("{}: corrupted header: nested deeper than {} levels (ecsim writes 2)", path, kDepthMax));
  }
  if (h.is_discarded() || !h.is_object() || !h.contains("seed") || !h.contains("scenario")) {
    throw sim::TraceFileError(
        fmt::format("{}: corrupted header (not the JSON object ecsim writes)", path));
  }
  if (!duplicate.empty()) {
    throw sim::TraceFileError(fmt::format("{}: corrupted header: key {} appears twice", path,
                                          scenario::quoted(duplicate)));
  }
  // Only the keys ecsim writes (runner.cpp): a misspelt one would otherwise
  // be ignored and its value replaced by the default without a word.
  static constexpr std::string_view kKeys[] = {"format", "ecsim",    "scenario_name", "scenario_file",
                                               "seed",   "plant",    "until_ns",      "max_events",
                                               "nodes",  "scenario", "memory_max"};
  for (const auto& item : h.items()) {
    if (std::find(std::begin(kKeys), std::end(kKeys), item.key()) == std::end(kKeys)) {
      throw sim::TraceFileError(fmt::format(
          "{}: corrupted header: unknown key {}, expected only the keys ecsim writes (docs/trace-format.md)", path,
          scenario::quoted(item.key())));
    }
  }
  // Every key but memory_max and plant, which traces written before them
  // lack (docs/trace-format.md): a header without `until_ns` replayed to
  // the scenario's own end without a word.
  for (const char* key : {"format", "ecsim", "scenario_name", "scenario_file", "seed", "until_ns", "max_events",
                          "nodes", "scenario"}) {
    if (!h.contains(key)) {
      throw sim::TraceFileError(fmt::format(
          "{}: corrupted header: no '{}', expected every key ecsim writes (docs/trace-format.md)", path, key));
    }
  }
  // A negative `until_ns` aborted the simulator, a huge one never ended, and
  // nlohmann converts a negative seed to 2^64 - 1 without a word.
  const auto bad = [&](const char* key, const char* expected) {
    return sim::TraceFileError(fmt::format(
        "{}: corrupted header: '{}' is {}, expected {}", path, key,
        // ASCII only (\uXXXX escapes), so cutting at 40 never splits a character.
        h[key].dump(-1, ' ', true, nlohmann::json::error_handler_t::replace).substr(0, 40),
        expected));
  };
  // No NUL byte: ecsim writes none, and one cut every error message that
  // quoted the string short of its reason.
  const auto no_nul = [](const std::string& text) { return text.find('\0') == std::string::npos; };
  const auto string_of = [&](const char* key, const char* expected) {
    if (!h[key].is_string() || !no_nul(h[key].get<std::string>())) throw bad(key, expected);
    return h[key].get<std::string>();
  };
  TraceHeader out;
  // The file's own format word (before the header) is checked by the reader;
  // the header's copy must agree with it.
  if (h.contains("format") &&
      !(h["format"].is_number_unsigned() && h["format"].get<uint64_t>() == sim::kTraceFormatVersion)) {
    throw sim::TraceFileError(fmt::format("{}: corrupted header: 'format' is not {}, the version before it", path,
                                          sim::kTraceFormatVersion));
  }
  // nlohmann reads -0 as a signed integer: the same 0.
  const auto unsigned_of = [&](const char* key) -> std::optional<uint64_t> {
    const nlohmann::json& j = h[key];
    if (j.is_number_unsigned()) return j.get<uint64_t>();
    if (j.is_number_integer() && j.get<int64_t>() == 0) return 0;
    return std::nullopt;
  };
  const std::optional<uint64_t> seed = unsigned_of("seed");
  if (!seed) throw bad("seed", "an integer 0..18446744073709551615");
  out.seed = *seed;
  if (!h["scenario"].is_string()) throw bad("scenario", "the scenario's YAML text");
  out.scenario_text = h["scenario"].get<std::string>();
  out.scenario_file = string_of("scenario_file", "a path");
  out.scenario_name = string_of("scenario_name", "a name");
  string_of("ecsim", "the version that wrote it (a string)");
  // The name shown (`trace hash`) must be the scenario's own: load it (its
  // errors name the trace, as a replay's do).
  std::vector<std::string> scenario_nodes;
  {
    const scenario::Scenario sc = scenario::load_scenario_text(
        out.scenario_text, fmt::format("{} (the scenario in {}'s header)", out.scenario_file, path));
    scenario_nodes = scenario::node_names(sc.topology);
    if (sc.name != out.scenario_name) {
      throw sim::TraceFileError(fmt::format("{}: corrupted header: 'scenario_name' is {}, but the scenario in it is "
                                            "named {}",
                                            path, scenario::quoted(out.scenario_name), scenario::quoted(sc.name)));
    }
  }
  {
    const nlohmann::json& u = h["until_ns"];
    if (!u.is_number_integer() || u.get<int64_t>() < 1 ||
        u.get<int64_t>() > scenario::kScenarioDurationMax.ns) {
      throw bad("until_ns", "an integer 1..86400000000000 (24h in nanoseconds)");
    }
    out.until_ns = u.get<int64_t>();
  }
  {
    const std::optional<uint64_t> max_events = unsigned_of("max_events");
    if (!max_events) throw bad("max_events", "an integer 0..18446744073709551615");
    out.max_events = *max_events;
  }
  if (h.contains("memory_max")) {
    const nlohmann::json& m = h["memory_max"];
    if (!m.is_number_unsigned() || m.get<uint64_t>() < scenario::kMemoryMaxMin ||
        m.get<uint64_t>() > scenario::kMemoryMaxMax) {
      throw bad("memory_max", "an integer 1048576..1099511627776 (bytes, 1MiB..1TiB)");
    }
    out.memory_max = m.get<uint64_t>();
  }
  if (h.contains("plant")) {
    if (!h["plant"].is_string() || !no_nul(h["plant"].get<std::string>())) throw bad("plant", "a plant name or \"\"");
    out.plant = h["plant"].get<std::string>();
    // Every reader refuses it, not only a replay (trace hash and dump took it).
    if (!out.plant.empty() && !proto::plant_by_name(out.plant)) {
      throw bad("plant", "one of ecsim plant --list or \"\"");
    }
  }
  {
    const nlohmann::json& n = h["nodes"];
    if (!n.is_array() || !std::all_of(n.begin(), n.end(), [&](const nlohmann::json& x) {
          return x.is_string() && no_nul(x.get<std::string>());
        })) {
      throw bad("nodes", "the node names by id (an array of strings)");
    }
    out.nodes = n.get<std::vector<std::string>>();
    std::vector<std::string> sorted = *out.nodes;
    std::sort(sorted.begin(), sorted.end());
    if (std::adjacent_find(sorted.begin(), sorted.end()) != sorted.end()) {
      throw bad("nodes", "the node names by id (an array of distinct strings)");
    }
    // The names are the header's scenario's nodes by id; a list that is not
    // would name another node's records.
    if (*out.nodes != scenario_nodes) {
      throw sim::TraceFileError(
          fmt::format("{}: corrupted header: 'nodes' are not the nodes of the scenario in it", path));
    }
  }
  return out;
}

uint32_t trace_node(const std::string& path, const TraceHeader& h, const std::string& name) {
  ECSIM_ASSERT(h.nodes.has_value());  // parse_trace_header requires them, the scenario's own
  const auto it = std::find(h.nodes->begin(), h.nodes->end(), name);
  if (it == h.nodes->end()) {
    throw sim::TraceFileError(fmt::format("{}: no node {} in this trace ({} nodes)", path,
                                          scenario::quoted(name), h.nodes->size()));
  }
  return static_cast<uint32_t>(it - h.nodes->begin());
}

TraceReplay trace_replay_setup(const std::string& path, const TraceHeader& h) {
  TraceReplay r;
  // Errors in the header's scenario name the trace: the file it came from
  // may be fine on disk, or gone.
  r.scenario = scenario::load_scenario_text(
      h.scenario_text, fmt::format("{} (the scenario in {}'s header)", h.scenario_file, path));
  r.options.seed = h.seed;
  r.options.until = sim::Duration{h.until_ns.value_or(r.scenario.duration.ns)};
  r.options.max_events = h.max_events;
  r.options.memory_max = h.memory_max.value_or(sim::kMemoryMaxDefault);
  if (!h.plant.empty()) {
    const auto p = proto::plant_by_name(h.plant);
    ECSIM_ASSERT(p.has_value());  // parse_trace_header refused any other name
    r.options.plant = *p;
  }
  return r;
}

}  // namespace ecsim::run
