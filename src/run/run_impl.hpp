// The inside of a run (run::Run::Impl), shared by the files that build it
// (runner.cpp: assembly) and judge it (judge.cpp: summaries and verdicts).
// Private to src/run/.
#pragma once
#include "ecsim/run/runner.hpp"

#include <array>
#include <map>
#include <tuple>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "ecsim/check/acked_writes.hpp"
#include "ecsim/check/billing.hpp"
#include "ecsim/check/billing_cache.hpp"
#include "ecsim/check/catch_up.hpp"
#include "ecsim/check/causality.hpp"
#include "ecsim/check/convergence.hpp"
#include "ecsim/check/durability.hpp"
#include "ecsim/check/end_state.hpp"
#include "ecsim/check/exactly_once.hpp"
#include "ecsim/check/promises.hpp"
#include "ecsim/check/edge_isolation.hpp"
#include "ecsim/fault/byzantine.hpp"
#include "ecsim/fault/nemesis.hpp"
#include "ecsim/scenario/windows.hpp"
#include "ecsim/tiers/billing.hpp"
#include "ecsim/tiers/actions.hpp"
#include "ecsim/tiers/billing_clients.hpp"
#include "ecsim/tiers/clients.hpp"
#include "ecsim/tiers/end_state.hpp"
#include "ecsim/tiers/tier_node.hpp"
#include "ecsim/scenario/selector.hpp"
#include "ecsim/sim/trace_file.hpp"
#include "ecsim/proto/vclock.hpp"
#include "ecsim/run/recovery.hpp"
#include "network_plan.hpp"
#include "ecsim/version.hpp"
#include "ecsim/workload/ping.hpp"
#include "ecsim/workload/billing.hpp"
#include "ecsim/workload/requests.hpp"

namespace ecsim::run {

using scenario::Fault;
using sim::Record;
using sim::RecordType;

// The nodes a selector names. REQUIRES: it resolves (the loader checks).
std::vector<net::NodeId> resolve(const scenario::Topology& t, const scenario::Selector& s);
// The time each participant spent in doubt: from its YES vote (its PREPARED
// durable) until it learnt the decision (committed or aborted there), per
// (participant, txn), across its restarts. Memory: the unresolved votes.
class InDoubtMeter final : public sim::TraceObserver {
 public:
  void on_record(const sim::Record& r) override;
  std::span<const sim::RecordType> record_types() const override;
  const sim::Histogram& resolved() const { return resolved_; }
  size_t open() const { return open_.size(); }
  // The coordinators' decisions (twopc.coordinator decided commit / abort),
  // aborts by proto::twopc::Reason: what the clients may not all have heard.
  uint64_t decided_commit() const { return decided_commit_; }
  const std::array<uint64_t, proto::twopc::kReasonKinds>& decided_abort() const { return decided_abort_; }
  // Per node with a 2PC machine, in node order: its log's high-water marks
  // (twopc.wal truncations, and its size at the end) and its end state.
  std::vector<BillingSummary::Log> logs(const std::vector<std::string>& names) const;
  // The edge billing cache's records (billing.cache, billing.inval).
  const BillingSummary::Cache& cache() const { return cache_; }

 private:
  BillingSummary::Cache cache_;
  struct NodeLog {
    bool seen = false;
    BillingSummary::Log log;
  };
  std::vector<NodeLog> logs_;  // by node id
  NodeLog& log_of(uint32_t node);
  std::map<std::pair<uint32_t, uint64_t>, int64_t> open_;  // (node, txn) -> YES time
  sim::Histogram resolved_;
  uint64_t decided_commit_ = 0;
  std::array<uint64_t, proto::twopc::kReasonKinds> decided_abort_{};
};

// The generator's configuration of a validated billing workload.
workload::BillingConfig billing_config(const scenario::BillingWorkload& w);

// A verdict over nothing: it fails, saying so (never a pass with nothing
// checked, never a figure like "p99 0ms").
Verdict nothing_to_judge(std::string name, const std::string& detail);
// part / whole >= min exactly, in integers of 10^-12 (the loader keeps
// ratios to that precision). REQUIRES: whole > 0, 0 <= min <= 1.
bool ratio_at_least(uint64_t part, uint64_t whole, double min);

// Per node: whether it is a cloud replica (the catch_up checker's nodes).
inline std::vector<bool> cloud_nodes(const scenario::Scenario& s) {
  const size_t nodes = scenario::node_names(s.topology).size();
  std::vector<bool> cloud(nodes);
  for (uint32_t n = 0; n < nodes; ++n) cloud[n] = scenario::node_tier(s.topology, n) == scenario::Tier::kCloud;
  return cloud;
}

// Keeps each node's highest CPU sample from the per-second load records.
struct LoadWatcher final : sim::TraceObserver {
  std::vector<uint32_t> cpu_max;      // per node, the busiest sample (permille)
  std::vector<uint64_t> cpu_sum;      // per node, the sum of its samples (permille)
  std::vector<uint32_t> cpu_samples;  // per node, how many samples
  explicit LoadWatcher(size_t nodes) : cpu_max(nodes, 0), cpu_sum(nodes, 0), cpu_samples(nodes, 0) {}
  std::span<const sim::RecordType> record_types() const override {
    static constexpr sim::RecordType kTypes[] = {sim::RecordType::kLoad};
    return kTypes;
  }
  void on_record(const sim::Record& r) override {
    if (r.type != sim::RecordType::kLoad || r.node >= cpu_max.size()) return;
    const auto cpu = static_cast<uint32_t>(r.a >> 32);
    cpu_max[r.node] = std::max(cpu_max[r.node], cpu);
    cpu_sum[r.node] += cpu;
    ++cpu_samples[r.node];
  }
};

// Hands each at_point fault's window to the World when the fault's record
// says it fired: `latency_p99.outside_faults` leaves out the requests begun
// in it, as it does for the windows of timed faults.
struct PointWindowWatcher final : sim::TraceObserver {
  const scenario::Scenario& sc;
  tiers::World& world;
  sim::Time end;
  sim::Duration margin;
  PointWindowWatcher(const scenario::Scenario& s, tiers::World& w, sim::Time e, sim::Duration m)
      : sc(s), world(w), end(e), margin(m) {}
  std::span<const sim::RecordType> record_types() const override {
    static constexpr sim::RecordType kTypes[] = {sim::RecordType::kFault};  // the only records point_window reads
    return kTypes;
  }
  void on_record(const sim::Record& r) override {
    if (r.type != sim::RecordType::kFault) return;
    if (auto w = scenario::point_window(sc, r, end, margin)) world.exclude_window(*w);
  }
};

// Collects the windows of the at_point faults that fired (crashes and
// cuts), for `recovers_within`: their time is known only then. As for a
// timed crash never restarted, a crash without `for` ends its window at the
// reach; a cut without `for` lasts until a heal, like a partition. At most
// one window per at_point fault (each fires once).
struct PointCrashWindows final : sim::TraceObserver {
  const scenario::Scenario& sc;
  sim::Time end;
  std::vector<sim::TimeWindow> windows;
  PointCrashWindows(const scenario::Scenario& s, sim::Time e) : sc(s), end(e) {}
  std::span<const sim::RecordType> record_types() const override {
    static constexpr sim::RecordType kTypes[] = {sim::RecordType::kFault};  // the only records point_window reads
    return kTypes;
  }
  void on_record(const sim::Record& r) override {
    if (r.type != sim::RecordType::kFault) return;
    if (auto w = scenario::point_window(sc, r, end, sim::Duration{0}, scenario::Unrestarted::kAtCrash)) {
      ECSIM_ASSERT(windows.size() < sc.faults.size());
      windows.push_back(*w);
    }
  }
};

struct Run::Impl {
  // First: the plant is on, and the protocol points count for this run,
  // while anything of the run exists.
  proto::PlantScope plant_scope;
  proto::PointScope point_scope;
  const scenario::Scenario& sc;
  RunOptions options;
  const char* memory_max_from;  // RunResult::memory_max_from
  uint64_t seed;
  sim::Time end;
  std::vector<std::string> names;
  sim::Trace trace;
  std::unique_ptr<sim::TraceFileWriter> trace_file;
  // Declared before the cluster: the tier nodes report to it as they are destroyed.
  std::unique_ptr<tiers::World> world;
  // The billing domain and client side (with a billing workload); the tier
  // nodes hold a pointer to it.
  std::unique_ptr<tiers::Billing> billing;
  sim::Simulator sim;
  // Before every structure that accounts bytes or reaches a limit, after
  // the simulator whose trace and clock it uses.
  sim::LimitScope limit_scope;
  net::Network network;
  workload::PingStats ping_stats;
  std::vector<std::vector<workload::PingRole>> roles;  // per node
  node::Cluster cluster;
  check::DurabilityChecker durability;
  check::CausalityChecker causality;
  // The end state the tiers trace when a tier run ends (tiers/end_state.hpp):
  // what acknowledged_writes, edge_isolation and convergence compare.
  check::EndState end_state;
  check::CatchUpChecker catch_up;  // `catch_up`, from restart and catch-up records
  std::unique_ptr<check::ExactlyOnceChecker> exactly_once;  // when `exactly_once` is expected of a tier run
  // `convergence`: DSM activity (any DSM record) and the network's health,
  // for the quiescence rule.
  struct DsmWatcher final : sim::TraceObserver {
    check::Quiescence quiescence;
    sim::Time last_activity{0};
    sim::Time last_set{0};  // the last client write: what anti-entropy then spreads
    std::span<const sim::RecordType> record_types() const override {
      static constexpr sim::RecordType kTypes[] = {proto::dsm::kRecordDsm};
      return kTypes;
    }
    void on_record(const Record& r) override {
      if (r.type != proto::dsm::kRecordDsm) return;
      last_activity = std::max(last_activity, sim::Time{r.time_ns});
      if (r.code == static_cast<uint16_t>(proto::dsm::Event::kSet)) last_set = sim::Time{r.time_ns};
      quiescence.on_dsm_activity(sim::Time{r.time_ns});
    }
  };
  std::unique_ptr<DsmWatcher> dsm_watcher;  // set when `convergence` is expected of a tier run
  std::unique_ptr<tiers::Clients> clients;
  std::unique_ptr<tiers::BillingClients> billing_clients;
  std::unique_ptr<tiers::Actions> actions;  // with a dsm_set, dsm_get or billing entry in the schedule
  std::unique_ptr<InDoubtMeter> in_doubt;  // with a billing workload
  std::unique_ptr<check::BillingChecker> billing_checker;  // with a billing workload
  std::unique_ptr<check::BillingCacheChecker> cache_checker;  // with the edge billing cache on
  std::unique_ptr<LoadWatcher> load_watcher;
  std::unique_ptr<PointWindowWatcher> point_windows;
  std::unique_ptr<PointCrashWindows> point_crashes;  // set when `recovers_within` is expected
  // The byzantine strategies and the forged writes' follower (with the
  // `cloud_direct_write` fault or `edge_isolation`).
  std::unique_ptr<check::ForgedWrites> forged;
  std::unique_ptr<fault::Byzantine> byzantine;
  std::unique_ptr<fault::Nemesis> nemesis;
  // The promise checkers, each when the scenario expects its invariant.
  std::unique_ptr<check::AckedDurability> acked_durability;
  std::unique_ptr<check::AtMostOnce> at_most_once;
  std::unique_ptr<check::BadTokens> bad_tokens;
  // A tier run's invariant verdicts by name, for judge() to report the
  // expected ones in the scenario's order.
  std::map<std::string, Verdict> tier_verdicts;
  // What each invariant's checker had to judge (checks made, restarts seen,
  // requests of the kind): 0 makes its verdict vacuous.
  std::map<std::string, uint64_t> judged;
  bool limit_hit = false;
  bool memory_hit = false;  // the accounted memory went over options.memory_max
  bool finished = false;
  // `o` with its memory maximum resolved: the option, else the scenario's
  // `memory_max`, else the default. The trace header records the result, so
  // a replay needs neither.
  static RunOptions with_memory_max(RunOptions o, const scenario::Scenario& s) {
    if (!o.memory_max) o.memory_max = s.memory_max.value_or(sim::kMemoryMaxDefault);
    return o;
  }
  // Where the maximum came from (RunResult::memory_max_from), in the same
  // order of precedence. A replay sets the option from the trace header, so
  // it names "--memory-max"; it prints no verdicts.
  static const char* memory_max_source(const RunOptions& o, const scenario::Scenario& s) {
    if (o.memory_max) return "--memory-max";
    return s.memory_max ? "memory_max" : "default";
  }
  Impl(const scenario::Scenario& s, const RunOptions& o)
      : plant_scope(o.plant),
        sc(s),
        options(with_memory_max(o, s)),
        memory_max_from(memory_max_source(o, s)),
        seed(o.seed.value_or(s.seed)),
        end(sim::Time{0} + o.until.value_or(s.duration)),
        names(scenario::node_names(s.topology)),
        trace(o.hashing),
        sim(seed, trace),
        limit_scope(sim, *options.memory_max),
        network(sim, names),
        cluster(sim, network, names,
                [this](net::NodeId n) -> std::unique_ptr<node::Actor> {
                  if (world) return tiers::make_tier_node(*world, n, billing.get());
                  return std::make_unique<workload::PingActor>(ping_stats, roles[n]);
                }),
        durability(names),
        causality(names),
        catch_up(cloud_nodes(s), names, network_plan(s, names.size())) {
    proto::count_points_by_node(names.size());
    for (sim::TraceObserver* reader : o.observers) trace.add_observer(reader);
    trace.add_observer(&durability);
    trace.add_observer(&end_state);
    trace.add_observer(&catch_up);
    if (!s.requests.empty()) configure_tiers();
    if (!o.trace_path.empty()) open_trace_file();
    if (billing) tiers::trace_billing_state(trace, billing->config());  // t = 0, into the file too
    configure_links();
    configure_workload();
    schedule_faults();
    cluster.boot();
  }

  void open_trace_file();

  void configure_links();

  // The three-tier model: every node runs its tier's node (tiers::make_tier_node);
  // clients attach to the `at` nodes of each requests workload.
  static tiers::TierParams tier_params(const scenario::ModelPatch& m);

  void configure_tiers();
  void configure_billing();
  void summarize_billing(RunResult& r);
  // expect.billing: the served ratio and the latencies the billing clients saw.
  void billing_verdicts(RunResult& r) const;

  void summarize_tiers(RunResult& r);

  // Per node, the longest its service queue may hold a message
  // (tiers::TierParams::service_wait_max), at least `floor_ns`.
  std::vector<int64_t> service_waits(int64_t floor_ns) const;

  // The promise checkers (check/promises.hpp) that the scenario asked for.
  void promise_verdicts();

  // A tier's p99 over every request its clients issued (failures at their
  // timeout), or over those begun outside the fault windows when the
  // scenario says `outside_faults`; leaving out more than 20 % fails.
  Verdict latency_verdict(const TierRow& x, sim::Duration bound) const;

  // RPC and msgq over the whole run (tiers::protocol_totals).
  void summarize_protocols(RpcSummary& rpc, MsgqSummary& mq);

  // Edge rehydrations, cloud catch-ups and the acknowledged writes.
  void summarize_restarts(RunResult& r);

  // acknowledged_writes, from the traced end state: a quorum of the cloud
  // replicas (up: their memory; down: their log) holds every acknowledged
  // version.
  Verdict acked_writes_verdict(TierSummary& t);

  // Offered and served client requests per node with clients, over the time
  // its clients were sending, and the `throughput_min` verdicts.
  void summarize_throughput(RunResult& r);
  // The `utilisation_max` verdicts, from the load samples.
  void summarize_utilisation(RunResult& r);

  // Every selected node must be offered and serve at least tm.per_s. The
  // detail names the worst node: the lowest of its two rates, among the
  // failing nodes when there are any.
  static Verdict throughput_verdict(const scenario::ThroughputMin& tm, const std::vector<const NodeThroughput*>& nodes);

  // edge_isolation: every forged write was refused (or lost on the way, or
  // still in flight at the end), none applied, and no replica holds a
  // version written by a node that is not a core node.
  Verdict edge_isolation_verdict(ForgedWriteSummary& out);

  void configure_workload();

  // The fault schedule goes to the nemesis (fault/); the run keeps only
  // what the verdicts need: the network's health for `convergence`.
  void schedule_faults();

  bool expects(std::string_view invariant) const;

  // DSM UPDATEs through msgq: each delivered at most once per receiver
  // incarnation, and none lost (check/exactly_once.hpp says when an
  // undelivered message is lost and when it is still in flight).
  Verdict exactly_once_verdict();

  // Every up node's DSM replica against the others (from the traced end
  // state), once the system is quiet.
  Verdict convergence_verdict();

  // `recovers_within` (run/recovery.hpp) over the schedule's fault windows.
  // `name` (recovers_within, billing.recovers_within) over `by_second`: per
  // workload, the operations by the second they began, {served, settled}.
  // Each workload is judged on its own; the verdict holds when every one
  // judged does. `incomplete_from`: per workload, the start of the earliest
  // operation still waiting at the end and left out (INT64_MAX: none).
  Verdict recovery_verdict(const std::string& name, sim::Duration within,
                           const std::vector<std::vector<std::array<uint64_t, 2>>>& by_second,
                           const std::vector<int64_t>& incomplete_from) const;

  void judge(RunResult& r);
  // Polls the sizes the runner accounts itself (the event queue); true when
  // the run must stop at the memory maximum.
  bool over_memory();
  void summarize_limits(RunResult& r);
  Verdict vacuity(Verdict v) const;
};


}  // namespace ecsim::run
