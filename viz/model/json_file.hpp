// The viewer's JSON inputs (--actions, --layout) read strictly: one line
// naming the file for a file that cannot be read, a syntax error (with its
// line and column), nesting deeper than the format has, or a key given twice
// in one object (the scenario loader refuses duplicate keys too; JSON
// parsers usually keep the last one without a word).
#pragma once
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string>

namespace ecsim::viz {

class JsonFileError : public std::runtime_error {
  using std::runtime_error::runtime_error;
};

// Throws JsonFileError.
nlohmann::json read_json_file(const std::string& path, int depth_max);

}  // namespace ecsim::viz
