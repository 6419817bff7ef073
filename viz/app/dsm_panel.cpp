// The DSM tab: SET or GET a key on a chosen node, two SETs of one key on two
// nodes at the same instant (concurrent writes), and what every replica
// holds for the key at the cursor with the key's last DSM records, so the
// resolution of concurrent writes (proto/dsm.hpp: the larger entry by clock
// sum, then clock, writer, value, wins everywhere) reads at a glance. Each
// action is recorded like a fault (model/demo.hpp).
#include <algorithm>

#include <fmt/format.h>

#include "model/demo.hpp"
#include "model/dsm_view.hpp"
#include "ui.hpp"

namespace ecsim::viz {

namespace {
constexpr int kDsmValueMax = 1 << 30;

void draw_key_view(Ui& ui) {
  const Timeline& t = *ui.timeline;
  static DsmKeyTracker tracker;  // incremental as the cursor moves forwards
  const DsmKeyView& v = tracker.view(t, static_cast<uint64_t>(ui.dsm_key));
  // Wrapped: the side panel is narrower than the sentence.
  ImGui::TextWrapped("Key %d at the cursor (%s):", ui.dsm_key,
                     v.converged ? "the replicas holding it agree in each DSM group"
                                 : "replicas differ or none holds it");
  ImGui::BeginChild("dsm-replicas", ImVec2(0, 110), true);
  for (uint32_t n = 0; n < v.by_node.size(); ++n) {
    const std::optional<DsmCell>& c = v.by_node[n];
    const bool up = t.state().nodes[n].up;
    const std::string line =
        !up  ? fmt::format("{:>9}: DOWN", t.names()[n])
        : c  ? fmt::format("{:>9}: {} (written by {})", t.names()[n], c->value, t.names()[c->writer])
             : fmt::format("{:>9}: -", t.names()[n]);
    ImGui::TextUnformatted(line.c_str());
  }
  ImGui::EndChild();
  ImGui::TextUnformatted("Its last DSM records (click: move the cursor there)");
  // Record lines are longer than the panel: a horizontal scrollbar, and the
  // whole line under the pointer.
  ImGui::BeginChild("dsm-records", ImVec2(0, 0), true, ImGuiWindowFlags_HorizontalScrollbar);
  for (uint64_t i : v.resolutions) {
    const sim::Record& r = t.record(i);
    const std::string line = fmt::format("{} {}", format_ns(r.time_ns), describe(r, t.names()));
    ImGui::PushStyleColor(ImGuiCol_Text, severity_colour(severity(r)));
    if (ImGui::Selectable(line.c_str(), false)) {
      seek_to(ui, i + 1);
      ui.play_ns = static_cast<double>(ui.timeline->cursor_ns());
    }
    ImGui::PopStyleColor();
    if (ImGui::IsItemHovered()) ImGui::SetTooltip("%s", line.c_str());
  }
  ImGui::EndChild();
}
}  // namespace

void draw_dsm(Ui& ui) {
  if (ui.demo == nullptr) {
    ImGui::TextWrapped("This session takes no actions.");
    draw_key_view(ui);
    return;
  }
  if (actions_wait(ui)) return;
  Demo& d = *ui.demo;
  const Timeline& t = *ui.timeline;
  ImGui::SetNextItemWidth(90);
  ImGui::InputInt("key", &ui.dsm_key, 1, 10);
  ui.dsm_key = std::clamp(ui.dsm_key, 0, kDsmValueMax);
  ImGui::SameLine();
  ImGui::SetNextItemWidth(90);
  ImGui::InputInt("value", &ui.dsm_value, 1, 100);
  ui.dsm_value = std::clamp(ui.dsm_value, 0, kDsmValueMax);
  ImGui::SetNextItemWidth(100);
  node_combo("##dsm-node", t, ui.dsm_node);
  const std::string node = t.names()[static_cast<size_t>(ui.dsm_node)];
  const auto key = static_cast<uint64_t>(ui.dsm_key);
  ImGui::SameLine();
  if (ImGui::Button("SET")) {
    after_action(ui, d.dsm_set(node, key, static_cast<uint64_t>(ui.dsm_value)),
                 fmt::format("dsm SET {} = {} on {}", key, ui.dsm_value, node));
  }
  ImGui::SameLine();
  if (ImGui::Button("GET")) after_action(ui, d.dsm_get(node, key), fmt::format("dsm GET {} on {}", key, node));

  ImGui::TextUnformatted("Concurrent writes: the same key on two nodes at the same instant");
  ImGui::SetNextItemWidth(100);
  node_combo("##dsm-a", *ui.timeline, ui.dsm_node);
  ImGui::SameLine();
  ImGui::TextUnformatted("=");
  ImGui::SameLine();
  ImGui::SetNextItemWidth(80);
  ImGui::InputInt("##va", &ui.dsm_value, 0, 0);
  ImGui::SetNextItemWidth(100);
  node_combo("##dsm-b", *ui.timeline, ui.dsm_node_b);
  ImGui::SameLine();
  ImGui::TextUnformatted("=");
  ImGui::SameLine();
  ImGui::SetNextItemWidth(80);
  ImGui::InputInt("##vb", &ui.dsm_value_b, 0, 0);
  ui.dsm_value_b = std::clamp(ui.dsm_value_b, 0, kDsmValueMax);
  ImGui::SameLine();
  if (ImGui::Button("Concurrent writes")) {
    const std::string a = ui.timeline->names()[static_cast<size_t>(ui.dsm_node)];
    const std::string b = ui.timeline->names()[static_cast<size_t>(ui.dsm_node_b)];
    after_action(ui,
                 d.dsm_concurrent(a, b, key, static_cast<uint64_t>(ui.dsm_value), static_cast<uint64_t>(ui.dsm_value_b)),
                 fmt::format("concurrent SETs of {} on {} and {}", key, a, b));
  }
  ImGui::Separator();
  draw_key_view(ui);
}

}  // namespace ecsim::viz
