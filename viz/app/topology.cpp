// The topology: edge nodes as blue circles, core as red circles, cloud as
// green squares, the links between them, messages in flight moving
// along them, dropped ones marked where they died; a crashed node at 50 %
// with DOWN and its links cut, a partitioned link cut. Past kNodesLinked
// nodes only the selected node's live links are drawn and the messages in
// flight are aggregated, one dot per busy link or, past kLinksGrouped busy
// links, per tier pair (model/flight.hpp), so large runs stay fluid and
// readable (a down node there shows DOWN and its links vanish rather than
// fan out cut); below, at most kMessagesDrawnMax messages are drawn.
#include <algorithm>
#include <array>
#include <cmath>

#include <fmt/format.h>

#include "model/flight.hpp"
#include "ui.hpp"

namespace ecsim::viz {

namespace {
constexpr size_t kNodesLinked = 64;
constexpr size_t kMessagesDrawnMax = 2000;
constexpr size_t kLinksGrouped = 1500;  // busy links drawn one dot each; past that, per tier pair
constexpr int64_t kDropShownNs = 20'000'000;  // a drop stays marked this long (simulated)
const ImU32 kBackground = IM_COL32(24, 26, 30, 255);
const ImU32 kLink = IM_COL32(110, 110, 120, 255);
const ImU32 kCut = IM_COL32(230, 60, 60, 255);
const ImU32 kMessage = IM_COL32(250, 210, 60, 255);

ImVec2 at(const Layout& l, uint32_t n) { return {l.centre[n].x, l.centre[n].y}; }
ImVec2 lerp(ImVec2 a, ImVec2 b, float f) { return {a.x + (b.x - a.x) * f, a.y + (b.y - a.y) * f}; }

void draw_link(ImDrawList* dl, ImVec2 a, ImVec2 b, bool cut) {
  if (!cut) {
    dl->AddLine(a, b, kLink, 1.5f);
    return;
  }
  // A cut link: two stubs with a gap and a cross in the middle.
  dl->AddLine(a, lerp(a, b, 0.42f), kCut, 1.5f);
  dl->AddLine(lerp(a, b, 0.58f), b, kCut, 1.5f);
  const ImVec2 m = lerp(a, b, 0.5f);
  dl->AddLine({m.x - 5, m.y - 5}, {m.x + 5, m.y + 5}, kCut, 2.0f);
  dl->AddLine({m.x - 5, m.y + 5}, {m.x + 5, m.y - 5}, kCut, 2.0f);
}

void draw_links(const Ui& ui, ImDrawList* dl) {
  const Timeline& t = *ui.timeline;
  const ViewState& s = t.state();
  const size_t n = t.names().size();
  for (uint32_t a = 0; a < n; ++a) {
    for (uint32_t b = a + 1; b < n; ++b) {
      // Every pair: the DSM's anti-entropy talks across all tiers.
      const bool cut = !s.nodes[a].up || !s.nodes[b].up || t.link_cut(a, b);
      if (n > kNodesLinked) {
        // Many nodes: only the selected node's live links, faint.
        if ((a == ui.selected || b == ui.selected) && !cut) {
          dl->AddLine(at(ui.layout, a), at(ui.layout, b), IM_COL32(110, 110, 120, 70), 1.0f);
        }
        continue;
      }
      draw_link(dl, at(ui.layout, a), at(ui.layout, b), cut);
    }
  }
}

// Past kNodesLinked nodes: one dot per busy link (sized by its count), or
// past kLinksGrouped busy links one dot per tier pair, labelled with its
// count, between the tiers' centres (model/flight.hpp).
void draw_message_groups(const Ui& ui, ImDrawList* dl) {
  const Timeline& t = *ui.timeline;
  const FlightGroups g = group_in_flight(t, kLinksGrouped, &ui.follow);
  std::array<ImVec2, kTiers> centre{};
  std::array<float, kTiers> nodes{};
  for (uint32_t n = 0; n < t.tiers().size() && n < ui.layout.centre.size(); ++n) {
    const auto k = static_cast<size_t>(t.tiers()[n]);
    centre[k].x += ui.layout.centre[n].x;
    centre[k].y += ui.layout.centre[n].y;
    nodes[k] += 1;
  }
  for (size_t k = 0; k < kTiers; ++k) centre[k] = nodes[k] > 0 ? ImVec2(centre[k].x / nodes[k], centre[k].y / nodes[k]) : ImVec2();
  static const char* kTier[kTiers] = {"edge", "core", "cloud"};
  for (const FlightGroup& m : g.groups) {
    const ImU32 colour = m.followed ? kFollowedColour : kMessage;
    const float size = std::log2(static_cast<float>(m.count) + 1.0f);
    if (!g.by_tier) {
      if (m.from >= ui.layout.centre.size() || m.to >= ui.layout.centre.size()) continue;
      const ImVec2 p = lerp(at(ui.layout, m.from), at(ui.layout, m.to), std::clamp(m.progress, 0.05f, 0.95f));
      dl->AddCircleFilled(p, 2.0f + std::min(5.0f, size), colour, 10);
      continue;
    }
    const ImVec2 a = centre[m.from], b = centre[m.to];
    // Each direction on its own side of the line between the tiers; a tier
    // to itself beside its centre.
    // Each direction on its own side of the line between the tiers, its
    // label outside; a tier to itself to the right of its centre.
    const float side = m.from < m.to ? -1.0f : 1.0f;
    const float radius = 4.0f + std::min(14.0f, 1.5f * size);
    ImVec2 p = m.from == m.to ? ImVec2(a.x + 200.0f, a.y) : lerp(a, b, std::clamp(m.progress, 0.25f, 0.75f));
    if (m.from != m.to) p.x += side * 40.0f;
    dl->AddCircleFilled(p, radius, colour, 16);
    const std::string label = fmt::format("{}->{} {}", kTier[m.from], kTier[m.to], m.count);
    const float w = ImGui::CalcTextSize(label.c_str()).x;
    const float x = side < 0 && m.from != m.to ? p.x - radius - 4 - w : p.x + radius + 4;
    dl->AddRectFilled({x - 2, p.y - 8}, {x + w + 2, p.y + 8}, IM_COL32(24, 26, 30, 220));
    dl->AddText({x, p.y - 7}, IM_COL32(235, 235, 235, 255), label.c_str());
  }
}

void draw_messages(const Ui& ui, ImDrawList* dl) {
  const Timeline& t = *ui.timeline;
  const ViewState& s = t.state();
  const bool grouped = t.names().size() > kNodesLinked;
  if (grouped) draw_message_groups(ui, dl);
  size_t drawn = 0;
  for (const auto& [id, m] : s.in_flight) {
    if (grouped || drawn++ == kMessagesDrawnMax) break;
    if (m.from >= ui.layout.centre.size() || m.to >= ui.layout.centre.size()) continue;
    float f = 0.5f;
    if (const auto end = t.message_end(m.send_index)) {
      const int64_t span = t.record(*end).time_ns - m.sent_ns;
      f = span > 0 ? static_cast<float>(s.now_ns - m.sent_ns) / static_cast<float>(span) : 1.0f;
    }
    const ImVec2 p = lerp(at(ui.layout, m.from), at(ui.layout, m.to), std::clamp(f, 0.05f, 0.95f));
    if (ui.follow.active() && ui.follow.message(id)) {  // a followed transaction's message
      dl->AddCircleFilled(p, 6.0f, kFollowedColour, 12);
      dl->AddCircle(p, 7.5f, IM_COL32_WHITE, 12, 1.5f);
    } else {
      dl->AddCircleFilled(p, 3.5f, kMessage, 8);
    }
  }
  for (const RecentDrop& d : s.recent_drops) {
    if (s.now_ns - d.at_ns > kDropShownNs || d.from >= ui.layout.centre.size()) continue;
    const ImVec2 p = lerp(at(ui.layout, d.from), at(ui.layout, d.to), drop_position(d.reason));
    dl->AddLine({p.x - 4, p.y - 4}, {p.x + 4, p.y + 4}, kCut, 2.5f);
    dl->AddLine({p.x - 4, p.y + 4}, {p.x + 4, p.y - 4}, kCut, 2.5f);
  }
}

void draw_nodes(Ui& ui, ImDrawList* dl) {
  const Timeline& t = *ui.timeline;
  const ViewState& s = t.state();
  const float r = ui.layout.radius;
  const bool labels = t.names().size() <= kNodesLinked;
  for (uint32_t n = 0; n < t.names().size(); ++n) {
    const ImVec2 c = at(ui.layout, n);
    const bool up = s.nodes[n].up;
    // Down: the tier's colour at 50 % over the background.
    const ImU32 fill = tier_colour(t.tiers()[n], up ? 1.0f : 0.5f);
    if (t.tiers()[n] == Tier::kCloud) {
      dl->AddRectFilled({c.x - r, c.y - r}, {c.x + r, c.y + r}, fill, 2.0f);
    } else {
      dl->AddCircleFilled(c, r, fill, 24);
    }
    if (n == ui.selected && t.tiers()[n] == Tier::kCloud) {
      dl->AddRect({c.x - r - 4, c.y - r - 4}, {c.x + r + 4, c.y + r + 4}, IM_COL32(255, 255, 255, 255), 2.0f, 0, 2.0f);
    } else if (n == ui.selected) {
      dl->AddCircle(c, r + 4, IM_COL32(255, 255, 255, 255), 24, 2.0f);
    }
    if (labels) dl->AddText({c.x - r, c.y + r + 2}, IM_COL32(220, 220, 220, 255), t.names()[n].c_str());
    if (!up) dl->AddText({c.x - r, c.y - r - 16}, IM_COL32(255, 80, 80, 255), "DOWN");
  }
}

void pick_node(Ui& ui) {
  if (!ImGui::IsWindowHovered() || !ImGui::IsMouseClicked(ImGuiMouseButton_Left)) return;
  const ImVec2 m = ImGui::GetMousePos();
  const float r = ui.layout.radius + 3;
  for (uint32_t n = 0; n < ui.layout.centre.size(); ++n) {
    const float dx = m.x - ui.layout.centre[n].x, dy = m.y - ui.layout.centre[n].y;
    if (dx * dx + dy * dy <= r * r) {
      ui.selected = n;
      ui.side = SideTab::kNode;
      ui.force_side = true;
      return;
    }
  }
}
}  // namespace

ImU32 tier_colour(Tier t, float alpha) {
  // Blended over the panel's background by hand, so "50 %" is the same on
  // every backend and in a screenshot.
  static const int kRgb[kTiers][3] = {{40, 110, 235}, {225, 45, 45}, {40, 175, 70}};
  const int bg[3] = {24, 26, 30};
  const int* c = kRgb[static_cast<size_t>(t)];
  const auto mix = [alpha](int fg, int back) { return static_cast<int>(std::lround(fg * alpha + back * (1 - alpha))); };
  return IM_COL32(mix(c[0], bg[0]), mix(c[1], bg[1]), mix(c[2], bg[2]), 255);
}

void draw_topology(Ui& ui, ImVec2 pos, ImVec2 size) {
  ImGui::SetNextWindowPos(pos);
  ImGui::SetNextWindowSize(size);
  ImGui::PushStyleColor(ImGuiCol_WindowBg, kBackground);
  ImGui::Begin("Topology", nullptr, ImGuiWindowFlags_NoMove | ImGuiWindowFlags_NoResize | ImGuiWindowFlags_NoCollapse);
  const Timeline& t = *ui.timeline;
  if (!ui.custom_layout) {
    const Rect area{pos.x + 30, pos.y + 50, size.x - 60, size.y - 80};
    ui.layout.centre = default_layout(t.tiers(), area).centre;
    ui.layout.radius = default_layout(t.tiers(), area).radius;
  }
  const ViewState& s = t.state();
  ImGui::Text("Edge: %u/%d Active   Core: %u/%d Active   Cloud: %u/%d Active   in flight: %zu",
              s.up_count(t.tiers(), Tier::kEdge), t.scenario().topology.edge, s.up_count(t.tiers(), Tier::kCore),
              t.scenario().topology.core, s.up_count(t.tiers(), Tier::kCloud), t.scenario().topology.cloud,
              s.in_flight.size());
  ImDrawList* dl = ImGui::GetWindowDrawList();
  draw_links(ui, dl);
  draw_messages(ui, dl);
  draw_nodes(ui, dl);
  pick_node(ui);
  ImGui::End();
  ImGui::PopStyleColor();
}

}  // namespace ecsim::viz
