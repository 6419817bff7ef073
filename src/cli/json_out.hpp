// JSON text for the command line's output. A file name or a scenario name
// may hold bytes that are not UTF-8 (a name is bytes on Linux); nlohmann's
// plain dump() throws on them, which made `run --json` exit 2 on a scenario
// `validate` had accepted. They are written as U+FFFD instead.
#pragma once
#include <nlohmann/json.hpp>
#include <string>

namespace ecsim::cli {

inline std::string json_text(const nlohmann::json& j) {
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace ecsim::cli
