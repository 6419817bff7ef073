// The edge billing cache's promise (docs/twopc.md, "Edge billing cache"),
// judged from trace records only:
//
// - billing_cache_freshness: every value an edge served from its cache
//   (billing.cache, served) was the committed value of that account or
//   number at some cloud replica at a time no earlier than the read's time
//   minus `staleness_max` (the bound the scenario sets, by default two
//   msgq resend timeouts).
//
// The checker rebuilds each replica's committed state from the initial
// state (billing.account, billing.number) and the operations the clients
// asked for (billing.op), applied as each replica commits them
// (twopc.participant, committed), and remembers for every value an account
// or number held when the last replica stopped holding it. A replica that
// is down is taken to hold what it held when it went down (which can only
// make the checker more lenient, never raise a false alarm).
//
// Memory: the domain's initial state and each replica's changes to it, per
// account or number every value it held, the writes the clients asked for
// and each replica's commits, all accounted (check.billing.history, with
// the billing checker's).
#pragma once
#include <cstdint>
#include <map>
#include <set>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "ecsim/sim/limits.hpp"
#include "ecsim/sim/trace.hpp"

namespace ecsim::check {

class BillingCacheChecker final : public sim::TraceObserver {
 public:
  // `replicas`: per node, whether it is a cloud replica.
  // REQUIRES: staleness_max_ns > 0.
  BillingCacheChecker(std::vector<std::string> names, std::vector<bool> replicas, int64_t staleness_max_ns);
  void on_record(const sim::Record& r) override;
  std::span<const sim::RecordType> record_types() const override;
  void finish();

  const std::string& name() const { return name_; }
  uint64_t checked() const { return checked_; }
  uint64_t violations() const { return violations_; }
  const std::string& detail() const { return detail_; }

 private:
  struct Op {
    uint16_t kind = 0;  // workload::BillingKind
    uint64_t from = 0;
    uint64_t to = 0;
    uint64_t value = 0;  // amount, or number
  };
  void committed(uint32_t node, uint64_t client_txn, int64_t at_ns);
  // Replica `node`'s value of `key` becomes `value` at `at_ns`.
  void set(uint32_t node, uint64_t key, uint64_t value, int64_t at_ns);
  void served(const sim::Record& r);
  // Sets the accounted bytes from the sizes of the tables that grow with the run.
  void account();

  std::string name_ = "billing_cache_freshness";
  std::vector<std::string> names_;
  std::vector<uint32_t> replicas_;  // the cloud nodes in id order: three by three a group
  // Whether replica `node` holds `key` (its group owns it: tiers::lock_key_group).
  bool holds(uint32_t node, uint64_t key) const;
  int64_t staleness_max_ns_;
  std::map<uint64_t, uint64_t> initial_;  // by key (2PC lock key): balance or owner
  std::map<uint64_t, Op> ops_;            // by client txn
  std::map<uint32_t, std::map<uint64_t, uint64_t>> state_;  // per replica, the values that differ from initial_
  uint64_t state_entries_ = 0;                               // over every replica, for the accounting
  std::set<std::pair<uint64_t, uint32_t>> applied_;         // (client txn, replica): a replay applies nothing
  // Per key and value: how many replicas hold it now, and when the last
  // one stopped holding it.
  std::map<std::pair<uint64_t, uint64_t>, uint32_t> holders_;
  std::map<std::pair<uint64_t, uint64_t>, int64_t> retired_ns_;
  uint64_t checked_ = 0;
  uint64_t violations_ = 0;
  std::string detail_;
  sim::Accounted bytes_{sim::Resource::kBillingHistory};
};

}  // namespace ecsim::check
