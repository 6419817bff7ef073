// Passes 1 and 2 of the loader: the raw bytes (NUL and control bytes, bad
// UTF-8) and the parsed tree walked blind (nesting depth, node count after
// alias expansion, anchor/alias cycles, a second document).
#include "loader_impl.hpp"

#include <yaml-cpp/depthguard.h>
#include <yaml-cpp/eventhandler.h>

#include <optional>
#include <sstream>

namespace ecsim::scenario::loading {

namespace {

// The first code point of `v` (valid UTF-8) that is a C1 control (U+0080..
// U+009F), a bidirectional mark (U+061C, U+200E, U+200F), a line or
// paragraph separator (U+2028, U+2029), a bidirectional embedding or
// override (U+202A..U+202E) or isolate (U+2066..U+2069).
std::optional<uint32_t> invisible_control(std::string_view v) {
  for (size_t i = 0; i + 1 < v.size(); ++i) {
    const auto b0 = static_cast<unsigned char>(v[i]);
    const auto b1 = static_cast<unsigned char>(v[i + 1]);
    if (b0 == 0xC2 && b1 >= 0x80 && b1 <= 0x9F) return b1;
    if (b0 == 0xD8 && b1 == 0x9C) return 0x061C;
    if (b0 != 0xE2 || i + 2 >= v.size()) continue;
    const uint32_t cp = 0x2000u | ((b1 & 0x3Fu) << 6) | (static_cast<unsigned char>(v[i + 2]) & 0x3Fu);
    if (b1 != 0x80 && b1 != 0x81) continue;
    if (cp == 0x200E || cp == 0x200F || (cp >= 0x2028 && cp <= 0x202E) || (cp >= 0x2066 && cp <= 0x2069)) return cp;
  }
  return std::nullopt;
}

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

}  // namespace

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
  // An explicit tag (`!!int 5s`, `!x`) is read by no field: the value would
  // be taken as written and the tag dropped without a word. yaml-cpp gives
  // "?" to a plain node and "!" to a quoted scalar.
  if (const std::string& tag = node.Tag(); !tag.empty() && tag != "?" && tag != "!") {
    constexpr std::string_view kCore = "tag:yaml.org,2002:";
    const std::string shown_tag = tag.starts_with(kCore) ? "!!" + tag.substr(kCore.size()) : tag;
    fail(node.Mark(), fmt::format("YAML tag {}, expected untagged values (a scenario reads no tags)",
                                  quote(shown_tag)));
  }
  if (node.IsScalar()) {
    // Raw control bytes were refused in pass 1; a quoted scalar's escapes
    // ("\0", "\x07") can still make them. None is meaningful in a
    // scenario, and a NUL would cut every message that shows the value.
    const std::string& v = node.Scalar();
    const auto control = std::find_if(v.begin(), v.end(), [](char c) {
      const auto b = static_cast<unsigned char>(c);
      return (b < 0x20 && c != '\t' && c != '\n' && c != '\r') || b == 0x7F;
    });
    if (control != v.end()) {
      fail(node.Mark(), fmt::format("control character \\x{:02x} in {}, expected printable text",
                                    static_cast<unsigned char>(*control), quote(v)));
    }
    // The same for the invisible controls beyond ASCII (the text is valid
    // UTF-8 by pass 1): C1 controls, line and paragraph separators and the
    // bidirectional marks, overrides and isolates, which make a terminal show
    // text in another order than it is.
    if (const std::optional<uint32_t> cp = invisible_control(v)) {
      // Not echoed: shown, it would do to the message what it does to the value.
      fail(node.Mark(), fmt::format("control character U+{:04X} in a value, expected printable text", *cp));
    }
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

}  // namespace ecsim::scenario::loading
