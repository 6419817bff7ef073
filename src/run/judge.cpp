// Judging a run: the tier summaries and every verdict of `expect`. The
// verdicts come from what the checkers followed in the trace, the end state
// included (the tiers trace it: tiers/end_state.hpp); the summary's figures
// also from the World's measurements and tiers::protocol_totals.
#include "run_impl.hpp"

#include <algorithm>
#include <optional>

namespace ecsim::run {

namespace {

// count / window >= per_s, exactly: count * 1e9 >= per_s * window_ns, split
// at whole seconds so that no product overflows 64 bits (per_s <= 1e6,
// window_ns <= 24 h).
bool rate_at_least(uint64_t count, int64_t window_ns, uint64_t per_s) {
  constexpr uint64_t kNsPerS = 1000000000;
  if (window_ns <= 0) return false;
  ECSIM_ASSERT(per_s <= kNsPerS);
  const uint64_t whole_s = static_cast<uint64_t>(window_ns) / kNsPerS;
  const uint64_t rest_ns = static_cast<uint64_t>(window_ns) % kNsPerS;
  const uint64_t base = per_s * whole_s;  // what the whole seconds need
  if (count < base) return false;
  const uint64_t extra = count - base;  // must cover per_s * rest_ns / 1e9 (< per_s)
  return extra >= per_s || extra * kNsPerS >= per_s * rest_ns;
}

}  // namespace

Verdict nothing_to_judge(std::string name, const std::string& detail) {
  Verdict v{std::move(name), false, "nothing to judge: " + detail};
  v.vacuous = true;
  return v;
}

bool ratio_at_least(uint64_t part, uint64_t whole, double min) {
  // In parts per million, 4e-7 was 0 and passed with nothing served.
  using U128 = unsigned __int128;
  constexpr uint64_t kOne = 1'000'000'000'000ULL;
  ECSIM_ASSERT(whole > 0 && min >= 0.0 && min <= 1.0);
  const auto min_e12 = static_cast<U128>(std::llround(min * static_cast<double>(kOne)));
  return static_cast<U128>(part) * kOne >= min_e12 * whole;
}

// `utilisation_max.TIER`: every node of the tier kept its mean CPU over its
// `load` samples (one per simulated second while it was up) at or below the
// bound. A run with no sample on the tier (shorter than a second) fails: it
// measured nothing.
void Run::Impl::summarize_utilisation(RunResult& r) {
  const tiers::World& w = *world;
  for (int tier = 0; tier < scenario::kTierCount; ++tier) {
    const auto& bound = sc.expect.utilisation_max[tier];
    if (!bound) continue;
    const auto limit = static_cast<uint64_t>(std::llround(*bound * 1000.0));
    size_t nodes = 0, over = 0;
    net::NodeId busiest = 0;
    double busiest_mean = -1.0;
    for (net::NodeId n = 0; n < names.size(); ++n) {
      if (static_cast<int>(w.role(n)) != tier || load_watcher->cpu_samples[n] == 0) continue;
      ++nodes;
      const uint64_t samples = load_watcher->cpu_samples[n];
      over += load_watcher->cpu_sum[n] > limit * samples ? 1 : 0;
      const double mean = static_cast<double>(load_watcher->cpu_sum[n]) / static_cast<double>(samples) / 10.0;
      if (mean > busiest_mean) busiest = n, busiest_mean = mean;
    }
    const char* tier_text = scenario::tier_name(static_cast<scenario::Tier>(tier));
    Verdict v{fmt::format("utilisation_max.{}", tier_text), nodes > 0 && over == 0, ""};
    if (nodes == 0) {
      v.detail = fmt::format("no load sample on the {} tier (samples are taken every simulated second)", tier_text);
    } else {
      v.detail = fmt::format("busiest {}: mean CPU {:.1f} %, need <= {:.1f} % on each of {} node{}{}", names[busiest],
                             busiest_mean, *bound * 100.0, nodes, nodes == 1 ? "" : "s",
                             over == 0 ? "" : fmt::format("; {} above", over));
    }
    r.verdicts.push_back(std::move(v));
  }
}

void Run::Impl::summarize_tiers(RunResult& r) {
  tiers::World& w = *world;
  w.finish(sim.now());
  tiers::trace_end_state(w, cluster, sim, {expects("acknowledged_writes"), expects("convergence")});
  TierSummary& t = r.tiers;
  t.present = true;
  const double secs = static_cast<double>(sim.now().ns) / 1e9;
  auto row = [secs](const char* label, const tiers::TierFigures& f) {
    TierRow x{label, f.requests, f.ok, f.refused, f.failed, f.lost, f.unsettled, f.excluded,
              secs > 0 ? static_cast<double>(f.ok) / secs : 0.0,
              f.latency.quantile(0.5), f.latency.quantile(0.95), f.latency.quantile(0.99), f.latency.max(),
              f.latency_ok.quantile(0.99), f.judged.count(), f.judged.quantile(0.99), f.overdue};
    return x;
  };
  t.rows.push_back(row("edge", w.figures(tiers::ServedBy::kEdge)));
  t.rows.push_back(row("core", w.figures(tiers::ServedBy::kCore)));
  t.rows.push_back(row("cloud", w.cloud_figures()));
  for (int tier = 0; tier < scenario::kTierCount; ++tier) {
    if (const auto& bound = sc.expect.tier_latency_p99[tier]) r.verdicts.push_back(latency_verdict(t.rows[tier], *bound));
  }
  summarize_throughput(r);
  for (net::NodeId n = 0; n < names.size(); ++n) {
    const node::LoadModel* lm = cluster.load_model(n);
    if (lm == nullptr) continue;
    TierLoad& l = t.load[static_cast<size_t>(w.role(n))];
    l.refused += lm->refused();
    l.cpu_permille_max = std::max(l.cpu_permille_max, load_watcher->cpu_max[n]);
  }
  summarize_utilisation(r);
  summarize_protocols(t.rpc, t.msgq);
  t.hits = w.hits;
  t.misses = w.misses;
  t.lost = w.lost();
  t.answered_late = w.answered_late();
  t.unsettled = w.unsettled();
  t.stale_reads = w.staleness().stale_reads();
  t.staleness_versions_max = w.staleness().versions_behind_max();
  t.staleness_ns_max = w.staleness().time_behind_max().ns;
  t.staleness_ns_p99 = w.staleness().time_behind_p99().ns;
  for (size_t i = 1; i < proto::auth::kReasonCount; ++i) {
    if (w.refusals[i] > 0) t.refusals.emplace_back(proto::auth::reason_name(static_cast<proto::auth::Reason>(i)), w.refusals[i]);
  }
  summarize_restarts(r);
  if (forged) tier_verdicts["edge_isolation"] = edge_isolation_verdict(t.forged);
  if (world->params().vector_clocks) {  // off: no clocks to judge (validate refuses `causality` then)
    // A message may wait in its receiver's service queue as long as the
    // model allows (an edge node on one core: over a second).
    causality.finish(sim.now().ns, service_waits(check::CausalityChecker::kTakeWithinNs));
    t.causality_sends = causality.sends_checked();
    t.causality_receives = causality.receives_checked();
    // A checker that reached its own limit judged only part of the run: its
    // verdict is incomplete, which fails.
    Verdict v{"causality", causality.violation_count() == 0 && !causality.incomplete(), ""};
    v.detail = causality.violation_count() == 0 ? causality.summary() : causality.violations().front().what;
    tier_verdicts["causality"] = std::move(v);
    judged["causality"] = causality.sends_checked();
  }
  promise_verdicts();
}

void Run::Impl::promise_verdicts() {
  // One promise checker's verdict: its first violation, or `summary`.
  auto add = [this](const char* name, const check::PromiseChecker& c, uint64_t judged_count,
                    const std::string& summary) {
    judged[name] = judged_count;
    tier_verdicts[name] = {name, c.violation_count() == 0, c.detail(summary)};
  };
  if (const check::AckedDurability* c = acked_durability.get()) {
    // A restart that replayed no earlier ack tests nothing.
    add("durability", *c, c->promises_checked(),
        fmt::format("{} write acks by cloud replicas; {} restarts replayed their logs, holding all {} promises made "
                    "before",
                    c->acks(), c->recoveries_checked(), c->promises_checked()));
  }
  if (const check::AtMostOnce* c = at_most_once.get()) {
    add("at_most_once", *c, c->executions(),
        fmt::format("{} requests executed at core, each once per call id; {} retries answered from the response "
                    "cache or while executing",
                    c->executions(), c->retries_seen()));
    if (c->incomplete() && c->violation_count() == 0) {  // never a silent pass (as causality's limit)
      Verdict& v = tier_verdicts["at_most_once"];
      v.ok = false;
      v.detail = fmt::format("incomplete: the checker reached its limit {} ({} executed calls remembered), {} "
                             "executions not followed; {}",
                             sim::resource_info(sim::Resource::kAtMostOnceCalls).name,
                             c->calls_max(), c->untracked(), v.detail);
    }
  }
  if (const check::BadTokens* c = bad_tokens.get()) {
    const std::string open =
        c->unsettled() == 0 ? "" : fmt::format(", {} still open at the end", c->unsettled());
    add("tokens", *c, c->requests(),
        fmt::format("{} requests with a bad token: {} refused, {} failed{}, none answered ok or passed on to core",
                    c->requests(), c->refused(), c->failed(), open));
  }
}

Verdict Run::Impl::latency_verdict(const TierRow& x, sim::Duration bound) const {
  const auto ms = [](int64_t ns) { return static_cast<double>(ns) / 1e6; };
  const std::string name = fmt::format("latency_p99.{}", x.label);
  const std::string need = sim::format_duration(bound);
  if (x.requests == 0) {
    return nothing_to_judge(name, fmt::format("no client request counted in the {} tier's row, need p99 <= {}",
                                              x.label, need));
  }
  if (!sc.expect.latency_outside_faults) {
    // The cloud row is core's quorum operations as core timed them: what the
    // clients saw of them is in the edge and core rows.
    const char* what = x.label == "cloud" ? "quorum operations at core" : "requests";
    return {name, x.p99_ns <= bound.ns,
            fmt::format("p99 {:.3f}ms over all {} {} ({} failed or unanswered; ok only {:.3f}ms), need <= {}",
                        ms(x.p99_ns), x.requests, what, x.failed + x.unsettled, ms(x.ok_p99_ns), need)};
  }
  const std::string margin = sim::format_duration(*sc.expect.latency_outside_faults);
  // Left out: excluded * 5 > requests  <=>  more than 20 %.
  if (x.excluded * 5 > x.requests) {
    return {name, false,
            fmt::format("{} of {} requests begun within a fault window or {} after it, need at most 20% left "
                        "out (p99 of the rest {:.3f}ms)",
                        x.excluded, x.requests, margin, ms(x.judged_p99_ns))};
  }
  return {name, x.judged > 0 && x.judged_p99_ns <= bound.ns,
          fmt::format("p99 {:.3f}ms over {} requests outside the fault windows (+{}; {} left out), need <= {}; "
                      "over all {}: {:.3f}ms",
                      ms(x.judged_p99_ns), x.judged, margin, x.excluded, need, x.requests, ms(x.p99_ns))};
}

void Run::Impl::summarize_protocols(RpcSummary& rpc, MsgqSummary& mq) {
  const tiers::ProtocolTotals totals = tiers::protocol_totals(*world, cluster);
  const proto::rpc::ClientCounters& c = totals.rpc_client;
  const proto::rpc::ServerCounters& s = totals.rpc_server;
  const proto::msgq::SenderCounters& qs = totals.msgq_sender;
  const proto::msgq::ReceiverCounters& qr = totals.msgq_receiver;
  rpc.open_connections = static_cast<uint32_t>(totals.rpc_open_connections);
  mq.pending = totals.msgq_pending;
  rpc.calls = c.calls;
  rpc.ok = c.completed_ok;
  rpc.failed = c.failed;
  rpc.timeouts = c.timeouts;
  rpc.retries = c.retries;
  rpc.shed = c.refused_queue_full;
  rpc.resets = c.resets;
  rpc.unreachable = c.unreachable;
  rpc.cores_suspected = world->cores_suspected();
  rpc.connections_opened = c.connections_opened;
  rpc.connections_reused = c.connections_reused;
  rpc.handshake_messages = c.handshake_messages + s.handshake_messages;
  rpc.duplicates_absorbed = s.duplicates_cached + s.duplicates_executing;
  rpc.refused_stale = s.refused_stale;
  mq.accepted = qs.accepted;
  mq.refused = qs.refused;
  mq.sent = qs.sent;
  mq.resent = qs.resent;
  mq.acked = qs.acked;
  mq.delivered = qr.delivered;
  mq.duplicates = qr.duplicates;
}

void Run::Impl::summarize_restarts(RunResult& r) {
  tiers::World& w = *world;
  TierSummary& t = r.tiers;
  const sim::Time now = sim.now();
  const sim::Duration window = sim::seconds(5);
  auto crash_before = [this](net::NodeId n, sim::Time at) {
    int64_t c = -1;
    for (const auto& [node, t] : nemesis->crash_log()) {
      if (node == n && t <= at) c = t.ns;
    }
    return c;
  };
  for (const tiers::RehydrationRecord& x : w.rehydrations()) {
    EdgeRehydration e;
    e.node = names[x.node];
    e.crash_ns = crash_before(x.node, x.started);
    e.restart_ns = x.started.ns;
    e.finished = x.done;
    e.duration_ns = x.done ? (x.done_at - x.started).ns : 0;
    e.keys = x.keys;
    e.fetched = x.fetched;
    e.given_up = x.given_up;
    if (e.crash_ns >= 0) {
      std::tie(e.hits_before, e.misses_before) =
          w.edge_lookups(x.node, sim::Time{e.crash_ns} - window, sim::Time{e.crash_ns});
    }
    std::tie(e.hits_after, e.misses_after) = w.edge_lookups(x.node, x.started, x.started + window);
    t.rehydrations.push_back(std::move(e));
  }
  // catch_up, from the trace (check/catch_up.hpp): the latest restart of
  // each cloud replica that is up at the end must have caught up, once it
  // had 5 s to do so.
  for (const check::CatchUp& x : catch_up.restarts()) {
    CloudCatchUp c;
    c.node = names[x.node];
    c.restart_ns = x.restart_ns;
    c.caught_up = x.caught_up;
    c.catch_up_ns = x.caught_up ? x.caught_up_ns - x.restart_ns : 0;
    c.superseded = x.superseded;
    t.catch_ups.push_back(std::move(c));
  }
  const check::CatchUpReport cu = catch_up.judge(now.ns, window);
  tier_verdicts["catch_up"] = Verdict{"catch_up", cu.ok, cu.detail};
  judged["catch_up"] = cu.judged;
  tier_verdicts["acknowledged_writes"] = acked_writes_verdict(t);
}

Verdict Run::Impl::acked_writes_verdict(TierSummary& t) {
  const std::vector<check::ReplicaVersions>& replicas = end_state.replicas();
  // Every cloud node, traced at the end of every tier run.
  ECSIM_ASSERT(!replicas.empty() && replicas.size() % proto::storage::kReplicas == 0);
  const check::AckedWritesReport rep = check::check_acknowledged_writes(end_state.acked(), replicas, names);
  t.acked_keys_checked = rep.keys_checked;
  judged["acknowledged_writes"] = rep.keys_checked;
  if (rep.ok()) {
    const size_t groups = replicas.size() / proto::storage::kReplicas;
    return {"acknowledged_writes", true,
            groups == 1 ? fmt::format("{} acknowledged keys each held at the acknowledged version or newer by at "
                                      "least 2 of the 3 cloud replicas",
                                      rep.keys_checked)
                        : fmt::format("{} acknowledged keys each held at the acknowledged version or newer by at "
                                      "least 2 of the 3 replicas of its group ({} cloud nodes in {} groups)",
                                      rep.keys_checked, replicas.size(), groups)};
  }
  return {"acknowledged_writes", false,
          fmt::format("{} of {} acknowledged keys not on a quorum; first: {}", rep.violation_count,
                      rep.keys_checked, rep.violations.front().what)};
}

void Run::Impl::summarize_throughput(RunResult& r) {
  const sim::Time now = sim.now();
  std::vector<int64_t> window_ns(names.size(), -1);
  for (const scenario::RequestWorkload& w : sc.requests) {
    const sim::Time stop = w.until ? std::min(now, sim::Time{0} + *w.until) : now;
    for (net::NodeId n : resolve(sc.topology, w.at)) window_ns[n] = std::max(window_ns[n], stop.ns);
  }
  std::vector<int> row_of(names.size(), -1);
  std::vector<NodeThroughput>& rows = r.tiers.throughput;
  for (net::NodeId n = 0; n < names.size(); ++n) {
    if (window_ns[n] < 0) continue;
    row_of[n] = static_cast<int>(rows.size());
    rows.push_back({names[n], world->offered(n), world->served(n), window_ns[n]});
  }
  for (const scenario::ThroughputMin& tm : sc.expect.throughput_min) {
    std::vector<const NodeThroughput*> selected;
    for (net::NodeId n : resolve(sc.topology, tm.nodes)) {
      ECSIM_ASSERT(row_of[n] >= 0);  // the loader admits only nodes with clients
      selected.push_back(&rows[static_cast<size_t>(row_of[n])]);
    }
    r.verdicts.push_back(throughput_verdict(tm, selected));
  }
}

Verdict Run::Impl::throughput_verdict(const scenario::ThroughputMin& tm, const std::vector<const NodeThroughput*>& nodes) {
  ECSIM_ASSERT(!nodes.empty());
  auto offered_ok = [&tm](const NodeThroughput& x) { return rate_at_least(x.offered, x.window_ns, tm.per_s); };
  auto served_ok = [&tm](const NodeThroughput& x) { return rate_at_least(x.served, x.window_ns, tm.per_s); };
  auto low = [](const NodeThroughput& x) { return std::min(x.offered_per_s(), x.served_per_s()); };
  size_t failing = 0;
  const NodeThroughput* worst = nullptr;
  for (const NodeThroughput* x : nodes) {
    const bool ok = offered_ok(*x) && served_ok(*x);
    failing += ok ? 0 : 1;
    const bool worst_ok = worst == nullptr || (offered_ok(*worst) && served_ok(*worst));
    if (worst == nullptr || (!ok && worst_ok) || (ok == worst_ok && low(*x) < low(*worst))) worst = x;
  }
  const std::string need = fmt::format("{}/s", tm.per_s);
  Verdict v{fmt::format("throughput_min.{}", tm.nodes.text), failing == 0, ""};
  const std::string over = sim::format_duration(sim::Duration{worst->window_ns});
  if (v.ok) {
    v.detail = fmt::format("lowest {}: offered {:.1f}/s, served {:.1f}/s over {}, need >= {} each on {} node{}",
                           worst->node, worst->offered_per_s(), worst->served_per_s(), over, need, nodes.size(),
                           nodes.size() == 1 ? "" : "s");
  } else if (offered_ok(*worst)) {  // the node was offered enough but served too little
    v.detail = fmt::format("{} served {:.1f}/s < {} (offered {:.1f}/s) over {}; {} of {} node{} below", worst->node,
                           worst->served_per_s(), need, worst->offered_per_s(), over, failing, nodes.size(),
                           nodes.size() == 1 ? "" : "s");
  } else {  // its clients did not even offer that much
    v.detail = fmt::format("{} offered {:.1f}/s < {} (served {:.1f}/s) over {}; {} of {} node{} below", worst->node,
                           worst->offered_per_s(), need, worst->served_per_s(), over, failing, nodes.size(),
                           nodes.size() == 1 ? "" : "s");
  }
  return v;
}

Verdict Run::Impl::edge_isolation_verdict(ForgedWriteSummary& out) {
  // A delivered write waits at most a full service queue at its replica
  // (150 ms by default, 600 ms on one core): 1 s, or that wait if longer.
  const check::ForgedWritesReport rep = forged->report(
      sim.now(), std::max(sim::seconds(1), world->params().service_wait_max(tiers::Role::kCloud)));
  const uint64_t not_sent = byzantine ? byzantine->not_sent() : 0;
  const std::vector<check::ReplicaWriters>& replicas = end_state.writers();
  // Every cloud node, traced at the end of every tier run.
  ECSIM_ASSERT(!replicas.empty() && replicas.size() % proto::storage::kReplicas == 0);
  std::vector<bool> is_core(names.size(), false);
  for (net::NodeId n : world->nodes(tiers::Role::kCore)) is_core[n] = true;
  const check::ReplicaWritersReport writers = check::check_replica_writers(replicas, is_core, names);
  // The replicas' refusal counters over the whole run, for the summary.
  const uint64_t counters = tiers::protocol_totals(*world, cluster).replica_not_core;
  out = ForgedWriteSummary{true,
                           rep.sent,
                           rep.refused,
                           rep.lost,
                           rep.in_flight,
                           rep.unanswered,
                           rep.applied + rep.other_applied,
                           rep.refusals,
                           counters,
                           not_sent,
                           writers.versions_checked,
                           writers.violation_count};
  // Forged writes that reached a replica (lost ones test nothing), and the
  // versions the replicas hold.
  judged["edge_isolation"] = rep.refused + rep.unanswered + rep.applied + rep.other_applied + writers.versions_checked;
  Verdict v{"edge_isolation", rep.ok() && writers.ok(), ""};
  v.detail = fmt::format("{} forged writes sent by edge nodes straight to cloud replicas: {} refused as not from "
                         "core, {} lost, {} in flight at the end, {} unanswered, {} applied",
                         rep.sent, rep.refused, rep.lost, rep.in_flight, rep.unanswered,
                         rep.applied + rep.other_applied);
  if (not_sent > 0) v.detail += fmt::format(" ({} more not sent: over the follower's bound)", not_sent);
  v.detail += fmt::format("; {} versions on {} replicas, {} written by a non-core node", writers.versions_checked,
                          replicas.size(), writers.violation_count);
  if (!rep.first_violation.empty()) v.detail += "; first: " + rep.first_violation;
  if (!writers.ok()) v.detail += "; " + writers.violations.front().what;
  return v;
}

std::vector<int64_t> Run::Impl::service_waits(int64_t floor_ns) const {
  std::vector<int64_t> out(names.size());
  for (net::NodeId n = 0; n < out.size(); ++n) {
    out[n] = std::max(floor_ns, world->params().service_wait_max(world->role(n)).ns);
  }
  return out;
}

// `recovers_within`: from the first fault window's start to the last one's
// end, as the schedule has them (scenario/windows.hpp: a crash never restarted
// ends its window when it happens).
Verdict Run::Impl::recovery_verdict(const std::string& name, sim::Duration within,
                                    const std::vector<std::vector<std::array<uint64_t, 2>>>& by_second,
                                    const std::vector<int64_t>& incomplete_from) const {
  // Outages only: a Byzantine node attacks the cluster; it is not an outage
  // the served ratio recovers from (scenario::is_outage).
  std::vector<sim::TimeWindow> windows = scenario::outage_windows(sc, end);
  // And the at_point crashes that fired: their windows are known only now.
  ECSIM_ASSERT(point_crashes != nullptr);
  windows.insert(windows.end(), point_crashes->windows.begin(), point_crashes->windows.end());
  if (windows.empty()) {
    const size_t unfired = static_cast<size_t>(std::count_if(
        sc.faults.begin(), sc.faults.end(), [](const scenario::Fault& f) { return f.kind == scenario::Fault::Kind::kAtPoint; }));
    Verdict v{name, false,
              fmt::format("nothing to judge: no fault window begins before the end of the run at {}",
                          sim::format_time(sim.now()))};
    if (unfired > 0) {
      const scenario::Fault& f = *std::find_if(sc.faults.begin(), sc.faults.end(), [](const scenario::Fault& x) {
        return x.kind == scenario::Fault::Kind::kAtPoint;
      });
      v.detail += fmt::format("; {} at_point crash{} never fired ({} on {} was not reached {} time{})", unfired,
                              unfired == 1 ? "" : "es", proto::point_info(f.point).name, f.target.text, f.nth,
                              f.nth == 1 ? "" : "s");
    }
    v.vacuous = true;
    return v;
  }
  const bool billing = name.starts_with("billing.");
  const scenario::RecoveryClients clients =
      billing ? scenario::RecoveryClients::kBilling : scenario::RecoveryClients::kRequests;
  // Each workload apart: one that stops (`until`) while another sends on
  // changes the mix of the seconds after it, and a small one beside a
  // large one would vanish in a pooled ratio.
  const std::vector<scenario::JudgedWorkload> workloads = scenario::recovery_workloads(sc, clients);
  ECSIM_ASSERT(!workloads.empty());
  const sim::Time first_fault =
      std::min_element(windows.begin(), windows.end(), [](const sim::TimeWindow& a, const sim::TimeWindow& b) {
        return a.from < b.from;
      })->from;
  sim::Time last_end{0};
  for (const sim::TimeWindow& w : windows) last_end = std::max(last_end, w.to);
  static const std::vector<std::array<uint64_t, 2>> kNothing;
  std::vector<RecoveryWorkload> judged;
  for (size_t i = 0; i < workloads.size(); ++i) {
    RecoveryWorkload w;
    w.label = scenario::recovery_workload_label(clients, i, workloads[i]);
    w.by_second = i < by_second.size() ? &by_second[i] : &kNothing;
    w.settle = workloads[i].timeout;
    if (i < incomplete_from.size() && incomplete_from[i] != INT64_MAX) w.incomplete_from = sim::Time{incomplete_from[i]};
    if (workloads[i].until) w.sending_until = sim::Time{0} + *workloads[i].until;
    judged.push_back(std::move(w));
  }
  RecoveryInput in;
  in.what = billing ? "billing operation" : "request";
  in.first_fault = first_fault;
  in.last_end = last_end;
  in.within = within;
  in.run_end = sim.now();
  const RecoveryReport rep = judge_recovery_by_workload(in, judged);
  Verdict v{name, rep.ok, rep.detail};
  v.vacuous = rep.vacuous;
  // A run cut short (--until) inside a window ends that window at the cut:
  // say so, or the detail would give the cut as the scenario's window end.
  std::optional<sim::Time> open_to;  // the latest end of a window the cut falls in
  for (const sim::TimeWindow& w : scenario::outage_windows(sc, sim::Time{0} + sc.duration)) {
    if (w.from < end && end < w.to) open_to = std::max(open_to.value_or(w.to), w.to);
  }
  if (open_to) {
    v.detail += fmt::format("; the run ended at {} (--until), inside a fault window the scenario ends at {}",
                            sim::format_time(end), sim::format_time(*open_to));
  }
  return v;
}

// An invariant with nothing to judge fails, saying so (never a pass with
// nothing checked); under --swarm it is reported, and the sweep counts it.
Verdict Run::Impl::vacuity(Verdict v) const {
  auto it = judged.find(v.name);
  ECSIM_ASSERT(it != judged.end());
  if (it->second > 0 || !v.ok) return v;
  Verdict out = nothing_to_judge(std::move(v.name), v.detail);
  out.informational = options.invariants_only;
  return out;
}

void Run::Impl::judge(RunResult& r) {
  const scenario::Expect& ex = sc.expect;
  // Exactly the invariants the scenario lists, in its order (the loader
  // refuses the three-tier ones in a scenario without the three tiers).
  for (const std::string& inv : ex.invariants) {
    if (!world) {
      ECSIM_ASSERT(inv == "durability");
      Verdict v{"durability", durability.violation_count() == 0, ""};
      v.detail = v.ok ? fmt::format("{} crashes checked, no synced disk write lost ({} synced entries held)",
                                    durability.crashes_checked(), durability.synced_checked())
                      : durability.violations().front().what;
      // A crash of a node that had synced nothing tests nothing.
      judged["durability"] = durability.synced_checked();
      r.verdicts.push_back(vacuity(std::move(v)));
      continue;
    }
    if (inv == "convergence") tier_verdicts["convergence"] = convergence_verdict();
    if (inv == "exactly_once") tier_verdicts["exactly_once"] = exactly_once_verdict();
    if (inv == "edge_isolation" && !forged) {
      tier_verdicts["edge_isolation"] = {"edge_isolation", false, "no forged-write follower (internal)"};
    }
    auto it = tier_verdicts.find(inv);
    ECSIM_ASSERT(it != tier_verdicts.end());
    r.verdicts.push_back(vacuity(it->second));
  }
  // A cloud_direct_write fault has edge_isolation judged, listed or not
  // (docs/scenarios.md, "Byzantine nodes"): the forged writes are what it
  // follows. Unlisted, a run whose forgers sent nothing (down for their
  // whole window) reports it without failing.
  if (forged && std::find(ex.invariants.begin(), ex.invariants.end(), "edge_isolation") == ex.invariants.end()) {
    Verdict v = vacuity(tier_verdicts.at("edge_isolation"));
    v.informational = v.informational || v.vacuous;
    r.verdicts.push_back(std::move(v));
  }
  uint64_t answered = 0;
  uint64_t failed = 0;  // lost pings; failed client requests, lost ones included
  // Pings and client requests unanswered at the end, older than any ok
  // answer of theirs: not served (tiers::TierFigures::overdue).
  uint64_t overdue = 0;
  sim::Histogram all;
  for (uint32_t w = 0; w < ping_stats.size(); ++w) {
    answered += ping_stats.figures(w).answered;
    failed += ping_stats.figures(w).lost;
    overdue += ping_stats.figures(w).overdue;
    all.merge(ping_stats.figures(w).rtt_all);
  }
  if (world) {
    // Client requests: answered ok against ok + failed (lost ones
    // included) + overdue; requests refused for a bad token are correct
    // answers and left out, the other unsettled ones are not judged.
    for (const TierRow& row : r.tiers.rows) {
      if (row.label == "cloud") continue;
      answered += row.ok;
      failed += row.failed;
      overdue += row.overdue;
    }
  }
  if (ex.served_ratio_min) {
    const uint64_t settled = answered + failed + overdue;
    if (settled == 0) {
      r.verdicts.push_back(nothing_to_judge(
          "served_ratio_min", fmt::format("no ping or client request settled (requests refused for a bad token are "
                                          "left out), need >= {}",
                                          *ex.served_ratio_min)));
    } else {
      const std::string counted =
          overdue == 0 ? ""
                       : fmt::format("; {} of them unanswered at the end, waiting over twice as long as any answered ok took",
                                     overdue);
      r.verdicts.push_back({"served_ratio_min", ratio_at_least(answered, settled, *ex.served_ratio_min),
                            fmt::format("{:.4f} served ({} of {}{}), need >= {}", static_cast<double>(answered) / settled,
                                        answered, settled, counted, *ex.served_ratio_min)});
    }
  }
  if (ex.recovers_within && world) {
    r.verdicts.push_back(recovery_verdict("recovers_within", *ex.recovers_within, world->served_by_second(),
                                          world->incomplete_from()));
  }
  if (ex.ping_latency_p99) {
    const int64_t p99 = all.quantile(0.99);
    if (all.count() == 0) {
      r.verdicts.push_back(nothing_to_judge(
          "latency_p99.ping", fmt::format("no ping sent, need p99 <= {}", sim::format_duration(*ex.ping_latency_p99))));
    } else {
      r.verdicts.push_back({"latency_p99.ping", p99 <= ex.ping_latency_p99->ns,
                            fmt::format("p99 {:.3f}ms over all {} pings (lost ones at their timeout), need <= {}",
                                        static_cast<double>(p99) / 1e6, all.count(),
                                        sim::format_duration(*ex.ping_latency_p99))});
    }
  }
  if (ex.min_delivered) {
    r.verdicts.push_back({"min_delivered", r.net.delivered >= *ex.min_delivered,
                          fmt::format("{} delivered, need >= {}", r.net.delivered, *ex.min_delivered)});
  }
  if (ex.billing.any()) billing_verdicts(r);
}

}  // namespace ecsim::run
