// The billing domain as the three tiers carry it (issue 11): its initial
// state, traced at t = 0 so that checkers judge balances, money and number
// ownership from the trace alone (DESIGN: check/ reads trace records only);
// the placement of accounts and numbers on the cloud groups; and the
// client side of the billing workload (requests, their outcomes, the
// summary's figures), which lives outside the nodes like the request
// workload's clients, so its figures survive crashes.
//
// Placement: account s lives on the cloud group key_group(billing_key(s)),
// number n on key_group(number_key(n) | kBillingKeyBit); every replica
// starts with the whole domain, but only the groups a transaction involves
// take part in it, so a group is the authority on its own accounts and
// numbers (its copies of others may be stale: they can only make it vote NO).
#pragma once
#include <array>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "ecsim/net/envelope.hpp"
#include "ecsim/node/cluster.hpp"
#include "ecsim/proto/twopc_participant.hpp"
#include "ecsim/sim/histogram.hpp"
#include "ecsim/sim/simulator.hpp"
#include "ecsim/sim/trace.hpp"
#include "ecsim/workload/billing.hpp"

namespace ecsim::tiers {

// kRecordBillingAccount: a subscriber's account at t = 0: a = subscriber,
// b = balance in minor units.
inline constexpr auto kRecordBillingAccount = static_cast<sim::RecordType>(80);
// kRecordBillingNumber: a phone number at t = 0: a = number, b = its owner.
inline constexpr auto kRecordBillingNumber = static_cast<sim::RecordType>(81);
// kRecordBillingStart: a billing client sent an operation to an edge node:
// node = the edge node, kind = workload::BillingKind, a = client txn id,
// b = the subscriber who asks.
inline constexpr auto kRecordBillingStart = static_cast<sim::RecordType>(82);
// kRecordBillingEnd: how it ended for its client: node = the edge node,
// code = BillingEnd, kind = workload::BillingKind, a = client txn id, b =
// latency in ns (a failure at the client's timeout).
inline constexpr auto kRecordBillingEnd = static_cast<sim::RecordType>(83);
// kRecordBillingRead: a read answered to a client: node = the edge node,
// code = 1 balance / 2 number owner, kind = 1 found, a = the account or
// number, b = the value (balance, or owner).
inline constexpr auto kRecordBillingRead = static_cast<sim::RecordType>(84);
// kRecordBillingOp: what the client asked for, traced with billing.start:
// node = the edge node, code = workload::BillingKind, peer = from, kind =
// to, a = client txn id, b = amount (debit, transfer, top-up) or number (port,
// number_owner).
inline constexpr auto kRecordBillingOp = static_cast<sim::RecordType>(85);
// The billing end state, traced once when a billing run ends, at the end
// time, cloud replicas by node id: kRecordBillingEndNode (node, code 1 up /
// 0 down: a down replica's state is not traced), then for an up one every
// account (kRecordBillingEndBalance: node, a = subscriber, b = balance) and
// every number (kRecordBillingEndOwner: node, a = number, b = owner).
inline constexpr auto kRecordBillingEndNode = static_cast<sim::RecordType>(86);
inline constexpr auto kRecordBillingEndBalance = static_cast<sim::RecordType>(87);
inline constexpr auto kRecordBillingEndOwner = static_cast<sim::RecordType>(88);
// kRecordBillingEndLog: the size of each up node's 2PC state at the end
// (what must stay flat over a long run): node, code = 1 coordinator / 2
// participant, kind = log entries kept, peer = locks held, a = log bytes
// kept, b = outcomes remembered.
inline constexpr auto kRecordBillingEndLog = static_cast<sim::RecordType>(90);
// kRecordBillingCache (edge billing cache, docs/twopc.md): node = the edge
// node, code = CacheEvent, kind = 1 balance / 2 number owner, a = the
// subscriber or number, b = the value (served, filled); flushed: a = entries.
inline constexpr auto kRecordBillingCache = static_cast<sim::RecordType>(95);
// kRecordBillingInval: code 1 sent (node = core, peer = edge, a = txn, b =
// msgq seq), 2 received (node = edge, peer = core, a = txn, b = key, kind =
// 1 when it dropped an entry), 3 refused by msgq (node = core, peer = edge,
// a = txn).
inline constexpr auto kRecordBillingInval = static_cast<sim::RecordType>(96);
enum class CacheEvent : uint16_t {
  kServed = 1,   // a read answered from the cache: the promise the freshness checker judges
  kFilled = 2,
  kFillRefused = 3,  // raced an invalidation or a flush, or not cacheable
  kFlushed = 4,
};
enum class BillingEnd : uint16_t {
  kCommitted = 1,  // a transaction committed, or a read answered
  kAborted = 2,
  kUnknown = 3,    // the outcome was not known (retry on another core still undecided)
  kFailed = 4,     // no answer: core unreachable, the edge down or overloaded, a timeout
  kRefused = 5,    // the token or RBAC check failed at the edge
  kLate = 6,       // answered after the client's timeout: a failure to the client
  kUnsettled = 7,  // still waiting at the end of the run, younger than the timeout
};

class Billing;

// The edge billing cache (docs/twopc.md, "Edge billing cache"): off with
// entries_max 0. A value is served only while the edge is in sync with
// every core within `staleness_max`, the bound on how stale a served value
// may be.
struct BillingCacheConfig {
  uint32_t entries_max = 0;
  sim::Duration staleness_max{0};
  bool on() const { return entries_max > 0; }
};

// Records the initial state of `config`'s domain at time 0: every account
// in subscriber order, then every number in number order.
// REQUIRES: config.validate() is "".
void trace_billing_state(sim::Trace& trace, const workload::BillingConfig& config);

// Traces the billing end state of the cloud replicas (see above).
class World;
void trace_billing_end_state(const Billing& billing, const World& world, const node::Cluster& cluster,
                             sim::Simulator& sim);

// The cloud group holding account `subscriber`, and number `number`.
uint32_t account_group(uint64_t subscriber, size_t groups);
uint32_t number_group(uint64_t number, size_t groups);
// A 2PC lock key's group (proto::twopc::account_key, number_key): the
// participants' ParticipantConfig::key_group.
uint32_t lock_key_group(uint64_t lock_key, size_t groups);

// An abort that answers the client's request (a business rule said no:
// insufficient funds, no such account or number, not the number's owner,
// an invalid operation), as against one for the system's own reasons (a
// lock, a full table or disk, a participant that did not vote, a retry).
bool billing_answer_abort(proto::twopc::Reason reason);

// A billing operation as a client sends it to its edge node.
struct BillingRequest {
  uint64_t client_txn = 0;
  workload::BillingOp op;
  std::string token;
  sim::Time start{0};
  sim::Time deadline{0};
  net::NodeId edge = 0;
  // Its index among the scenario's billing workloads, or kNoWorkload for an
  // operation of the viewer's (tiers/actions.hpp): no workload's seconds.
  uint32_t workload = 0;
  static constexpr uint32_t kNoWorkload = UINT32_MAX;
};

// The summary's billing figures.
struct BillingFigures {
  uint64_t operations = 0;  // sent by clients, transactions and reads
  uint64_t transactions = 0;
  uint64_t committed = 0;
  uint64_t aborted = 0;
  std::array<uint64_t, proto::twopc::kReasonKinds> aborted_by{};  // proto::twopc::Reason
  uint64_t unknown = 0;
  uint64_t failed = 0;   // transactions with no answer (or a late one)
  uint64_t refused = 0;  // token or RBAC
  uint64_t reads = 0;
  uint64_t reads_ok = 0;
  uint64_t unsettled = 0;  // still waiting at the end, younger than the timeout
  // Served (expect.billing.served_ratio_min): committed, aborted for a
  // business rule (billing_answer_abort), or a read answered.
  uint64_t served = 0;
  uint64_t aborted_by_rule = 0;  // of `aborted` (and `served`): a business rule's answer
  int64_t served_max_ns = 0;     // the longest a served operation took
  // Of `unsettled`: waiting over twice served_max_ns at the end, so
  // counted as not served (workload/overdue.hpp).
  uint64_t overdue = 0;
  // By the second an operation began: {served, settled} as the served ratio
  // counts them (expect.billing.recovers_within, run/recovery.hpp).
  std::vector<std::vector<std::array<uint64_t, 2>>> by_second;  // per billing workload (as World's)
  std::vector<int64_t> incomplete_from;  // per billing workload (as World::incomplete_from)
  // The same counts by kind, [0] transactions, [1] reads: each must be
  // served at served_ratio_min (reads answered do not cover aborted writes).
  std::array<uint64_t, 2> kind_served{};
  std::array<uint64_t, 2> kind_settled{};
  // Over every transaction sent: committed or aborted at its answer, a
  // failure at the client's timeout, an unsettled one at its age at the end.
  sim::Histogram txn_latency;
  sim::Histogram read_latency;
};

class Billing {
 public:
  // `client_timeout`: the longest timeout of a billing client, until which
  // it may retry a transaction id (the participants remember outcomes
  // twice that, at least 30 s).
  Billing(sim::Simulator& sim, workload::BillingConfig config, size_t cloud_groups,
          sim::Duration client_timeout, BillingCacheConfig cache = {});

  const workload::BillingConfig& config() const { return config_; }
  size_t cloud_groups() const { return groups_; }
  const BillingCacheConfig& cache() const { return cache_; }
  // The participant machine's configuration at a replica of cloud group
  // `group`: that group's accounts and numbers only.
  proto::twopc::ParticipantConfig replica_config(uint32_t group) const;
  // How long every 2PC machine remembers a decided outcome: twice the
  // longest client timeout (a client retries an id until then), at least 30 s.
  sim::Duration outcome_retention() const;
  // How often a participant in doubt asks its coordinator: every
  // participant's, and the billing checker's loss allowance (one value).
  static sim::Duration query_interval() { return proto::twopc::ParticipantConfig{}.query_interval; }

  void started(const BillingRequest& r);
  // A transaction's outcome or a read's answer reached the client at `at`.
  void transaction_done(const BillingRequest& r, proto::twopc::Outcome outcome, proto::twopc::Reason reason,
                        sim::Time at);
  void read_done(const BillingRequest& r, bool found, uint64_t value, sim::Time at);
  void failed(const BillingRequest& r, sim::Time at);
  void refused(const BillingRequest& r, sim::Time at);
  // Settles what never got an answer: past the timeout lost, else unsettled.
  void finish(sim::Time end);
  const BillingFigures& figures() const { return figures_; }

 private:
  struct Outstanding {
    int64_t start_ns = 0;
    int64_t deadline_ns = 0;
    net::NodeId edge = 0;
    workload::BillingKind kind{};
    uint32_t workload = 0;
  };
  // False (and counted as late) when the client had given up by `at`.
  bool settle(const BillingRequest& r, sim::Time at);
  void served(const BillingRequest& r, sim::Time at);
  // One more settled operation begun at `start`, served or not.
  void count_second(const BillingRequest& r, bool served);
  void end(const BillingRequest& r, BillingEnd e, int64_t latency_ns);

  sim::Simulator& sim_;
  workload::BillingConfig config_;
  size_t groups_;
  sim::Duration client_timeout_;
  BillingCacheConfig cache_;
  std::map<uint64_t, Outstanding> outstanding_;  // by client txn
  BillingFigures figures_;
};

}  // namespace ecsim::tiers
