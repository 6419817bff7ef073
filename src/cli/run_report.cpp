#include "run_report.hpp"

#include <cstdio>

#include <fmt/format.h>

#include "commands.hpp"
#include "ecsim/version.hpp"

namespace ecsim::cli {

namespace {

const char* kDropReasons[] = {"", "random", "partition", "node_down", "link_reset", "sender_down", "overload"};

std::string ms(int64_t ns) { return fmt::format("{:.3f}ms", static_cast<double>(ns) / 1e6); }

}  // namespace

nlohmann::json run_result_json(const run::RunResult& r, double wall_s) {
  nlohmann::json drops = nlohmann::json::object();
  for (size_t i = 1; i < r.net.dropped_by_reason.size(); ++i) drops[kDropReasons[i]] = r.net.dropped_by_reason[i];
  nlohmann::json workloads = nlohmann::json::array();
  for (const run::WorkloadSummary& w : r.workloads) {
    workloads.push_back({{"label", w.label}, {"sent", w.sent}, {"answered", w.answered}, {"lost", w.lost},
                         {"unsettled", w.unsettled}, {"p50_ns", w.p50_ns}, {"p99_ns", w.p99_ns},
                         {"max_ns", w.max_ns}});
  }
  nlohmann::json verdicts = nlohmann::json::array();
  for (const run::Verdict& v : r.verdicts) verdicts.push_back({{"name", v.name}, {"ok", v.ok}, {"detail", v.detail}});
  return {{"ecsim", kVersion},
          {"scenario", r.scenario},
          {"file", r.file},
          {"seed", r.seed},
          {"verdict", r.ok() ? "pass" : "fail"},
          {"simulated_ns", r.end.ns},
          {"events", r.events},
          {"records", r.records},
          {"event_limit_hit", r.event_limit_hit},
          {"messages", {{"sent", r.net.sent}, {"delivered", r.net.delivered}, {"dropped", r.net.dropped()},
                        {"duplicated", r.net.duplicated}, {"bytes_sent", r.net.bytes_sent},
                        {"dropped_by_reason", drops}}},
          {"faults_applied", r.faults_applied},
          {"crashes", r.nodes.crashes},
          {"restarts", r.nodes.restarts},
          {"disk_entries_lost", r.nodes.disk_entries_lost},
          {"workloads", workloads},
          {"expectations", verdicts},
          {"wall_s", wall_s},
          {"events_per_s", wall_s > 0 ? static_cast<double>(r.events) / wall_s : 0.0},
          {"trace_hash", format_hash(r.trace_hash)}};
}

void print_run_report(const run::RunResult& r, double wall_s, const std::string& trace_path) {
  std::string out;
  auto line = [&out](const std::string& s) { out += s + "\n"; };
  line(fmt::format("ecsim {}  scenario '{}' ({})  seed {}", kVersion, r.scenario, r.file, r.seed));
  line("");
  line(fmt::format("  {:<20}{}", "simulated time", sim::format_time(r.end)));
  line(fmt::format("  {:<20}{}", "events", r.events));
  line(fmt::format("  {:<20}sent {}  delivered {}  dropped {}  duplicated {}", "messages", r.net.sent,
                   r.net.delivered, r.net.dropped(), r.net.duplicated));
  std::string drops;
  for (size_t i = 1; i < r.net.dropped_by_reason.size(); ++i) {
    if (r.net.dropped_by_reason[i] > 0) drops += fmt::format("{} {}  ", kDropReasons[i], r.net.dropped_by_reason[i]);
  }
  while (!drops.empty() && drops.back() == ' ') drops.pop_back();
  if (!drops.empty()) line(fmt::format("  {:<20}{}", "drops by reason", drops));
  line(fmt::format("  {:<20}{}  (crashes {}, restarts {}, un-synced disk entries lost {})", "faults applied",
                   r.faults_applied, r.nodes.crashes, r.nodes.restarts, r.nodes.disk_entries_lost));
  line(fmt::format("  {:<20}{:.3f}s  ({:.2f} M events/s)", "wall time", wall_s,
                   wall_s > 0 ? static_cast<double>(r.events) / wall_s / 1e6 : 0.0));
  if (!trace_path.empty()) line(fmt::format("  {:<20}{} ({} records)", "trace file", trace_path, r.records));
  if (!r.workloads.empty()) {
    line("");
    line(fmt::format("  {:<24}{:>9}{:>10}{:>8}{:>11}{:>11}{:>11}{:>11}", "workload", "sent", "answered", "lost",
                     "unsettled", "p50", "p99", "max"));
    for (const run::WorkloadSummary& w : r.workloads) {
      line(fmt::format("  {:<24}{:>9}{:>10}{:>8}{:>11}{:>11}{:>11}{:>11}", w.label, w.sent, w.answered, w.lost,
                       w.unsettled, ms(w.p50_ns), ms(w.p99_ns), ms(w.max_ns)));
    }
  }
  if (!r.verdicts.empty() || r.event_limit_hit) {
    line("");
    line("  expectations");
    for (const run::Verdict& v : r.verdicts) {
      line(fmt::format("    {:<6}{:<22}{}", v.ok ? "ok" : "FAIL", v.name, v.detail));
    }
    if (r.event_limit_hit) line(fmt::format("    {:<6}{:<22}stopped at {} by --max-events", "FAIL", "max_events", sim::format_time(r.end)));
  }
  line("");
  line(fmt::format("verdict: {}", r.ok() ? "PASS" : "FAIL"));
  line(fmt::format("trace hash: {}", format_hash(r.trace_hash)));
  std::fputs(out.c_str(), stdout);
}

}  // namespace ecsim::cli
