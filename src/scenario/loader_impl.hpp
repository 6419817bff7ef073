// The scenario loader's private parts, shared by the files that implement it
// (src/scenario/loader.cpp and its neighbours; see loader.cpp for the passes):
// the limits, a value in the YAML tree (Field), the Loader with its one-line
// failures, and MapView, a map checked against the keys it may have. Nothing
// outside src/scenario/ includes this header.
#pragma once
#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "ecsim/scenario/loader.hpp"
#include "ecsim/scenario/scenario.hpp"
#include "ecsim/scenario/selector.hpp"
#include "ecsim/scenario/validate.hpp"
#include "ecsim/sim/assert.hpp"

namespace ecsim::scenario::loading {

using sim::Duration;

// The ranges of values are in ecsim/scenario/validate.hpp; these limit the file.
constexpr size_t kFileBytesMax = 4u << 20;
constexpr int kDepthMax = 64;
constexpr int kNodesVisitedMax = 100000;
constexpr size_t kShownBytesMax = 40;
constexpr double kParetoAlphaMax = 100.0;

constexpr const char* kDurationExpected = "a duration with a unit like 5ms";
constexpr const char* kProbabilityExpected = "a probability 0..1 like 0.001 or '30%'";
constexpr const char* kSelectorExpected = "a node name, tier, glob or '*'";

// Pass 1 (yaml_guard.cpp): offset of the first byte that cannot be in a YAML
// text file, if any.
std::optional<size_t> first_binary_byte(std::string_view text);

// Messages (loader.cpp).
std::string quote(std::string_view text);
std::string shown(const YAML::Node& node);
std::optional<std::string_view> closest(std::string_view word,
                                        const std::vector<std::string_view>& candidates);
std::string count(size_t n, std::string_view noun);
std::string join_names(const std::vector<std::string_view>& names);

// Exact decimals and numbers (numbers.cpp).
std::optional<uint64_t> parse_scaled_decimal(std::string_view text, int scale, int* rounded = nullptr);
std::optional<uint64_t> parse_uint(std::string_view text);
std::string bound(Duration d);

// ---------------------------------------------------------------------------
// Pass 3 helpers: a value in the tree, named by its path for messages.

struct Field {
  YAML::Node node;
  std::string path;     // "topology.edge", "faults[2].at"; "scenario" for the top
  YAML::Mark key_mark;  // where an empty value is reported (it has no position of its own)
};

inline Field child(const Field& parent, std::string_view key, YAML::Node node, YAML::Mark key_mark) {
  std::string path =
      parent.path == "scenario" ? std::string(key) : fmt::format("{}.{}", parent.path, key);
  return Field{std::move(node), std::move(path), key_mark};
}

inline Field item(const Field& list, size_t index, YAML::Node node) {
  YAML::Mark mark = node.Mark();
  return Field{std::move(node), fmt::format("{}[{}]", list.path, index), mark};
}

inline Mark to_mark(const YAML::Mark& m) {
  if (m.is_null() || m.line < 0 || m.column < 0) return Mark{1, 1};
  return Mark{m.line + 1, m.column + 1};
}

class MapView;

class Loader {
 public:
  explicit Loader(std::string file, bool validated = true) : file_(std::move(file)), validated_(validated) {}

  Scenario load(std::string_view text);

  [[noreturn]] void fail(Mark mark, const std::string& message) const {
    ECSIM_ASSERT(mark.line >= 1 && mark.column >= 1);
    std::string line = fmt::format("{}:{}:{}: {}", file_, mark.line, mark.column, message);
    std::replace_if(
        line.begin(), line.end(), [](char c) { return c == '\n' || c == '\r'; }, ' ');
    throw LoadError(line);
  }
  [[noreturn]] void fail(const YAML::Mark& mark, const std::string& message) const {
    fail(to_mark(mark), message);
  }
  [[noreturn]] void fail(const Field& f, const std::string& message) const {
    fail(f.node.IsNull() ? f.key_mark : f.node.Mark(), message);
  }
  // "{path} is {what the value is}, expected {expected}".
  [[noreturn]] void fail_value(const Field& f, std::string_view expected,
                               std::string_view reason = {}) const {
    const std::string because = reason.empty() ? "" : fmt::format(" ({})", reason);
    fail(f, fmt::format("{} is {}{}, expected {}", f.path, shown(f.node), because, expected));
  }

 private:
  void guard_walk(const YAML::Node& node, int depth, std::vector<YAML::Node>& ancestors,
                  int& visited) const;
  YAML::Node parse_document(std::string_view text) const;

  // Scalars.
  const std::string& scalar(const Field& f, std::string_view expected) const;
  std::string string_value(const Field& f) const;
  // scalar(), refused when quoted: for numbers and booleans.
  const std::string& plain_scalar(const Field& f, std::string_view expected) const;
  int64_t int_in(const Field& f, int64_t lo, int64_t hi) const;
  uint64_t uint_value(const Field& f) const;
  bool bool_value(const Field& f) const;
  Duration duration(const Field& f) const;
  Duration duration_in(const Field& f, Duration lo, bool lo_inclusive, Duration hi) const;
  uint32_t probability_ppm(const Field& f) const;
  double ratio(const Field& f, bool positive = false) const;  // positive: above 0 (a minimum that can fail)
  double positive_number(const Field& f, double hi) const;
  double zipf_exponent(const Field& f) const;
  uint64_t rate_per_s(const Field& f) const;
  uint32_t size_bytes(const Field& f) const;
  uint64_t memory_size(const Field& f) const;
  Selector selector(const Field& f) const;
  std::vector<uint32_t> nodes_of(const Selector& s) const { return resolve(topology_, s.text); }
  void between(const Field& f, Selector (&out)[2]) const;
  std::vector<Field> list(const Field& f, std::string_view expected) const;

  // Sections.
  net::LatencyModel latency(const Field& f) const;
  net::LatencyModel latency_params(const Field& f, std::string_view kind) const;
  void link_fields(const MapView& map, LinkPatch& patch) const;
  Topology topology(const Field& f) const;
  Network network(const Field& f) const;
  ModelPatch model(const Field& f, const Scenario& sc) const;
  void workload_item(const Field& f, Scenario& sc) const;
  Workload ping_item(const MapView& m) const;
  RequestWorkload requests_item(const MapView& m) const;
  void request_mix(const Field& f, RequestWorkload& w) const;
  BillingWorkload billing_item(const MapView& m) const;
  void billing_mix(const Field& f, BillingWorkload& w) const;
  Fault fault(const Field& f, const Scenario& sc) const;
  void fault_action(const MapView& m, Fault& fault) const;
  void fault_byzantine(const MapView& m, const Field& target, const Scenario& sc, Fault& fault) const;
  void fault_at_point(const MapView& m, const Field& name, const Scenario& sc, Fault& fault) const;
  void fault_workload_action(const Field& arg, const Scenario& sc, Fault& fault) const;
  void partition_groups(const Field& f, Fault& fault) const;
  Expect expect(const Field& f, const Scenario& sc) const;
  void throughput_min(const Field& f, const Scenario& sc, Expect& e) const;
  BillingExpect billing_expect(const Field& f, const Scenario& sc) const;

  std::string file_;
  bool validated_ = true;  // false: the values only (parse_scenario_text_unvalidated)
  Topology topology_;
};

// The entries of one map, checked against the keys it may have: a key that is
// not a plain string, an unknown key or a key given twice is an error here.
class MapView {
 public:
  // `context` follows the map's path in an unknown-key message, for maps whose
  // keys depend on another key: " (kind requests)".
  MapView(const Loader& loader, const Field& map, std::vector<std::string_view> known,
          std::string context = {})
      : loader_(loader), map_(map), known_(std::move(known)), context_(std::move(context)) {
    if (!map.node.IsMap()) loader.fail_value(map, "a map");
    for (auto it = map.node.begin(); it != map.node.end(); ++it) add(it->first, it->second);
  }

  const Field& self() const { return map_; }
  bool has(std::string_view key) const { return find(key) != nullptr; }
  std::optional<Field> get(std::string_view key) const {
    const Field* f = find(key);
    return f ? std::optional<Field>(*f) : std::nullopt;
  }
  Field require(std::string_view key, std::string_view expected) const {
    const Field* f = find(key);
    if (f == nullptr) {
      loader_.fail(map_.node.Mark(),
                   fmt::format("missing key '{}' in {}, expected {}", key, map_.path, expected));
    }
    return *f;
  }
  // For a map whose keys are all optional settings: an empty one sets
  // nothing, and is refused rather than taken for the defaults in silence
  // ("model.rpc is an empty map, expected at least one of timeout, ...").
  void refuse_empty() const {
    if (entries_.empty()) loader_.fail_value(map_, "at least one of " + join_names(known_));
  }
  // Entries in file order, for the checks that care which came first.
  const std::vector<std::pair<std::string, Field>>& entries() const { return entries_; }

 private:
  void add(const YAML::Node& key, const YAML::Node& value) {
    if (!key.IsScalar()) {
      loader_.fail(key.Mark(), fmt::format("{} has a key that is {}, expected a plain name",
                                           map_.path, shown(key)));
    }
    const std::string& name = key.Scalar();
    if (std::find(known_.begin(), known_.end(), name) == known_.end()) unknown(key);
    if (find(name) != nullptr) {
      loader_.fail(key.Mark(), fmt::format("duplicate key {} in {}, expected each key once",
                                           quote(name), map_.path));
    }
    entries_.emplace_back(name, child(map_, name, value, key.Mark()));
  }
  [[noreturn]] void unknown(const YAML::Node& key) const {
    const std::string& name = key.Scalar();
    if (auto near = closest(name, known_)) {
      loader_.fail(key.Mark(), fmt::format("unknown key {} in {}{}, did you mean '{}'?",
                                           quote(name), map_.path, context_, *near));
    }
    loader_.fail(key.Mark(), fmt::format("unknown key {} in {}{}, expected {}", quote(name),
                                         map_.path, context_, join_names(known_)));
  }
  const Field* find(std::string_view key) const {
    for (const auto& [name, field] : entries_) {
      if (name == key) return &field;
    }
    return nullptr;
  }

  const Loader& loader_;
  Field map_;
  std::vector<std::string_view> known_;
  std::string context_;
  std::vector<std::pair<std::string, Field>> entries_;
};

}  // namespace ecsim::scenario::loading
