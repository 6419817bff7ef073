// The scenario loader: YAML text in, a validated Scenario out, or one LoadError
// line "FILE:LINE:COL: what was wrong, what was expected". docs/scenarios.md is
// the reference of the language. The work is done in three passes, each of
// which refuses what the next one must not see:
//   1. the raw bytes: size limit, NUL bytes, control characters, bad UTF-8;
//   2. the parsed tree, walked blind: nesting depth, node count after alias
//      expansion (yaml-cpp shares aliased nodes, so a "billion laughs" file is
//      small in memory but huge to walk) and anchor/alias cycles;
//   3. the schema walk: every key known, every value converted and range
//      checked, every selector resolved, then the fault schedule replayed to
//      find faults on nodes that are already down (or already up).
// Every yaml-cpp and standard exception is caught here and turned into a line.
#include "ecsim/scenario/loader.hpp"
#include "ecsim/scenario/invariants.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>
#include <yaml-cpp/depthguard.h>
#include <yaml-cpp/eventhandler.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cerrno>
#include <initializer_list>
#include <iterator>
#include <map>
#include <optional>
#include <sstream>
#include <system_error>
#include <utility>

#include "ecsim/scenario/selector.hpp"
#include "ecsim/sim/assert.hpp"

namespace ecsim::scenario {

namespace {

using sim::Duration;

constexpr size_t kFileBytesMax = 4u << 20;
constexpr int kDepthMax = 64;
constexpr int kNodesVisitedMax = 100000;
constexpr Duration kScenarioDurationMax = sim::seconds(24 * 3600);
constexpr Duration kLatencyMax = sim::seconds(3600);
constexpr Duration kTimeoutMax = sim::seconds(3600);
constexpr uint64_t kRatePerSecondMax = 1000000;
constexpr uint64_t kSizeBytesMax = 1u << 20;
constexpr int64_t kSubscribersMax = 10000000;
constexpr int64_t kRecordsPerSubscriberMax = 1000;
constexpr int64_t kMixWeightMax = 1000000;
constexpr int64_t kDsmKeysMax = 65536;
constexpr Duration kQuiescenceMax = sim::seconds(3600);
constexpr size_t kNameBytesMax = 200;
constexpr size_t kShownBytesMax = 40;
constexpr double kParetoAlphaMax = 100.0;

constexpr const char* kDurationExpected = "a duration with a unit like 5ms";
constexpr const char* kProbabilityExpected = "a probability 0..1 like 0.001 or '30%'";
constexpr const char* kSelectorExpected = "a node name, tier, glob or '*'";

// ---------------------------------------------------------------------------
// Pass 1: the raw bytes.

size_t utf8_sequence_length(const std::string_view text, size_t i) {
  const auto byte = [&](size_t k) { return static_cast<unsigned char>(text[k]); };
  const unsigned char b = byte(i);
  size_t n = b < 0x80             ? 1
             : (b & 0xE0) == 0xC0 ? 2
             : (b & 0xF0) == 0xE0 ? 3
             : (b & 0xF8) == 0xF0 ? 4
                                  : 0;
  if (n == 0 || i + n > text.size()) return 0;
  uint32_t cp = n == 1 ? b : n == 2 ? (b & 0x1F) : n == 3 ? (b & 0x0F) : (b & 0x07);
  for (size_t k = 1; k < n; ++k) {
    if ((byte(i + k) & 0xC0) != 0x80) return 0;
    cp = (cp << 6) | (byte(i + k) & 0x3F);
  }
  // Overlong forms, UTF-16 surrogates and code points past U+10FFFF are not UTF-8.
  static constexpr uint32_t kMinForLength[5] = {0, 0, 0x80, 0x800, 0x10000};
  if (cp < kMinForLength[n] || (cp >= 0xD800 && cp <= 0xDFFF) || cp > 0x10FFFF) return 0;
  return n;
}

// Offset of the first byte that cannot be in a YAML text file, if any: NUL and
// the other C0 controls except tab, LF and CR, DEL, or invalid UTF-8.
std::optional<size_t> first_binary_byte(std::string_view text) {
  size_t i = 0;
  while (i < text.size()) {
    const auto b = static_cast<unsigned char>(text[i]);
    if ((b < 0x20 && b != '\t' && b != '\n' && b != '\r') || b == 0x7F) return i;
    const size_t n = utf8_sequence_length(text, i);
    if (n == 0) return i;
    i += n;
  }
  return std::nullopt;
}

// Where flow nesting (`[` and `{`) first goes deeper than kDepthMax, or
// nullopt. yaml-cpp's own DeepRecursion mark often points past the end of the
// text; this finds the bracket to blame. It is naive about quotes inside plain
// scalars, which is harmless: it only places an error already found.
std::optional<Mark> deep_flow_position(std::string_view text) {
  int depth = 0;
  Mark mark{1, 1};
  char quote = 0;  // the open quote character, 0 outside quotes
  bool comment = false;
  char previous = ' ';
  for (const char c : text) {
    const bool token_start = std::string_view(" \t[{,:").find(previous) != std::string_view::npos;
    if (c == '\n') {
      comment = false;
    } else if (!comment && quote != 0) {
      quote = c == quote ? 0 : quote;
    } else if (!comment) {
      comment = c == '#' && (previous == ' ' || previous == '\t');
      if ((c == '"' || c == '\'') && token_start) quote = c;
      if ((c == '[' || c == '{') && ++depth > kDepthMax) return mark;
      if ((c == ']' || c == '}') && depth > 0) --depth;
    }
    previous = c;
    mark = c == '\n' ? Mark{mark.line + 1, 1} : Mark{mark.line, mark.column + 1};
  }
  return std::nullopt;
}

// ---------------------------------------------------------------------------
// Messages.

// A value as it appears in a message: quoted, on one line, not too long.
std::string quote(std::string_view text) {
  std::string out = "'";
  for (size_t i = 0; i < text.size(); ++i) {
    if (out.size() > kShownBytesMax && (static_cast<unsigned char>(text[i]) & 0xC0) != 0x80) {
      out += "...";
      break;
    }
    const char c = text[i];
    if (c == '\n') {
      out += "\\n";
    } else if (c == '\r') {
      out += "\\r";
    } else if (c == '\t') {
      out += "\\t";
    } else {
      out += c;
    }
  }
  return out + "'";
}

std::string shown(const YAML::Node& node) {
  switch (node.Type()) {
    case YAML::NodeType::Null:
      return "empty";
    case YAML::NodeType::Sequence:
      return node.size() == 0 ? "an empty list" : "a list";
    case YAML::NodeType::Map:
      return node.size() == 0 ? "an empty map" : "a map";
    case YAML::NodeType::Scalar:
      return quote(node.Scalar());
    case YAML::NodeType::Undefined:
      break;
  }
  return "missing";
}

// The closest candidate by optimal-string-alignment distance (a swap of two
// letters counts once), when it is close enough to be a plausible typo.
std::optional<std::string_view> closest(std::string_view word,
                                        const std::vector<std::string_view>& candidates) {
  std::optional<std::string_view> best;
  size_t best_distance = SIZE_MAX;
  for (std::string_view c : candidates) {
    const size_t n = word.size();
    const size_t m = c.size();
    std::vector<std::vector<size_t>> d(n + 1, std::vector<size_t>(m + 1, 0));
    for (size_t i = 0; i <= n; ++i) d[i][0] = i;
    for (size_t j = 0; j <= m; ++j) d[0][j] = j;
    for (size_t i = 1; i <= n; ++i) {
      for (size_t j = 1; j <= m; ++j) {
        const size_t cost = word[i - 1] == c[j - 1] ? 0 : 1;
        d[i][j] = std::min({d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost});
        if (i > 1 && j > 1 && word[i - 1] == c[j - 2] && word[i - 2] == c[j - 1]) {
          d[i][j] = std::min(d[i][j], d[i - 2][j - 2] + 1);
        }
      }
    }
    const size_t threshold = std::clamp<size_t>((m + 1) / 3, 1, 3);
    if (d[n][m] <= threshold && d[n][m] < best_distance) {
      best = c;
      best_distance = d[n][m];
    }
  }
  return best;
}

std::string count(size_t n, std::string_view noun) {
  return fmt::format("{} {}{}", n, noun, n == 1 ? "" : "s");
}

std::string join_names(const std::vector<std::string_view>& names) {
  std::string out;
  for (size_t i = 0; i < names.size(); ++i) {
    out += i == 0 ? "" : i + 1 == names.size() ? " or " : ", ";
    out += names[i];
  }
  return out;
}

// ---------------------------------------------------------------------------
// Exact decimal arithmetic: probabilities, ratios and rates are converted
// without binary floating point, so "0.0005" is exactly 500 ppm everywhere.

// round(value * 10^scale) for a non-negative decimal like "12", "0.5", "1e-3",
// half away from zero; nullopt when malformed or above 10^18.
std::optional<uint64_t> parse_scaled_decimal(std::string_view text, int scale) {
  using U128 = unsigned __int128;
  constexpr uint64_t kResultMax = 1000000000000000000ULL;
  U128 mantissa = 0;
  int exponent = 0;
  size_t i = 0;
  int digits = 0;
  bool dot = false;
  for (; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '.' && !dot) {
      dot = true;
      continue;
    }
    if (c < '0' || c > '9') break;
    if (++digits > 30) return std::nullopt;
    mantissa = mantissa * 10 + static_cast<unsigned>(c - '0');
    if (dot) --exponent;
  }
  if (digits == 0) return std::nullopt;
  if (i < text.size() && (text[i] == 'e' || text[i] == 'E')) {
    ++i;
    const bool negative = i < text.size() && text[i] == '-';
    if (i < text.size() && (text[i] == '-' || text[i] == '+')) ++i;
    int e = 0;
    const size_t start = i;
    for (; i < text.size() && text[i] >= '0' && text[i] <= '9' && i - start < 3; ++i) {
      e = e * 10 + (text[i] - '0');
    }
    if (i == start) return std::nullopt;
    exponent += negative ? -e : e;
  }
  if (i != text.size()) return std::nullopt;
  int shift = exponent + scale;
  if (mantissa == 0) return 0;
  for (; shift > 0; --shift) {
    mantissa *= 10;
    if (mantissa > kResultMax) return std::nullopt;
  }
  if (shift < -38) return 0;  // below 10^-38 of a unit: rounds to zero.
  U128 divisor = 1;
  for (; shift < 0; ++shift) divisor *= 10;
  const U128 result = (mantissa + divisor / 2) / divisor;
  if (result > kResultMax) return std::nullopt;
  return static_cast<uint64_t>(result);
}

std::optional<uint64_t> parse_uint(std::string_view text) {
  if (text.empty() || text.size() > 20) return std::nullopt;
  unsigned __int128 value = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return std::nullopt;
    value = value * 10 + static_cast<unsigned>(c - '0');
  }
  if (value > UINT64_MAX) return std::nullopt;
  return static_cast<uint64_t>(value);
}

// ---------------------------------------------------------------------------
// Pass 3 helpers: a value in the tree, named by its path for messages.

struct Field {
  YAML::Node node;
  std::string path;     // "topology.edge", "faults[2].at"; "scenario" for the top
  YAML::Mark key_mark;  // where an empty value is reported (it has no position of its own)
};

Field child(const Field& parent, std::string_view key, YAML::Node node, YAML::Mark key_mark) {
  std::string path =
      parent.path == "scenario" ? std::string(key) : fmt::format("{}.{}", parent.path, key);
  return Field{std::move(node), std::move(path), key_mark};
}

Field item(const Field& list, size_t index, YAML::Node node) {
  YAML::Mark mark = node.Mark();
  return Field{std::move(node), fmt::format("{}[{}]", list.path, index), mark};
}

Mark to_mark(const YAML::Mark& m) {
  if (m.is_null() || m.line < 0 || m.column < 0) return Mark{1, 1};
  return Mark{m.line + 1, m.column + 1};
}

class MapView;

class Loader {
 public:
  explicit Loader(std::string file) : file_(std::move(file)) {}

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
  int64_t int_in(const Field& f, int64_t lo, int64_t hi) const;
  uint64_t uint_value(const Field& f) const;
  bool bool_value(const Field& f) const;
  Duration duration(const Field& f) const;
  Duration duration_in(const Field& f, Duration lo, bool lo_inclusive, Duration hi) const;
  uint32_t probability_ppm(const Field& f) const;
  double ratio(const Field& f) const;
  double positive_number(const Field& f, double hi) const;
  double zipf_exponent(const Field& f) const;
  uint64_t rate_per_s(const Field& f) const;
  uint32_t size_bytes(const Field& f) const;
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
  Fault fault(const Field& f, const Scenario& sc) const;
  void fault_action(const MapView& m, Fault& fault) const;
  void fault_byzantine(const MapView& m, const Field& target, const Scenario& sc, Fault& fault) const;
  void fault_at_point(const MapView& m, const Field& name, const Scenario& sc, Fault& fault) const;
  void partition_groups(const Field& f, Fault& fault) const;
  void check_node_states(const std::vector<Fault>& faults) const;
  Expect expect(const Field& f, const Scenario& sc) const;
  void throughput_min(const Field& f, const Scenario& sc, Expect& e) const;

  std::string file_;
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

// ---------------------------------------------------------------------------
// Pass 2: the blind walk. Depth and count limits keep every later walk small;
// a node that is its own ancestor (`&a [*a]`) would never end.

void Loader::guard_walk(const YAML::Node& node, int depth, std::vector<YAML::Node>& ancestors,
                        int& visited) const {
  if (++visited > kNodesVisitedMax) {
    fail(node.Mark(), fmt::format("document too large (more than {} nodes, alias expansion?), "
                                  "expected a smaller scenario",
                                  kNodesVisitedMax));
  }
  if (!node.IsMap() && !node.IsSequence()) return;
  for (const YAML::Node& a : ancestors) {
    if (a.is(node)) {
      fail(node.Mark(),
           "an alias refers to a node that contains it (anchor/alias cycle), "
           "expected no cycles");
    }
  }
  if (depth > kDepthMax) {
    fail(node.Mark(),
         fmt::format("nesting deeper than {} levels, expected a flatter document", kDepthMax));
  }
  ancestors.push_back(node);
  for (auto it = node.begin(); it != node.end(); ++it) {
    if (node.IsMap()) {
      guard_walk(it->first, depth + 1, ancestors, visited);
      guard_walk(it->second, depth + 1, ancestors, visited);
    } else {
      guard_walk(*it, depth + 1, ancestors, visited);
    }
  }
  ancestors.pop_back();
}

// Counts the documents in a text, up to two, noting where the second starts.
// YAML::LoadAll cannot be used: on some junk (a leading ',') yaml-cpp yields
// empty documents forever, so the count must stop by itself.
class DocumentCounter : public YAML::EventHandler {
 public:
  int documents = 0;
  YAML::Mark second;

  void OnDocumentStart(const YAML::Mark& mark) override {
    if (++documents == 2) second = mark;
  }
  void OnDocumentEnd() override {}
  void OnNull(const YAML::Mark&, YAML::anchor_t) override {}
  void OnAlias(const YAML::Mark&, YAML::anchor_t) override {}
  void OnScalar(const YAML::Mark&, const std::string&, YAML::anchor_t,
                const std::string&) override {}
  void OnSequenceStart(const YAML::Mark&, const std::string&, YAML::anchor_t,
                       YAML::EmitterStyle::value) override {}
  void OnSequenceEnd() override {}
  void OnMapStart(const YAML::Mark&, const std::string&, YAML::anchor_t,
                  YAML::EmitterStyle::value) override {}
  void OnMapEnd() override {}
};

int count_documents(std::string_view text, YAML::Mark* second) {
  std::istringstream in{std::string(text)};
  YAML::Parser parser(in);
  DocumentCounter counter;
  while (counter.documents < 2 && parser.HandleNextDocument(counter)) {
  }
  *second = counter.second;
  return counter.documents;
}

// The first line of content and where it starts, skipping blank lines,
// comments, directives, document markers and an explicit null (`~`, `null`);
// nullopt when the text has none, i.e. it is an empty document.
std::optional<std::pair<Mark, std::string_view>> first_content(std::string_view text) {
  constexpr std::string_view kBlank = " \t\r";
  int line_number = 0;
  while (!text.empty()) {
    ++line_number;
    const size_t eol = std::min(text.find('\n'), text.size());
    const std::string_view line = text.substr(0, eol);
    text.remove_prefix(std::min(eol + 1, text.size()));
    std::string_view rest = line.substr(std::min(line.find_first_not_of(kBlank), line.size()));
    const bool marker = rest.substr(0, 3) == "---" || rest.substr(0, 3) == "...";
    if (marker && (rest.size() == 3 || kBlank.find(rest[3]) != std::string_view::npos)) {
      rest.remove_prefix(3);
      rest.remove_prefix(std::min(rest.find_first_not_of(kBlank), rest.size()));
    }
    rest = rest.substr(0, std::min(rest.find(" #"), rest.size()));
    rest = rest.substr(0, rest.find_last_not_of(kBlank) + 1);
    if (rest.empty() || rest[0] == '#' || rest[0] == '%') continue;
    if (rest == "~" || rest == "null" || rest == "Null" || rest == "NULL") continue;
    // `rest` views into `line`, so the distance between them is the column.
    return std::pair{Mark{line_number, static_cast<int>(rest.data() - line.data()) + 1}, rest};
  }
  return std::nullopt;
}

YAML::Node Loader::parse_document(std::string_view text) const {
  YAML::Node root;
  int documents = 0;
  YAML::Mark second_document;
  try {
    root = YAML::Load(std::string(text));
    documents = count_documents(text, &second_document);
  } catch (const YAML::DeepRecursion& e) {
    const std::optional<Mark> deep = deep_flow_position(text);
    const std::string message =
        fmt::format("nesting deeper than {} levels, expected a flatter document", kDepthMax);
    if (deep) fail(*deep, message);
    fail(e.mark, message);
  } catch (const YAML::ParserException& e) {
    fail(e.mark, fmt::format("YAML syntax error: {}, expected valid YAML", e.msg));
  }
  if (root.IsNull() || !root.IsDefined()) {
    // yaml-cpp reads some junk (a leading ',') as an empty document instead
    // of refusing it: only a text with no content at all is "empty".
    const std::optional<std::pair<Mark, std::string_view>> content = first_content(text);
    if (content) {
      fail(content->first, fmt::format("YAML syntax error: unexpected {}, expected valid YAML",
                                       quote(content->second)));
    }
    fail(Mark{1, 1}, "empty scenario, expected a map with at least 'name' and 'duration'");
  }
  if (documents > 1) {
    fail(second_document, "a second YAML document, expected one scenario per file");
  }
  std::vector<YAML::Node> ancestors;
  int visited = 0;
  guard_walk(root, 1, ancestors, visited);
  if (!root.IsMap()) {
    fail(root.Mark(), fmt::format("scenario is {}, expected a map with at least 'name' and "
                                  "'duration'",
                                  shown(root)));
  }
  return root;
}

// ---------------------------------------------------------------------------
// Scalars.

const std::string& Loader::scalar(const Field& f, std::string_view expected) const {
  if (!f.node.IsScalar()) fail_value(f, expected);
  return f.node.Scalar();
}

std::string Loader::string_value(const Field& f) const { return scalar(f, "a string"); }

int64_t Loader::int_in(const Field& f, int64_t lo, int64_t hi) const {
  const std::string expected = fmt::format("an integer {}..{}", lo, hi);
  const std::optional<uint64_t> v = parse_uint(scalar(f, expected));
  if (!v || *v < static_cast<uint64_t>(lo) || *v > static_cast<uint64_t>(hi))
    fail_value(f, expected);
  return static_cast<int64_t>(*v);
}

uint64_t Loader::uint_value(const Field& f) const {
  constexpr const char* kExpected = "an integer 0..18446744073709551615";
  const std::optional<uint64_t> v = parse_uint(scalar(f, kExpected));
  if (!v) fail_value(f, kExpected);
  return *v;
}

// YAML 1.2 core booleans only: "yes"/"on" are YAML 1.1 and read differently
// by different tools, so they are refused rather than guessed.
bool Loader::bool_value(const Field& f) const {
  const std::string& text = scalar(f, "true or false");
  if (text == "true") return true;
  if (text == "false") return false;
  fail_value(f, "true or false");
}

Duration Loader::duration(const Field& f) const {
  const std::string& text = scalar(f, kDurationExpected);
  std::string why;
  const std::optional<Duration> d = sim::parse_duration(text, &why);
  if (d) return *d;
  // The unit list in parse_duration's reason repeats the expectation; keep the
  // message on one short line.
  if (const size_t paren = why.find(" ("); paren != std::string::npos) why.resize(paren);
  fail_value(f, kDurationExpected, why);
}

// A bound in a message: whole hours and minutes as such ("24h", not "86400s").
std::string bound(Duration d) {
  constexpr int64_t kMinute = sim::seconds(60).ns;
  if (d.ns > 0 && d.ns % (60 * kMinute) == 0) return fmt::format("{}h", d.ns / (60 * kMinute));
  if (d.ns > 0 && d.ns % kMinute == 0) return fmt::format("{}m", d.ns / kMinute);
  return sim::format_duration(d);
}

Duration Loader::duration_in(const Field& f, Duration lo, bool lo_inclusive, Duration hi) const {
  const Duration d = duration(f);
  if ((lo_inclusive ? d >= lo : d > lo) && d <= hi) return d;
  fail_value(f, fmt::format("a duration {} {} and at most {}", lo_inclusive ? "from" : "above",
                            bound(lo), bound(hi)));
}

// "0.001", "1", "1e-3" or "30%", to parts per million rounded to nearest.
uint32_t Loader::probability_ppm(const Field& f) const {
  std::string_view text = scalar(f, kProbabilityExpected);
  const bool percent = !text.empty() && text.back() == '%';
  if (percent) text.remove_suffix(1);
  const std::optional<uint64_t> ppm = parse_scaled_decimal(text, percent ? 4 : 6);
  if (!ppm || *ppm > net::kPpmOne) fail_value(f, kProbabilityExpected);
  return static_cast<uint32_t>(*ppm);
}

// A ratio 0..1 such as served_ratio_min: computed from an exact integer count
// of 10^-12 so the double is the one nearest to what was written.
double Loader::ratio(const Field& f) const {
  constexpr const char* kExpected = "a ratio 0..1 like 0.999 or '99.9%'";
  std::string_view text = scalar(f, kExpected);
  const bool percent = !text.empty() && text.back() == '%';
  if (percent) text.remove_suffix(1);
  constexpr uint64_t kOne = 1000000000000ULL;
  const std::optional<uint64_t> v = parse_scaled_decimal(text, percent ? 10 : 12);
  if (!v || *v > kOne) fail_value(f, kExpected);
  return static_cast<double>(*v) / static_cast<double>(kOne);
}

double Loader::positive_number(const Field& f, double hi) const {
  const std::string expected = fmt::format("a number above 0 and at most {}", hi);
  const std::optional<uint64_t> micro = parse_scaled_decimal(scalar(f, expected), 6);
  const double v = micro ? static_cast<double>(*micro) / 1e6 : 0.0;
  if (!micro || *micro == 0 || v > hi) fail_value(f, expected);
  return v;
}

// A Zipf exponent: 0 (uniform) or 0.01..5, checked on an exact count of
// 10^-12 so the double is the one nearest to what was written.
double Loader::zipf_exponent(const Field& f) const {
  constexpr const char* kExpected = "a number 0 (uniform) or 0.01..5 like 1.1";
  constexpr uint64_t kOne = 1000000000000ULL;
  const std::optional<uint64_t> v = parse_scaled_decimal(scalar(f, kExpected), 12);
  if (!v || (*v != 0 && (*v < kOne / 100 || *v > 5 * kOne))) fail_value(f, kExpected);
  return static_cast<double>(*v) / static_cast<double>(kOne);
}

// "3000/s" or "120/m": a whole number of events per second.
uint64_t Loader::rate_per_s(const Field& f) const {
  const std::string expected =
      fmt::format("a rate like 3000/s or 120/m, at most {}/s", kRatePerSecondMax);
  std::string_view text = scalar(f, expected);
  const size_t slash = text.find('/');
  if (slash == std::string_view::npos) fail_value(f, expected);
  const std::string_view unit = text.substr(slash + 1);
  const std::optional<uint64_t> count = parse_uint(text.substr(0, slash));
  if (!count || *count == 0 || (unit != "s" && unit != "m")) fail_value(f, expected);
  if (unit == "m" && *count % 60 != 0) {
    fail_value(f, "a whole number per second like 3000/s",
               fmt::format("{:.3g} per second", static_cast<double>(*count) / 60.0));
  }
  const uint64_t per_s = unit == "m" ? *count / 60 : *count;
  if (per_s > kRatePerSecondMax) fail_value(f, expected);
  return per_s;
}

// "256B", "4KB" (4000), "1KiB" (1024), "1MB", "1MiB", or a plain byte count.
uint32_t Loader::size_bytes(const Field& f) const {
  const std::string expected = "a size 1B..1MiB like 256B, 4KiB or 1MiB";
  std::string_view text = scalar(f, expected);
  size_t digits = 0;
  while (digits < text.size() && text[digits] >= '0' && text[digits] <= '9') ++digits;
  const std::string_view unit = text.substr(digits);
  static const std::map<std::string_view, uint64_t> kUnits{
      {"", 1},       {"B", 1},        {"KB", 1000},    {"kB", 1000},
      {"KiB", 1024}, {"MB", 1000000}, {"MiB", 1 << 20}};
  const auto u = kUnits.find(unit);
  const std::optional<uint64_t> count = parse_uint(text.substr(0, digits));
  if (u == kUnits.end() || !count || *count == 0 || *count > kSizeBytesMax ||
      *count * u->second > kSizeBytesMax) {
    fail_value(f, expected);
  }
  return static_cast<uint32_t>(*count * u->second);
}

// The range of node names in the topology, for an unknown node: only the tier
// the name seems to aim at when its prefix names one.
std::string topology_summary(const Topology& t, std::string_view selector) {
  std::vector<std::string> parts;
  for (Tier tier : {Tier::kEdge, Tier::kCore, Tier::kCloud}) {
    const std::string prefix = fmt::format("{}-", tier_name(tier));
    if (selector.substr(0, prefix.size()) == prefix) {
      return fmt::format("{}1..{}{}", prefix, prefix, t.count(tier));
    }
    parts.push_back(fmt::format("{}1..{}{}", prefix, prefix, t.count(tier)));
  }
  return fmt::format("{}, {}, {}", parts[0], parts[1], parts[2]);
}

Selector Loader::selector(const Field& f) const {
  const std::string& text = scalar(f, kSelectorExpected);
  if (text.empty()) fail_value(f, kSelectorExpected);
  Selector s{text, to_mark(f.node.Mark())};
  if (nodes_of(s).empty()) {
    const bool glob = text.find_first_of("*?") != std::string::npos;
    fail(f, fmt::format("{} {} (topology has {}), expected {}",
                        glob ? "no node matches" : "unknown node", quote(text),
                        topology_summary(topology_, glob ? "" : text), kSelectorExpected));
  }
  return s;
}

std::vector<Field> Loader::list(const Field& f, std::string_view expected) const {
  if (!f.node.IsSequence()) fail_value(f, expected);
  std::vector<Field> items;
  for (size_t i = 0; i < f.node.size(); ++i) items.push_back(item(f, i, f.node[i]));
  return items;
}

void Loader::between(const Field& f, Selector (&out)[2]) const {
  constexpr const char* kExpected = "a list of two node selectors like [edge, core]";
  const std::vector<Field> items = list(f, kExpected);
  if (items.size() != 2) fail_value(f, kExpected, count(items.size(), "item"));
  out[0] = selector(items[0]);
  out[1] = selector(items[1]);
}

// ---------------------------------------------------------------------------
// Latency models: a map with exactly one key naming the kind.

net::LatencyModel Loader::latency(const Field& f) const {
  static const std::vector<std::string_view> kKinds{"constant", "uniform", "normal", "lognormal",
                                                    "pareto"};
  const std::string expected = fmt::format("a map with one of {}", join_names(kKinds));
  if (!f.node.IsMap() || f.node.size() == 0) fail_value(f, expected);
  const MapView map(*this, f, kKinds);
  if (map.entries().size() > 1) {
    const auto& second = map.entries()[1];
    fail(second.second.key_mark,
         fmt::format("{} has two models '{}' and '{}', expected exactly one", f.path,
                     map.entries()[0].first, second.first));
  }
  const auto& [kind, params] = map.entries()[0];
  net::LatencyModel model = latency_params(params, kind);
  if (const std::string why = model.validate(); !why.empty()) {
    fail(f,
         fmt::format("{} is not a valid latency model ({}), expected {}", f.path, why, expected));
  }
  return model;
}

net::LatencyModel Loader::latency_params(const Field& f, std::string_view kind) const {
  const Duration zero{0};
  if (kind == "constant")
    return net::LatencyModel::constant(duration_in(f, zero, false, kLatencyMax));
  if (kind == "uniform") {
    const std::vector<Field> bounds = list(f, "a list [lo, hi] like [4ms, 12ms]");
    if (bounds.size() != 2)
      fail_value(f, "a list [lo, hi] like [4ms, 12ms]", count(bounds.size(), "item"));
    const Duration lo = duration_in(bounds[0], zero, true, kLatencyMax);
    // [lo, hi): an empty interval has nothing to draw from.
    const Duration hi = duration_in(bounds[1], lo, false, kLatencyMax);
    return net::LatencyModel::uniform(lo, hi);
  }
  if (kind == "normal") {
    const MapView m(*this, f, {"mean", "stddev"});
    const Duration mean =
        duration_in(m.require("mean", kDurationExpected), zero, false, kLatencyMax);
    const Duration sd =
        duration_in(m.require("stddev", kDurationExpected), zero, true, kLatencyMax);
    return net::LatencyModel::normal(mean, sd);
  }
  if (kind == "lognormal") {
    const MapView m(*this, f, {"median", "p99"});
    const Duration median =
        duration_in(m.require("median", kDurationExpected), zero, false, kLatencyMax);
    const Duration p99 =
        duration_in(m.require("p99", kDurationExpected), median, false, kLatencyMax);
    return net::LatencyModel::lognormal(median, p99);
  }
  ECSIM_ASSERT(kind == "pareto");
  const MapView m(*this, f, {"scale", "alpha", "cap"});
  const Duration scale =
      duration_in(m.require("scale", kDurationExpected), zero, false, kLatencyMax);
  const double alpha = positive_number(m.require("alpha", "a number like 1.5"), kParetoAlphaMax);
  Duration cap{0};
  if (auto c = m.get("cap")) cap = duration_in(*c, scale, true, kLatencyMax);
  return net::LatencyModel::pareto(scale, alpha, cap);
}

// ---------------------------------------------------------------------------
// Sections.

Topology Loader::topology(const Field& f) const {
  const MapView map(*this, f, {"edge", "core", "cloud"});
  Topology t;
  if (auto v = map.get("edge")) t.edge = static_cast<int>(int_in(*v, 1, kNodesPerTierMax));
  if (auto v = map.get("core")) t.core = static_cast<int>(int_in(*v, 1, kNodesPerTierMax));
  if (auto v = map.get("cloud")) t.cloud = static_cast<int>(int_in(*v, 1, kNodesPerTierMax));
  return t;
}

void Loader::link_fields(const MapView& map, LinkPatch& patch) const {
  if (auto v = map.get("latency")) patch.latency = latency(*v);
  if (auto v = map.get("drop")) patch.drop_ppm = probability_ppm(*v);
  if (auto v = map.get("duplicate")) patch.duplicate_ppm = probability_ppm(*v);
  if (auto v = map.get("reorder")) patch.reorder = bool_value(*v);
  if (auto v = map.get("tls")) patch.tls = bool_value(*v);
}

ModelPatch Loader::model(const Field& f, const Scenario& sc) const {
  const MapView m(*this, f, {"edge_cache", "rpc", "messaging", "cores", "recovery"});
  ModelPatch p;
  p.mark = to_mark(f.node.Mark());
  if (sc.requests.empty()) {
    fail(f.key_mark, "model sets the three tiers' parameters, but this scenario has no requests workload, "
                     "expected a workload of kind requests or no model");
  }
  if (auto v = m.get("edge_cache")) {
    const MapView c(*this, *v, {"capacity", "ttl"});
    if (auto x = c.get("capacity")) p.cache_capacity = static_cast<uint64_t>(int_in(*x, 1, 10000000));
    if (auto x = c.get("ttl")) p.cache_ttl = duration_in(*x, Duration{0}, false, sim::seconds(3600));
  }
  if (auto v = m.get("rpc")) {
    const MapView r(*this, *v,
                    {"timeout", "retries", "cores_tried", "pool_size", "pool_warm", "handshake_timeout", "retry_budget"});
    if (auto x = r.get("retry_budget")) p.rpc_retry_budget_percent = static_cast<uint32_t>(int_in(*x, 0, 1000));
    if (auto x = r.get("timeout")) p.rpc_timeout = duration_in(*x, Duration{0}, false, sim::seconds(60));
    if (auto x = r.get("retries")) p.rpc_retries = static_cast<uint32_t>(int_in(*x, 0, 10));
    if (auto x = r.get("cores_tried")) p.rpc_cores_tried = static_cast<uint32_t>(int_in(*x, 1, sc.topology.core));
    if (auto x = r.get("pool_size")) p.rpc_pool_size = static_cast<uint32_t>(int_in(*x, 1, 64));
    if (auto x = r.get("handshake_timeout")) {
      p.rpc_handshake_timeout = duration_in(*x, Duration{0}, false, sim::seconds(60));
    }
    if (auto x = r.get("pool_warm")) {
      const int64_t pool = p.rpc_pool_size.value_or(32);
      p.rpc_pool_warm = static_cast<uint32_t>(int_in(*x, 0, pool));
    }
  }
  if (auto v = m.get("messaging")) {
    const MapView q(*this, *v, {"resend_timeout", "window"});
    if (auto x = q.get("resend_timeout")) {
      p.resend_timeout = duration_in(*x, Duration{0}, false, sim::seconds(3600));
    }
    if (auto x = q.get("window")) p.window = static_cast<uint32_t>(int_in(*x, 1, 1024));
  }
  if (auto v = m.get("recovery")) p.recovery = bool_value(*v);
  if (auto v = m.get("cores")) {
    const MapView c(*this, *v, {"edge", "core", "cloud"});
    for (int t = 0; t < kTierCount; ++t) {
      if (auto x = c.get(tier_name(static_cast<Tier>(t)))) p.cores[t] = static_cast<uint32_t>(int_in(*x, 1, 256));
    }
  }
  return p;
}

Network Loader::network(const Field& f) const {
  const MapView map(*this, f, {"default", "links"});
  Network net;
  if (auto d = map.get("default")) {
    link_fields(MapView(*this, *d, {"latency", "drop", "duplicate", "reorder", "tls"}), net.defaults);
  }
  const std::optional<Field> links = map.get("links");
  if (!links) return net;
  for (const Field& entry : list(*links, "a list of link overrides")) {
    const MapView m(*this, entry, {"between", "latency", "drop", "duplicate", "reorder", "tls"});
    LinkOverride o;
    between(m.require("between", "a list of two node selectors like [core, cloud]"), o.between);
    link_fields(m, o.patch);
    if (m.entries().size() < 2) {
      fail(entry.node.Mark(), fmt::format("{} sets nothing, expected at least one of latency, "
                                          "drop, duplicate, reorder or tls",
                                          entry.path));
    }
    net.overrides.push_back(std::move(o));
  }
  return net;
}

// The workload kinds, and the keys each one takes.
const std::vector<std::string_view> kWorkloadKinds{"ping", "requests"};
const std::vector<std::string_view> kPingKeys{"kind", "from", "to", "rate", "size", "timeout"};
const std::vector<std::string_view> kRequestsKeys{
    "kind", "at", "rate", "subscribers", "zipf", "records", "mix", "bad_tokens", "timeout",
    "dsm_keys", "until"};
// In the order of the RequestWorkload::mix_* fields.
const std::vector<std::string_view> kMixKeys{"session_check", "read", "write", "dsm_set",
                                             "dsm_get"};

// The keys of a workload entry depend on its kind, so the kind is looked at
// first; unknown keys are then reported against that kind's keys. Without a
// valid kind, the keys of every kind are accepted and the kind is the error.
void Loader::workload_item(const Field& f, Scenario& sc) const {
  const std::string expected_kind = fmt::format("a workload kind: {}", join_names(kWorkloadKinds));
  std::string kind;
  if (f.node.IsMap()) {
    for (auto it = f.node.begin(); it != f.node.end(); ++it) {
      if (it->first.IsScalar() && it->first.Scalar() == "kind" && it->second.IsScalar()) {
        kind = it->second.Scalar();
        break;
      }
    }
  }
  // The ping actors and the three tiers are two different node models: one
  // scenario runs one of them.
  if ((kind == "ping" && !sc.requests.empty()) || (kind == "requests" && !sc.workload.empty())) {
    fail(f, fmt::format("a '{}' workload after a '{}' one, expected workloads of one kind per scenario (ping or requests)",
                        kind, kind == "ping" ? "requests" : "ping"));
  }
  if (kind == "ping") {
    sc.workload.push_back(ping_item(MapView(*this, f, kPingKeys, " (kind ping)")));
    return;
  }
  if (kind == "requests") {
    sc.requests.push_back(requests_item(MapView(*this, f, kRequestsKeys, " (kind requests)")));
    return;
  }
  std::vector<std::string_view> all = kPingKeys;
  for (std::string_view key : kRequestsKeys) {
    if (std::find(all.begin(), all.end(), key) == all.end()) all.push_back(key);
  }
  const MapView m(*this, f, all);
  fail_value(m.require("kind", expected_kind), expected_kind);
}

Workload Loader::ping_item(const MapView& m) const {
  Workload w;
  w.mark = to_mark(m.self().node.Mark());
  w.kind = Workload::Kind::kPing;
  w.from = selector(m.require("from", kSelectorExpected));
  w.to = selector(m.require("to", kSelectorExpected));
  w.rate_per_s = rate_per_s(m.require("rate", "a rate like 3000/s"));
  if (auto v = m.get("size")) w.size_bytes = size_bytes(*v);
  if (auto v = m.get("timeout")) w.timeout = duration_in(*v, Duration{0}, false, kTimeoutMax);
  return w;
}

RequestWorkload Loader::requests_item(const MapView& m) const {
  RequestWorkload w;
  w.mark = to_mark(m.self().node.Mark());
  w.at = Selector{"edge", w.mark};
  if (auto v = m.get("at")) w.at = selector(*v);
  w.rate_per_s = rate_per_s(m.require("rate", "a rate like 3000/s"));
  if (auto v = m.get("subscribers")) {
    w.subscribers = static_cast<uint64_t>(int_in(*v, 1, kSubscribersMax));
  }
  if (auto v = m.get("zipf")) w.zipf = zipf_exponent(*v);
  if (auto v = m.get("records")) {
    w.records_per_subscriber = static_cast<uint32_t>(int_in(*v, 1, kRecordsPerSubscriberMax));
  }
  if (auto v = m.get("mix")) request_mix(*v, w);
  if (auto v = m.get("bad_tokens")) w.bad_token_ppm = probability_ppm(*v);
  if (auto v = m.get("timeout")) w.timeout = duration_in(*v, Duration{0}, false, kTimeoutMax);
  if (auto v = m.get("dsm_keys")) w.dsm_keys = static_cast<uint64_t>(int_in(*v, 1, kDsmKeysMax));
  if (auto v = m.get("until")) w.until = duration_in(*v, Duration{0}, false, kScenarioDurationMax);
  return w;
}

// Integer weights; a key left out of a given mix weighs 0.
void Loader::request_mix(const Field& f, RequestWorkload& w) const {
  if (!f.node.IsMap()) fail_value(f, "a map of weights like { session_check: 70, read: 30 }");
  const MapView m(*this, f, kMixKeys);
  uint32_t* const weights[] = {&w.mix_session_check, &w.mix_read, &w.mix_write, &w.mix_dsm_set,
                               &w.mix_dsm_get};
  ECSIM_ASSERT(kMixKeys.size() == std::size(weights));
  uint64_t sum = 0;
  for (size_t i = 0; i < kMixKeys.size(); ++i) {
    *weights[i] = 0;
    if (auto v = m.get(kMixKeys[i]))
      *weights[i] = static_cast<uint32_t>(int_in(*v, 0, kMixWeightMax));
    sum += *weights[i];
  }
  if (sum == 0) {
    fail_value(f, "at least one weight above 0", m.entries().empty() ? "" : "all weights 0");
  }
}

// In the order of Fault::Kind.
const std::vector<std::string_view> kFaultActions{"crash",     "restart", "partition", "heal",
                                                  "drop",      "delay",   "duplicate", "reorder",
                                                  "byzantine", "at_point"};
// The keys of a fault that are neither `at`, `for` nor an action: the
// parameters of a byzantine fault and of an at_point fault.
const std::vector<std::string_view> kByzantineKeys{"strategy", "rate"};
const std::vector<std::string_view> kAtPointKeys{"node", "nth", "do"};
// In the order of Fault::Strategy.
const std::vector<std::string_view> kByzantineStrategies{"cloud_direct_write"};
// In the order of Fault::PointAction.
const std::vector<std::string_view> kPointActions{"crash"};
constexpr int64_t kNthMax = 1000000000000;

bool is_fault_parameter(std::string_view key) {
  const auto in = [key](const std::vector<std::string_view>& keys) {
    return std::find(keys.begin(), keys.end(), key) != keys.end();
  };
  return key == "at" || key == "for" || in(kByzantineKeys) || in(kAtPointKeys);
}

// Refuses the parameters of another kind of fault: `strategy` on a crash,
// `nth` on a byzantine fault.
void refuse_parameters(const Loader& loader, const MapView& m, Fault::Kind kind, Fault::Kind owner,
                       const std::vector<std::string_view>& keys, std::string_view expected) {
  if (kind == owner) return;
  for (std::string_view key : keys) {
    if (auto v = m.get(key)) {
      loader.fail(v->key_mark, fmt::format("'{}' on a {} fault, expected {} only with {}", key,
                                           kFaultActions[static_cast<size_t>(kind)], expected,
                                           kFaultActions[static_cast<size_t>(owner)]));
    }
  }
}

Fault Loader::fault(const Field& f, const Scenario& sc) const {
  const Duration scenario_duration = sc.duration;
  std::vector<std::string_view> known{"at", "for"};
  known.insert(known.end(), kFaultActions.begin(), kFaultActions.end());
  known.insert(known.end(), kByzantineKeys.begin(), kByzantineKeys.end());
  known.insert(known.end(), kAtPointKeys.begin(), kAtPointKeys.end());
  const MapView m(*this, f, known);
  Fault out;
  out.mark = to_mark(f.node.Mark());
  fault_action(m, out);
  if (out.kind == Fault::Kind::kAtPoint) {
    // It happens at a reach, not at a time.
    if (auto v = m.get("at")) {
      fail(v->key_mark, "'at' on an at_point fault, expected either 'at' (a time) or 'at_point' (a protocol point)");
    }
  } else {
    const Field at = m.require("at", "a time like 10s");
    const Duration at_d = duration(at);
    if (at_d >= scenario_duration) {
      fail_value(at,
                 fmt::format("a time before the end of the scenario ({})", bound(scenario_duration)));
    }
    out.at = sim::Time{at_d.ns};
  }
  if (out.kind == Fault::Kind::kByzantine) fault_byzantine(m, m.require("byzantine", kSelectorExpected), sc, out);
  if (out.kind == Fault::Kind::kAtPoint) fault_at_point(m, m.require("at_point", "a protocol point"), sc, out);
  refuse_parameters(*this, m, out.kind, Fault::Kind::kByzantine, kByzantineKeys, "'strategy' and 'rate'");
  refuse_parameters(*this, m, out.kind, Fault::Kind::kAtPoint, kAtPointKeys, "'node', 'nth' and 'do'");
  if (auto v = m.get("for")) {
    if (out.kind == Fault::Kind::kRestart || out.kind == Fault::Kind::kHeal) {
      fail(v->key_mark,
           fmt::format("'for' on a {} fault, expected 'for' only with crash, partition, "
                       "drop, duplicate, delay, reorder, byzantine or at_point",
                       kFaultActions[static_cast<size_t>(out.kind)]));
    }
    out.for_duration = duration_in(*v, Duration{0}, false, kScenarioDurationMax);
  }
  return out;
}

// The one action key of a fault and its argument.
void Loader::fault_action(const MapView& m, Fault& fault) const {
  const Field& f = m.self();
  const std::pair<std::string, Field>* action = nullptr;
  for (const auto& entry : m.entries()) {
    if (is_fault_parameter(entry.first)) continue;
    if (action != nullptr) {
      fail(entry.second.key_mark,
           fmt::format("{} has two actions '{}' and '{}', expected exactly one", f.path,
                       action->first, entry.first));
    }
    action = &entry;
  }
  if (action == nullptr) {
    fail(f.node.Mark(),
         fmt::format("{} has no action, expected one of {}", f.path, join_names(kFaultActions)));
  }
  const std::string& kind = action->first;
  const Field& arg = action->second;
  const auto pos = std::find(kFaultActions.begin(), kFaultActions.end(), kind);
  fault.kind = static_cast<Fault::Kind>(pos - kFaultActions.begin());
  fault.between[0] = fault.between[1] = Selector{"*", fault.mark};
  switch (fault.kind) {
    case Fault::Kind::kCrash:
    case Fault::Kind::kRestart:
      fault.target = selector(arg);
      return;
    case Fault::Kind::kByzantine:  // its parameters are read by fault_byzantine
    case Fault::Kind::kAtPoint:    // and fault_at_point
      return;
    case Fault::Kind::kPartition:
      partition_groups(arg, fault);
      return;
    case Fault::Kind::kHeal:
      if (!arg.node.IsScalar() || (arg.node.Scalar() != "true" && arg.node.Scalar() != "all")) {
        fail_value(arg, "true or all");
      }
      return;
    case Fault::Kind::kReorder:
      if (arg.node.IsScalar() && arg.node.Scalar() == "true") return;
      break;
    default:
      break;
  }
  // drop, duplicate, delay, reorder: a map with an optional `between`.
  std::vector<std::string_view> keys{"between"};
  if (fault.kind == Fault::Kind::kDrop || fault.kind == Fault::Kind::kDuplicate)
    keys.push_back("rate");
  if (fault.kind == Fault::Kind::kDelay) keys.push_back("latency");
  if (!arg.node.IsMap()) {
    fail_value(arg, fault.kind == Fault::Kind::kReorder ? "a map like { between: [edge, core] }"
                                                        : fmt::format("a map with {}", keys[1]));
  }
  const MapView a(*this, arg, keys);
  if (auto b = a.get("between")) between(*b, fault.between);
  if (fault.kind == Fault::Kind::kDrop || fault.kind == Fault::Kind::kDuplicate) {
    fault.ppm = probability_ppm(a.require("rate", kProbabilityExpected));
  } else if (fault.kind == Fault::Kind::kDelay) {
    fault.latency = latency(a.require("latency", "a latency model like { constant: 50ms }"));
  }
}

// `byzantine: SELECTOR, strategy: NAME, rate: RATE`. The one strategy,
// cloud_direct_write, forges storage writes from edge nodes to the cloud
// tier: it needs the three-tier model and edge nodes.
void Loader::fault_byzantine(const MapView& m, const Field& target, const Scenario& sc, Fault& fault) const {
  const std::string expected_strategy = fmt::format("a strategy: {}", join_names(kByzantineStrategies));
  fault.target = selector(target);
  const Field strategy = m.require("strategy", expected_strategy);
  const std::string& name = scalar(strategy, expected_strategy);
  const auto known = std::find(kByzantineStrategies.begin(), kByzantineStrategies.end(), name);
  if (known == kByzantineStrategies.end()) {
    if (auto near = closest(name, kByzantineStrategies)) {
      fail(strategy, fmt::format("unknown byzantine strategy {} in {}, did you mean '{}'?", quote(name),
                                 strategy.path, *near));
    }
    fail_value(strategy, expected_strategy);
  }
  fault.strategy = static_cast<Fault::Strategy>(known - kByzantineStrategies.begin());
  if (auto v = m.get("rate")) fault.rate_per_s = rate_per_s(*v);
  ECSIM_ASSERT(fault.strategy == Fault::Strategy::kCloudDirectWrite);
  if (sc.requests.empty()) {
    fail(strategy, fmt::format("byzantine strategy {} in a scenario without a requests workload, expected "
                               "it only with the three-tier model (a requests workload)",
                               quote(name)));
  }
  const std::vector<std::string> names = node_names(topology_);
  for (uint32_t node : nodes_of(fault.target)) {
    const Tier tier = node_tier(topology_, node);
    if (tier != Tier::kEdge) {
      fail(target, fmt::format("byzantine strategy {} on {} (a {} node), expected edge nodes only", quote(name),
                               names[node], tier_name(tier)));
    }
  }
  ECSIM_ASSERT(fault.rate_per_s > 0);
}

// `at_point: NAME, node: NODE, nth: N, do: crash`: NAME one of the points
// proto/points.hpp lists, NODE exactly one node of a tier that runs the
// point's code; the points belong to the three-tier model.
void Loader::fault_at_point(const MapView& m, const Field& name_field, const Scenario& sc, Fault& fault) const {
  constexpr const char* kExpected = "a protocol point like storage.replica.after_wal_append (docs/scenarios.md)";
  const std::string& name = scalar(name_field, kExpected);
  const std::optional<proto::Point> point = proto::point_by_name(name);
  if (!point) {
    std::vector<std::string_view> names;
    for (const proto::PointInfo& p : proto::points()) names.push_back(p.name);
    if (auto near = closest(name, names)) {
      fail(name_field, fmt::format("unknown protocol point {} in {}, did you mean '{}'?", quote(name),
                                   name_field.path, *near));
    }
    fail_value(name_field, kExpected);
  }
  fault.point = *point;
  if (sc.requests.empty()) {
    fail(name_field, fmt::format("at_point {} in a scenario without a requests workload, expected it only with the "
                                 "three-tier model (a requests workload), whose protocols have the points",
                                 quote(name)));
  }
  const Field node = m.require("node", "the node that acts at the point, like cloud-2");
  fault.target = selector(node);
  const std::vector<uint32_t> nodes = nodes_of(fault.target);
  const std::vector<std::string> names = node_names(topology_);
  if (nodes.size() != 1) {
    fail(node, fmt::format("{} selects {} ({}, ...), expected exactly one node", node.path, count(nodes.size(), "node"),
                           names[nodes[0]]));
  }
  const proto::PointInfo& info = proto::point_info(*point);
  const Tier tier = node_tier(topology_, nodes[0]);
  if ((info.tiers & (1u << static_cast<unsigned>(tier))) == 0) {
    std::vector<std::string_view> tiers;
    for (int t = 0; t < kTierCount; ++t) {
      if ((info.tiers & (1u << t)) != 0) tiers.push_back(tier_name(static_cast<Tier>(t)));
    }
    fail(node, fmt::format("{} on {} (a {} node), which never runs that code, expected a {} node", info.name,
                           names[nodes[0]], tier_name(tier), join_names(tiers)));
  }
  if (auto v = m.get("nth")) fault.nth = static_cast<uint64_t>(int_in(*v, 1, kNthMax));
  const std::string expected_action = fmt::format("an action at the point: {}", join_names(kPointActions));
  const Field action = m.require("do", expected_action);
  const std::string& what = scalar(action, expected_action);
  const auto known = std::find(kPointActions.begin(), kPointActions.end(), what);
  if (known == kPointActions.end()) fail_value(action, expected_action);
  fault.action = static_cast<Fault::PointAction>(known - kPointActions.begin());
  ECSIM_ASSERT(fault.nth >= 1);
}

// Groups are lists of selectors; one group may be "*" (or ["*"]): every node
// in no other group. No node may be in two groups.
void Loader::partition_groups(const Field& f, Fault& fault) const {
  constexpr const char* kExpected = "a list of two or more groups like [[edge-1], \"*\"]";
  const std::vector<Field> groups = list(f, kExpected);
  if (groups.size() < 2) fail_value(f, kExpected, count(groups.size(), "group"));
  std::vector<int> group_of(node_names(topology_).size(), -1);
  std::optional<Field> rest;
  for (size_t g = 0; g < groups.size(); ++g) {
    const Field& group = groups[g];
    const bool is_rest = (group.node.IsScalar() && group.node.Scalar() == "*") ||
                         (group.node.IsSequence() && group.node.size() == 1 &&
                          group.node[0].IsScalar() && group.node[0].Scalar() == "*");
    if (is_rest) {
      if (rest) fail_value(group, "one \"*\" group at most", "a second \"*\" group");
      rest = group;
      fault.groups.push_back({Selector{"*", to_mark(group.node.Mark())}});
      continue;
    }
    std::vector<Selector> members;
    for (const Field& member : list(group, "a list of node selectors or \"*\"")) {
      if (member.node.IsScalar() && member.node.Scalar() == "*") {
        fail_value(member, "node selectors other than '*' (use \"*\" as a group of its own)");
      }
      Selector s = selector(member);
      for (uint32_t node : nodes_of(s)) {
        if (group_of[node] >= 0 && group_of[node] != static_cast<int>(g)) {
          fail(member,
               fmt::format("node {} is in partition groups {} and {}, expected each node in "
                           "one group",
                           node_names(topology_)[node], group_of[node], g));
        }
        group_of[node] = static_cast<int>(g);
      }
      members.push_back(std::move(s));
    }
    if (members.empty()) fail_value(group, "a group with at least one node");
    fault.groups.push_back(std::move(members));
  }
  if (rest && std::find(group_of.begin(), group_of.end(), -1) == group_of.end()) {
    fail(*rest, "\"*\" group is empty (every node is in another group), expected some node left");
  }
}

Expect Loader::expect(const Field& f, const Scenario& sc) const {
  const MapView m(*this, f,
                  {"invariants", "served_ratio_min", "latency_p99", "throughput_min", "min_delivered",
                   "quiescence", "recovers_within"});
  Expect e;
  e.mark = to_mark(f.node.Mark());
  static const std::vector<std::string_view> kInvariants = [] {
    std::vector<std::string_view> names;
    for (const InvariantInfo& i : invariants()) names.push_back(i.name);
    return names;
  }();
  if (auto inv = m.get("invariants")) {
    for (const Field& name_field : list(*inv, "a list of invariant names like [durability]")) {
      const std::string name = scalar(name_field, "an invariant name like durability");
      if (std::find(kInvariants.begin(), kInvariants.end(), name) == kInvariants.end()) {
        const auto near = closest(name, kInvariants);
        fail(name_field, near ? fmt::format("unknown invariant {} in {}, did you mean '{}'?",
                                            quote(name), inv->path, *near)
                              : fmt::format("unknown invariant {} in {}, expected {}", quote(name),
                                            inv->path, join_names(kInvariants)));
      }
      if (invariants()[static_cast<size_t>(*invariant_by_name(name))].tiers_only && sc.requests.empty()) {
        fail(name_field, fmt::format("invariant {} in a scenario without a requests workload, expected it only "
                                     "with the three-tier model",
                                     quote(name)));
      }
      if (std::find(e.invariants.begin(), e.invariants.end(), name) != e.invariants.end()) {
        fail(name_field, fmt::format("invariant {} listed twice in {}, expected each once",
                                     quote(name), inv->path));
      }
      if (const auto why = missing_for(*invariant_by_name(name), sc.faults, topology_, !sc.requests.empty());
          !why.empty()) {
        fail(name_field, fmt::format("invariant {} has nothing to judge in this scenario, expected {}", quote(name),
                                     why));
      }
      e.invariants.push_back(name);
    }
  }
  if (auto v = m.get("served_ratio_min")) e.served_ratio_min = ratio(*v);
  if (auto v = m.get("latency_p99")) {
    const MapView p99(*this, *v, {"ping", "edge", "core", "cloud", "outside_faults"});
    if (auto ping = p99.get("ping")) {
      if (sc.workload.empty()) {
        fail(ping->key_mark, fmt::format("{} in a scenario without a ping workload, expected it only with "
                                         "kind: ping workloads",
                                         ping->path));
      }
      e.ping_latency_p99 = duration_in(*ping, Duration{0}, false, kScenarioDurationMax);
    }
    if (auto t = p99.get("edge")) e.tier_latency_p99[0] = duration_in(*t, Duration{0}, false, kScenarioDurationMax);
    if (auto t = p99.get("core")) e.tier_latency_p99[1] = duration_in(*t, Duration{0}, false, kScenarioDurationMax);
    if (auto t = p99.get("cloud")) e.tier_latency_p99[2] = duration_in(*t, Duration{0}, false, kScenarioDurationMax);
    const bool tiers = e.tier_latency_p99[0] || e.tier_latency_p99[1] || e.tier_latency_p99[2];
    for (const char* tier : {"edge", "core", "cloud"}) {
      if (auto t = p99.get(tier); t && sc.requests.empty()) {
        fail(t->key_mark, fmt::format("{} in a scenario without a requests workload, expected tier latencies "
                                      "only with the three-tier model",
                                      t->path));
      }
    }
    if (auto of = p99.get("outside_faults")) {
      if (!tiers) {
        fail(of->key_mark, fmt::format("{} without a tier latency (edge, core or cloud) beside it, expected "
                                       "it to qualify one",
                                       of->path));
      }
      e.latency_outside_faults = duration_in(*of, Duration{0}, true, kScenarioDurationMax);
    }
  }
  if (auto v = m.get("throughput_min")) throughput_min(*v, sc, e);
  if (auto v = m.get("min_delivered")) e.min_delivered = uint_value(*v);
  if (auto v = m.get("quiescence")) e.quiescence = duration_in(*v, Duration{0}, false, kQuiescenceMax);
  if (auto v = m.get("recovers_within")) {
    if (sc.requests.empty()) {
      fail(v->key_mark, fmt::format("{} in a scenario without a requests workload, expected it only with the "
                                    "three-tier model (client requests to measure)",
                                    v->path));
    }
    if (!has_fault_window(sc.faults)) {
      fail(v->key_mark, fmt::format("{} in a scenario without a fault window, expected a timed fault to "
                                    "recover from",
                                    v->path));
    }
    // Served ratios are measured per whole second: less cannot be judged.
    e.recovers_within = duration_in(*v, sim::seconds(1), true, sim::seconds(3600));
  }
  return e;
}

// `throughput_min: { SELECTOR: RATE, ... }`: the keys are node selectors, so
// the map is walked here rather than through a MapView of known keys. Every
// node a selector names must have clients (be in some requests workload's
// `at`): a node without them is offered nothing and could never pass.
void Loader::throughput_min(const Field& f, const Scenario& sc, Expect& e) const {
  constexpr const char* kExpected = "a map of node selectors to rates like { edge: 1000/s }";
  if (!f.node.IsMap() || f.node.size() == 0) fail_value(f, kExpected);
  if (sc.requests.empty()) {
    fail(f.key_mark, fmt::format("{} in a scenario without a requests workload, expected it only with the "
                                 "three-tier model (clients at edge nodes)",
                                 f.path));
  }
  std::vector<bool> has_clients(node_names(topology_).size(), false);
  for (const RequestWorkload& w : sc.requests) {
    for (uint32_t n : nodes_of(w.at)) has_clients[n] = true;
  }
  const std::vector<std::string> names = node_names(topology_);
  for (auto it = f.node.begin(); it != f.node.end(); ++it) {
    const YAML::Node key = it->first;  // handles: the iterator's pair is a temporary
    const YAML::Node value = it->second;
    if (!key.IsScalar()) {
      fail(key.Mark(), fmt::format("{} has a key that is {}, expected a node selector like edge", f.path,
                                   shown(key)));
    }
    for (const ThroughputMin& t : e.throughput_min) {
      if (t.nodes.text == key.Scalar()) {
        fail(key.Mark(), fmt::format("duplicate key {} in {}, expected each key once", quote(key.Scalar()),
                                     f.path));
      }
    }
    const Field key_field{key, f.path, key.Mark()};
    ThroughputMin t;
    t.nodes = selector(key_field);
    for (uint32_t n : nodes_of(t.nodes)) {
      if (!has_clients[n]) {
        fail(key.Mark(), fmt::format("{} selects {}, which has no clients, expected nodes with clients (in a "
                                     "requests workload's 'at')",
                                     f.path, names[n]));
      }
    }
    t.per_s = rate_per_s(child(f, key.Scalar(), value, key.Mark()));
    e.throughput_min.push_back(std::move(t));
  }
}

// Replays the sorted schedule, tracking which nodes are down, so a crash of a
// node that is down (or a restart of one that is up) is reported at load time
// rather than surfacing as a no-op or an assertion mid-run. A crash with
// `for: D` restarts the node at `at + D`; another crash or restart of that node
// at exactly that instant would depend on event order, so it is refused too.
void Loader::check_node_states(const std::vector<Fault>& faults) const {
  struct State {
    bool down = false;
    sim::Time crashed_at{0};
    std::optional<sim::Time> auto_restart_at;
  };
  const std::vector<std::string> names = node_names(topology_);
  std::vector<State> states(names.size());
  for (const Fault& f : faults) {
    const bool byzantine = f.kind == Fault::Kind::kByzantine;
    if (f.kind != Fault::Kind::kCrash && f.kind != Fault::Kind::kRestart && !byzantine) continue;
    const char* action = f.kind == Fault::Kind::kCrash ? "crash" : "restart";
    for (State& s : states) {
      if (s.auto_restart_at && *s.auto_restart_at < f.at) s = State{};
    }
    if (byzantine) {
      // A byzantine node must be up when its fault begins (it may crash
      // later: it sends nothing while it is down).
      for (uint32_t node : nodes_of(f.target)) {
        const State& s = states[node];
        if (!s.down) continue;
        fail(f.mark, fmt::format("byzantine {} at {}, but {} is down (crashed at {}), expected a node that is up",
                                 names[node], sim::format_time(f.at), names[node], sim::format_time(s.crashed_at)));
      }
      continue;
    }
    for (uint32_t node : nodes_of(f.target)) {
      State& s = states[node];
      const std::string& n = names[node];
      const std::string at = sim::format_time(f.at);
      if (s.auto_restart_at) {
        fail(f.mark,
             fmt::format("{} of {} at {}, but {} restarts by itself at {} (crashed at {} with "
                         "'for'), expected no {} before it is up again",
                         action, n, at, n, sim::format_time(*s.auto_restart_at),
                         sim::format_time(s.crashed_at), action));
      }
      if (f.kind == Fault::Kind::kCrash && s.down) {
        fail(f.mark, fmt::format("crash of {} at {}, but {} is already down (crashed at {}), "
                                 "expected a node that is up",
                                 n, at, n, sim::format_time(s.crashed_at)));
      }
      if (f.kind == Fault::Kind::kRestart && !s.down) {
        fail(f.mark, fmt::format("restart of {} at {}, but {} is already up, expected a node that "
                                 "is down",
                                 n, at, n));
      }
      s.down = f.kind == Fault::Kind::kCrash;
      if (!s.down) continue;
      s.crashed_at = f.at;
      if (f.for_duration) s.auto_restart_at = f.at + *f.for_duration;
    }
  }
}

Scenario Loader::load(std::string_view text) {
  if (text.size() > kFileBytesMax) {
    fail(Mark{1, 1}, fmt::format("file too large ({} bytes), expected at most {} bytes (4 MiB)",
                                 text.size(), kFileBytesMax));
  }
  if (const auto offset = first_binary_byte(text)) {
    fail(Mark{1, 1}, fmt::format("not a text file (byte 0x{:02x} at offset {}), expected YAML",
                                 static_cast<unsigned char>(text[*offset]), *offset));
  }
  const Field top{parse_document(text), "scenario", YAML::Mark()};
  const MapView m(*this, top,
                  {"name", "description", "seed", "duration", "topology", "network", "workload",
                   "faults", "expect", "model"});
  Scenario sc;
  sc.file = file_;
  sc.text = std::string(text);
  const Field name = m.require("name", "a string");
  sc.name = string_value(name);
  if (sc.name.empty() || sc.name.size() > kNameBytesMax) {
    fail_value(name, fmt::format("a name of 1..{} bytes", kNameBytesMax));
  }
  sc.duration = duration_in(m.require("duration", "a duration like 60s"), Duration{0}, false,
                            kScenarioDurationMax);
  if (auto v = m.get("description")) sc.description = string_value(*v);
  if (auto v = m.get("seed")) sc.seed = uint_value(*v);
  if (auto v = m.get("topology")) sc.topology = topology(*v);
  topology_ = sc.topology;
  if (auto v = m.get("network")) sc.network = network(*v);
  if (auto v = m.get("workload")) {
    for (const Field& w : list(*v, "a list of workloads")) workload_item(w, sc);
  }
  if (auto v = m.get("faults")) {
    for (const Field& f : list(*v, "a list of faults")) sc.faults.push_back(fault(f, sc));
    std::stable_sort(sc.faults.begin(), sc.faults.end(),
                     [](const Fault& a, const Fault& b) { return a.at < b.at; });
    check_node_states(sc.faults);
  }
  if (auto v = m.get("expect")) sc.expect = expect(*v, sc);
  if (!sc.requests.empty() && has_fault_window(sc.faults) && !sc.expect.recovers_within) {
    const auto f = std::find_if(sc.faults.begin(), sc.faults.end(), [](const Fault& x) { return has_window(x); });
    fail(f->mark, fmt::format("a fault window in a scenario with a requests workload, but no "
                              "expect.recovers_within, expected one like 'recovers_within: 5s' (how soon the "
                              "served ratio must be back after the last fault)"));
  }
  if (auto v = m.get("model")) sc.model = model(*v, sc);
  return sc;
}

Scenario load_guarded(std::string_view text, const std::string& file) {
  try {
    return Loader(file).load(text);
  } catch (const LoadError&) {
    throw;
  } catch (const YAML::Exception& e) {
    Loader(file).fail(e.mark, fmt::format("YAML error: {}, expected valid YAML", e.msg));
  } catch (const std::exception& e) {
    Loader(file).fail(Mark{1, 1}, fmt::format("internal error while loading ({}), expected a "
                                              "loadable scenario",
                                              e.what()));
  }
}

}  // namespace

Scenario load_scenario_text(std::string_view text, const std::string& file) {
  return load_guarded(text, file);
}

// POSIX open + fstat rather than an ifstream: the error must name the reason
// (strerror text), a directory must be refused, and a huge file must not be
// read whole before it is refused.
Scenario load_scenario_file(const std::string& path) {
  const auto cannot_read = [&](int err) {
    return LoadError(fmt::format("{}: cannot read: {}", path,
                                 std::error_code(err, std::generic_category()).message()));
  };
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) throw cannot_read(errno);
  std::string text;
  struct stat st {};
  int err = 0;
  if (::fstat(fd, &st) != 0) {
    err = errno;
  } else if (S_ISDIR(st.st_mode)) {
    err = EISDIR;
  } else {
    char buf[65536];
    while (text.size() <= kFileBytesMax) {
      const ssize_t n = ::read(fd, buf, sizeof buf);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) err = errno;
      if (n <= 0) break;
      text.append(buf, static_cast<size_t>(n));
    }
  }
  ::close(fd);
  if (err != 0) throw cannot_read(err);
  return load_guarded(text, path);
}

Scenario load_quickstart() { return load_scenario_text(kQuickstartYaml, "<quickstart>"); }

}  // namespace ecsim::scenario
