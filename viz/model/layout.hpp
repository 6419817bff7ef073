// Where each node is drawn: its centre in window pixels. The default puts
// the tiers in rows inside a rectangle (cloud on top, core in the middle,
// edge at the bottom); a layout file (`--layout FILE.json`) names centres:
//   {"nodes": {"edge-1": [x, y], ...}}
// Nodes it does not name keep their default place. No ImGui here.
#pragma once
#include <string>
#include <vector>

#include "model/view_state.hpp"

namespace ecsim::viz {

struct Point {
  float x = 0;
  float y = 0;
};

struct Rect {
  float x = 0, y = 0, w = 0, h = 0;
};

struct Layout {
  std::vector<Point> centre;  // by node id
  float radius = 14;          // a node's radius (half the side for cloud nodes)
};

// The default layout of `tiers` inside `area`.
Layout default_layout(const std::vector<Tier>& tiers, Rect area);

// Overrides the centres `path` names. THROWS std::runtime_error (one line)
// for an unreadable file, bad JSON or a node name the run does not have.
void apply_layout_file(Layout& layout, const std::string& path, const std::vector<std::string>& names);

}  // namespace ecsim::viz
