#include "ecsim/scenario/loader.hpp"
#include "model/json_file.hpp"
#include "model/layout.hpp"

#include <algorithm>
#include <cmath>
#include <fstream>
#include <stdexcept>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

namespace ecsim::viz {

Layout default_layout(const std::vector<Tier>& tiers, Rect area) {
  Layout out;
  out.centre.resize(tiers.size());
  // Rows from the top: cloud, core, edge.
  const Tier rows[] = {Tier::kCloud, Tier::kCore, Tier::kEdge};
  size_t count[kTiers] = {};
  for (Tier t : tiers) ++count[static_cast<size_t>(t)];
  size_t widest = 1;
  for (size_t c : count) widest = std::max(widest, c);
  // Many nodes: smaller, and wrapped onto several lines within the row.
  out.radius = std::clamp(area.w / static_cast<float>(widest) * 0.3f, 2.0f, 14.0f);
  const float row_h = area.h / 3.0f;
  for (int row = 0; row < 3; ++row) {
    const Tier t = rows[row];
    const size_t n = count[static_cast<size_t>(t)];
    if (n == 0) continue;
    const size_t per_line = std::max<size_t>(1, static_cast<size_t>(area.w / (out.radius * 3.0f)));
    const size_t lines = (n + per_line - 1) / per_line;
    size_t k = 0;
    for (size_t id = 0; id < tiers.size(); ++id) {
      if (tiers[id] != t) continue;
      const size_t line = k / per_line, col = k % per_line;
      const size_t in_line = std::min(per_line, n - line * per_line);
      out.centre[id].x = area.x + area.w * (static_cast<float>(col) + 0.5f) / static_cast<float>(in_line);
      out.centre[id].y = area.y + row_h * static_cast<float>(row) +
                         row_h * (static_cast<float>(line) + 0.5f) / static_cast<float>(lines);
      ++k;
    }
  }
  return out;
}

void apply_layout_file(Layout& layout, const std::string& path, const std::vector<std::string>& names) {
  KeyPlaces places;
  const nlohmann::json j = read_json_file(path, 3, &places);  // {"nodes": {"NAME": [x, y]}}
  // "FILE:LINE:COLUMN" of a key, for an error about it or its value.
  const auto place = [&](const std::string& key) {
    const auto it = places.find(key);
    return it == places.end() ? path : path + ":" + it->second;
  };
  // "nodes" may be left out (only a radius): nodes it does not name keep
  // their default place.
  if (!j.is_object() || (j.contains("nodes") && !j["nodes"].is_object())) {
    const std::string where = j.is_object() ? place("nodes") : path;
    throw std::runtime_error(fmt::format("{}: expected a JSON object {{\"nodes\": {{\"NAME\": [x, y], ...}}}}", where));
  }
  for (const auto& [key, value] : j.items()) {
    if (key != "nodes" && key != "radius") {
      throw std::runtime_error(
          fmt::format("{}: unknown key {}, expected nodes or radius", place(key), scenario::quoted(key)));
    }
  }
  // Pixels: a circle up to 200 across, centres within +-100000 of the origin.
  constexpr double kRadiusMax = 100, kCoordinateMax = 1e5;
  if (j.contains("radius")) {
    const nlohmann::json& r = j["radius"];
    if (!r.is_number() || !(r.get<double>() > 0) || r.get<double>() > kRadiusMax) {
      throw std::runtime_error(
          fmt::format("{}: radius is {}, expected a number above 0 and at most {}", place("radius"),
                      r.dump().substr(0, 40), kRadiusMax));
    }
    layout.radius = r.get<float>();
  }
  const nlohmann::json no_nodes = nlohmann::json::object();
  for (const auto& [name, xy] : j.contains("nodes") ? j["nodes"].items() : no_nodes.items()) {
    const auto it = std::find(names.begin(), names.end(), name);
    if (it == names.end()) {
      throw std::runtime_error(
          fmt::format("{}: no node {} in this run", place("nodes/" + name), scenario::quoted(name)));
    }
    const nlohmann::json& point = xy;  // a lambda cannot capture a structured binding (clang 14)
    const auto coordinate = [&](size_t k) {
      return point[k].is_number() && std::abs(point[k].get<double>()) <= kCoordinateMax;
    };
    if (!xy.is_array() || xy.size() != 2 || !coordinate(0) || !coordinate(1)) {
      throw std::runtime_error(fmt::format("{}: node {}: expected [x, y], each within -{} .. {}",
                                           place("nodes/" + name), scenario::quoted(name), kCoordinateMax,
                                           kCoordinateMax));
    }
    layout.centre[static_cast<size_t>(it - names.begin())] = {xy[0].get<float>(), xy[1].get<float>()};
  }
}

}  // namespace ecsim::viz
