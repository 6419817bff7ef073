#include "ecsim/sim/shell_word.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <cstring>

namespace ecsim::sim {

std::string path_arg(const std::string& path) { return !path.empty() && path[0] == '-' ? "./" + path : path; }

std::string shell_word(const std::string& word) {
  const auto bare = [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || (c != '\0' && std::strchr("-_./:=,+@%", c) != nullptr);
  };
  if (!word.empty() && std::all_of(word.begin(), word.end(), bare)) return word;
  const auto control = [](char c) { return static_cast<unsigned char>(c) < 0x20 || c == 0x7f; };
  if (std::none_of(word.begin(), word.end(), control)) {
    std::string out = "'";
    for (char c : word) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
    return out + "'";
  }
  std::string out = "$'";
  for (char c : word) {
    switch (c) {
      case '\n': out += "\\n"; break;
      case '\t': out += "\\t"; break;
      case '\r': out += "\\r"; break;
      case '\\': out += "\\\\"; break;
      case '\'': out += "\\'"; break;
      default:
        out += control(c) ? fmt::format("\\x{:02x}", static_cast<unsigned char>(c)) : std::string(1, c);
    }
  }
  return out + "'";
}

}  // namespace ecsim::sim
