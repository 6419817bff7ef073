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
}  // namespace

nlohmann::json read_json_file(const std::string& path, int depth_max) {
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
  // Per open object its keys so far; an open array has none (nullopt-like: a
  // flag beside it).
  std::vector<std::pair<bool, std::set<std::string>>> open;
  std::string problem;
  const auto check = [&](int /*depth*/, nlohmann::json::parse_event_t event,
                         nlohmann::json& parsed) {
    using E = nlohmann::json::parse_event_t;
    if (!problem.empty()) return false;
    if (event == E::object_start || event == E::array_start) {
      if (static_cast<int>(open.size()) >= depth_max) {
        problem =
            fmt::format("nesting deeper than {} levels, expected a flatter document", depth_max);
        return false;
      }
      open.push_back({event == E::object_start, {}});
    } else if (event == E::object_end || event == E::array_end) {
      if (!open.empty()) open.pop_back();
    } else if (event == E::key && !open.empty() && open.back().first) {
      const std::string key = parsed.get<std::string>();
      if (!open.back().second.insert(key).second) {
        problem = fmt::format("duplicate key {}, expected each key once", scenario::quoted(key));
        return false;
      }
    }
    return true;
  };
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(text, check);
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
    // A number out of range (1e400) and the like: nlohmann names no place.
    std::string what = e.what();
    if (const size_t bracket = what.find("] "); bracket != std::string::npos)
      what = what.substr(bracket + 2);
    throw JsonFileError(
        fmt::format("{}: {}", path, problem.empty() ? scenario::escaped(what) : problem));
  }
  if (!problem.empty()) throw JsonFileError(fmt::format("{}: {}", path, problem));
  return j;
}

}  // namespace ecsim::viz
