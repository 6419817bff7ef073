// What the three tiers share and what sits outside them: the payload pool,
// the node roles, the model parameters, and the clients (open-loop request
// generators attached to edge nodes) with their client-side measurements.
// Clients live outside the nodes, like real subscribers, so their figures
// survive crashes.
#pragma once
#include <array>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "ecsim/node/cluster.hpp"
#include "ecsim/proto/auth.hpp"
#include "ecsim/proto/storage.hpp"
#include "ecsim/sim/histogram.hpp"
#include "ecsim/sim/slot_pool.hpp"
#include "ecsim/tiers/edge_cache.hpp"
#include "ecsim/tiers/messages.hpp"
#include "ecsim/tiers/payload_pool.hpp"
#include "ecsim/tiers/send_observer.hpp"
#include "ecsim/workload/requests.hpp"

namespace ecsim::tiers {

enum class Role : uint8_t { kEdge, kCore, kCloud };

// Model parameters (docs/model.md says where each number comes from).
struct TierParams {
  size_t cache_capacity = 20000;                         // entries per edge node
  sim::Duration cache_ttl = sim::seconds(5);             // older entries are refetched
  sim::Duration edge_service = sim::microseconds(300);   // a cache hit's own work
  // Edge -> core RPC (proto/rpc): per attempt timeout, retries on the same
  // core, then the next core, up to core_attempts_max cores; pooled
  // connections per core (TLS when the link has it).
  sim::Duration core_timeout = sim::milliseconds(200);
  uint32_t core_retries_max = 1;
  uint32_t core_attempts_max = 2;
  uint32_t rpc_pool_size = 32;
  uint32_t rpc_pool_warm = 8;  // connections per core opened at start
  // A handshake no call waits on (warm-up, or its call timed out) is given
  // up when it is this old.
  sim::Duration rpc_handshake_timeout = sim::milliseconds(100);
  // After a partition reset its connections to a core, an edge node does
  // not call that core for this long (after a crash: until it restarts).
  sim::Duration core_suspect = sim::seconds(1);
  // Recovery rules (docs/model.md, "Recovery"); `model.recovery: false`
  // turns them off to show the collapse they prevent. Per edge node: a
  // retry budget of `retry_budget_permille` thousandths of a retry per call
  // (at most `retry_budget_max` saved), spent by every retry or move to the
  // next core whose failed attempt had sent its request; per edge node and
  // core, at most `rpc_pool_size` new connections at once and
  // `connect_rate_per_s` a second after that; at most `rpc_queue_max` calls
  // waiting for a connection, more refused at once (shed at the edge); and
  // a freed connection serves the newest waiting call once the oldest has
  // used half its timeout (adaptive LIFO).
  bool recovery = true;
  // A vector clock rides on every message (DESIGN: a scenario can switch
  // them off): false sends none, ticks none and traces no clock records.
  bool vector_clocks = true;
  uint32_t retry_budget_permille = 200;
  uint32_t retry_budget_max = 100;
  uint32_t connect_rate_per_s = 256;
  uint32_t rpc_queue_max = 64;
  sim::Duration storage_timeout = sim::milliseconds(300);
  uint32_t storage_retries_max = 2;
  std::string secret = "ecsim-shared-secret";
  sim::Duration token_lifetime = sim::seconds(3600);
  sim::Duration dsm_anti_entropy = sim::milliseconds(500);
  // DSM UPDATEs go through reliable messaging (proto/msgq): ACKed, resent
  // after this long until ACKed, processed once per receiver.
  sim::Duration dsm_resend_timeout = sim::seconds(5);
  // Per peer, the seqs on the wire span at most this many (msgq's sliding
  // window): a lost UPDATE holds the window until its resend, so at 5 s per
  // resend a peer drains at most window / 5 s messages under heavy loss.
  uint32_t dsm_window = 256;
  // msgq's settings for a DSM sender in incarnation `epoch`. With the
  // recovery rules its resends back off with jitter from its own stream, up
  // to msgq::resend_timeout_max_for(dsm_resend_timeout); without them they
  // come every dsm_resend_timeout (docs/model.md, "Recovery").
  proto::msgq::SenderConfig msgq_sender(uint32_t epoch) const;
  // The longest wait between two transmissions of one DSM UPDATE.
  sim::Duration dsm_resend_interval_max() const { return msgq_sender(0).resend_timeout_max; }
  // Load model: cores per node and service time per unit of work, by tier.
  // A client request's service at the edge excludes the token check, which
  // is charged on top (proto::auth::verify_cost).
  uint32_t edge_cores = 2;
  sim::Duration edge_request_service = sim::microseconds(600);
  uint32_t core_cores = 4;
  sim::Duration core_request_service = sim::milliseconds(1);     // an edge request at core
  sim::Duration core_handshake_service = sim::microseconds(300);  // a TCP or TLS handshake flight at core
  sim::Duration core_storage_service = sim::microseconds(200);   // a quorum answer at core
  uint32_t cloud_cores = 4;
  sim::Duration cloud_storage_service = sim::microseconds(300);  // a storage request at cloud
  sim::Duration dsm_service = sim::microseconds(50);
  uint32_t queue_max = 2000;
  // The longest a message a node of role `r` admitted to its service queue
  // can wait there and be served (node::LoadProfile::wait_max). The
  // checkers that see a message delivered but not yet taken allow this much
  // at its receiver before they call it lost (docs/model.md).
  sim::Duration service_wait_max(Role r) const;
  // Edge rehydration (tier_node.hpp): after a restart an edge node fetches
  // this many of its hottest keys through core, at most
  // `rehydrate_outstanding_max` reads in flight; its hot-key snapshot is
  // persisted every `hot_snapshot_period`.
  uint32_t rehydrate_keys = 500;
  uint32_t rehydrate_outstanding_max = 32;
  sim::Duration hot_snapshot_period = sim::seconds(1);
  // A cloud replica checkpoints its log past 2 x its keys + this many
  // entries (proto/storage.hpp, "Checkpoints").
  uint64_t wal_slack = proto::storage::kWalSlackDefault;
};

// kRecordClientBadToken: how a request whose client sent a bad token ended,
// as the client saw it (the `tokens` verdict): node = the edge node it was
// sent to, code = Outcome (or kBadTokenUnsettled), kind = workload::BadToken,
// a = request id, b = the subscriber it targets. Traced when the outcome is
// known, just before the request's kRecordClientEnd; for requests lost or
// still open at the end, when the run ends.
inline constexpr auto kRecordClientBadToken = static_cast<sim::RecordType>(31);
// kRecordClientBadToken's code for a request still open when the run ended.
inline constexpr uint16_t kBadTokenUnsettled = 3;
// kRecordCoreSuspected: an edge node's circuit breaker opened for a core
// (the summary's `cores_suspected`): node = the edge node, peer = the core,
// code = 1 until the core restarts (it crashed), 2 for `core_suspect` (a
// partition reset the connections), a = the run's suspicions so far.
inline constexpr auto kRecordCoreSuspected = static_cast<sim::RecordType>(34);
// The client side and the edge's cache, one record per event the summary
// counts, so that every one of its client figures reconciles with the trace
// (tests/scenario/counters_reconcile.sh):
// kRecordClientStart: a client sent a request to an edge node (up or not;
// the node's `offered`): node = the edge node, kind = workload::RequestKind,
// a = request id.
inline constexpr auto kRecordClientStart = static_cast<sim::RecordType>(35);
// kRecordClientEnd: how that request ended for its client (the tier rows):
// node = the edge node, kind = the row (ServedBy: 0 edge, 1 core), code =
// ClientEnd, a = request id, b = the latency the row counts, in ns. Lost
// and unsettled requests are traced when the run ends, in request id order.
inline constexpr auto kRecordClientEnd = static_cast<sim::RecordType>(36);
enum class ClientEnd : uint16_t {
  kOk = 0,
  kRefused = 1,
  kFailed = 2,
  kLate = 3,       // answered after the client's timeout: failed
  kLost = 4,       // never answered, past the timeout at the end: failed
  kUnsettled = 5,  // still waiting at the end, younger than the timeout
};
// kRecordEdgeLookup: an edge cache lookup of a client read: node = the edge
// node, code = 1 hit, 0 miss (or older than the TTL).
inline constexpr auto kRecordEdgeLookup = static_cast<sim::RecordType>(37);
// kRecordStaleRead: a read answered with a version older than the newest
// acknowledged one (StalenessMeter): node = the edge node, a = key, b = ns
// behind, kind = versions behind (capped at 2^32 - 1).
inline constexpr auto kRecordStaleRead = static_cast<sim::RecordType>(38);
// kRecordRehydration: node = the restarted edge node, code = 1 started (a =
// hot keys to fetch) or 2 done (a = fetched, b = given up).
inline constexpr auto kRecordRehydration = static_cast<sim::RecordType>(39);
// kRecordCloudOp (66, after the end-state records' numbers): a quorum
// operation at core ended (the cloud row): node = the core, code = 1 ok,
// 0 failed, b = its latency in ns.
inline constexpr auto kRecordCloudOp = static_cast<sim::RecordType>(66);

// Message kinds served through the load model; a client request at the edge
// is admitted as this kind.
inline constexpr uint32_t kKindClient = 13;
// The load profile of a node of role `r` under `p`.
node::LoadProfile load_profile(Role r, const TierParams& p);

// A client's request as the edge receives it.
struct ClientRequest {
  uint64_t id = 0;
  workload::RequestKind kind{};
  uint64_t subscriber = 0;
  uint64_t key = 0;
  uint64_t value = 0;
  std::string token;
  sim::Time start{0};
  net::NodeId edge = 0;  // the node the client sent it to (an edge node)
  // The client gives up then: an answer after it is a failure to the client.
  sim::Time deadline = sim::Time::max();
  workload::BadToken bad_token = workload::BadToken::kNone;  // what the client did to its token
  uint64_t tracked = 0;  // the World's slot for it (client_started); 0: not tracked
  uint32_t workload = 0;  // its index among the scenario's requests workloads
};

// How a request ended, as the client saw it.
enum class Outcome : uint8_t { kOk, kRefused, kFailed };
// Which tier answered: a hit or a refusal at the edge, or via core.
enum class ServedBy : uint8_t { kEdge, kCore };

// A tier's client-side figures. `latency` counts every request the client
// issued (DESIGN: percentiles over everything the client asked): an ok
// answer or a refusal at the time it came, a failure (an error, a refusal
// for overload, an answer after the timeout, a request lost in a crashed
// node) at the client's timeout, a request still unanswered at the end at
// its age then. `latency_ok` is the ok-only figure, shown beside it.
// `judged` is `latency` without the requests begun inside an excluded
// window (World::exclude_windows), which `excluded` counts.
struct TierFigures {
  uint64_t requests = 0;
  uint64_t ok = 0;
  uint64_t refused = 0;
  uint64_t failed = 0;
  uint64_t lost = 0;       // of `failed`: never answered, past the timeout at the end
  uint64_t unsettled = 0;  // still waiting at the end, younger than the timeout
  // Of `unsettled`: waiting over twice as long as any request answered ok
  // took (in either row; workload/overdue.hpp), so counted as not served by the served ratios
  // (served_ratio_min, recovers_within): a client timeout longer than
  // the time left must not hide a request nothing was going to answer.
  uint64_t overdue = 0;
  uint64_t excluded = 0;
  sim::Histogram latency;
  sim::Histogram latency_ok;
  sim::Histogram judged;
};


// One rehydration of a restarted edge node, as the node reported it.
struct RehydrationRecord {
  net::NodeId node = 0;
  sim::Time started{0};  // the restart
  uint32_t keys = 0;     // hot keys in the snapshot found on disk
  uint32_t fetched = 0;  // answered by core and put in the cache (found or not)
  uint32_t given_up = 0;
  bool done = false;
  sim::Time done_at{0};
};

// Edge homing (docs/model.md, "Scale"): an edge node calls, and pools
// connections to, at most kHomeCoresMax cores: with that many cores or
// fewer, all of them in id order (the reference design's cluster, as
// before); with more, kHomeCoresMax consecutive cores (wrapping) starting
// where its share of the core tier begins, so every core is home to about
// as many edge nodes. `edge_index`: the node's place among the edge nodes.
inline constexpr size_t kHomeCoresMax = 4;
std::vector<net::NodeId> home_cores(const std::vector<net::NodeId>& cores, size_t edge_index, size_t edges);

class World final : public node::PayloadOwner {
 public:
  World(std::vector<Role> roles, TierParams params);

  const TierParams& params() const { return params_; }
  Role role(net::NodeId n) const { return roles_[n]; }
  const std::vector<net::NodeId>& nodes(Role r) const { return by_role_[static_cast<size_t>(r)]; }
  PayloadPool<Carried>& pool() { return pool_; }
  // The viewer's read-only observer of every message sent (send_observer.hpp);
  // nullptr: none. Not owned.
  void set_send_observer(SendObserver* o) { send_observer_ = o; }
  SendObserver* send_observer() const { return send_observer_; }
  // The viewer's read-only observer of every entry a 2PC machine appends to
  // its log (proto/twopc.hpp); nullptr: none. Not owned.
  void set_twopc_log_observer(proto::twopc::LogObserver* o) { twopc_log_observer_ = o; }
  proto::twopc::LogObserver* twopc_log_observer() const { return twopc_log_observer_; }
  // Clock storage handed back by receivers and reused by senders, so that
  // attaching a clock to a message allocates nothing in the steady state.
  // At most kSpareClocksMax are kept; beyond that a clock is freed.
  static constexpr size_t kSpareClocksMax = 256;
  net::VectorClock spare_clock() {
    if (spare_clocks_.empty()) return {};
    net::VectorClock c = std::move(spare_clocks_.back());
    spare_clocks_.pop_back();
    return c;
  }
  void recycle_clock(net::VectorClock&& c) {
    if (spare_clocks_.size() >= kSpareClocksMax) return;
    c.entries.clear();
    spare_clocks_.push_back(std::move(c));
  }

  // node::PayloadOwner
  void on_discard(const net::Envelope& e) override;
  void on_copy(const net::Envelope& e) override;

  // Where the client outcomes of bad-token requests are traced (the
  // clients' simulator). REQUIRES: called before the first request.
  void set_simulator(sim::Simulator* sim) { sim_ = sim; }

  // Client side.
  // Tracks `r` until it ends (sets r.tracked). At kOutstandingMax requests
  // not yet ended the request is not tracked: it fails at once, counted
  // (outstanding_refused()).
  void client_started(ClientRequest& r);
  // `at` may lie ahead of now (an answer after a fixed service time).
  void client_done(const ClientRequest& r, Outcome outcome, ServedBy by, sim::Time at);
  // The request went on from its edge node to core: if it is never
  // answered, it counts in the core row.
  void client_forwarded(const ClientRequest& r);
  // Client requests not yet ended that the World follows at most (a slot
  // table grown on demand): 4 M, an hour of a crashed edge node's 1 000/s.
  static constexpr uint32_t kOutstandingMax = 1u << 22;
  uint64_t outstanding_refused() const { return outstanding_.refused(); }
  // Settles requests that never got an answer (lost in a crashed edge, or
  // still waiting at the end), each in the row of the tier that had it.
  void finish(sim::Time end);
  // Requests begun inside one of these windows are left out of `judged`.
  // REQUIRES: called before the first request; windows sorted by `from`.
  void exclude_windows(std::vector<sim::TimeWindow> windows);
  // One more such window, known only now (an at_point fault fired).
  // REQUIRES: no request begun at or after `w.from` has ended yet.
  void exclude_window(sim::TimeWindow w);
  uint64_t lost() const { return lost_; }
  // Answers that came after their client had given up (counted as failed).
  uint64_t answered_late() const { return answered_late_; }
  uint64_t unsettled() const { return unsettled_; }
  // Client requests sent to edge node `n` (offered, whether or not it was
  // up), and those of them answered ok (served), for `throughput_min`.
  uint64_t offered(net::NodeId n) const { return offered_[n]; }
  uint64_t served(net::NodeId n) const { return served_[n]; }
  // Client requests by the simulated second they began in: {answered ok,
  // settled (ok or failed, or overdue at the end: TierFigures::overdue)};
  // refused (bad token) and the other unsettled ones are left out, as in
  // `served_ratio_min`. For `recovers_within`; one entry a second.
  // Per requests workload (ClientRequest::workload), per second a request
  // began in: {served ok, settled}; a workload that settled nothing may be
  // missing from the end.
  const std::vector<std::vector<std::array<uint64_t, 2>>>& served_by_second() const { return by_second_; }
  // Per requests workload: the start of the earliest request finish() left
  // out of served_by_second (still waiting, not overdue); INT64_MAX: none, or
  // a workload missing from the end. The seconds before it are complete.
  const std::vector<int64_t>& incomplete_from() const { return incomplete_from_; }
  // A quorum read or write at core `n` completed (the cloud row): counted
  // and traced.
  void storage_op_done(net::NodeId n, sim::Duration latency, bool ok);
  const TierFigures& figures(ServedBy by) const { return figures_[static_cast<size_t>(by)]; }
  const TierFigures& cloud_figures() const { return cloud_; }
  StalenessMeter& staleness() { return staleness_; }
  // A read answered to a client by edge node `n` (from its cache or via
  // core): measured, and traced when stale.
  void read_answered(net::NodeId n, uint64_t key, Version version, sim::Time at);

  // Measurements for the summary (never read by the nodes' logic).
  void rehydration_started(net::NodeId n, sim::Time at, uint32_t keys);
  void rehydration_done(net::NodeId n, sim::Time at, uint32_t fetched, uint32_t given_up);
  const std::vector<RehydrationRecord>& rehydrations() const { return rehydrations_; }
  // An edge cache lookup of a client read, counted per node per second.
  void edge_lookup(net::NodeId n, bool hit, sim::Time at);
  // Hits and misses of node `n` in the whole seconds [from, to).
  std::pair<uint64_t, uint64_t> edge_lookups(net::NodeId n, sim::Time from, sim::Time to) const;
  // A write acknowledged to a client: the newest acknowledged version per
  // key (bounded by the key space).
  void write_acked(uint64_t key, proto::storage::Version v);
  const std::map<uint64_t, proto::storage::Version>& acked_writes() const { return acked_; }

  // RPC counters of nodes that crashed or were destroyed (the live ones are
  // the nodes').
  void add_rpc(const proto::rpc::ClientCounters& c, const proto::rpc::ServerCounters& s);
  const proto::rpc::ClientCounters& rpc_client_totals() const { return rpc_client_; }
  const proto::rpc::ServerCounters& rpc_server_totals() const { return rpc_server_; }
  // The same for reliable messaging (DSM UPDATEs).
  void add_msgq(const proto::msgq::SenderCounters& s, const proto::msgq::ReceiverCounters& r);
  const proto::msgq::SenderCounters& msgq_sender_totals() const { return msgq_sender_; }
  const proto::msgq::ReceiverCounters& msgq_receiver_totals() const { return msgq_receiver_; }
  // The same for the cloud replicas' refusals, by proto::storage::Refusal.
  void add_replica_refusals(const std::array<uint64_t, proto::storage::kRefusalKinds>& refused);
  const std::array<uint64_t, proto::storage::kRefusalKinds>& replica_refusal_totals() const {
    return replica_refused_;
  }
  // Connections edge nodes hold open to node `n` (they report the changes).
  void connections_changed(net::NodeId n, int64_t delta);
  uint32_t connections_to(net::NodeId n) const { return static_cast<uint32_t>(conns_in_[n]); }
  // Edge node `edge`'s circuit breaker opened for `core`: counted and traced.
  void core_suspected(sim::Trace& trace, sim::Time now, net::NodeId edge, net::NodeId core, bool until_restart);
  // Times an edge's circuit breaker opened for a core.
  uint64_t cores_suspected() const { return cores_suspected_; }

  uint64_t hits = 0;
  uint64_t misses = 0;
  std::array<uint64_t, proto::auth::kReasonCount> refusals{};

 private:
  std::vector<Role> roles_;
  std::array<std::vector<net::NodeId>, 3> by_role_;
  TierParams params_;
  PayloadPool<Carried> pool_;
  SendObserver* send_observer_ = nullptr;
  proto::twopc::LogObserver* twopc_log_observer_ = nullptr;
  std::vector<net::VectorClock> spare_clocks_;  // at most kSpareClocksMax
  std::array<TierFigures, 2> figures_;
  TierFigures cloud_;
  StalenessMeter staleness_{1u << 20};
  // A request that has not ended yet, for the ones never answered.
  struct Outstanding {
    uint64_t id = 0;  // the client request id
    int64_t start_ns = 0;
    int64_t deadline_ns = 0;
    ServedBy by = ServedBy::kEdge;
    workload::BadToken bad_token = workload::BadToken::kNone;
    net::NodeId edge = 0;
    uint64_t subscriber = 0;  // for a bad token's record
    uint32_t workload = 0;
  };
  void account(TierFigures& f, sim::Time start, int64_t latency_ns, bool ok);
  // Traces at the clients' simulator (none in unit tests without one).
  void trace(sim::RecordType type, uint16_t code, net::NodeId node, uint32_t kind, uint64_t a, uint64_t b);
  bool excluded(sim::Time start) const;
  sim::SlotPool<Outstanding> outstanding_{kOutstandingMax};  // by ClientRequest::tracked
  std::vector<sim::TimeWindow> excluded_windows_;
  sim::Simulator* sim_ = nullptr;
  uint64_t lost_ = 0;
  uint64_t answered_late_ = 0;
  uint64_t unsettled_ = 0;
  std::vector<uint64_t> offered_;  // per node
  std::vector<uint64_t> served_;   // per node
  std::vector<std::vector<std::array<uint64_t, 2>>> by_second_;  // per requests workload
  std::vector<int64_t> incomplete_from_;                         // per requests workload
  void count_second(uint32_t workload, sim::Time start, bool ok);
  std::vector<RehydrationRecord> rehydrations_;
  // Per node, per simulated second: {hits, misses}; grows with the run.
  std::vector<std::vector<std::array<uint64_t, 2>>> lookups_;
  std::map<uint64_t, proto::storage::Version> acked_;
  sim::Accounted acked_bytes_{sim::Resource::kAckedWrites};  // acked_, for --memory-max
  proto::rpc::ClientCounters rpc_client_;
  proto::rpc::ServerCounters rpc_server_;
  proto::msgq::SenderCounters msgq_sender_;
  proto::msgq::ReceiverCounters msgq_receiver_;
  std::array<uint64_t, proto::storage::kRefusalKinds> replica_refused_{};
  std::vector<int64_t> conns_in_;  // per node
  uint64_t cores_suspected_ = 0;
};

}  // namespace ecsim::tiers
