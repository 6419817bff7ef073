// The viewer's JSON inputs (--actions, --layout) read strictly: one line
// naming the file for a file that cannot be read, a syntax error (with its
// line and column), nesting deeper than the format has, or a key given twice
// in one object (the scenario loader refuses duplicate keys too; JSON
// parsers usually keep the last one without a word).
#pragma once
#include <map>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string>

namespace ecsim::viz {

class JsonFileError : public std::runtime_error {
  using std::runtime_error::runtime_error;
};

// Where each object key was read ("line:column" of its opening quote), by
// its path: the enclosing objects' keys or arrays' indices (from 0) and its
// own, joined by '/' ("nodes/edge-1", "2/at"), so that an error about a
// value can name its place.
using KeyPlaces = std::map<std::string, std::string>;

// Throws JsonFileError. Fills `places`, when given, with every key's place.
nlohmann::json read_json_file(const std::string& path, int depth_max, KeyPlaces* places = nullptr);

}  // namespace ecsim::viz
