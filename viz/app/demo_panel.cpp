// The demo tabs: actions on the live session (model/demo.hpp records each
// one as a scenario entry at the cursor). Faults: crash or restart a chosen
// or random node, cut a link, partition a group from the rest, set a drop
// rate between tiers; the recorded actions and "Save as scenario".
#include <vector>

#include <fmt/format.h>

#include "ecsim/sim/shell_word.hpp"
#include "model/demo.hpp"
#include "ui.hpp"

namespace ecsim::viz {

namespace {
constexpr size_t kPartitionNodesShown = 48;  // checkboxes beyond this are not drawn
const char* const kTierNames[] = {"edge", "core", "cloud"};

}  // namespace

// After an action: the timeline was rebuilt, the cursor sits past the action.
void after_action(Ui& ui, const std::string& problem, const std::string& what) {
  ui.timeline = &ui.demo->timeline();
  ui.pending = PendingMove{};
  ui.play_ns = static_cast<double>(ui.timeline->cursor_ns());
  ui.playing = false;
  // The rebuilt run reaches the action's event over frames (move_to_event).
  if (const auto event = ui.demo->take_placement()) move_to_event(ui, *event);
  ui.status = problem.empty() ? fmt::format("applied: {}", what) : problem;
}

bool actions_wait(const Ui& ui) {
  if (!ui.pending.active()) return false;
  ImGui::TextWrapped(
      "Actions wait until the cursor is in place (see the status line; Esc cancels the move).");
  return true;
}

bool node_combo(const char* label, const Timeline& t, int& node) {
  const std::vector<std::string>& names = t.names();
  if (node < 0 || static_cast<size_t>(node) >= names.size()) node = 0;
  bool changed = false;
  if (ImGui::BeginCombo(label, names[static_cast<size_t>(node)].c_str())) {
    for (size_t n = 0; n < names.size(); ++n) {
      const bool chosen = static_cast<int>(n) == node;
      if (ImGui::Selectable(names[n].c_str(), chosen)) {
        node = static_cast<int>(n);
        changed = true;
      }
    }
    ImGui::EndCombo();
  }
  return changed;
}

void draw_actions_list(Ui& ui) {
  Demo& d = *ui.demo;
  ImGui::Text("Recorded actions (%zu)", d.actions().size());
  ImGui::BeginChild("actions", ImVec2(0, 70), true);
  for (const RecordedAction& a : d.actions()) ImGui::TextUnformatted(a.label.c_str());
  ImGui::EndChild();
  ImGui::SetNextItemWidth(220);
  ImGui::InputText("##save", ui.save_path, sizeof ui.save_path);
  ImGui::SameLine();
  if (ImGui::Button("Save as scenario")) {
    const std::string why = d.save(ui.save_path);
    const std::string flags = d.replay_flags();
    ui.status = !why.empty()      ? why
                : flags.empty()   ? fmt::format("saved {} ({} actions)", ui.save_path, d.actions().size())
                                  : fmt::format("saved {} ({} actions); replay with ecsim run {} {}", ui.save_path,
                                                d.actions().size(), sim::shell_word(sim::path_arg(ui.save_path)), flags);
  }
}

void toggle_selected(Ui& ui) {
  if (ui.demo == nullptr) {
    ui.status = "this session takes no actions";
    return;
  }
  if (ui.pending.active()) {
    ui.status = "actions wait until the cursor is in place (Esc cancels the move)";
    return;
  }
  if (ui.selected >= ui.timeline->names().size()) {
    ui.status = "select a node first (click it)";
    return;
  }
  const std::string node = ui.timeline->names()[ui.selected];
  const bool up = ui.timeline->state().nodes[ui.selected].up;
  after_action(ui, up ? ui.demo->crash(node) : ui.demo->restart(node),
               fmt::format("{} {}", up ? "crash" : "restart", node));
}

void draw_faults(Ui& ui) {
  if (ui.demo == nullptr) {
    ImGui::TextWrapped("This session takes no actions.");
    return;
  }
  if (actions_wait(ui)) return;
  Demo& d = *ui.demo;
  // An action rebuilds the run (a new Timeline): each returns at once, as
  // `t` then refers to the old one.
  const Timeline& t = *ui.timeline;
  const uint64_t cursor = t.cursor();
  ImGui::TextWrapped("Actions apply at the cursor: %s, after the run's event #%llu (simulator events, not "
                     "the records counted above).",
                     format_ns(t.cursor_ns()).c_str(),
                     static_cast<unsigned long long>(cursor == 0 ? 0 : t.event_of(cursor - 1)));
  // The chooser shows the selected node; choosing another selects it.
  if (ui.selected < t.names().size()) ui.demo_node = static_cast<int>(ui.selected);
  ImGui::SetNextItemWidth(120);
  if (node_combo("##node", t, ui.demo_node)) ui.selected = static_cast<uint32_t>(ui.demo_node);
  const std::string node = t.names()[static_cast<size_t>(ui.demo_node)];
  const bool up = t.state().nodes[static_cast<size_t>(ui.demo_node)].up;
  ImGui::SameLine();
  if (ImGui::Button(up ? "Crash" : "Restart")) {
    return after_action(ui, up ? d.crash(node) : d.restart(node),
                        fmt::format("{} {}", up ? "crash" : "restart", node));
  }
  ImGui::SameLine();
  if (ImGui::Button("Crash random"))
    return after_action(ui, d.crash("random"), "crash of a random node");
  ImGui::SameLine();
  if (ImGui::Button("Restart random"))
    return after_action(ui, d.restart("random"), "restart of a random node");

  ImGui::SetNextItemWidth(100);
  node_combo("##link-a", t, ui.link_a);
  ImGui::SameLine();
  ImGui::SetNextItemWidth(100);
  node_combo("##link-b", t, ui.link_b);
  ImGui::SameLine();
  if (ImGui::Button("Cut link")) {
    const std::string a = t.names()[static_cast<size_t>(ui.link_a)], b = t.names()[static_cast<size_t>(ui.link_b)];
    return after_action(ui, a == b ? "a link joins two different nodes" : d.cut_link(a, b),
                        fmt::format("cut {} - {}", a, b));
  }

  ImGui::SetNextItemWidth(70);
  ImGui::Combo("##drop-from", &ui.drop_tiers[0], kTierNames, 3);
  ImGui::SameLine();
  ImGui::SetNextItemWidth(70);
  ImGui::Combo("##drop-to", &ui.drop_tiers[1], kTierNames, 3);
  ImGui::SameLine();
  ImGui::SetNextItemWidth(90);
  ImGui::SliderInt("##drop", &ui.drop_percent, 0, 100, "%d%% drop");
  ImGui::SameLine();
  if (ImGui::Button("Set drop rate")) {
    const char* a = kTierNames[ui.drop_tiers[0]];
    const char* b = kTierNames[ui.drop_tiers[1]];
    return after_action(ui, d.drop_rate(a, b, static_cast<uint32_t>(ui.drop_percent)),
                        fmt::format("drop {}% between {} and {}", ui.drop_percent, a, b));
  }

  ImGui::TextUnformatted("Partition: the checked nodes against the rest");
  ui.partition.resize(t.names().size(), false);
  for (size_t n = 0; n < std::min(t.names().size(), kPartitionNodesShown); ++n) {
    if (n % 6 != 0) ImGui::SameLine();
    bool on = ui.partition[n];
    if (ImGui::Checkbox(t.names()[n].c_str(), &on)) ui.partition[n] = on;
  }
  if (ImGui::Button("Partition")) {
    std::vector<std::string> group;
    for (size_t n = 0; n < t.names().size(); ++n) {
      if (ui.partition[n]) group.push_back(t.names()[n]);
    }
    return after_action(ui, d.partition(group), fmt::format("partition of {} nodes", group.size()));
  }
  ImGui::Separator();
  draw_actions_list(ui);
}

}  // namespace ecsim::viz
