// The space-time diagram: one lane per node, time to the right, an arrow
// per message from its send to its delivery (a dropped one red, crossed
// where it died), crashes, restarts and protocol phases marked on their
// lane. It follows the cursor (the white line); the wheel zooms, dragging
// pans, and lanes can be limited to tiers or to the selected node. At most
// kLanesMax lanes and kArrowsMax arrows are drawn, so thousands of nodes
// and busy seconds stay fluid.
#include <algorithm>
#include <unordered_set>
#include <vector>

#include <fmt/format.h>

#include "ecsim/tiers/messages.hpp"
#include "ui.hpp"

namespace ecsim::viz {

namespace {
constexpr size_t kLanesMax = 64;
constexpr size_t kArrowsMax = 4000;
constexpr float kLabelW = 70;
constexpr float kLaneMinH = 14;
const ImU32 kArrow = IM_COL32(120, 170, 255, 200);
const ImU32 kDropped = IM_COL32(255, 80, 80, 255);

// The first collected record at or after t_ns.
uint64_t first_at(const Timeline& t, int64_t t_ns) {
  uint64_t lo = 0, hi = t.collected();
  while (lo < hi) {
    const uint64_t mid = lo + (hi - lo) / 2;
    if (t.record(mid).time_ns < t_ns) lo = mid + 1; else hi = mid;
  }
  return lo;
}

// The lanes shown: the selected node's first, then nodes of the ticked
// tiers in id order, as many as fit at kLaneMinH pixels (at most kLanesMax).
std::vector<uint32_t> lanes(const Ui& ui, bool selected_only, float height) {
  const Timeline& t = *ui.timeline;
  const size_t fit = std::clamp<size_t>(static_cast<size_t>(height / kLaneMinH), 1, kLanesMax);
  std::vector<uint32_t> out;
  if (ui.selected < t.names().size()) out.push_back(ui.selected);
  if (selected_only) return out;
  for (uint32_t n = 0; n < t.names().size() && out.size() < fit; ++n) {
    if (n != ui.selected && ui.st_tiers[static_cast<size_t>(t.tiers()[n])]) out.push_back(n);
  }
  return out;
}
// The window's ends in simulated time: a quarter of it after the cursor,
// moved by the pan.
double window_start_ns(const Ui& ui) {
  return static_cast<double>(ui.timeline->cursor_ns()) - ui.st_span_ns * 0.75 + ui.st_pan_ns;
}
double window_end_ns(const Ui& ui) { return window_start_ns(ui) + ui.st_span_ns; }

// The event after which the record at `index` has its clock made: its
// own, and for a send, its delivery's (or drop's) when collected. The
// receiver takes a delivered message when its service reaches it, some
// events after the delivery, which no kept record marks: while the
// receive's clock is missing, the event of the last record collected up to
// the window's right edge (a message never taken, its receiver crashed
// with it queued, must not have the probe chase the frontier as the
// Timeline collects more).
uint64_t clocks_event(const Ui& ui, const Probe& p, uint64_t index) {
  const Timeline& t = *ui.timeline;
  const sim::Record& r = t.record(index);
  uint64_t event = t.event_of(index);
  if (r.type != sim::RecordType::kSend) return event;
  const auto end = t.message_end(index);
  if (!end) return event;
  event = std::max(event, t.event_of(*end));
  const bool taken_unseen = t.record(*end).type == sim::RecordType::kDeliver &&
                            p.events() >= event && p.clock(r.a, true) != nullptr &&
                            p.clock(r.a, false) == nullptr;
  if (!taken_unseen) return event;
  const double end_ns = std::clamp(window_end_ns(ui), -1.0, 9e18);  // a pan far out stays in range
  const uint64_t through = first_at(t, static_cast<int64_t>(end_ns) + 1);  // records up to the edge
  return through == 0 ? event : std::max(event, t.event_of(through - 1));
}

// The probe for a hover on the record at `index`: created if there is
// none, and moved within the frame's budget towards the later of the
// cursor and clocks_event, so a hover needs no selected node and sees past
// the cursor. It goes past the cursor only while no tab holds it there
// (probe_held), and it never turns back for a hover: a record behind it
// has its clocks cached or says why not.
uint64_t hover_target(const Ui& ui, const Probe& p, uint64_t index) {
  const Timeline& t = *ui.timeline;
  return probe_held(ui) ? t.cursor_event() : std::max(t.cursor_event(), clocks_event(ui, p, index));
}
const Probe& hover_probe(Ui& ui, uint64_t index) {
  Probe& p = probe_of(ui);
  const uint64_t event = hover_target(ui, p, index);
  if (p.events() < event && !p.ended()) drive_probe(ui, p, event);
  return p;
}

// Why the probe has no clock made at event `event` by the record at
// `index`, if it can tell.
void clock_missing(const Ui& ui, const Probe& p, uint64_t index, uint64_t event) {
  const Timeline& t = *ui.timeline;
  if (event > t.cursor_event() && probe_held(ui)) {
    ImGui::TextDisabled(
        "vector clock: after the cursor (the Node and 2PC tabs hold the probe at the cursor)");
  } else if (event > p.events()) {
    ImGui::TextColored(ImVec4(1, 0.8f, 0.3f, 1), "vector clock: computing up to %s... %d %%",
                       event > t.cursor_event() ? "this record" : "the cursor",
                       static_cast<int>(p.progress() * 100));
  } else if (t.record(index).time_ns < p.capture_from_ns()) {
    ImGui::TextDisabled("vector clock: before the window the probe kept clocks for (from %s)",
                        format_ns(p.capture_from_ns()).c_str());
  } else if (p.remote() && t.record(index).time_ns <= p.remote_from_ns()) {
    ImGui::TextDisabled(
        "vector clock: before the checkpoint the probe went back to (at %s; model/forks.hpp)",
        format_ns(p.remote_from_ns()).c_str());
  } else {
    ImGui::TextDisabled(
        "vector clock: not kept (past the probe's %zu of a kind, or its cache's byte budget)",
        Probe::kClocksMax);
  }
}

// The clock of the node of a hovered local event (a mark on its lane).
void hover_local_clock(Ui& ui, uint64_t index) {
  const Timeline& t = *ui.timeline;
  const Probe& p = hover_probe(ui, index);
  const LocalClock* c = p.local_clock(t.trace_index(index));
  if (c == nullptr) {
    clock_missing(ui, p, index, t.event_of(index));
  } else if (!c->up) {
    ImGui::TextDisabled("vector clock: none (the node was down: its clock is volatile)");
  } else {
    ImGui::TextWrapped("%s's clock at this record: %s", t.names()[c->node].c_str(), clock_text(c->clock, t.names()).c_str());
  }
}

// The vector clocks of a hovered message, from the probe (model/probe.hpp),
// or why they are not known.
void hover_clocks(Ui& ui, uint64_t index) {
  const Timeline& t = *ui.timeline;
  const sim::Record& r = t.record(index);
  if (r.type == sim::RecordType::kFault && record_node(r) == UINT32_MAX) {
    ImGui::TextDisabled("no vector clock: a fault the nemesis applies, not an event at a node");
    ImGui::TextDisabled("the nodes' clocks at it: select one and open the Node tab at this record");
    return;
  }
  if (r.type != sim::RecordType::kSend) {
    hover_local_clock(ui, index);
    return;
  }
  if (r.kind == tiers::kKindTwopc) {
    if (const auto txn = t.message_txn(r.a)) {
      ImGui::Text("2PC txn %llu (read from the message's body)%s", static_cast<unsigned long long>(*txn),
                  ui.follow.active() && ui.follow.message(r.a) ? ": followed" : "");
    } else if (ui.follow.active() && ui.follow.inferred(r.a)) {
      ImGui::Text("followed txn %llu: by its sending node and event (its body was not read; may be another's too)",
                  static_cast<unsigned long long>(ui.follow.txn()));
    }
  }
  const Probe* p = &hover_probe(ui, index);
  const CapturedClock* send = p->clock(r.a, true);
  const CapturedClock* recv = p->clock(r.a, false);
  if (send != nullptr) ImGui::TextWrapped("clock after the send: %s", clock_text(send->clock, t.names()).c_str());
  if (recv != nullptr) {
    ImGui::TextWrapped("receiver's clock after taking it: %s", clock_text(recv->clock, t.names()).c_str());
  }
  if (send == nullptr) {
    if (t.event_of(index) > p->events() || r.time_ns < p->capture_from_ns()) {
      clock_missing(ui, *p, index,
                    t.event_of(index));  // after the cursor, still computing, or before the window
    } else {
      ImGui::TextDisabled(
          "vector clock: none (a message without one, or past the probe's %zu or its byte budget)",
          Probe::kClocksMax);
    }
    return;
  }
  if (recv != nullptr) return;
  const auto end = t.message_end(index);
  if (!end) {
    ImGui::TextDisabled("receiver's clock: not delivered in the part of the run simulated so far");
  } else if (t.record(*end).type != sim::RecordType::kDeliver) {
    ImGui::TextDisabled("receiver's clock: none (dropped)");
  } else if (t.event_of(*end) > t.cursor_event() && probe_held(ui)) {
    clock_missing(ui, *p, *end, t.event_of(*end));
  } else if (p->events() < hover_target(ui, *p, index) && !p->ended()) {
    ImGui::TextColored(ImVec4(1, 0.8f, 0.3f, 1),
                       "receiver's clock: computing until it takes the message... %d %%",
                       static_cast<int>(p->progress() * 100));
  } else if (probe_held(ui)) {
    ImGui::TextDisabled(
        "receiver's clock: not taken before the cursor (the Node and 2PC tabs hold the probe "
        "there)");
  } else {
    ImGui::TextDisabled("receiver's clock: not taken in the part of the run simulated so far");
  }
}
}  // namespace

void draw_space_time(Ui& ui) {
  Timeline& t = *ui.timeline;
  static bool selected_only = false;
  static const char* kNames[kTiers] = {"edge", "core", "cloud"};
  for (size_t k = 0; k < kTiers; ++k) {
    ImGui::Checkbox(kNames[k], &ui.st_tiers[k]);
    ImGui::SameLine();
  }
  ImGui::Checkbox("selected only", &selected_only);
  ImGui::SameLine();
  if (ImGui::Button("reset view")) {
    ui.st_span_ns = 50e6;
    ui.st_pan_ns = 0;
  }
  ImGui::SameLine();
  ImGui::Text("window %.3f ms (wheel: zoom, drag: pan)", ui.st_span_ns / 1e6);
  const ImVec2 p0 = ImGui::GetCursorScreenPos();
  const ImVec2 avail = ImGui::GetContentRegionAvail();
  const std::vector<uint32_t> lane_nodes = lanes(ui, selected_only, avail.y);
  ImGui::InvisibleButton("canvas", ImVec2(std::max(avail.x, 50.0f), std::max(avail.y, 50.0f)));
  const bool hovered = ImGui::IsItemHovered();
  ImDrawList* dl = ImGui::GetWindowDrawList();
  const float w = avail.x - kLabelW, x0 = p0.x + kLabelW;
  if (hovered && ImGui::GetIO().MouseWheel != 0) {
    ui.st_span_ns = std::clamp(ui.st_span_ns * (ImGui::GetIO().MouseWheel > 0 ? 0.8 : 1.25), 1e3, 3600e9);
  }
  if (ImGui::IsItemActive() && ImGui::IsMouseDragging(ImGuiMouseButton_Left)) {
    ui.st_pan_ns -= static_cast<double>(ImGui::GetIO().MouseDelta.x) * ui.st_span_ns / std::max(1.0f, w);
  }
  const double t0 = window_start_ns(ui);
  const double t1 = window_end_ns(ui);
  // The window may reach past what was simulated: simulate that far, within
  // the frame's budget (a large run fills the window's right over frames).
  const bool complete = simulate_toward(ui, static_cast<int64_t>(t1));
  const auto x_of = [&](int64_t ns) { return x0 + static_cast<float>((static_cast<double>(ns) - t0) / (t1 - t0)) * w; };
  const float lane_h = lane_nodes.empty() ? 1 : std::min(28.0f, avail.y / static_cast<float>(lane_nodes.size()));
  std::vector<int> lane_of(t.names().size(), -1);
  for (size_t k = 0; k < lane_nodes.size(); ++k) {
    const uint32_t n = lane_nodes[k];
    lane_of[n] = static_cast<int>(k);
    const float y = p0.y + lane_h * (static_cast<float>(k) + 0.5f);
    dl->AddLine({x0, y}, {x0 + w, y}, IM_COL32(70, 70, 80, 255));
    dl->AddText({p0.x, y - 7}, tier_colour(t.tiers()[n]), t.names()[n].c_str());
  }
  const auto y_of = [&](uint32_t n) { return p0.y + lane_h * (static_cast<float>(lane_of[n]) + 0.5f); };
  size_t arrows = 0;
  std::vector<float> label_end(lane_nodes.size(), -1e9f);  // per lane: where its last label ends
  const ImVec2 mouse = ImGui::GetMousePos();
  uint64_t hover = UINT64_MAX;
  dl->PushClipRect({x0, p0.y}, {x0 + w, p0.y + avail.y}, true);
  // Frame time goes to rasterising (docs/benchmarks.md, "The viewer"): the
  // arrows are drawn without anti-aliasing fringes (half the triangles, a
  // third of the pixels), and an arrow that would cover the same pixels as
  // one already drawn (same lanes, same start and end pixel, same colour)
  // is skipped: at a 50 ms window a busy second has dozens per pixel column.
  const ImDrawListFlags flags = dl->Flags;
  dl->Flags &= ~(ImDrawListFlags_AntiAliasedLines | ImDrawListFlags_AntiAliasedFill);
  std::unordered_set<uint64_t> drawn;
  // A message's arrow, when both its lanes are shown; false otherwise.
  const auto arrow = [&](uint64_t i) {
    const sim::Record& r = t.record(i);
    if (r.node >= lane_of.size() || r.peer >= lane_of.size() || lane_of[r.node] < 0 || lane_of[r.peer] < 0) {
      return false;
    }
    const auto end = t.message_end(i);
    const bool dropped = end && t.record(*end).type == sim::RecordType::kDrop;
    const ImVec2 a{x_of(r.time_ns), y_of(r.node)};
    const ImVec2 b{end ? x_of(t.record(*end).time_ns) : x0 + w, y_of(r.peer)};
    const ImVec2 tip = dropped ? ImVec2(a.x + (b.x - a.x) * 0.7f, a.y + (b.y - a.y) * 0.7f) : b;
    const bool followed = ui.follow.active() && ui.follow.message(r.a);
    if (hovered && std::abs(mouse.x - a.x) < 4 && std::abs(mouse.y - a.y) < 6) hover = i;
    const auto px = [](float x) { return static_cast<uint64_t>(std::clamp(x + 8192.0f, 0.0f, 65535.0f)); };
    const uint64_t key = static_cast<uint64_t>(lane_of[r.node]) | static_cast<uint64_t>(lane_of[r.peer]) << 8 |
                         px(a.x) << 16 | px(b.x) << 32 | uint64_t{dropped} << 48 | uint64_t{followed} << 49;
    if (!drawn.insert(key).second) return true;
    const ImU32 colour = dropped ? kDropped : followed ? kFollowedColour : kArrow;
    dl->AddLine(a, tip, colour, followed ? 3.0f : 1.2f);
    if (dropped) {
      dl->AddLine({tip.x - 4, tip.y - 4}, {tip.x + 4, tip.y + 4}, kDropped, 2);
      dl->AddLine({tip.x - 4, tip.y + 4}, {tip.x + 4, tip.y - 4}, kDropped, 2);
    } else {
      dl->AddTriangleFilled(b, {b.x - 5, b.y + (a.y < b.y ? -5.0f : 5.0f)}, {b.x - 1, b.y + (a.y < b.y ? -7.0f : 7.0f)}, colour);
    }
    ++arrows;
    return true;
  };
  // Messages sent before the window that end inside it (or later): their
  // arrows come in from the left edge, clipped.
  const uint64_t first = first_at(t, static_cast<int64_t>(t0));
  for (uint64_t i : t.sends_in_flight_before(first)) {
    if (arrows >= kArrowsMax) break;
    arrow(i);
  }
  // Timed faults' labels: stacked upwards from the bottom where they would overlap.
  std::vector<float> row_end;
  for (uint64_t i = first; i < t.collected() && arrows < kArrowsMax; ++i) {
    const sim::Record& r = t.record(i);
    if (static_cast<double>(r.time_ns) > t1) break;
    const uint32_t node = record_node(r);
    if (r.type == sim::RecordType::kSend && arrow(i)) {
      continue;
    } else if ((is_fault(r) || is_phase(r) || is_failure(r)) && node < lane_of.size() && lane_of[node] >= 0) {
      const float x = x_of(r.time_ns), y = y_of(node);
      const ImU32 c = ui.follow.active() && ui.follow.record(i) ? kFollowedColour : severity_colour(severity(r));
      dl->AddLine({x, y - lane_h * 0.45f}, {x, y + lane_h * 0.45f}, c, 2.5f);
      // Labels for faults and phases, where the lane has room for them.
      const char* label = record_label(r.type);
      const float label_w = ImGui::CalcTextSize(label).x + 6;
      float& free_from = label_end[static_cast<size_t>(lane_of[node])];
      if ((is_fault(r) || is_phase(r)) && x >= free_from) {
        dl->AddText({x + 3, y - lane_h * 0.5f}, c, label);
        free_from = x + label_w;
      }
      if (hovered && std::abs(mouse.x - x) < 4 && std::abs(mouse.y - y) < lane_h * 0.5f) hover = i;
    } else if (r.type == sim::RecordType::kFault && node == UINT32_MAX) {
      // A timed fault (partition, link fault): across every lane.
      const float x = x_of(r.time_ns);
      dl->AddLine({x, p0.y}, {x, p0.y + avail.y}, severity_colour(Severity::kWarning), 1.5f);
      const std::string label = t.describe(r);
      size_t row = 0;
      while (row < row_end.size() && row_end[row] > x) ++row;
      if (row == row_end.size()) row_end.push_back(0);
      row_end[row] = x + 3 + ImGui::CalcTextSize(label.c_str()).x + 6;
      const float y = p0.y + avail.y - 16 * static_cast<float>(row + 1);
      dl->AddText({x + 3, y}, severity_colour(Severity::kWarning), label.c_str());
      // Hovered on its line or its label, where no arrow or lane mark is.
      const bool on_label =
          std::abs(mouse.y - (y + 7)) < 8 && mouse.x > x - 4 && mouse.x < row_end[row];
      if (hovered && hover == UINT64_MAX && (on_label || std::abs(mouse.x - x) < 3)) hover = i;
    }
  }
  dl->Flags = flags;
  const float xc = x_of(t.cursor_ns());
  dl->AddLine({xc, p0.y}, {xc, p0.y + avail.y}, IM_COL32(255, 255, 255, 255), 1.5f);
  dl->PopClipRect();
  if (arrows == kArrowsMax) dl->AddText({x0 + 4, p0.y + avail.y - 16}, kDropped, "more messages than drawn: zoom in");
  if (!complete) {
    const float xs = x_of(t.simulated_ns());
    dl->AddText({std::max(x0, xs) + 4, p0.y + 2}, severity_colour(Severity::kWarning),
                "simulating...");
  }
  if (hover != UINT64_MAX) {
    ImGui::BeginTooltip();
    ImGui::Text("#%llu %s  %s", static_cast<unsigned long long>(hover + 1), format_ns(t.record(hover).time_ns).c_str(),
                t.describe(t.record(hover)).c_str());
    hover_clocks(ui, hover);
    ImGui::TextDisabled("click: move the cursor here");
    ImGui::EndTooltip();
    if (ImGui::IsMouseReleased(ImGuiMouseButton_Left) && ImGui::GetIO().MouseDragMaxDistanceSqr[0] < 9.0f) {
      seek_to(ui, hover + 1);
      ui.play_ns = static_cast<double>(t.cursor_ns());
    }
  }
}

}  // namespace ecsim::viz
