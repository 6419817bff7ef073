#include "run_report.hpp"

#include <algorithm>
#include <cstdio>
#include <cstring>

#include <fmt/format.h>

#include "commands.hpp"
#include "ecsim/version.hpp"

namespace ecsim::cli {

namespace {

const char* kDropReasons[] = {"", "random", "partition", "node_down", "link_reset", "sender_down", "overload", "in_flight_limit"};

std::string ms(int64_t ns) { return fmt::format("{:.3f}ms", static_cast<double>(ns) / 1e6); }

template <class Line>
void print_tiers(const run::TierSummary& t, Line& line) {
  line("");
  // A space before every column: a figure wider than its column (an hour's
  // timeout in ms) pushes the row on instead of running into its neighbour.
  line(fmt::format("  {:<8} {:>9} {:>9} {:>8} {:>7} {:>10} {:>10} {:>10} {:>10} {:>10} {:>11}", "tier", "requests",
                   "ok", "refused", "failed", "ok/s", "p50", "p95", "p99", "max", "p99 (ok)"));
  for (const run::TierRow& x : t.rows) {
    line(fmt::format("  {:<8} {:>9} {:>9} {:>8} {:>7} {:>10.1f} {:>10} {:>10} {:>10} {:>10} {:>11}", x.label,
                     x.requests, x.ok, x.refused, x.failed, x.throughput_per_s, ms(x.p50_ns), ms(x.p95_ns),
                     ms(x.p99_ns), ms(x.max_ns), ms(x.ok_p99_ns)));
  }
  line("  (percentiles over every request: failed and lost ones at the client's timeout, unanswered ones at their "
       "age at the end; \"p99 (ok)\" over ok answers only)");
  const uint64_t lookups = t.hits + t.misses;
  line(fmt::format("  cache hit ratio {:.4f} ({} of {})   never answered {}   answered too late {}   unsettled {}",
                   lookups ? static_cast<double>(t.hits) / static_cast<double>(lookups) : 0.0, t.hits, lookups, t.lost,
                   t.answered_late, t.unsettled));
  line(fmt::format("  edge staleness: {} stale reads, max {} versions / {}, p99 {}", t.stale_reads,
                   t.staleness_versions_max, ms(t.staleness_ns_max), ms(t.staleness_ns_p99)));
  const run::RpcSummary& rpc = t.rpc;
  line(fmt::format("  edge->core rpc: {} calls, {} ok, {} failed, {} timeouts, {} resets, {} retries, {} shed; cores "
                   "suspected {} times ({} calls moved on at once); connections {} opened, {} reused, {} open at the end; {} "
                   "handshake messages; {} duplicate requests absorbed at core, {} refused there as stale",
                   rpc.calls, rpc.ok, rpc.failed, rpc.timeouts, rpc.resets, rpc.retries, rpc.shed, rpc.cores_suspected,
                   rpc.unreachable, rpc.connections_opened, rpc.connections_reused, rpc.open_connections,
                   rpc.handshake_messages, rpc.duplicates_absorbed, rpc.refused_stale));
  if (!t.throughput.empty()) {
    line(fmt::format("  {:<8} {:>9} {:>9} {:>10} {:>10} {:>10}", "clients", "offered", "served", "offered/s",
                     "served/s", "over"));
    for (const run::NodeThroughput& x : t.throughput) {
      line(fmt::format("  {:<8} {:>9} {:>9} {:>10.1f} {:>10.1f} {:>10}", x.node, x.offered, x.served,
                       x.offered_per_s(), x.served_per_s(), sim::format_duration(sim::Duration{x.window_ns})));
    }
  }
  if (t.forged.present) {
    const run::ForgedWriteSummary& f = t.forged;
    line(fmt::format("  forged edge->cloud writes: sent {}, refused {}, lost {}, in flight {}, unanswered {}, "
                     "applied {}; not-from-core refusals traced {}, on the replicas' counters {}",
                     f.sent, f.refused, f.lost, f.in_flight, f.unanswered, f.applied, f.refusals,
                     f.replica_counters));
  }
  const run::MsgqSummary& mq = t.msgq;
  line(fmt::format("  dsm updates via msgq: {} accepted ({} refused: queue full), {} sent, {} resent, {} acked, "
                   "{} delivered, {} duplicates suppressed, {} pending at the end",
                   mq.accepted, mq.refused, mq.sent, mq.resent, mq.acked, mq.delivered, mq.duplicates, mq.pending));
  std::string refusals;
  for (const auto& [reason, n] : t.refusals) refusals += fmt::format("{} {}  ", reason, n);
  while (!refusals.empty() && refusals.back() == ' ') refusals.pop_back();
  if (!refusals.empty()) line(fmt::format("  token refusals at the edge: {}", refusals));
  for (const run::EdgeRehydration& e : t.rehydrations) {
    line(fmt::format("  rehydration {}: restart at {}, {} of {} hot keys fetched ({} given up) {}; hit ratio "
                     "{:.4f} in the 5s before the crash, {:.4f} in the 5s after the restart",
                     e.node, sim::format_time(sim::Time{e.restart_ns}), e.fetched, e.keys, e.given_up,
                     e.finished ? fmt::format("in {}", ms(e.duration_ns)) : std::string("(unfinished)"),
                     e.hit_ratio_before(), e.hit_ratio_after()));
  }
  for (const run::CloudCatchUp& c : t.catch_ups) {
    line(fmt::format("  catch-up {}: restart at {}, {}{}", c.node, sim::format_time(sim::Time{c.restart_ns}),
                     c.caught_up ? fmt::format("caught up after {}", ms(c.catch_up_ns)) : std::string("not caught up"),
                     c.superseded ? " (crashed again)" : ""));
  }
}

template <class Line>
void print_billing(const run::BillingSummary& b, Line& line) {
  line("");
  // failed, refused and unsettled count transactions and reads alike.
  line(fmt::format("  billing: {} operations ({} transactions, {} reads): {} committed, {} aborted, {} unknown, {} reads "
                   "answered; {} failed (an error, or no answer in time), {} refused (token/RBAC), {} unsettled",
                   b.operations, b.transactions, b.reads, b.committed, b.aborted, b.unknown, b.reads_ok, b.failed,
                   b.refused, b.unsettled));
  // expect.billing.served_ratio_min's figure: refused operations and young
  // unsettled ones left out (run/billing_summary.cpp).
  const uint64_t settled = b.settled();
  line(fmt::format("  served (committed, refused by a business rule, or a read answered): {} of {} settled ({:.4f}); "
                   "{} unanswered at the end, over twice as long as any served one took",
                   b.served, settled, settled == 0 ? 0.0 : static_cast<double>(b.served) / static_cast<double>(settled),
                   b.overdue));
  std::string reasons;
  for (const auto& [reason, n] : b.aborted_by) reasons += fmt::format("{} {}  ", reason, n);
  while (!reasons.empty() && reasons.back() == ' ') reasons.pop_back();
  if (!reasons.empty()) line(fmt::format("  aborted by reason (as the clients heard): {}", reasons));
  std::string decided;
  for (const auto& [reason, n] : b.decided_abort_by) decided += fmt::format("{} {}  ", reason, n);
  while (!decided.empty() && decided.back() == ' ') decided.pop_back();
  line(fmt::format("  coordinators decided: commit {}; abort {}", b.decided_commit,
                   decided.empty() ? std::string("0") : decided));
  line(fmt::format("  not run because a participant was down (no vote in time: the price of a unanimous vote): {}",
                   b.participant_down));
  line(fmt::format("  transaction latency p50 {} p99 {} (over every transaction, failed ones at the client's "
                   "timeout); read p99 {}",
                   ms(b.latency_p50_ns), ms(b.latency_p99_ns), ms(b.read_latency_p99_ns)));
  line(fmt::format("  in doubt (a participant's YES until it learnt the decision): {} resolved, p99 {}, max {}; {} "
                   "still in doubt at the end",
                   b.in_doubt, ms(b.in_doubt_p99_ns), ms(b.in_doubt_max_ns), b.in_doubt_open));
  if (b.cache.on) {
    const run::BillingSummary::Cache& c = b.cache;
    line(fmt::format("  edge billing cache: {} reads served from it, {} filled, {} fills refused (raced an "
                     "invalidation, or the key was locked), {} flushes; invalidations: {} sent over msgq ({} refused), {} keys received, "
                     "{} held and dropped",
                     c.served, c.filled, c.fill_refused, c.flushes, c.invals_sent, c.invals_refused,
                     c.invals_received, c.invals_dropped));
  }
  // The largest of the nodes' 2PC logs and tables: what must stay flat.
  const run::BillingSummary::Log* peak = nullptr;
  uint64_t locks = 0;
  uint64_t remembered = 0;
  for (const run::BillingSummary::Log& l : b.logs) {
    if (peak == nullptr || l.peak_bytes > peak->peak_bytes) peak = &l;
    locks = std::max(locks, l.locks);
    remembered = std::max(remembered, l.remembered);
  }
  if (peak != nullptr) {
    line(fmt::format("  2PC logs: largest {} KiB ({} entries) at {}; at the end at most {} locks held and {} outcomes "
                     "remembered per node",
                     (peak->peak_bytes + 1023) / 1024, peak->peak_entries, peak->node, locks, remembered));
  }
}

nlohmann::json billing_json(const run::BillingSummary& b) {
  nlohmann::json reasons = nlohmann::json::object();
  for (const auto& [reason, n] : b.aborted_by) reasons[reason] = n;
  nlohmann::json decided = nlohmann::json::object();
  for (const auto& [reason, n] : b.decided_abort_by) decided[reason] = n;
  nlohmann::json logs = nlohmann::json::array();
  for (const run::BillingSummary::Log& l : b.logs) {
    logs.push_back({{"node", l.node},
                    {"role", l.coordinator ? "coordinator" : "participant"},
                    {"peak_entries", l.peak_entries},
                    {"peak_bytes", l.peak_bytes},
                    {"entries", l.entries},
                    {"bytes", l.bytes},
                    {"locks", l.locks},
                    {"remembered", l.remembered}});
  }
  nlohmann::json out = {{"decided_commit", b.decided_commit}, {"decided_abort_by", decided},{"operations", b.operations},   {"transactions", b.transactions},
          {"committed", b.committed},     {"aborted", b.aborted},
          {"aborted_by", reasons},        {"participant_down", b.participant_down},
          {"unknown", b.unknown},         {"failed", b.failed},
          {"refused", b.refused},         {"unsettled", b.unsettled},
          {"reads", b.reads},             {"reads_ok", b.reads_ok},
          {"served", b.served},           {"overdue", b.overdue},
          {"served_by_kind", {{"transactions", {b.kind_served[0], b.kind_settled[0]}},
                              {"reads", {b.kind_served[1], b.kind_settled[1]}}}},
          {"latency_p50_ns", b.latency_p50_ns}, {"latency_p99_ns", b.latency_p99_ns},
          {"read_latency_p99_ns", b.read_latency_p99_ns}, {"in_doubt", b.in_doubt},
          {"in_doubt_p99_ns", b.in_doubt_p99_ns}, {"in_doubt_max_ns", b.in_doubt_max_ns},
          {"in_doubt_open", b.in_doubt_open}, {"logs", logs}};
  if (b.cache.on) {
    const run::BillingSummary::Cache& c = b.cache;
    out["cache"] = {{"served", c.served},         {"filled", c.filled},
                    {"fill_refused", c.fill_refused}, {"flushes", c.flushes},
                    {"invals_sent", c.invals_sent}, {"invals_refused", c.invals_refused},
                    {"invals_received", c.invals_received}, {"invals_dropped", c.invals_dropped}};
  }
  return out;
}

}  // namespace

std::string hash_text(const run::RunResult& r) {
  return r.hashed ? format_hash(r.trace_hash) : std::string("not computed (--no-hash)");
}

nlohmann::json run_result_json(const run::RunResult& r, double wall_s) {
  nlohmann::json drops = nlohmann::json::object();
  for (size_t i = 1; i < r.net.dropped_by_reason.size(); ++i) drops[kDropReasons[i]] = r.net.dropped_by_reason[i];
  nlohmann::json workloads = nlohmann::json::array();
  for (const run::WorkloadSummary& w : r.workloads) {
    workloads.push_back({{"label", w.label}, {"sent", w.sent}, {"answered", w.answered}, {"lost", w.lost},
                         {"unsettled", w.unsettled}, {"overdue", w.overdue}, {"p50_ns", w.p50_ns}, {"p99_ns", w.p99_ns},
                         {"max_ns", w.max_ns}, {"ok_p99_ns", w.ok_p99_ns}});
  }
  nlohmann::json tiers = nullptr;
  if (r.tiers.present) {
    const run::TierSummary& t = r.tiers;
    nlohmann::json rows = nlohmann::json::array();
    for (const run::TierRow& x : t.rows) {
      rows.push_back({{"tier", x.label}, {"requests", x.requests}, {"ok", x.ok}, {"refused", x.refused},
                      {"failed", x.failed}, {"throughput_per_s", x.throughput_per_s}, {"p50_ns", x.p50_ns},
                      {"p95_ns", x.p95_ns}, {"p99_ns", x.p99_ns}, {"max_ns", x.max_ns}, {"ok_p99_ns", x.ok_p99_ns},
                      {"lost", x.lost}, {"unsettled", x.unsettled}, {"overdue", x.overdue}, {"excluded", x.excluded},
                      {"judged", x.judged}, {"judged_p99_ns", x.judged_p99_ns}});
    }
    nlohmann::json refusals = nlohmann::json::object();
    for (const auto& [reason, n] : t.refusals) refusals[reason] = n;
    nlohmann::json rehydrations = nlohmann::json::array();
    for (const run::EdgeRehydration& e : t.rehydrations) {
      rehydrations.push_back({{"node", e.node}, {"crash_ns", e.crash_ns}, {"restart_ns", e.restart_ns},
                              {"finished", e.finished}, {"duration_ns", e.duration_ns}, {"keys", e.keys},
                              {"fetched", e.fetched}, {"given_up", e.given_up}, {"hits_before", e.hits_before},
                              {"misses_before", e.misses_before}, {"hits_after", e.hits_after},
                              {"misses_after", e.misses_after}, {"hit_ratio_before", e.hit_ratio_before()},
                              {"hit_ratio_after", e.hit_ratio_after()}});
    }
    nlohmann::json catch_ups = nlohmann::json::array();
    for (const run::CloudCatchUp& c : t.catch_ups) {
      catch_ups.push_back({{"node", c.node}, {"restart_ns", c.restart_ns}, {"caught_up", c.caught_up},
                           {"catch_up_ns", c.catch_up_ns}, {"superseded", c.superseded}});
    }
    const run::RpcSummary& rpc = t.rpc;
    const nlohmann::json rpc_json = {{"calls", rpc.calls},
                                     {"ok", rpc.ok},
                                     {"failed", rpc.failed},
                                     {"timeouts", rpc.timeouts},
                                     {"retries", rpc.retries},
                                     {"shed", rpc.shed},
                                     {"resets", rpc.resets},
                                     {"unreachable", rpc.unreachable},
                                     {"cores_suspected", rpc.cores_suspected},
                                     {"connections_opened", rpc.connections_opened},
                                     {"connections_reused", rpc.connections_reused},
                                     {"open_connections", rpc.open_connections},
                                     {"handshake_messages", rpc.handshake_messages},
                                     {"duplicates_absorbed", rpc.duplicates_absorbed},
                                     {"refused_stale", rpc.refused_stale}};
    nlohmann::json throughput = nlohmann::json::array();
    for (const run::NodeThroughput& x : t.throughput) {
      throughput.push_back({{"node", x.node}, {"offered", x.offered}, {"served", x.served},
                            {"window_ns", x.window_ns}, {"offered_per_s", x.offered_per_s()},
                            {"served_per_s", x.served_per_s()}});
    }
    nlohmann::json forged = nullptr;
    if (t.forged.present) {
      const run::ForgedWriteSummary& f = t.forged;
      forged = {{"sent", f.sent}, {"refused", f.refused}, {"lost", f.lost}, {"in_flight", f.in_flight},
                {"unanswered", f.unanswered}, {"applied", f.applied}, {"replica_refusals", f.refusals},
                {"replica_counters", f.replica_counters},
                {"not_sent", f.not_sent}, {"versions_checked", f.versions_checked},
                {"non_core_versions", f.non_core_versions}};
    }
    const run::MsgqSummary& mq = t.msgq;
    const nlohmann::json msgq_json = {{"accepted", mq.accepted},   {"refused", mq.refused},
                                      {"sent", mq.sent},           {"resent", mq.resent},
                                      {"acked", mq.acked},         {"delivered", mq.delivered},
                                      {"duplicates", mq.duplicates}, {"pending", mq.pending}};
    tiers = {{"rows", rows}, {"rpc", rpc_json}, {"msgq", msgq_json}, {"throughput", throughput}, {"forged_writes", forged},
             {"rehydrations", rehydrations}, {"catch_ups", catch_ups},
             {"acked_keys_checked", t.acked_keys_checked}, {"cache_hits", t.hits}, {"cache_misses", t.misses}, {"lost", t.lost},
             {"answered_late", t.answered_late},
             {"unsettled", t.unsettled}, {"stale_reads", t.stale_reads},
             {"staleness_versions_max", t.staleness_versions_max}, {"staleness_ns_max", t.staleness_ns_max},
             {"staleness_ns_p99", t.staleness_ns_p99}, {"refusals", refusals}};
  }
  nlohmann::json points = nlohmann::json::object();
  nlohmann::json in_scope = nlohmann::json::array();
  for (const proto::PointInfo& p : proto::points()) {
    points[std::string(p.name)] = r.points[static_cast<size_t>(p.point)];
    if (r.points_in_scope[static_cast<size_t>(p.point)]) in_scope.push_back(std::string(p.name));
  }
  // By node, the points each node reached (ecsim explore reads them).
  nlohmann::json points_by_node = nlohmann::json::object();
  for (size_t n = 0; n < r.points_by_node.size() && n < r.node_names.size(); ++n) {
    nlohmann::json reached = nlohmann::json::object();
    for (const proto::PointInfo& p : proto::points()) {
      const uint64_t count = r.points_by_node[n][static_cast<size_t>(p.point)];
      if (count > 0) reached[std::string(p.name)] = count;
    }
    if (!reached.empty()) points_by_node[r.node_names[n]] = reached;
  }
  nlohmann::json limits = nlohmann::json::array();
  for (const run::LimitSummary& l : r.limits) {
    limits.push_back({{"name", l.name}, {"unit", l.unit}, {"max", l.max}, {"reached", l.reached},
                      {"first_ns", l.first_ns}, {"first_node", l.first_node}});
  }
  nlohmann::json peaks = nlohmann::json::object();
  for (const auto& [name, bytes] : r.memory_peaks) peaks[name] = bytes;
  nlohmann::json verdicts = nlohmann::json::array();
  for (const run::Verdict& v : r.verdicts) {
    verdicts.push_back({{"name", v.name}, {"ok", v.ok}, {"detail", v.detail}, {"informational", v.informational},
                        {"vacuous", v.vacuous}});
  }
  nlohmann::json out = {{"ecsim", kVersion},
          {"scenario", r.scenario},
          {"file", r.file},
          {"seed", r.seed},
          {"plant", r.plant},
          {"verdict", r.ok() ? "pass" : "fail"},
          {"simulated_ns", r.end.ns},
          {"events", r.events},
          {"records", r.records},
          {"event_limit_hit", r.event_limit_hit},
          {"messages", {{"sent", r.net.sent}, {"delivered", r.net.delivered}, {"dropped", r.net.dropped()},
                        {"duplicated", r.net.duplicated}, {"in_flight", r.net_in_flight}, {"bytes_sent", r.net.bytes_sent},
                        {"dropped_by_reason", drops}}},
          {"faults_applied", r.faults_applied},
          {"crashes", r.nodes.crashes},
          {"restarts", r.nodes.restarts},
          {"disk_entries_lost", r.nodes.disk_entries_lost},
          {"workloads", workloads},
          {"tiers", tiers},
          {"expectations", verdicts},
          {"points", points},
          {"points_in_scope", in_scope},
          {"points_by_node", points_by_node},
          {"limits", limits},
          {"memory", {{"accounted_bytes_peak", r.memory_bytes_peak}, {"max_bytes", r.memory_max},
                      {"max_from", r.memory_max_from},
                      {"limit_hit", r.memory_limit_hit}, {"peak_bytes_by_resource", peaks}}},
          {"wall_s", wall_s},
          {"events_per_s", wall_s > 0 ? static_cast<double>(r.events) / wall_s : 0.0},
          {"hashed", r.hashed},
          {"trace_hash", r.hashed ? nlohmann::json(format_hash(r.trace_hash)) : nlohmann::json(nullptr)}};
  // Only with a billing workload, so that other runs' JSON stays as it was.
  if (r.billing.present) out["billing"] = billing_json(r.billing);
  return out;
}

void print_run_report(const run::RunResult& r, double wall_s, const std::string& trace_path) {
  std::string out;
  auto line = [&out](const std::string& s) { out += s + "\n"; };
  line(fmt::format("ecsim {}  scenario '{}' ({})  seed {}{}", kVersion, r.scenario, r.file, r.seed,
                   r.plant.empty() ? "" : "  plant " + r.plant));
  line("");
  line(fmt::format("  {:<20}{}", "simulated time", sim::format_time(r.end)));
  line(fmt::format("  {:<20}{}", "events", r.events));
  line(fmt::format("  {:<20}sent {}  delivered {}  dropped {}  duplicated {}  in flight {}", "messages", r.net.sent,
                   r.net.delivered, r.net.dropped(), r.net.duplicated, r.net_in_flight));
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
    line(fmt::format("  {:<24} {:>8} {:>9} {:>7} {:>10} {:>10} {:>10} {:>10} {:>11}", "workload", "sent", "answered",
                     "lost", "unsettled", "p50", "p99", "max", "p99 (ok)"));
    for (const run::WorkloadSummary& w : r.workloads) {
      line(fmt::format("  {:<24} {:>8} {:>9} {:>7} {:>10} {:>10} {:>10} {:>10} {:>11}", w.label, w.sent,
                       w.answered, w.lost, w.unsettled, ms(w.p50_ns), ms(w.p99_ns), ms(w.max_ns), ms(w.ok_p99_ns)));
    }
  }
  if (r.tiers.present) print_tiers(r.tiers, line);
  if (r.billing.present) print_billing(r.billing, line);
  // Only when a limit was reached, so that ordinary summaries stay as they were.
  if (!r.limits.empty()) {
    line("");
    line(fmt::format("  {:<20}accounted peak {:.1f} MiB of {} {:.1f} MiB", "model memory",
                     static_cast<double>(r.memory_bytes_peak) / (1 << 20), run::memory_max_words(r.memory_max_from),
                     static_cast<double>(r.memory_max) / (1 << 20)));
    for (const run::LimitSummary& l : r.limits) {
      line(fmt::format("  {:<20}{} reached {} time{} (max {} {}), first at {}{}", "limit", l.name, l.reached,
                       l.reached == 1 ? "" : "s", l.max, l.unit, sim::format_time(sim::Time{l.first_ns}),
                       l.first_node.empty() ? "" : " on " + l.first_node));
    }
  }
  if (!r.verdicts.empty() || r.event_limit_hit) {
    line("");
    line("  expectations");
    // Names longer than the usual column (billing_number_uniqueness) widen
    // it for the whole table, so a name never runs into its detail.
    size_t width = 22;
    for (const run::Verdict& v : r.verdicts) width = std::max(width, v.name.size() + 2);
    auto mark_of = [](const run::Verdict& v) {
      return v.informational ? (v.vacuous ? "(none)" : v.ok ? "(ok)" : "(miss)") : (v.ok ? "ok" : "FAIL");
    };
    // Likewise the marks: "(none)" and "(miss)" take a column of 7.
    size_t mark_width = 6;
    for (const run::Verdict& v : r.verdicts) mark_width = std::max(mark_width, std::strlen(mark_of(v)) + 1);
    for (const run::Verdict& v : r.verdicts) {
      line(fmt::format("    {:<{}}{:<{}}{}", mark_of(v), mark_width, v.name, width, v.detail));
    }
    if (r.event_limit_hit) {
      line(fmt::format("    {:<{}}{:<{}}stopped at {} by --max-events", "FAIL", mark_width, "max_events", width,
                       sim::format_time(r.end)));
    }
  }
  line("");
  line(fmt::format("verdict: {}", r.ok() ? "PASS" : "FAIL"));
  line(fmt::format("trace hash: {}", hash_text(r)));
  std::fputs(out.c_str(), stdout);
}

}  // namespace ecsim::cli
