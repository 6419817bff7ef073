// The side panel: the selected node's state, and the metrics (nodes up per
// tier, requests in flight, CPU and memory, latency and throughput per tier
// per simulated second, plotted up to the cursor).
#include <algorithm>
#include <vector>

#include <fmt/format.h>

#include "ui.hpp"

namespace ecsim::viz {

namespace {
constexpr size_t kPlotSecondsMax = 600;  // the plots show at most the last ten minutes

// The seconds completed at the cursor, [first, last): their percentiles
// are final (the collector closes a second when the run passes it).
std::pair<size_t, size_t> plotted_seconds(const Timeline& t) {
  const size_t last = std::min(t.seconds().size(), static_cast<size_t>(t.cursor_ns() / sim::seconds(1).ns));
  return {last > kPlotSecondsMax ? last - kPlotSecondsMax : 0, last};
}

void plot(const char* label, const std::vector<float>& v, const char* unit) {
  const float now = v.empty() ? 0.0f : v.back();
  const std::string overlay = fmt::format("{} {:.3g} {}", label, now, unit);
  ImGui::PlotLines(fmt::format("##{}", label).c_str(), v.data(), static_cast<int>(v.size()), 0, overlay.c_str(), 0.0f,
                   FLT_MAX, ImVec2(ImGui::GetContentRegionAvail().x, 48));
}

// p99 as ImGui's plot, p50 drawn over it on the same scale (lighter).
void plot_percentiles(const char* label, const std::vector<float>& p50,
                      const std::vector<float>& p99) {
  float top = 0;
  for (float v : p99) top = std::max(top, v);
  for (float v : p50) top = std::max(top, v);
  if (top <= 0) top = 1;
  const std::string overlay =
      fmt::format("{} p50 {:.3g} / p99 {:.3g} ms", label, p50.empty() ? 0.0f : p50.back(),
                  p99.empty() ? 0.0f : p99.back());
  ImGui::PlotLines(fmt::format("##{}", label).c_str(), p99.data(), static_cast<int>(p99.size()), 0,
                   overlay.c_str(), 0.0f, top, ImVec2(ImGui::GetContentRegionAvail().x, 48));
  if (p50.size() < 2) return;
  const ImVec2 pad = ImGui::GetStyle().FramePadding;
  const ImVec2 lo{ImGui::GetItemRectMin().x + pad.x, ImGui::GetItemRectMin().y + pad.y};
  const ImVec2 hi{ImGui::GetItemRectMax().x - pad.x, ImGui::GetItemRectMax().y - pad.y};
  const auto at = [&](size_t i) {
    const float x =
        lo.x + (hi.x - lo.x) * static_cast<float>(i) / static_cast<float>(p50.size() - 1);
    return ImVec2{x, hi.y - (hi.y - lo.y) * std::clamp(p50[i] / top, 0.0f, 1.0f)};
  };
  ImDrawList* dl = ImGui::GetWindowDrawList();
  for (size_t i = 1; i < p50.size(); ++i)
    dl->AddLine(at(i - 1), at(i), IM_COL32(120, 200, 255, 255));
}

void draw_node(Ui& ui) {
  const Timeline& t = *ui.timeline;
  if (ui.selected >= t.names().size()) {
    ImGui::TextWrapped("Click a node in the topology (or use --select NODE) to see its state.");
    return;
  }
  const uint32_t n = ui.selected;
  const NodeState& s = t.state().nodes[n];
  ImGui::Text("%s (%s)", t.names()[n].c_str(), tier_name(t.tiers()[n]));
  if (s.up) {
    ImGui::TextColored(ImVec4(0.3f, 0.9f, 0.4f, 1), "UP, incarnation %u", s.incarnation);
  } else {
    ImGui::TextColored(ImVec4(1, 0.3f, 0.3f, 1), "DOWN since %s", format_ns(s.down_since_ns).c_str());
  }
  ImGui::Text("CPU %.1f %%   memory %.1f %%", s.cpu_permille / 10.0, s.memory_permille / 10.0);
  ImGui::Text("service queue %u   connections %u   mean response %u us", s.queue_length, s.connections, s.response_us);
  ImGui::Text("messages sent %llu, received %llu, dropped on the way in %llu",
              static_cast<unsigned long long>(s.sent), static_cast<unsigned long long>(s.received),
              static_cast<unsigned long long>(s.dropped));
  size_t out = 0, in = 0;
  for (const auto& [id, m] : t.state().in_flight) {
    out += m.from == n ? 1 : 0;
    in += m.to == n ? 1 : 0;
  }
  ImGui::Text("in flight: %zu from it, %zu to it", out, in);
  draw_internals(ui, n);
  const auto [first, last] = plotted_seconds(t);
  uint64_t hits = 0, misses = 0;
  std::vector<float> cpu, mem;
  for (size_t sec = first; sec < last; ++sec) {
    hits += t.seconds()[sec].cache_hits[n];
    misses += t.seconds()[sec].cache_misses[n];
    cpu.push_back(t.seconds()[sec].cpu_permille[n] / 10.0f);
    mem.push_back(t.seconds()[sec].memory_permille[n] / 10.0f);
  }
  if (t.tiers()[n] == Tier::kEdge) {
    ImGui::Text("cache hit ratio %.1f %% (%llu lookups)", hits + misses ? 100.0 * static_cast<double>(hits) / static_cast<double>(hits + misses) : 0.0,
                static_cast<unsigned long long>(hits + misses));
  }
  ImGui::Text("faults %llu   last protocol phase: %s", static_cast<unsigned long long>(s.faults),
              s.last_phase ? record_label(static_cast<sim::RecordType>(s.last_phase)) : "-");
  plot("CPU", cpu, "%");
  plot("memory", mem, "%");
}

void draw_metrics(Ui& ui) {
  const Timeline& t = *ui.timeline;
  const ViewState& s = t.state();
  static const char* kTitle[kTiers] = {"Edge", "Core", "Cloud"};
  for (size_t tier = 0; tier < kTiers; ++tier) {
    const Tier tr = static_cast<Tier>(tier);
    const int total = t.scenario().topology.count(static_cast<scenario::Tier>(tier));
    const uint32_t up = s.up_count(t.tiers(), tr);
    const ImVec4 c = up == static_cast<uint32_t>(total) ? ImVec4(0.4f, 0.9f, 0.5f, 1) : ImVec4(1, 0.75f, 0.2f, 1);
    ImGui::TextColored(c, "%s: %u/%d Active", kTitle[tier], up, total);
    if (tier + 1 < kTiers) ImGui::SameLine(0, 24);
  }
  const auto [first, last] = plotted_seconds(t);
  int64_t in_flight_requests = 0;
  for (size_t sec = 0; sec < last; ++sec) {
    in_flight_requests += t.seconds()[sec].requests_started;
    in_flight_requests -= t.seconds()[sec].requests_ended;
  }
  const Counters& k = s.counters;
  ImGui::Text("requests in flight ~%lld   messages in flight %zu", static_cast<long long>(in_flight_requests),
              s.in_flight.size());
  ImGui::Text("sends %llu  drops %llu  crashes %llu  restarts %llu  faults %llu  failures %llu",
              static_cast<unsigned long long>(k.sends), static_cast<unsigned long long>(k.drops),
              static_cast<unsigned long long>(k.crashes), static_cast<unsigned long long>(k.restarts),
              static_cast<unsigned long long>(k.faults), static_cast<unsigned long long>(k.failures));
  for (size_t tier = 0; tier < kTiers; ++tier) {
    std::vector<float> ok, p50, p99;
    for (size_t sec = first; sec < last; ++sec) {
      ok.push_back(static_cast<float>(t.seconds()[sec].tiers[tier].ok));
      p50.push_back(static_cast<float>(t.seconds()[sec].tiers[tier].p50_ns) / 1e6f);
      p99.push_back(static_cast<float>(t.seconds()[sec].tiers[tier].p99_ns) / 1e6f);
    }
    plot(fmt::format("{} ok/s", kTitle[tier]).c_str(), ok, "");
    plot_percentiles(kTitle[tier], p50, p99);
  }
  // CPU per tier: the busiest node's sample each second.
  for (size_t tier = 0; tier < kTiers; ++tier) {
    std::vector<float> cpu;
    for (size_t sec = first; sec < last; ++sec) {
      uint16_t busiest = 0;
      for (size_t n = 0; n < t.names().size(); ++n) {
        if (static_cast<size_t>(t.tiers()[n]) == tier) busiest = std::max(busiest, t.seconds()[sec].cpu_permille[n]);
      }
      cpu.push_back(busiest / 10.0f);
    }
    plot(fmt::format("{} CPU max", kTitle[tier]).c_str(), cpu, "%");
  }
  // Every node's latest load sample, a row per node (only the rows in view
  // are drawn: a metro run has 1,640).
  if (ImGui::CollapsingHeader("CPU and memory per node (latest sample)",
                              ImGuiTreeNodeFlags_DefaultOpen)) {
    const ImGuiTableFlags flags =
        ImGuiTableFlags_RowBg | ImGuiTableFlags_ScrollY | ImGuiTableFlags_SizingStretchSame;
    if (ImGui::BeginTable("per-node", 4, flags, ImVec2(0, 180))) {
      ImGui::TableSetupScrollFreeze(0, 1);
      ImGui::TableSetupColumn("node");
      ImGui::TableSetupColumn("CPU %");
      ImGui::TableSetupColumn("memory %");
      ImGui::TableSetupColumn("queue");
      ImGui::TableHeadersRow();
      ImGuiListClipper clipper;
      clipper.Begin(static_cast<int>(t.names().size()));
      while (clipper.Step()) {
        for (int row = clipper.DisplayStart; row < clipper.DisplayEnd; ++row) {
          const auto n = static_cast<size_t>(row);
          const NodeState& ns = s.nodes[n];
          ImGui::TableNextRow();
          ImGui::TableNextColumn();
          ImGui::TextColored(
              ImGui::ColorConvertU32ToFloat4(tier_colour(t.tiers()[n], ns.up ? 1.0f : 0.5f)),
              "%s%s", t.names()[n].c_str(), ns.up ? "" : " (down)");
          ImGui::TableNextColumn();
          ImGui::Text("%.1f", ns.cpu_permille / 10.0);
          ImGui::TableNextColumn();
          ImGui::Text("%.1f", ns.memory_permille / 10.0);
          ImGui::TableNextColumn();
          ImGui::Text("%u", ns.queue_length);
        }
      }
      ImGui::EndTable();
    }
  }
  ImGui::TextDisabled("checkpoints: %zu every %llu events, %.1f MiB; records kept %.1f MiB", t.checkpoint_count(),
                      static_cast<unsigned long long>(t.checkpoint_every()),
                      static_cast<double>(t.checkpoint_bytes()) / (1 << 20),
                      static_cast<double>(t.record_bytes()) / (1 << 20));
}
}  // namespace

void draw_side(Ui& ui, ImVec2 pos, ImVec2 size) {
  ImGui::SetNextWindowPos(pos);
  ImGui::SetNextWindowSize(size);
  ImGui::Begin("Inspect", nullptr, ImGuiWindowFlags_NoMove | ImGuiWindowFlags_NoResize | ImGuiWindowFlags_NoCollapse);
  if (ImGui::BeginTabBar("side")) {
    const bool force = ui.force_side;
    ui.force_side = false;
    const auto flags = [&](SideTab tab) {
      return force && ui.side == tab ? ImGuiTabItemFlags_SetSelected : ImGuiTabItemFlags_None;
    };
    if (ImGui::BeginTabItem("Node", nullptr, flags(SideTab::kNode))) {
      draw_node(ui);
      ImGui::EndTabItem();
    }
    if (ImGui::BeginTabItem("Metrics", nullptr, flags(SideTab::kMetrics))) {
      draw_metrics(ui);
      ImGui::EndTabItem();
    }
    if (ImGui::BeginTabItem("Faults", nullptr, flags(SideTab::kFaults))) {
      draw_faults(ui);
      ImGui::EndTabItem();
    }
    if (ImGui::BeginTabItem("DSM", nullptr, flags(SideTab::kDsm))) {
      draw_dsm(ui);
      ImGui::EndTabItem();
    }
    if (ImGui::BeginTabItem("2PC", nullptr, flags(SideTab::kTwopc))) {
      draw_twopc(ui);
      ImGui::EndTabItem();
    }
    ImGui::EndTabBar();
  }
  ImGui::End();
}

void draw_bottom(Ui& ui, ImVec2 pos, ImVec2 size) {
  ImGui::SetNextWindowPos(pos);
  ImGui::SetNextWindowSize(size);
  ImGui::Begin("Timeline", nullptr, ImGuiWindowFlags_NoMove | ImGuiWindowFlags_NoResize | ImGuiWindowFlags_NoCollapse);
  if (ImGui::BeginTabBar("bottom")) {
    const bool force = ui.force_bottom;
    ui.force_bottom = false;
    const auto flags = [&](BottomTab tab) {
      return force && ui.bottom == tab ? ImGuiTabItemFlags_SetSelected : ImGuiTabItemFlags_None;
    };
    if (ImGui::BeginTabItem("Log", nullptr, flags(BottomTab::kLog))) {
      draw_log(ui);
      ImGui::EndTabItem();
    }
    if (ImGui::BeginTabItem("Space-time", nullptr, flags(BottomTab::kSpaceTime))) {
      draw_space_time(ui);
      ImGui::EndTabItem();
    }
    ImGui::EndTabBar();
  }
  ImGui::End();
}

}  // namespace ecsim::viz
