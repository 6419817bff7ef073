// The log: the records around the cursor, coloured by severity (blue
// information, green success, yellow warnings and injected faults, red
// critical), filtered by severity, tier, the selected node and text.
// Clicking a line moves the cursor just past that record. The log looks at
// most kLogScanMax records either side of the cursor, so a filter that
// matches rarely stays cheap on runs of millions of records.
#include <cstring>
#include <vector>

#include "ui.hpp"

namespace ecsim::viz {

namespace {
constexpr uint64_t kLogScanMax = 200'000;
constexpr size_t kBeforeMax = 300;
constexpr size_t kAfterMax = 100;

bool matches(const Ui& ui, const sim::Record& r, uint64_t index) {
  // Following a transaction: all of its records (its messages and WAL
  // entries are of severity detail), whatever the severity filter.
  if (!follows(ui, index)) return false;
  if (!ui.follow.active() && !ui.show_severity[static_cast<size_t>(severity(r))]) return false;
  const Timeline& t = *ui.timeline;
  const uint32_t node = record_node(r), peer = record_peer(r);
  if (ui.log_selected_only && ui.selected != UINT32_MAX && node != ui.selected && peer != ui.selected) return false;
  if (ui.log_tier >= 0) {
    const auto in_tier = [&](uint32_t n) { return n < t.tiers().size() && static_cast<int>(t.tiers()[n]) == ui.log_tier; };
    if (!in_tier(node) && !in_tier(peer)) return false;
  }
  if (ui.log_text[0] != '\0' && t.describe(r).find(ui.log_text) == std::string::npos) return false;
  return true;
}

void draw_filters(Ui& ui) {
  for (size_t s = 0; s < kSeverities; ++s) {
    ImGui::PushStyleColor(ImGuiCol_Text, severity_colour(static_cast<Severity>(s)));
    ImGui::Checkbox(severity_name(static_cast<Severity>(s)), &ui.show_severity[s]);
    ImGui::PopStyleColor();
    ImGui::SameLine();
  }
  ImGui::SetNextItemWidth(80);
  static const char* kTiersCombo[] = {"all tiers", "edge", "core", "cloud"};
  int tier = ui.log_tier + 1;
  if (ImGui::Combo("##tier", &tier, kTiersCombo, 4)) ui.log_tier = tier - 1;
  ImGui::SameLine();
  ImGui::Checkbox("selected node", &ui.log_selected_only);
  ImGui::SameLine();
  ImGui::SetNextItemWidth(-1);
  ImGui::InputTextWithHint("##text", "text filter", ui.log_text, sizeof ui.log_text);
}
}  // namespace

ImU32 severity_colour(Severity s) {
  switch (s) {
    case Severity::kDetail: return IM_COL32(150, 150, 150, 255);
    case Severity::kInfo: return IM_COL32(100, 165, 255, 255);
    case Severity::kSuccess: return IM_COL32(90, 210, 110, 255);
    case Severity::kWarning: return IM_COL32(240, 200, 60, 255);
    case Severity::kCritical: return IM_COL32(255, 80, 80, 255);
  }
  return IM_COL32_WHITE;
}

void draw_log(Ui& ui) {
  draw_filters(ui);
  Timeline& t = *ui.timeline;
  const uint64_t cursor = t.cursor();
  std::vector<uint64_t> lines;
  for (uint64_t i = cursor, scanned = 0; i > 0 && scanned < kLogScanMax && lines.size() < kBeforeMax; ++scanned) {
    --i;
    if (matches(ui, t.record(i), i)) lines.push_back(i);
  }
  std::reverse(lines.begin(), lines.end());
  const size_t before = lines.size();
  for (uint64_t i = cursor, scanned = 0; i < t.collected() && scanned < kLogScanMax && lines.size() - before < kAfterMax;
       ++i, ++scanned) {
    if (matches(ui, t.record(i), i)) lines.push_back(i);
  }
  ImGui::BeginChild("log", ImVec2(0, 0), true);
  static uint64_t scrolled_to = UINT64_MAX;
  uint64_t clicked = UINT64_MAX;
  for (size_t k = 0; k < lines.size(); ++k) {
    const uint64_t i = lines[k];
    const sim::Record& r = t.record(i);
    const bool at_cursor = i + 1 == cursor;
    // A followed transaction's messages and log entries stand out from the detail grey.
    const Severity sev = ui.follow.active() && severity(r) == Severity::kDetail ? Severity::kInfo : severity(r);
    ImGui::PushStyleColor(ImGuiCol_Text, sev == severity(r) ? severity_colour(sev) : kFollowedColour);
    const std::string text = format_ns(r.time_ns) + "  #" + std::to_string(i + 1) + "  " +
                             (ui.follow.active() && is_log_entry(r) ? "[WAL] " : "") + t.describe(r);
    ImGui::PushID(static_cast<int>(k));
    if (ImGui::Selectable(text.c_str(), at_cursor)) clicked = i;
    ImGui::PopID();
    ImGui::PopStyleColor();
    // Keep the line at the cursor in view when the cursor moved.
    if (k + 1 == before && scrolled_to != cursor) {
      ImGui::SetScrollHereY(0.7f);
      scrolled_to = cursor;
    }
  }
  ImGui::EndChild();
  if (clicked != UINT64_MAX) {
    seek_to(ui, clicked + 1);
    ui.play_ns = static_cast<double>(t.cursor_ns());
  }
}

}  // namespace ecsim::viz
