// Assembling a run: the kernel, network, nodes, workloads, checkers, the
// nemesis and the trace file, from a validated Scenario; judging it is
// judge.cpp's.
#include "ecsim/run/runner.hpp"

#include <algorithm>

#include <fmt/ranges.h>

#include "ecsim/scenario/loader.hpp"
#include "ecsim/scenario/validate.hpp"
#include "network_plan.hpp"
#include "run_impl.hpp"

namespace ecsim::run {

namespace {
// The one validation every scenario passes, built from YAML or in C++
// (scenario/validate.hpp), and the run's own stop time in the same range:
// whatever gets past here runs to a verdict. THROWS scenario::LoadError.
const scenario::Scenario& validated(const scenario::Scenario& sc, const RunOptions& options) {
  scenario::validate(sc);
  if (options.until && (options.until->ns <= 0 || *options.until > scenario::kScenarioDurationMax)) {
    throw scenario::LoadError(fmt::format("{}: until is {}, expected a duration above 0s and at most {}",
                                          sc.file.empty() ? "<scenario>" : sc.file,
                                          sim::format_duration(*options.until),
                                          sim::format_duration(scenario::kScenarioDurationMax)));
  }
  return sc;
}
}  // namespace

namespace {
double ratio(uint64_t hits, uint64_t misses) {
  return hits + misses > 0 ? static_cast<double>(hits) / static_cast<double>(hits + misses) : 0.0;
}
}  // namespace
double EdgeRehydration::hit_ratio_before() const { return ratio(hits_before, misses_before); }
double EdgeRehydration::hit_ratio_after() const { return ratio(hits_after, misses_after); }

namespace {
double per_second(uint64_t count, int64_t window_ns) {
  return window_ns > 0 ? static_cast<double>(count) * 1e9 / static_cast<double>(window_ns) : 0.0;
}
}  // namespace
double NodeThroughput::offered_per_s() const { return per_second(offered, window_ns); }
double NodeThroughput::served_per_s() const { return per_second(served, window_ns); }

bool RunResult::ok() const {
  if (event_limit_hit) return false;
  for (const Verdict& v : verdicts) {
    if (!v.ok && !v.informational) return false;
  }
  return true;
}

workload::BillingConfig billing_config(const scenario::BillingWorkload& w) {
  workload::BillingConfig c;
  c.rate_per_s = w.rate_per_s;
  c.subscribers = w.subscribers;
  c.numbers_per_subscriber = w.numbers_per_subscriber;
  c.initial_balance = w.initial_balance;
  c.amount_min = w.amount_min;
  c.amount_max = w.amount_max;
  c.mix = {w.mix_debit, w.mix_transfer, w.mix_top_up, w.mix_port, w.mix_balance, w.mix_number_owner};
  ECSIM_ASSERT(c.validate().empty());  // scenario::validate checked the same ranges
  return c;
}

std::vector<net::NodeId> resolve(const scenario::Topology& t, const scenario::Selector& s) {
  std::vector<uint32_t> nodes = scenario::resolve(t, s.text);
  ECSIM_ASSERT(!nodes.empty());  // the loader refuses selectors that match nothing
  return nodes;
}


void Run::Impl::open_trace_file() {
  ECSIM_ASSERT(options.hashing);  // a trace file ends with the hash of its records
  nlohmann::json header = {{"format", sim::kTraceFormatVersion},
                           {"ecsim", kVersion},
                           {"scenario_name", sc.name},
                           {"scenario_file", sc.file},
                           {"seed", seed},
                           {"plant", options.plant == proto::Plant::kNone
                                         ? std::string()
                                         : std::string(proto::plant_info(options.plant).name)},
                           {"until_ns", end.ns},
                           {"max_events", options.max_events},
                           {"memory_max", *options.memory_max},
                           {"nodes", names},
                           {"scenario", sc.text}};
  // A file name need not be UTF-8: such bytes are written as U+FFFD.
  trace_file = std::make_unique<sim::TraceFileWriter>(
      options.trace_path, header.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
  trace.set_sink(trace_file.get());
}

void Run::Impl::configure_links() {
  const auto& topo = sc.topology;
  // Every link takes its tier pair's config (the built-in one with the
  // scenario's defaults on top), made when the link is first used.
  network.set_link_classes(link_classes(sc, names.size()), tier_pair_links(sc));
  for (const scenario::LinkOverride& o : sc.network.overrides) {
    for (auto [s, d] : fault::links_between(topo, o.between)) {
      net::LinkConfig c = network.link_config(s, d);
      scenario::apply_patch(c, o.patch);
      network.set_link(s, d, c);
    }
  }
}

tiers::TierParams Run::Impl::tier_params(const scenario::ModelPatch& m) {
  tiers::TierParams p;
  if (m.cache_capacity) p.cache_capacity = *m.cache_capacity;
  if (m.cache_ttl) p.cache_ttl = *m.cache_ttl;
  if (m.rpc_timeout) p.core_timeout = *m.rpc_timeout;
  if (m.rpc_retries) p.core_retries_max = *m.rpc_retries;
  if (m.rpc_cores_tried) p.core_attempts_max = *m.rpc_cores_tried;
  if (m.rpc_pool_size) p.rpc_pool_size = *m.rpc_pool_size;
  if (m.rpc_pool_warm) p.rpc_pool_warm = *m.rpc_pool_warm;
  if (m.rpc_handshake_timeout) p.rpc_handshake_timeout = *m.rpc_handshake_timeout;
  p.rpc_pool_warm = std::min(p.rpc_pool_warm, p.rpc_pool_size);
  if (m.resend_timeout) p.dsm_resend_timeout = *m.resend_timeout;
  if (m.window) p.dsm_window = *m.window;
  if (m.cores[0]) p.edge_cores = *m.cores[0];
  if (m.cores[1]) p.core_cores = *m.cores[1];
  if (m.cores[2]) p.cloud_cores = *m.cores[2];
  if (m.recovery) p.recovery = *m.recovery;
  if (m.vector_clocks) p.vector_clocks = *m.vector_clocks;
  if (m.wal_slack) p.wal_slack = *m.wal_slack;
  if (m.rpc_retry_budget_percent) p.retry_budget_permille = *m.rpc_retry_budget_percent * 10;
  return p;
}

void Run::Impl::configure_tiers() {
  std::vector<tiers::Role> node_roles;
  for (net::NodeId n = 0; n < names.size(); ++n) {
    node_roles.push_back(static_cast<tiers::Role>(scenario::node_tier(sc.topology, n)));
  }
  world = std::make_unique<tiers::World>(std::move(node_roles), tier_params(sc.model));
  world->set_send_observer(options.send_observer);
  world->set_twopc_log_observer(options.twopc_log_observer);
  if (sc.expect.latency_outside_faults) {
    world->exclude_windows(scenario::fault_windows(sc, end, *sc.expect.latency_outside_faults));
    point_windows = std::make_unique<PointWindowWatcher>(sc, *world, end, *sc.expect.latency_outside_faults);
    trace.add_observer(point_windows.get());
  }
  if (sc.expect.recovers_within) {
    point_crashes = std::make_unique<PointCrashWindows>(sc, end);
    trace.add_observer(point_crashes.get());
  }
  cluster.set_payload_owner(world.get());
  for (net::NodeId n = 0; n < names.size(); ++n) {
    cluster.set_load_profile(n, tiers::load_profile(world->role(n), world->params()));
  }
  cluster.start_load_sampling(sim::seconds(1));
  load_watcher = std::make_unique<LoadWatcher>(names.size());
  trace.add_observer(load_watcher.get());
  if (world->params().vector_clocks) trace.add_observer(&causality);
  if (expects("durability")) {
    acked_durability = std::make_unique<check::AckedDurability>(names);
    trace.add_observer(acked_durability.get());
  }
  if (expects("at_most_once")) {
    at_most_once = std::make_unique<check::AtMostOnce>(names);
    trace.add_observer(at_most_once.get());
  }
  if (expects("tokens")) {
    bad_tokens = std::make_unique<check::BadTokens>(names);
    trace.add_observer(bad_tokens.get());
  }
  if (expects("exactly_once")) {
    exactly_once = std::make_unique<check::ExactlyOnceChecker>(names);
    trace.add_observer(exactly_once.get());
  }
  if (expects("convergence")) {
    dsm_watcher = std::make_unique<DsmWatcher>();
    trace.add_observer(dsm_watcher.get());
  }
  // cloud_direct_write, the one strategy: its forged writes are what
  // edge_isolation follows (judged with it, listed or not: judge.cpp).
  const bool byzantine = std::any_of(sc.faults.begin(), sc.faults.end(), [](const Fault& f) {
    return f.kind == Fault::Kind::kByzantine && f.strategy == Fault::Strategy::kCloudDirectWrite;
  });
  if (byzantine || expects("edge_isolation")) {
    std::vector<bool> is_core(names.size(), false);
    for (net::NodeId n : world->nodes(tiers::Role::kCore)) is_core[n] = true;
    forged = std::make_unique<check::ForgedWrites>(std::move(is_core), tiers::kKindStorage, names);
    trace.add_observer(forged.get());
  }
  std::vector<tiers::Clients::Source> sources;
  for (uint32_t wi = 0; wi < sc.requests.size(); ++wi) {
    const scenario::RequestWorkload& w = sc.requests[wi];
    workload::RequestConfig c;
    c.rate_per_s = w.rate_per_s;
    c.subscribers = w.subscribers;
    c.zipf_s = w.zipf;
    c.records_per_subscriber = w.records_per_subscriber;
    c.mix = {w.mix_session_check, w.mix_read, w.mix_write, w.mix_dsm_set, w.mix_dsm_get};
    c.bad_token_ppm = w.bad_token_ppm;
    c.population_seed = seed;
    c.dsm_keys = w.dsm_keys;
    std::optional<sim::Time> until;
    if (w.until) until = sim::Time{0} + *w.until;
    uint64_t base = 0;
    for (net::NodeId n : resolve(sc.topology, w.at)) {
      c.subscriber_base = w.local_subscribers ? base : 0;
      base += w.subscribers;
      sources.push_back({n, c, until, w.timeout, wi});
    }
  }
  clients = std::make_unique<tiers::Clients>(sim, cluster, *world, std::move(sources));
  clients->start();
  if (!sc.billing.empty()) configure_billing();
}

// A participant up at the end must not hold a YES vote unresolved for longer
// than this once it and its coordinator are up and in reach of each other
// (the coordinators' vote and ack timeouts, a recovery and its status
// queries, with room to spare); slow links stretch it (check/billing.hpp).
constexpr sim::Duration kBillingTerminationBound = sim::seconds(5);

// One billing domain per scenario (validate); clients attach to the `at` nodes of each billing workload.
void Run::Impl::configure_billing() {
  const size_t groups = world->nodes(tiers::Role::kCloud).size() / proto::storage::kReplicas;
  sim::Duration client_timeout{0};
  for (const scenario::BillingWorkload& w : sc.billing) client_timeout = std::max(client_timeout, w.timeout);
  tiers::BillingCacheConfig cache;
  cache.entries_max = sc.billing[0].cache_entries;
  // The default bound: two msgq resend timeouts, so that an invalidation
  // lost once is resent within it and the cache keeps serving meanwhile.
  cache.staleness_max = sc.billing[0].cache_staleness_max.value_or(
      sim::Duration{2 * world->params().dsm_resend_timeout.ns});
  billing = std::make_unique<tiers::Billing>(sim, billing_config(sc.billing[0]), groups, client_timeout, cache);
  in_doubt = std::make_unique<InDoubtMeter>();
  trace.add_observer(in_doubt.get());
  billing_checker = std::make_unique<check::BillingChecker>(
      names, cloud_nodes(sc), kBillingTerminationBound.ns, tiers::Billing::query_interval().ns,
      network_plan(sc, names.size()));
  trace.add_observer(billing_checker.get());
  if (cache.on()) {
    cache_checker = std::make_unique<check::BillingCacheChecker>(names, cloud_nodes(sc), cache.staleness_max.ns);
    trace.add_observer(cache_checker.get());
  }
  // Its initial state is traced once the trace file is open (Impl's constructor).
  std::vector<tiers::BillingClients::Source> sources;
  for (uint32_t i = 0; i < sc.billing.size(); ++i) {
    const scenario::BillingWorkload& w = sc.billing[i];
    std::optional<sim::Time> until;
    if (w.until) until = sim::Time{0} + *w.until;
    for (net::NodeId n : resolve(sc.topology, w.at)) sources.push_back({n, billing_config(w), until, w.timeout, i});
  }
  billing_clients = std::make_unique<tiers::BillingClients>(sim, cluster, *world, *billing, std::move(sources));
  billing_clients->start();
}

void Run::Impl::configure_workload() {
  roles.resize(names.size());
  for (uint32_t w = 0; w < sc.workload.size(); ++w) {
    const scenario::Workload& wl = sc.workload[w];
    ping_stats.add_workload(fmt::format("ping {}->{}", wl.from.text, wl.to.text), wl.timeout);
    const auto targets = resolve(sc.topology, wl.to);
    for (net::NodeId src : resolve(sc.topology, wl.from)) {
      workload::PingRole role{w, {}, wl.rate_per_s, wl.size_bytes};
      for (net::NodeId t : targets) {
        if (t != src) role.targets.push_back(t);
      }
      if (!role.targets.empty()) roles[src].push_back(std::move(role));
    }
  }
}

void Run::Impl::schedule_faults() {
  nemesis = std::make_unique<fault::Nemesis>(sim, cluster, network, sc, end);
  if (forged) {
    byzantine = std::make_unique<fault::Byzantine>(sim, cluster, *world, sc, end, *forged);
    nemesis->set_byzantine(byzantine.get());
  }
  if (std::any_of(sc.faults.begin(), sc.faults.end(), [](const Fault& f) { return scenario::is_action(f.kind); })) {
    ECSIM_ASSERT(world != nullptr);  // the loader allows actions only on three-tier runs
    actions = std::make_unique<tiers::Actions>(sim, cluster, *world, billing.get());
    nemesis->set_actions(actions.get(), sc.billing.empty() ? sim::seconds(2) : sc.billing[0].timeout);
  }
  if (dsm_watcher) {
    nemesis->on_network_health([this](bool healed, sim::Time at) {
      check::Quiescence& q = dsm_watcher->quiescence;
      if (healed && !q.healed()) q.on_network_healed(at);
      if (!healed && q.healed()) q.on_network_faulted(at);
    });
  }
  nemesis->start();
}

bool Run::Impl::expects(std::string_view invariant) const {
  const auto& inv = sc.expect.invariants;
  return std::find(inv.begin(), inv.end(), invariant) != inv.end();
}

Run::Run(const scenario::Scenario& scenario, const RunOptions& options)
    : impl_(std::make_unique<Impl>(validated(scenario, options), options)) {}
Run::~Run() = default;

sim::Simulator& Run::simulator() { return impl_->sim; }
sim::Time Run::end_time() const { return impl_->end; }

namespace {
// The memory maximum is checked every this many events (counted from the
// start of the run, whatever budgets the caller passes, so that a run stops
// at the same event everywhere) and at the end.
constexpr uint64_t kEventsPerLimitCheck = 4096;
}  // namespace

bool Run::Impl::over_memory() {
  // The queue's buffers, or its events where it holds them tighter (before
  // its first rebuild the ring is not counted yet).
  const size_t queued = std::max(sim.pending() * sizeof(sim::Event), sim.queue().reserved_bytes());
  sim::memory_set(sim::Resource::kEvents, static_cast<int64_t>(queued));
  if (sim::limit_state().memory_exceeded) memory_hit = true;
  return memory_hit;
}

std::string_view memory_max_words(std::string_view from) {
  if (from == "memory_max") return "the scenario's memory_max";
  if (from == "default") return "the default memory maximum";
  if (from == "--memory-max") return "--memory-max";
  return "the memory maximum";  // a result not made by a run (none names it)
}

void Run::Impl::summarize_limits(RunResult& r) {
  const sim::LimitState& s = sim::limit_state();
  for (const sim::ResourceInfo& info : sim::resources()) {
    const sim::ResourceUse& u = s.use[static_cast<size_t>(info.id)];
    if (u.bytes_peak > 0) r.memory_peaks.emplace_back(std::string(info.name), u.bytes_peak);
    if (u.reached == 0) continue;
    const bool memory = info.id == sim::Resource::kMemory;
    r.limits.push_back({std::string(info.name), std::string(info.unit), memory ? *options.memory_max : info.max,
                        u.reached, u.first_ns, memory || u.first_node >= names.size() ? "" : names[u.first_node]});
  }
  r.memory_bytes_peak = s.bytes_peak;
  r.memory_max = *options.memory_max;
  r.memory_max_from = memory_max_from;
  r.memory_limit_hit = memory_hit;
  if (!memory_hit) return;
  ECSIM_ASSERT(s.memory_exceeded.has_value());
  const sim::ResourceInfo& what = sim::resource_info(*s.memory_exceeded);
  const auto mib = [](int64_t b) { return static_cast<double>(b) / static_cast<double>(1 << 20); };
  r.verdicts.push_back({fmt::format("limit: {}", what.name), false,
                        fmt::format("the model's accounted memory passed {} {} bytes ({:.1f} MiB) at {}; "
                                    "{} held {:.1f} MiB of it; the run stopped there",
                                    memory_max_words(memory_max_from), *options.memory_max, mib(static_cast<int64_t>(*options.memory_max)),
                                    sim::format_time(sim::Time{s.memory_exceeded_ns}), what.name,
                                    mib(s.use[static_cast<size_t>(what.id)].bytes))});
}

bool Run::advance(uint64_t budget) {
  Impl& m = *impl_;
  if (m.memory_hit) return true;
  if (m.options.max_events > 0) {
    const uint64_t done = m.sim.events_processed();
    if (done >= m.options.max_events) {
      m.limit_hit = m.sim.next_time() <= m.end;
      if (m.limit_hit) return true;
    }
    budget = std::min(budget, m.options.max_events - std::min(done, m.options.max_events));
    if (budget == 0) budget = 1;
  }
  bool reached = false;
  while (budget > 0 && !reached) {
    const uint64_t done = m.sim.events_processed();
    // Faults pinned to an event index apply between that event and the
    // next: the chunk stops there (the limit checks keep their own points).
    std::optional<uint64_t> pinned = m.nemesis->next_pinned();
    if (pinned && *pinned == done) {
      m.nemesis->apply_pinned(done);
      pinned = m.nemesis->next_pinned();
    }
    uint64_t chunk = std::min(budget, kEventsPerLimitCheck - done % kEventsPerLimitCheck);
    if (pinned) chunk = std::min(chunk, *pinned - done);
    reached = m.sim.run_until(m.end, chunk);
    budget -= std::min(budget, m.sim.events_processed() - done);
    const bool at_check = reached || m.sim.events_processed() % kEventsPerLimitCheck == 0;
    if (at_check && m.over_memory()) return true;
  }
  if (reached) return true;
  if (m.options.max_events > 0 && m.sim.events_processed() >= m.options.max_events) {
    m.limit_hit = true;
    m.trace.record(Record{m.sim.now().ns, RecordType::kLimit, 1, 0, 0, 0, m.sim.events_processed(), 0});
    return true;
  }
  return false;
}

RunResult Run::finish() {
  Impl& m = *impl_;
  ECSIM_ASSERT(!m.finished);
  m.finished = true;
  m.ping_stats.finish(m.sim.now());
  RunResult r;
  r.scenario = m.sc.name;
  if (m.options.plant != proto::Plant::kNone) r.plant = proto::plant_info(m.options.plant).name;
  r.file = m.sc.file;
  r.seed = m.seed;
  r.end = m.sim.now();
  r.event_limit_hit = m.limit_hit;
  r.events = m.sim.events_processed();
  r.faults_applied = m.nemesis->applied();
  r.net = m.network.stats();
  r.net_in_flight = m.network.in_flight();
  r.nodes = m.cluster.stats();
  // The counters reconcile (internal invariant): every message sent or
  // duplicated was delivered, dropped, or is on the wire or held in a
  // service queue -- and the network's held count is the queues' content.
  m.network.check_counters();
  ECSIM_ASSERT(r.net.held == m.cluster.held_messages());
  ECSIM_ASSERT(r.net.sent + r.net.duplicated == r.net.delivered + r.net.dropped() + r.net_in_flight);
  if (m.world) m.summarize_tiers(r);
  if (m.billing) m.summarize_billing(r);
  for (uint32_t w = 0; w < m.ping_stats.size(); ++w) {
    const workload::PingFigures& f = m.ping_stats.figures(w);
    r.workloads.push_back({m.ping_stats.label(w), f.sent, f.answered, f.lost, f.unsettled,
                           f.rtt_all.quantile(0.5), f.rtt_all.quantile(0.99), f.rtt_all.max(),
                           f.rtt.quantile(0.99), f.overdue});
  }
  m.judge(r);
  if (m.nemesis->has_pinned()) {
    // Replays of the viewer's actions: each applied after its event, at its time.
    const std::vector<std::string> problems = m.nemesis->pinned_problems();
    r.verdicts.push_back({"after_event", problems.empty(),
                          problems.empty() ? "every fault with after_event applied after its event, at its time"
                                           : fmt::format("{}", fmt::join(problems, "; "))});
  }
  if (m.billing_checker) {
    // The billing promises are judged on every run with a billing workload.
    for (const check::BillingChecker::Result& b : m.billing_checker->results()) {
      Verdict v{b.name, b.violations == 0, b.detail};
      v.vacuous = b.checked == 0;
      v.informational = b.checked == 0 && b.violations == 0;
      r.verdicts.push_back(std::move(v));
    }
  }
  if (m.cache_checker) {
    const check::BillingCacheChecker& c = *m.cache_checker;
    Verdict v{c.name(), c.violations() == 0, c.detail()};
    v.vacuous = c.checked() == 0;
    v.informational = c.checked() == 0 && c.violations() == 0;
    r.verdicts.push_back(std::move(v));
  }
  m.summarize_limits(r);
  if (m.options.invariants_only) {
    // Figures, not promises: random faults may break them legitimately.
    for (Verdict& v : r.verdicts) {
      const bool figure = v.name.starts_with("latency_p99") || v.name.starts_with("throughput_min") ||
                          v.name == "served_ratio_min" || v.name == "min_delivered" ||
                          v.name == "recovers_within";
      if (figure) v.informational = true;
    }
  }
  r.points = proto::point_counts();
  // The three tiers run storage, RPC, msgq and the DSM; 2PC runs with a
  // billing workload; a ping run has none of them.
  for (const proto::PointInfo& p : proto::points()) {
    const bool twopc = proto::point_protocol(p.name) == "twopc";
    r.points_in_scope[static_cast<size_t>(p.point)] = m.world != nullptr && (!twopc || m.billing != nullptr);
  }
  const auto by_node = proto::point_counts_by_node();
  r.points_by_node.assign(by_node.begin(), by_node.end());
  r.node_names = m.names;
  r.records = m.trace.count();
  r.hashed = m.trace.hashing();
  r.trace_hash = r.hashed ? m.trace.hash() : 0;
  if (m.trace_file) m.trace_file->close(r.records, r.trace_hash);
  return r;
}

void Run::apply_pinned() {
  Impl& m = *impl_;
  const uint64_t done = m.sim.events_processed();
  const std::optional<uint64_t> pinned = m.nemesis->next_pinned();
  if (pinned && *pinned == done) m.nemesis->apply_pinned(done);
}

tiers::NodeSnapshot Run::snapshot(net::NodeId n, const tiers::SnapshotLimits& limits) const {
  ECSIM_ASSERT(n < impl_->cluster.size());
  return tiers::node_snapshot(impl_->cluster, n, limits);
}

const net::VectorClock* Run::node_clock(net::NodeId n) const {
  ECSIM_ASSERT(n < impl_->cluster.size());
  return tiers::node_clock(impl_->cluster, n);
}

RunResult run_scenario(const scenario::Scenario& scenario, const RunOptions& options) {
  Run run(scenario, options);
  while (!run.advance(UINT64_MAX)) {
  }
  return run.finish();
}

}  // namespace ecsim::run
