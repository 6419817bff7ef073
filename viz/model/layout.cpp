#include "model/layout.hpp"

#include <algorithm>
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
  std::ifstream in(path);
  if (!in) throw std::runtime_error(fmt::format("{}: cannot read the layout file", path));
  const nlohmann::json j = nlohmann::json::parse(in, nullptr, false);
  if (j.is_discarded() || !j.is_object() || !j.contains("nodes") || !j["nodes"].is_object()) {
    throw std::runtime_error(fmt::format("{}: expected a JSON object {{\"nodes\": {{\"NAME\": [x, y], ...}}}}", path));
  }
  if (j.contains("radius") && j["radius"].is_number()) layout.radius = j["radius"].get<float>();
  for (const auto& [name, xy] : j["nodes"].items()) {
    const auto it = std::find(names.begin(), names.end(), name);
    if (it == names.end()) throw std::runtime_error(fmt::format("{}: no node '{}' in this run", path, name));
    if (!xy.is_array() || xy.size() != 2 || !xy[0].is_number() || !xy[1].is_number()) {
      throw std::runtime_error(fmt::format("{}: node '{}': expected [x, y]", path, name));
    }
    layout.centre[static_cast<size_t>(it - names.begin())] = {xy[0].get<float>(), xy[1].get<float>()};
  }
}

}  // namespace ecsim::viz
