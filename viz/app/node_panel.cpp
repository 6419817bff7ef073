// The Node tab's internals: the selected node's vector clock, DSM entries
// and the tails of its logs after the cursor's event, from the probe
// (model/probe.hpp), which this panel drives forwards a bounded number of
// events per frame, so the window never freezes while it catches up.
#include <algorithm>
#include <chrono>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "ecsim/proto/twopc_participant.hpp"
#include "model/lock_table.hpp"
#include "ui.hpp"

namespace ecsim::viz {

namespace {
constexpr double kProbeFrameMs = 12;  // wall time per frame given to the probe
constexpr uint64_t kBudgetMin = 2000, kBudgetMax = uint64_t{1} << 24;
constexpr size_t kClockEntriesShown = 16;
constexpr size_t kDsmShown = 8;
constexpr size_t kWalShown = 5;
constexpr size_t kLockRowsInView = 12;  // the lock table's height in rows; it scrolls

}  // namespace

std::string clock_text(const net::VectorClock& c, const std::vector<std::string>& names) {
  if (c.entries.empty()) return "{}";
  std::string out = "{";
  for (size_t k = 0; k < c.entries.size() && k < kClockEntriesShown; ++k) {
    const auto& [n, v] = c.entries[k];
    out += fmt::format("{}{}: {}", k ? ", " : "", n < names.size() ? names[n] : std::to_string(n), v);
  }
  if (c.entries.size() > kClockEntriesShown) out += fmt::format(", ... {} more", c.entries.size() - kClockEntriesShown);
  return out + "}";
}

bool probe_held(const Ui& ui) { return ui.probe_held_frame >= ImGui::GetFrameCount() - 1; }

void drive_probe(Ui& ui, Probe& p, uint64_t event) {
  // Once a frame, whoever asks (a side tab and a hover may both): the
  // frame's budget is spent once, and adapted once.
  if (ui.probe_frame == ImGui::GetFrameCount()) return;
  ui.probe_frame = ImGui::GetFrameCount();
  const Timeline& t = *ui.timeline;
  const int64_t from_ns = std::max<int64_t>(0, t.cursor_ns() - static_cast<int64_t>(ui.st_span_ns));
  if (ui.probe_unbounded) {
    p.advance_to(event, from_ns, UINT64_MAX);
    return;
  }
  const auto start = std::chrono::steady_clock::now();
  p.advance_to(event, from_ns, ui.probe_budget);
  const double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
  if (ms < kProbeFrameMs * 0.5) ui.probe_budget = std::min(kBudgetMax, ui.probe_budget * 2);
  if (ms > kProbeFrameMs * 1.5) ui.probe_budget = std::max(kBudgetMin, ui.probe_budget / 2);
}

namespace {

// A log's last entries; the followed transaction's 2PC entries in magenta.
void draw_wal(const tiers::NodeSnapshot& s, uint8_t disk, const char* title, uint64_t followed) {
  if (s.disk_length[disk] == 0) return;
  ImGui::Text("%s: %llu entries, %llu durable", title, static_cast<unsigned long long>(s.disk_length[disk]),
              static_cast<unsigned long long>(s.disk_durable[disk]));
  size_t total = 0;
  for (const tiers::WalLine& w : s.wal) total += w.disk == disk ? 1 : 0;
  size_t k = 0;
  for (const tiers::WalLine& w : s.wal) {
    if (w.disk != disk || k++ + kWalShown < total) continue;
    const ImVec4 c = followed != 0 && w.txn == followed ? ImGui::ColorConvertU32ToFloat4(kFollowedColour)
                     : w.durable                        ? ImVec4(0.75f, 0.75f, 0.8f, 1)
                                                        : ImVec4(1, 0.8f, 0.3f, 1);
    ImGui::TextColored(c, "  #%llu %s%s", static_cast<unsigned long long>(w.index), w.text.c_str(),
                       w.durable ? "" : "  (not synced)");
  }
}
// One row of the lock table (draw_locks).
void draw_lock_row(const tiers::LockSnapshot& l, bool mine) {
  ImGui::TableNextRow();
  if (mine) {
    ImGui::TableSetBgColor(ImGuiTableBgTarget_RowBg1, (kFollowedColour & 0x00ffffffu) | 0x50000000u);
    ImGui::PushStyleColor(ImGuiCol_Text, kFollowedColour);
  }
  ImGui::TableNextColumn();
  ImGui::TextUnformatted(lock_key_text(l.key).c_str());
  ImGui::TableNextColumn();
  if (l.holder != 0) {
    ImGui::Text("%llu", static_cast<unsigned long long>(l.holder));
  } else {
    ImGui::TextUnformatted("free");
  }
  ImGui::TableNextColumn();
  ImGui::TextUnformatted(l.holder != 0 ? txn_state_name(l.holder_state) : "");
  ImGui::TableNextColumn();
  std::string waiters;
  for (uint64_t w : l.waiters) waiters += fmt::format("{}{}", waiters.empty() ? "" : ", ", w);
  ImGui::TextUnformatted(waiters.c_str());
  if (mine) ImGui::PopStyleColor();
}

// The node's 2PC lock table, whole: a row per locked key (exclusive: one
// holder), the holder's state and the transactions waiting; the followed
// transaction's rows (it holds or waits) first and in magenta. A scrolling
// table that draws only the rows in view (ImGuiListClipper).
void draw_locks(const tiers::NodeSnapshot& s, uint64_t followed) {
  if (!s.participant) return;
  const LockRows rows = lock_rows(s, followed);
  ImGui::Text("2PC locks: %llu held (exclusive, wait-die), %zu rows", static_cast<unsigned long long>(s.locks_held),
              rows.rows.size());
  if (rows.rows.empty()) return;
  const ImGuiTableFlags flags = ImGuiTableFlags_Borders | ImGuiTableFlags_RowBg | ImGuiTableFlags_SizingFixedFit |
                                ImGuiTableFlags_ScrollY;
  // As high as its rows and the header, up to kLockRowsInView rows; then it scrolls.
  const float row_height = ImGui::GetTextLineHeight() + 2 * ImGui::GetStyle().CellPadding.y;
  const size_t shown = std::min(rows.rows.size(), kLockRowsInView);
  const ImVec2 size(0, row_height * static_cast<float>(shown + 1) + 3);
  if (!ImGui::BeginTable("locks", 4, flags, size)) return;
  ImGui::TableSetupScrollFreeze(0, 1);  // the header stays while the rows scroll
  ImGui::TableSetupColumn("key");
  ImGui::TableSetupColumn("holder txn");
  ImGui::TableSetupColumn("state");
  ImGui::TableSetupColumn("waiting");
  ImGui::TableHeadersRow();
  ImGuiListClipper clipper;
  clipper.Begin(static_cast<int>(rows.rows.size()));
  while (clipper.Step()) {
    for (int i = clipper.DisplayStart; i < clipper.DisplayEnd; ++i) {
      const size_t k = static_cast<size_t>(i);
      draw_lock_row(*rows.rows[k], k < rows.followed);
    }
  }
  ImGui::EndTable();
  if (rows.missing != 0) {
    ImGui::TextDisabled("... %llu more rows (not in the snapshot)", static_cast<unsigned long long>(rows.missing));
  }
}
}  // namespace

Probe& probe_of(Ui& ui) {
  if (!ui.probe || ui.probe->timeline_id() != ui.timeline->id()) {
    ui.probe.reset();  // one probe run at a time
    ui.probe =
        std::make_unique<Probe>(*ui.timeline, tiers::SnapshotLimits{}, Probe::kCacheBytesDefault,
                                fork_limits(ui.timeline->limits()));
  }
  return *ui.probe;
}

void draw_internals(Ui& ui, uint32_t node) {
  const Timeline& t = *ui.timeline;
  Probe& p = probe_of(ui);
  const uint64_t event = t.cursor_event();
  ui.probe_held_frame = ImGui::GetFrameCount();
  const tiers::NodeSnapshot* s = p.snapshot(node, event);
  if (s == nullptr) {
    drive_probe(ui, p, event);
    s = p.snapshot(node, event);
  }
  ImGui::Separator();
  if (s == nullptr) {
    ImGui::TextColored(ImVec4(1, 0.8f, 0.3f, 1), "computing internals... %d %%",
                       static_cast<int>(p.progress() * 100));
    ImGui::TextDisabled(
        "(a second run of the scenario, at event %llu of %llu%s)",
        static_cast<unsigned long long>(p.events()), static_cast<unsigned long long>(event),
        p.restarted_for_target() ? ", restarted from t = 0: the cursor went behind it"
        : p.remote()             ? ", from a checkpoint of it: the cursor went behind it"
                                 : "");
    ImGui::Separator();
    return;
  }
  ImGui::Text("internals after the run's event #%llu:", static_cast<unsigned long long>(event));
  if (!s->tier_node) {
    ImGui::TextDisabled(s->up ? "no vector clock or DSM (not a three-tier node)"
                              : "down: its clock and DSM replica are gone (volatile)");
  } else {
    ImGui::TextWrapped("vector clock %s", clock_text(s->clock, t.names()).c_str());
    ImGui::Text("DSM replica: %llu entries", static_cast<unsigned long long>(s->dsm_size));
    std::string line;
    for (size_t k = 0; k < s->dsm.size() && k < kDsmShown; ++k) {
      const tiers::DsmEntrySnapshot& e = s->dsm[k];
      line += fmt::format("{}{}={} ({})", k ? ", " : "  ", e.key, e.value,
                          e.writer < t.names().size() ? t.names()[e.writer] : "?");
    }
    if (s->dsm_size > std::min(s->dsm.size(), kDsmShown)) line += ", ...";
    if (!line.empty()) ImGui::TextWrapped("%s", line.c_str());
  }
  const uint64_t followed = ui.follow.active() ? ui.follow.txn() : 0;
  draw_locks(*s, followed);
  draw_wal(*s, 0, "disk log", followed);
  draw_wal(*s, 1, "2PC log", followed);
  if (s->disk_length[0] == 0 && s->disk_length[1] == 0) ImGui::TextDisabled("no log on its disks");
  ImGui::TextDisabled("(internals cache: %zu snapshots, %zu clocks, %.1f of %.0f MiB)",
                      p.snapshots_cached(), p.clocks_cached(),
                      static_cast<double>(p.cache_bytes()) / (1 << 20),
                      static_cast<double>(p.cache_bytes_max()) / (1 << 20));
  if (const RunForks* f = p.forks(); f != nullptr && f->enabled()) {
    ImGui::TextDisabled(
        "(run checkpoints: %zu every %llu events, %.1f of %.0f MiB%s)", f->size(),
        static_cast<unsigned long long>(f->every_events()),
        static_cast<double>(f->memory_bytes()) / (1 << 20),
        static_cast<double>(ui.timeline->limits().run_checkpoint_memory_bytes) / (1 << 20),
        p.remote() ? "; served by one" : "");
  } else if (f != nullptr && f->failed()) {
    ImGui::TextDisabled("(run checkpoints failed: behind the probe, from t = 0)");
  }
  ImGui::Separator();
}

}  // namespace ecsim::viz
