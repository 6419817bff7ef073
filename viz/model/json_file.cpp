#include "model/json_file.hpp"

#include <fmt/format.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <set>
#include <vector>

#include "ecsim/scenario/loader.hpp"

namespace ecsim::viz {

namespace {
// The largest file read: these inputs are a few kilobytes.
constexpr std::streamsize kBytesMax = 4 << 20;

// Line and column (1-based) of a byte offset.
std::pair<size_t, size_t> position(const std::string& text, size_t byte) {
  size_t line = 1, column = 1;
  for (size_t i = 0; i < std::min(byte, text.size()); ++i) {
    if (text[i] == '\n') {
      ++line;
      column = 1;
    } else {
      ++column;
    }
  }
  return {line, column};
}

// An iterator over the text that publishes how far the parser has read, so
// that the parse callback can name the place of what it refuses (nlohmann
// gives a position only to its own syntax errors).
class CountingIterator {
 public:
  using iterator_category = std::input_iterator_tag;
  using value_type = char;
  using difference_type = std::ptrdiff_t;
  using pointer = const char*;
  using reference = const char&;
  CountingIterator(const char* p, const char* base, size_t* read)
      : p_(p), base_(base), read_(read) {}
  reference operator*() const { return *p_; }
  CountingIterator& operator++() {
    ++p_;
    *read_ = static_cast<size_t>(p_ - base_);
    return *this;
  }
  CountingIterator operator++(int) {
    CountingIterator before = *this;
    ++*this;
    return before;
  }
  bool operator==(const CountingIterator& o) const { return p_ == o.p_; }
  bool operator!=(const CountingIterator& o) const { return p_ != o.p_; }

 private:
  const char* p_;
  const char* base_;
  size_t* read_;
};

// The offset of the opening quote of the string whose closing quote is at
// `close` (escaped quotes inside skipped).
size_t string_start(const std::string& text, size_t close) {
  for (size_t i = close; i-- > 0;) {
    if (text[i] != '"') continue;
    size_t backslashes = 0;
    while (backslashes < i && text[i - 1 - backslashes] == '\\') ++backslashes;
    if (backslashes % 2 == 0) return i;
  }
  return 0;
}
}  // namespace

nlohmann::json read_json_file(const std::string& path, int depth_max, KeyPlaces* places) {
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) {
    throw JsonFileError(fmt::format("{}: cannot read: {}", path, std::strerror(EISDIR)));
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) throw JsonFileError(fmt::format("{}: cannot read: {}", path, std::strerror(errno)));
  std::string text(static_cast<size_t>(kBytesMax) + 1, '\0');
  in.read(text.data(), kBytesMax + 1);
  text.resize(static_cast<size_t>(in.gcount()));
  if (in.bad()) throw JsonFileError(fmt::format("{}: cannot read: I/O error", path));
  if (text.size() > static_cast<size_t>(kBytesMax)) {
    throw JsonFileError(
        fmt::format("{}: file too large, expected at most {} bytes", path, kBytesMax));
  }
  // nlohmann stops at a NUL byte as at the end of the text: what follows it
  // was dropped without a word (an adversarial pass).
  if (const size_t nul = text.find('\0'); nul != std::string::npos) {
    const auto [line, column] = position(text, nul);
    throw JsonFileError(fmt::format("{}:{}:{}: a NUL byte, expected JSON text", path, line, column));
  }
  // Per open object its keys so far; an open array has none (nullopt-like: a
  // flag beside it).
  std::vector<std::pair<bool, std::set<std::string>>> open;
  // Per open container its latest key, or in an array its latest element's
  // index (from 0), for the places' paths.
  std::vector<std::string> current;
  std::vector<size_t> elements;  // per open container, elements begun (arrays)
  std::string problem;
  size_t read = 0;  // bytes the parser has taken so far
  // The callback runs as soon as the token is read: '{' or '[' is the last
  // byte taken, a key's closing quote too.
  const auto at = [&](size_t byte) {
    const auto [line, column] = position(text, byte);
    return fmt::format("{}:{}", line, column);
  };
  const auto last_byte = [&] { return read == 0 ? size_t{0} : read - 1; };
  const auto check = [&](int /*depth*/, nlohmann::json::parse_event_t event,
                         nlohmann::json& parsed) {
    using E = nlohmann::json::parse_event_t;
    if (!problem.empty()) return false;
    const bool element = event == E::object_start || event == E::array_start || event == E::value;
    if (element && !open.empty() && !open.back().first) current.back() = std::to_string(elements.back()++);
    if (event == E::object_start || event == E::array_start) {
      if (static_cast<int>(open.size()) >= depth_max) {
        problem = fmt::format("{}: nesting deeper than {} levels, expected a flatter document",
                              at(last_byte()), depth_max);
        return false;
      }
      open.push_back({event == E::object_start, {}});
      current.emplace_back();
      elements.push_back(0);
    } else if (event == E::object_end || event == E::array_end) {
      if (!open.empty()) open.pop_back();
      if (!current.empty()) current.pop_back();
      if (!elements.empty()) elements.pop_back();
    } else if (event == E::key && !open.empty() && open.back().first) {
      const std::string key = parsed.get<std::string>();
      if (!open.back().second.insert(key).second) {
        problem =
            fmt::format("{}: duplicate key {}, expected each key once",
                        at(string_start(text, last_byte())), scenario::quoted(key));
        return false;
      }
      current.back() = key;
      if (places != nullptr) {
        std::string where;
        for (const std::string& k : current) where += (where.empty() ? "" : "/") + k;
        (*places)[where] = at(string_start(text, last_byte()));
      }
    }
    return true;
  };
  nlohmann::json j;
  try {
    const char* base = text.data();
    j = nlohmann::json::parse(CountingIterator(base, base, &read),
                              CountingIterator(base + text.size(), base, &read), check);
  } catch (const nlohmann::json::parse_error& e) {
    if (problem.empty()) {
      const auto [line, column] = position(text, e.byte == 0 ? 0 : e.byte - 1);
      // nlohmann's message after its "[json.exception...] " prefix.
      std::string what = e.what();
      if (const size_t colon = what.find(": "); colon != std::string::npos)
        what = what.substr(colon + 2);
      // On one line: its "last read" part may hold control bytes.
      throw JsonFileError(fmt::format("{}:{}:{}: JSON syntax error: {}", path, line, column,
                                      scenario::escaped(what)));
    }
  } catch (const nlohmann::json::exception& e) {
    // A number out of range (1e400) and the like: nlohmann names no place,
    // but the parser has read up to just past it.
    std::string what = e.what();
    if (const size_t bracket = what.find("] "); bracket != std::string::npos)
      what = what.substr(bracket + 2);
    throw JsonFileError(fmt::format("{}:{}", path,
                                    problem.empty() ? at(last_byte()) + ": " + scenario::escaped(what) : problem));
  }
  if (!problem.empty()) throw JsonFileError(fmt::format("{}:{}", path, problem));
  return j;
}

}  // namespace ecsim::viz
