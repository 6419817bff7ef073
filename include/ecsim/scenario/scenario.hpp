// The validated value of a YAML scenario (docs/scenarios.md is the
// reference). The loader guarantees everything here is in range and
// consistent: node selectors resolve to at least one node, faults are sorted
// by time (at_point faults, which have no time, first), and no timed fault
// targets a node that is already down at that time.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "ecsim/net/link_config.hpp"
#include "ecsim/proto/points.hpp"
#include "ecsim/sim/time.hpp"

namespace ecsim::scenario {

inline constexpr int kTierCount = 3;
enum class Tier : uint8_t { kEdge = 0, kCore = 1, kCloud = 2 };
const char* tier_name(Tier t);  // "edge", "core", "cloud"

// Where a value came from in the YAML text, for error messages at run time.
struct Mark {
  int line = 0;    // 1-based; 0 = unknown
  int column = 0;  // 1-based
};

// A node selector as written: a name ("core-1"), a tier ("edge"), a glob
// ("cloud-*", '*' and '?' wildcards) or "*" (every node).
struct Selector {
  std::string text;
  Mark mark;
};

struct Topology {
  int edge = 3;
  int core = 2;
  int cloud = 3;
  int count(Tier t) const { return t == Tier::kEdge ? edge : t == Tier::kCore ? core : cloud; }
};

// A partial link setting: only the fields the YAML gave are set.
struct LinkPatch {
  std::optional<net::LatencyModel> latency;
  std::optional<uint32_t> drop_ppm;
  std::optional<uint32_t> duplicate_ppm;
  std::optional<bool> reorder;
  std::optional<bool> tls;
};

// Applies to every directed link from a node matching `between[0]` to one
// matching `between[1]`, and the reverse direction too.
struct LinkOverride {
  Selector between[2];
  LinkPatch patch;
};

// Every link starts from the built-in setting of its tier pair
// (builtin_link_config), then `network.default` is applied to all links, then
// each `network.links` entry in order.
struct Network {
  LinkPatch defaults;                   // `network.default`
  std::vector<LinkOverride> overrides;  // `network.links`
};
net::LinkConfig builtin_link_config(Tier a, Tier b);
void apply_patch(net::LinkConfig& config, const LinkPatch& patch);

// `ping`: every node matching `from` sends pings at `rate_per_s` (Poisson
// arrivals, per source node) to a node drawn uniformly from `to`, which
// answers with a pong. A ping unanswered after `timeout` counts as lost.
struct Workload {
  enum class Kind : uint8_t { kPing };
  Kind kind = Kind::kPing;
  Selector from;
  Selector to;
  uint64_t rate_per_s = 0;   // > 0
  uint32_t size_bytes = 128;  // request payload size, 1..1 MiB
  sim::Duration timeout{sim::seconds(1)};
  Mark mark;
};

// `requests`: open-loop clients attached to every node matching `at` (edge
// nodes) send requests at `rate_per_s` per node (Poisson), for subscribers
// drawn with Zipf(`zipf`) popularity (0 = uniform), in the given mix, with
// a fraction of bad tokens. A client gives up on a request after `timeout`.
struct RequestWorkload {
  Selector at;
  uint64_t rate_per_s = 0;              // > 0, per node
  uint64_t subscribers = 100000;        // 1..10,000,000
  // true: each node in `at` has its own `subscribers` (disjoint, in node
  // order: the i-th node's are i * subscribers + 1 ..); false: one population
  // shared by all of them.
  bool local_subscribers = false;
  double zipf = 1.1;                    // 0 (uniform) or 0.01..5
  uint32_t records_per_subscriber = 4;  // 1..1000
  uint32_t mix_session_check = 70;      // integer weights, sum > 0
  uint32_t mix_read = 20;
  uint32_t mix_write = 10;
  uint32_t mix_dsm_set = 0;
  uint32_t mix_dsm_get = 0;
  uint32_t bad_token_ppm = 0;           // `bad_tokens: 10%`
  sim::Duration timeout{sim::seconds(1)};
  uint64_t dsm_keys = 1024;             // DSM key space 0..dsm_keys-1; 1..65536
  std::optional<sim::Duration> until;   // clients send no request from this time on
  Mark mark;
};

// `billing` (issue 11): open-loop billing clients attached to every node
// matching `at` (edge nodes) send billing operations at `rate_per_s` per
// node (Poisson) over `subscribers` accounts that start with
// `initial_balance` minor units and `numbers_per_subscriber` phone numbers
// each (workload/billing.hpp), in the given mix, with amounts uniform in
// [amount_min, amount_max]. Its accounts are a key space of their own, apart
// from the requests workload's. A client gives up after `timeout`.
struct BillingWorkload {
  Selector at;
  uint64_t rate_per_s = 0;            // > 0, per node
  uint64_t subscribers = 1000;        // 2..2^20
  uint32_t numbers_per_subscriber = 1;  // 1..8
  int64_t initial_balance = 100000;   // minor units, 0..2^48
  int64_t amount_min = 100;           // minor units, 1..amount_max
  int64_t amount_max = 50000;
  uint32_t mix_debit = 40;            // integer weights, sum > 0
  uint32_t mix_transfer = 30;
  uint32_t mix_top_up = 10;
  uint32_t mix_port = 5;
  uint32_t mix_balance = 10;
  uint32_t mix_number_owner = 5;
  sim::Duration timeout{sim::seconds(2)};
  std::optional<sim::Duration> until;  // clients send nothing from this time on
  // `cache: {entries: N, staleness_max: D}`: the edge billing cache
  // (docs/twopc.md, "Edge billing cache"); 0 entries: off (the default).
  // staleness_max unset: twice the msgq resend timeout.
  uint32_t cache_entries = 0;
  std::optional<sim::Duration> cache_staleness_max;
  Mark mark;
};

struct Fault {
  enum class Kind : uint8_t {
    kCrash, kRestart, kPartition, kHeal, kDrop, kDelay, kDuplicate, kReorder, kByzantine, kAtPoint,
    // One-shot workload actions (the viewer's DSM and 2PC tabs record them;
    // docs/scenarios.md, "Actions"): no window, no `for`.
    kDsmSet, kDsmGet, kBilling,
    kTwopcVoteNo  // the 2PC tab's "make a participant vote NO"
  };
  // A billing action's operation, in the order of workload::BillingKind.
  enum class BillingOp : uint8_t { kDebit, kTransfer, kTopUp, kPort };
  // What a byzantine node does (`strategy:`). kCloudDirectWrite: an edge node
  // sends forged storage writes straight to the cloud replicas, bypassing
  // core, at `rate_per_s` (DESIGN: an edge node has no path to write cloud
  // storage; the replicas must refuse every one).
  enum class Strategy : uint8_t { kCloudDirectWrite };
  // What an at_point fault does at its reach (`do:`): kCrash stops the node
  // there (proto/points.hpp) and crashes it when its handler returns; kCut
  // partitions the node from every other node from that moment (its
  // handler runs on; what it sends from then on is lost to the partition).
  enum class PointAction : uint8_t { kCrash, kCut };
  static constexpr uint64_t kByzantineRatePerSDefault = 100;
  Kind kind = Kind::kCrash;
  sim::Time at{0};                            // 0 for at_point faults: they have no time
  std::optional<sim::Duration> for_duration;  // revert after this long
  Selector target;                            // crash, restart, byzantine (edge nodes only), at_point (one node)
  std::vector<std::vector<Selector>> groups;  // partition; "*" = every node not listed elsewhere
  // drop, delay, duplicate, reorder: the links between two selectors (both
  // directions); both "*" when `between` is absent.
  Selector between[2];
  uint32_t ppm = 0;                // drop, duplicate
  net::LatencyModel latency;       // delay
  Strategy strategy = Strategy::kCloudDirectWrite;                // byzantine
  uint64_t rate_per_s = kByzantineRatePerSDefault;                // byzantine: forged messages per node
  // at_point: act at the `nth` reach (>= 1, counted over the whole run, across
  // the node's restarts) of `point` by `target`; `for` restarts it after D.
  proto::Point point = proto::Point::kStorageReplicaAfterWalAppend;
  uint64_t nth = 1;
  PointAction action = PointAction::kCrash;
  // dsm_set, dsm_get (on the one node `target`): the key and the value set.
  uint64_t key = 0;
  uint64_t value = 0;
  // billing (at the one edge node `target`, as a billing client's operation):
  // `from` pays (debit, transfer) or gives the number away (port); `to`
  // receives (transfer, top-up) or gets the number (port).
  BillingOp op = BillingOp::kDebit;
  uint64_t from = 0;
  uint64_t to = 0;
  int64_t amount = 0;
  uint64_t number = 0;
  // twopc_vote_no (at the one billing participant `target`, an edge or cloud
  // node): its next `count` (>= 1) transactions vote NO (Reason::kForced).
  uint64_t count = 0;
  // `after_event: N` (a timed fault): the fault applies right after the
  // run's Nth event (0: before the first), between it and the next one,
  // instead of as an event of its own at `at`; `at` must then be the time of
  // event N (the run fails the verdict `after_event` otherwise). The viewer
  // records its actions this way, so a replay applies them at the same
  // point of the event order, not merely at the same time.
  std::optional<uint64_t> after_event;
  Mark mark;
};

// The one-shot workload actions: no window, nothing to revert.
inline bool is_action(Fault::Kind k) {
  return k == Fault::Kind::kDsmSet || k == Fault::Kind::kDsmGet || k == Fault::Kind::kBilling ||
         k == Fault::Kind::kTwopcVoteNo;
}
// The largest DSM key or value an action takes (2^53, exact in JSON too).
inline constexpr uint64_t kDsmActionValueMax = uint64_t{1} << 53;

// The largest `after_event` the loader accepts (2^53, exact in JSON too).
inline constexpr uint64_t kAfterEventMax = uint64_t{1} << 53;

// `throughput_min: { edge: 1000/s }`: every node the selector matches (nodes
// with clients) must be offered and serve at least `per_s` client requests
// per second over the time its clients were sending.
struct ThroughputMin {
  Selector nodes;
  uint64_t per_s = 0;  // > 0
};

// `expect.billing`: what the billing service promised its clients (only
// with a billing workload; docs/scenarios.md, "Billing service levels").
struct BillingExpect {
  // (0, 1]: operations served (committed, refused by a business rule, a read
  // answered) among those settled (the others: aborted for the system's own
  // reasons, unknown, failed, and unanswered ones over twice as old as every
  // served answer); operations refused for a token or RBAC are left out.
  std::optional<double> served_ratio_min;
  std::optional<sim::Duration> latency_p99;       // over every transaction
  std::optional<sim::Duration> read_latency_p99;  // over every read
  // 1s..1h: the billing operations' served ratio per second is back to its
  // level before the first fault this long after the last fault window
  // (the rule of Expect::recovers_within); only with a fault window.
  std::optional<sim::Duration> recovers_within;
  bool any() const { return served_ratio_min || latency_p99 || read_latency_p99 || recovers_within; }
};

struct Expect {
  // known: "durability", "causality", "convergence", "edge_isolation"
  std::vector<std::string> invariants;
  std::optional<double> served_ratio_min;    // 0..1, of settled pings and client requests (overdue ones counted)
  std::optional<sim::Duration> ping_latency_p99;  // `latency_p99: { ping: 10ms }`
  // `latency_p99: { edge: 10ms, core: 50ms, cloud: 200ms }`, client-observed
  // per tier (runs with a requests workload), indexed by Tier.
  std::optional<sim::Duration> tier_latency_p99[kTierCount];
  // `latency_p99: { ..., outside_faults: 2s }`: the tier figures leave out
  // the requests begun inside a fault's window or this long after it ends
  // (scenario::fault_windows); more than 20 % left out fails the expectation.
  std::optional<sim::Duration> latency_outside_faults;
  // `recovers_within: 5s`: the served ratio per second is back to its level
  // before the first fault (less 1 point) this long after the last fault
  // window ends (run/recovery.hpp). Required with a fault window on the tiers.
  std::optional<sim::Duration> recovers_within;
  // `utilisation_max: { core: 70% }`: every node of the tier keeps its mean
  // CPU utilisation over the run (its `load` samples) at or below this ratio
  // (0..1), indexed by Tier; only with a requests workload.
  std::optional<double> utilisation_max[kTierCount];
  std::optional<uint64_t> min_delivered;     // messages delivered
  std::vector<ThroughputMin> throughput_min;  // in the order written
  BillingExpect billing;
  // `convergence` is judged only after the network has been healed and no
  // DSM write or update in flight for this long before the end (0 < q <= 1h).
  sim::Duration quiescence{sim::seconds(2)};
  Mark mark;
};

// `model`: the three tiers' parameters a scenario may change (docs/model.md
// lists every parameter with its default and where the number comes from);
// what is not set keeps its default. Only runs with a `requests` workload.
struct ModelPatch {
  std::optional<uint64_t> cache_capacity;        // edge_cache.capacity
  std::optional<sim::Duration> cache_ttl;        // edge_cache.ttl
  std::optional<sim::Duration> rpc_timeout;      // rpc.timeout: per attempt
  std::optional<uint32_t> rpc_retries;           // rpc.retries: on the same core
  std::optional<uint32_t> rpc_cores_tried;       // rpc.cores_tried
  std::optional<uint32_t> rpc_pool_size;         // rpc.pool_size: connections per core
  std::optional<uint32_t> rpc_pool_warm;         // rpc.pool_warm: opened at start
  std::optional<sim::Duration> rpc_handshake_timeout;  // rpc.handshake_timeout
  std::optional<sim::Duration> resend_timeout;   // messaging.resend_timeout
  std::optional<uint32_t> window;                // messaging.window
  std::optional<uint32_t> cores[kTierCount];     // cores.edge / core / cloud
  std::optional<uint32_t> rpc_retry_budget_percent;  // rpc.retry_budget: retries per 100 calls
  std::optional<bool> recovery;                  // recovery: the retry budget, connection rate limit, shedding
  std::optional<bool> vector_clocks;             // vector_clocks: a clock rides on every message (default true)
  std::optional<uint64_t> wal_slack;             // storage.wal_slack: entries past 2 x keys before a checkpoint
  Mark mark;
};

struct Scenario {
  std::string name;
  std::string description;
  std::string file;  // path as given, or "<quickstart>"
  std::string text;  // the YAML source, stored in trace headers
  uint64_t seed = 1;
  sim::Duration duration{0};
  Topology topology;
  Network network;
  std::vector<Workload> workload;          // kind: ping
  std::vector<RequestWorkload> requests;   // kind: requests
  std::vector<BillingWorkload> billing;    // kind: billing (beside a requests workload)
  std::vector<Fault> faults;  // sorted by `at`, stable
  Expect expect;
  ModelPatch model;
  // `memory_max`: the bytes the model may account for itself
  // (sim/limits.hpp); --memory-max overrides it, 4 GiB when neither is given.
  std::optional<uint64_t> memory_max;
};

}  // namespace ecsim::scenario
