// Assembles a simulation from a validated Scenario (kernel, network, nodes,
// workload, fault schedule, checkers, optional trace file), runs it, and
// judges it against the scenario's `expect` block. The CLI, sweeps, benches
// and tests all go through here, so a seed's hash is the same everywhere.
#pragma once
#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "ecsim/net/network.hpp"
#include "ecsim/node/cluster.hpp"
#include "ecsim/proto/plant.hpp"
#include "ecsim/proto/points.hpp"
#include "ecsim/scenario/scenario.hpp"
#include "ecsim/sim/histogram.hpp"
#include "ecsim/sim/limits.hpp"
#include "ecsim/sim/trace.hpp"
#include "ecsim/tiers/snapshot.hpp"

namespace ecsim::tiers {
class SendObserver;
}
namespace ecsim::proto::twopc {
class LogObserver;
}

namespace ecsim::run {

struct RunOptions {
  std::optional<uint64_t> seed;          // overrides the scenario's
  std::optional<sim::Duration> until;    // overrides the scenario's duration
  std::string trace_path;                // empty: no trace file
  uint64_t max_events = 0;               // 0: no limit
  // The bytes the model may account for itself (sim/limits.hpp): beyond,
  // the run stops with the failed verdict `limit: STRUCTURE`. Unset: the
  // scenario's `memory_max`, else sim::kMemoryMaxDefault (4 GiB).
  std::optional<uint64_t> memory_max;
  // false (`run --no-hash`): records are counted and offered to the checkers
  // but not hashed. REQUIRES: no trace_path (a trace file ends with the hash).
  bool hashing = true;
  // A planted bug switched on for this run (proto/plant.hpp).
  proto::Plant plant = proto::Plant::kNone;
  // Under --swarm only invariants are judged: latency, throughput and
  // served-ratio expectations are reported but cannot fail the run.
  bool invariants_only = false;
  // Extra readers of the trace (the viewer's collector), added before the
  // run's own checkers and before the first record. They only read: the
  // records, their order and the hash are the same with or without them.
  // Not owned; each must outlive the run.
  std::vector<sim::TraceObserver*> observers;
  // A reader of every message a tier node sends, body included (the
  // viewer's exact 2PC attribution, tiers/send_observer.hpp). Like the
  // observers it only reads: records and hash are the same with or
  // without it. Not owned; it must outlive the run.
  tiers::SendObserver* send_observer = nullptr;
  // A reader of every entry a 2PC machine appends to its log, with its
  // transaction (the viewer's exact WAL attribution, proto/twopc.hpp
  // LogObserver). It only reads, like the above. Not owned.
  proto::twopc::LogObserver* twopc_log_observer = nullptr;
};

struct Verdict {
  std::string name;    // "durability", "served_ratio_min", ...
  bool ok = true;
  std::string detail;  // measured value against the bound, or the violation
  // Reported only (a figure under --swarm): never fails the run.
  bool informational = false;
  // An invariant that found nothing to judge (no restart to check, no
  // request of the kind): it fails, saying so, except under --swarm, where
  // the sweep counts on how many seeds each invariant judged something.
  bool vacuous = false;
};

struct WorkloadSummary {
  std::string label;  // "ping edge->core"
  uint64_t sent = 0;
  uint64_t answered = 0;
  uint64_t lost = 0;
  uint64_t unsettled = 0;
  // Over every ping sent (lost ones at the timeout); ok_p99 of answered ones.
  int64_t p50_ns = 0;
  int64_t p99_ns = 0;
  int64_t max_ns = 0;
  int64_t ok_p99_ns = 0;
  uint64_t overdue = 0;  // of unsettled: older than any answered ping, counted as not served
};

// The three tiers' client-side figures (runs with a `requests` workload).
// The percentiles count every request (tiers::TierFigures says how a failed
// or unanswered one counts); the `ok_` ones only the ok answers, and the
// `judged_` ones the requests outside the excluded fault windows.
struct TierRow {
  std::string label;  // "edge" (cache hits, refusals), "core" (via core), "cloud" (quorum ops at core)
  uint64_t requests = 0;
  uint64_t ok = 0;
  uint64_t refused = 0;
  uint64_t failed = 0;     // lost ones included
  uint64_t lost = 0;       // never answered, counted at the client's timeout
  uint64_t unsettled = 0;  // unanswered at the end, counted at their age
  uint64_t excluded = 0;   // begun inside an excluded fault window
  double throughput_per_s = 0;  // ok per simulated second
  int64_t p50_ns = 0, p95_ns = 0, p99_ns = 0, max_ns = 0;
  int64_t ok_p99_ns = 0;
  uint64_t judged = 0;
  int64_t judged_p99_ns = 0;
  uint64_t overdue = 0;  // of unsettled: older than any ok answer, counted as not served (tiers::TierFigures)
};

struct TierLoad {
  uint32_t cpu_permille_max = 0;  // the busiest node's busiest second
  uint64_t refused = 0;           // work refused by full service queues
};

// One restart of an edge node and its rehydration (tier_node.hpp).
struct EdgeRehydration {
  std::string node;
  int64_t crash_ns = -1;  // the crash before the restart; -1: unknown
  int64_t restart_ns = 0;
  bool finished = false;
  int64_t duration_ns = 0;  // restart -> every key fetched or given up (when finished)
  uint32_t keys = 0;
  uint32_t fetched = 0;
  uint32_t given_up = 0;
  // Edge cache lookups of this node in the whole seconds of [crash - 5 s,
  // crash) and [restart, restart + 5 s).
  uint64_t hits_before = 0, misses_before = 0;
  uint64_t hits_after = 0, misses_after = 0;
  double hit_ratio_before() const;
  double hit_ratio_after() const;
};

// One restart of a cloud replica and its catch-up.
struct CloudCatchUp {
  std::string node;
  int64_t restart_ns = 0;
  bool caught_up = false;
  int64_t catch_up_ns = 0;  // caught_up_at - restart (when caught up)
  bool superseded = false;  // crashed again before the end (or before catching up)
};

// Edge -> core RPC over the whole run (crashed nodes' counters included).
struct RpcSummary {
  uint64_t calls = 0;
  uint64_t ok = 0;
  uint64_t failed = 0;
  uint64_t timeouts = 0;  // attempts that timed out
  uint64_t retries = 0;
  uint64_t shed = 0;  // attempts refused at once: the destination's waiting queue was full (edge shedding)
  uint64_t resets = 0;  // attempts cut by a connection reset (a core crashed or was cut off)
  uint64_t unreachable = 0;      // calls refused at once: their core was suspected (circuit breaker)
  uint64_t cores_suspected = 0;  // times an edge's circuit breaker opened for a core
  uint64_t connections_opened = 0;
  uint64_t connections_reused = 0;  // requests sent at once on an idle pooled connection
  uint64_t handshake_messages = 0;  // both directions
  uint64_t duplicates_absorbed = 0; // retries a core answered from its cache or was still executing
  uint64_t refused_stale = 0;       // requests a core refused: it ran the call and evicted the answer
  uint32_t open_connections = 0;    // at the end
};

// One node's client traffic (a node with clients: a requests workload's
// `at`), for `throughput_min` and the summary.
struct NodeThroughput {
  std::string node;
  uint64_t offered = 0;   // requests its clients sent it (also while it was down)
  uint64_t served = 0;    // of those, answered ok
  int64_t window_ns = 0;  // its clients' sending time: from 0 to their latest `until`, or the end
  double offered_per_s() const;
  double served_per_s() const;
};

// The forged writes of the byzantine `cloud_direct_write` fault and the
// `edge_isolation` verdict's figures (check/edge_isolation.hpp).
struct ForgedWriteSummary {
  bool present = false;  // the fault is in the scenario or edge_isolation is expected
  uint64_t sent = 0;
  uint64_t refused = 0;     // refused by a replica as not from core
  uint64_t lost = 0;        // dropped before a replica handled them
  uint64_t in_flight = 0;   // in the network or a service queue at the end
  uint64_t unanswered = 0;  // delivered, neither refused nor applied (a violation)
  uint64_t applied = 0;     // accepted by a replica (a violation; includes non-core writes that were not forged)
  uint64_t refusals = 0;    // not-from-core refusal records of the replicas (a duplicated copy counts twice)
  // The replicas' own not-from-core refusal counters, summed over the cloud
  // nodes up at the end (a counter starts again at 0 when its node restarts).
  uint64_t replica_counters = 0;
  uint64_t not_sent = 0;    // beyond the checker's bound, not sent
  uint64_t versions_checked = 0;      // (replica, key) pairs at the end
  uint64_t non_core_versions = 0;     // of those, written by a node that is not a core node
};

// DSM UPDATEs through reliable messaging over the whole run.
struct MsgqSummary {
  uint64_t accepted = 0;
  uint64_t refused = 0;  // the sender's pending queue was full
  uint64_t sent = 0;     // first transmissions
  uint64_t resent = 0;
  uint64_t acked = 0;
  uint64_t delivered = 0;   // handed to the DSM (once each)
  uint64_t duplicates = 0;  // suppressed at the receiver
  uint64_t pending = 0;     // accepted and not ACKed at the end
};

struct TierSummary {
  bool present = false;
  RpcSummary rpc;
  MsgqSummary msgq;
  TierLoad load[3];  // by tier
  std::vector<TierRow> rows;
  uint64_t hits = 0;
  uint64_t misses = 0;
  uint64_t lost = 0;       // never answered (lost in a crashed edge), past the timeout
  uint64_t answered_late = 0;  // answered after the client's timeout: counted as failed
  uint64_t unsettled = 0;  // still waiting at the end
  uint64_t stale_reads = 0;
  uint64_t staleness_versions_max = 0;
  int64_t staleness_ns_max = 0;
  int64_t staleness_ns_p99 = 0;
  std::vector<std::pair<std::string, uint64_t>> refusals;  // by reason
  uint64_t causality_sends = 0;
  uint64_t causality_receives = 0;
  std::vector<EdgeRehydration> rehydrations;
  std::vector<CloudCatchUp> catch_ups;
  uint64_t acked_keys_checked = 0;
  std::vector<NodeThroughput> throughput;  // nodes with clients, in node order
  ForgedWriteSummary forged;
};

// The billing transactions of a run with a billing workload (issue 11, item
// 8): from the clients' side (tiers/billing.hpp), and the time participants
// spent in doubt (from the trace: a YES vote until the participant learnt
// the decision).
struct BillingSummary {
  bool present = false;
  uint64_t operations = 0;
  uint64_t transactions = 0;  // write operations sent by clients
  uint64_t committed = 0;
  uint64_t aborted = 0;
  std::vector<std::pair<std::string, uint64_t>> aborted_by;  // reasons with a count, in Reason order
  // The coordinators' decisions, from the trace (a retry's duplicate abort
  // included): commits, and aborts by reason.
  uint64_t decided_commit = 0;
  std::vector<std::pair<std::string, uint64_t>> decided_abort_by;
  // Decided ABORT because a participant's vote never came (it was down or
  // cut off): the availability price of a unanimous vote.
  uint64_t participant_down = 0;
  uint64_t unknown = 0;  // answered "unknown" (a retry whose first run was undecided)
  uint64_t failed = 0;   // no answer in time (late answers included)
  uint64_t refused = 0;  // token or RBAC
  uint64_t unsettled = 0;
  uint64_t reads = 0;
  uint64_t reads_ok = 0;
  // expect.billing.served_ratio_min's counts (tiers::BillingFigures):
  // committed, aborted for a business rule, or a read answered; and of
  // `unsettled`, those over twice as old as every served answer (not served).
  uint64_t served = 0;
  uint64_t aborted_by_rule = 0;  // of `aborted` and `served`
  uint64_t overdue = 0;
  // What the served ratio is over: all but the refused (a correct answer)
  // and what was still under way at the end without being overdue.
  uint64_t settled() const { return operations - refused - (unsettled - overdue); }
  // By kind, [0] transactions, [1] reads (tiers::BillingFigures).
  std::array<uint64_t, 2> kind_served{};
  std::array<uint64_t, 2> kind_settled{};
  // Over every transaction (failed ones at the client's timeout).
  int64_t latency_p50_ns = 0;
  int64_t latency_p99_ns = 0;
  int64_t read_latency_p99_ns = 0;
  uint64_t in_doubt = 0;  // participant YES votes that were resolved
  int64_t in_doubt_p99_ns = 0;
  int64_t in_doubt_max_ns = 0;
  uint64_t in_doubt_open = 0;  // YES votes still unresolved at the end
  // Each 2PC machine's log and tables (twopc.wal truncations and
  // billing.end_log): what must stay flat over a long run. Node order.
  struct Log {
    std::string node;
    bool coordinator = false;
    uint64_t peak_entries = 0;  // the log's high-water marks over the run
    uint64_t peak_bytes = 0;
    uint64_t entries = 0;  // at the end
    uint64_t bytes = 0;
    uint64_t locks = 0;
    uint64_t remembered = 0;  // outcomes remembered for retries
  };
  std::vector<Log> logs;
  // The edge billing cache (only with it on; docs/twopc.md).
  struct Cache {
    bool on = false;
    uint64_t served = 0;        // reads answered from an edge cache
    uint64_t filled = 0;
    uint64_t fill_refused = 0;  // raced an invalidation or a flush, or not cacheable
    uint64_t flushes = 0;
    uint64_t invals_sent = 0;      // msgq messages, one per edge and commit
    uint64_t invals_refused = 0;   // msgq's queue was full
    uint64_t invals_received = 0;  // keys delivered to edges
    uint64_t invals_dropped = 0;   // of those, entries an edge held and dropped
  };
  Cache cache;
};

// A named limit that the run reached (sim/limits.hpp), for the summary.
struct LimitSummary {
  std::string name;  // "network.in_flight"
  std::string unit;  // what the limit counts
  uint64_t max = 0;
  uint64_t reached = 0;     // times
  int64_t first_ns = 0;     // the first reach
  std::string first_node;   // where (empty when it is not a node's)
};

struct RunResult {
  std::string scenario;
  std::string plant;  // the planted bug's name, empty for none
  std::string file;
  uint64_t seed = 0;
  sim::Time end{0};
  bool event_limit_hit = false;
  uint64_t events = 0;
  uint64_t records = 0;
  uint64_t faults_applied = 0;
  net::NetworkStats net;
  // Messages on the wire or waiting in a receiver's service queue at the
  // end: sent + duplicated = delivered + dropped + net_in_flight.
  uint64_t net_in_flight = 0;
  node::ClusterStats nodes;
  std::vector<WorkloadSummary> workloads;
  TierSummary tiers;
  BillingSummary billing;
  std::vector<Verdict> verdicts;
  // How often each protocol point was reached, by proto::Point (code probes).
  proto::PointCounts points{};
  // Which points belong to protocols this run has (a ping run has none of
  // them, a run without a billing workload no 2PC): a sweep names only
  // those of its runs as unreached.
  std::array<bool, proto::kPointCount> points_in_scope{};
  // The same by node (node id order), and the nodes' names.
  std::vector<proto::PointCounts> points_by_node;
  std::vector<std::string> node_names;
  // The limits reached, in sim::Resource order, and the model's accounted
  // memory: its peak, the maximum, and what held the most at the peak
  // resource by resource.
  std::vector<LimitSummary> limits;
  int64_t memory_bytes_peak = 0;
  uint64_t memory_max = 0;
  // Where memory_max came from: "--memory-max" (the option), "memory_max"
  // (the scenario's key) or "default" (neither: 4 GiB).
  std::string memory_max_from;
  std::vector<std::pair<std::string, int64_t>> memory_peaks;  // resources with bytes, by name
  bool memory_limit_hit = false;
  uint64_t trace_hash = 0;
  bool hashed = true;  // false under RunOptions::hashing false: trace_hash is meaningless
  bool ok() const;  // every verdict held and the run was not cut short
};

class Run {
 public:
  // THROWS scenario::LoadError if the scenario fails scenario::validate (or
  // options.until is out of its range), sim::TraceFileError if the trace
  // file cannot be created.
  Run(const scenario::Scenario& scenario, const RunOptions& options);
  ~Run();
  Run(const Run&) = delete;
  Run& operator=(const Run&) = delete;

  // Dispatches up to `budget` events. Returns true when the run is over
  // (the end time was reached or --max-events hit).
  bool advance(uint64_t budget);
  // Settles statistics, runs the checkers' verdicts, closes the trace file.
  // REQUIRES: advance() returned true. Call once.
  RunResult finish();

  sim::Simulator& simulator();
  sim::Time end_time() const;

  // Applies the faults pinned after the events dispatched so far (what the
  // next advance() would do first), so that a caller stopping the run at
  // an event index sees them applied, as the trace records them: the
  // records of a fault pinned after event N belong to event N.
  void apply_pinned();
  // The viewer's read-only look at node `n`'s internals now
  // (tiers/snapshot.hpp); never used by verdicts. REQUIRES: n is a node.
  tiers::NodeSnapshot snapshot(net::NodeId n, const tiers::SnapshotLimits& limits) const;
  // Node `n`'s vector clock now; nullptr when it is down or has none.
  const net::VectorClock* node_clock(net::NodeId n) const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Runs to the end in one go.
RunResult run_scenario(const scenario::Scenario& scenario, const RunOptions& options);

// The words that name a memory maximum by where it came from
// (RunResult::memory_max_from), for the `limit` verdict and the summary:
// "--memory-max", "the scenario's memory_max", "the default memory maximum".
std::string_view memory_max_words(std::string_view from);

}  // namespace ecsim::run
