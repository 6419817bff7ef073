// The billing promises (issue 11, item 7), judged from trace records only
// (DESIGN: a checker never re-derives its expectation from the mechanism it
// checks; it recomputes balances from the definition):
//
// - atomicity: no transaction is committed at one participant and aborted at
//   another (or voted NO there: a NO stands unless the voter later voted
//   YES, its NO lost on the way -- one that reached the coordinator made it
//   decide ABORT), or decided both ways by its coordinator;
// - at most once: per client transaction id, at most one transaction is
//   decided COMMIT (a retry on the other core must not run it again); and
//   no participant applies a committed transaction (twopc.applied) twice:
//   not twice in one life (an incarnation, from the restart records), and
//   not again in a later one once it acknowledged the COMMIT (its decision
//   record was durable then, so the replay at recovery applied it; an apply
//   before a crash that came earlier may have been lost with its record,
//   and is not judged);
// - durability: every transaction reported committed to a client
//   (twopc.outcome) is committed, not aborted, at every participant that
//   voted for it; a participant up at the end still holding it in doubt is
//   left to termination;
// - conservation (and no negative balance): each cloud replica up at the end
//   holds exactly the balances its initial state (traced at t = 0) plus the
//   committed operations it took part in give, and none is negative; its
//   total differs from the initial total by exactly the committed top-ups
//   and debits it applied;
// - number uniqueness: each replica up at the end gives every number the
//   owner the ports it committed give (one owner each), and every port it
//   committed moved the number from its owner at that point;
// - termination: a participant that voted YES learns the decision within
//   the bound once it and its coordinator are both up and can exchange
//   messages: its clock starts at the latest of its vote, both nodes' last
//   restarts and the end of the last window in which the pair was cut off
//   (a partition or cut between them, or a drop rate of 1 on a link between
//   them: check/reachability.hpp, from the scenario and the trace's fault
//   records), plus the clean stretches in reach before that cut, each less
//   a query interval and 4 base round trips; the bound is the largest of
//   `termination_bound_ns` (the coordinator's timeouts plus recovery), 4
//   times the pair's base round-trip latency tail (each direction's
//   largest latency, or its 99.99th percentile for an unbounded model) and
//   the sum over the doubt's spells slowed by delay faults of their length,
//   at most 4 of their round-trip tails each; time the pair's 2PC
//   connection held a message back is off the clock (link_stalls.hpp);
//   plus, on a
//   lossy link, as many query intervals as it takes for every one of the
//   voter's status queries (or their answers) to be lost with a chance
//   below 1e-9 at the round-trip delivery in force then (a voter in
//   doubt past the lossless bound but within that allowance is not judged,
//   and the detail counts it). Each spell of loss counts for the queries
//   it may hold (its length and a round trip, over the interval, plus
//   one), the worst first: a brief spell of heavy loss allows about one
//   interval, not what it would allow had it lasted. A doubt is judged
//   when the voter learns the decision (a late one fails too), at every
//   crash or fault while it lasts (one past its bound then fails, whatever
//   comes next, and counts as checked once; otherwise such a judgement
//   counts nothing), and for a voter still in doubt, at the end. A voter whose
//   node or coordinator is down then, or which is cut off from its
//   coordinator then, is not judged: the detail counts it;
// - isolation (read committed): every balance or number-owner read a client
//   got (billing.read) is a value that some cloud replica's committed state
//   held for that account or number before the answer: the initial state,
//   or the state after a transaction it committed. A value from a prepared
//   transaction that commits later, or never, is a dirty read.
//
// Memory: per transaction and per participant, for the whole run (bounded
// by the transactions a run makes); the domain's initial state, each
// replica's committed state, and every value each account or number held.
// What grows with the transactions is accounted (check.billing.history:
// the transactions, their operations and participants, each node's
// commits, the committed values; about 1 KB per write transaction, while a
// read keeps nothing once judged), so
// --memory-max stops a long billing run with `limit:
// check.billing.history` instead of letting it grow without bound. The
// domain's initial values and each replica's copies count too (about 500
// bytes per account and per number); tables bounded by the cluster (per
// node) do not.
#pragma once
#include <cstdint>
#include <map>
#include <set>
#include <span>
#include <string>
#include <vector>

#include "ecsim/check/link_stalls.hpp"
#include "ecsim/check/reachability.hpp"
#include "ecsim/sim/limits.hpp"
#include "ecsim/sim/trace.hpp"

namespace ecsim::check {

class BillingChecker final : public sim::TraceObserver {
 public:
  // `replicas`: per node, whether it is a cloud replica (whose committed
  // state reads are served from). `network`: the scenario's links and
  // faults, for termination (empty: every pair can always exchange
  // messages, with no latency to speak of). `query_interval_ns`: how often
  // a participant in doubt asks its coordinator (the loss allowance).
  // REQUIRES: termination_bound_ns > 0; query_interval_ns > 0.
  BillingChecker(std::vector<std::string> names, std::vector<bool> replicas, int64_t termination_bound_ns,
                 int64_t query_interval_ns, NetworkPlan network = {});
  void on_record(const sim::Record& r) override;
  std::span<const sim::RecordType> record_types() const override;
  // Judges the end state; call once after the billing end state was traced.
  void finish(int64_t end_ns);

  struct Result {
    std::string name;
    uint64_t checked = 0;     // what it judged (0: vacuous)
    uint64_t violations = 0;
    std::string detail;       // the first violation, or what was checked
  };
  const std::vector<Result>& results() const { return results_; }

 private:
  // The promises, in results_'s order.
  enum Which : size_t {
    kAtomicity,
    kAtMostOnce,
    kDurability,
    kConservation,
    kNumbers,
    kTermination,
    kIsolation,
    kWhichCount
  };
  enum class Fate : uint8_t { kNone, kInDoubt, kCommitted, kAborted };
  struct Op {
    uint16_t kind = 0;  // workload::BillingKind
    uint64_t from = 0;
    uint64_t to = 0;
    uint64_t value = 0;  // amount, or number
  };
  struct AtNode {
    Fate fate = Fate::kNone;
    int64_t voted_ns = -1;  // the first YES
    bool committed_once = false;
    bool overran = false;  // its doubt was reported past the bound (once)
    // The node's life (the incarnation of its last restart, 0: never
    // restarted) when it applied the transaction (-1: not applied), and
    // whether it acknowledged the COMMIT after it: the apply then survives
    // crashes.
    int64_t applied_life = -1;
    bool apply_durable = false;
    // It voted NO, and has not voted YES since. A later YES voids the NO:
    // the coordinator never had it (a NO it receives makes it decide
    // ABORT at once, which the decision checks judge), lost with its
    // message and, after a crash, its un-synced record.
    bool no_stands = false;
  };
  struct Txn {
    uint64_t client_txn = 0;
    int8_t pending = -1;  // the coordinator's last decision appended: 1 commit, 0 abort, -1 none
    int8_t decided = -1;  // the decision once durable (sent, or recovered): binding
    bool any_commit = false;  // at some participant
    bool any_abort = false;   // at some participant (an ABORT applied)
    uint32_t no_voters = 0;   // participants whose NO stands (AtNode::no_stands)
    bool aborted_somewhere() const { return any_abort || no_voters > 0; }
    std::map<uint32_t, AtNode> nodes;  // participants that voted or resolved
    uint32_t coordinator = UINT32_MAX;  // the core that asked for the votes
  };
  void take(const sim::Record& r);
  void violation(size_t which, const std::string& what);
  std::string name_of(uint32_t node) const;
  // `node`'s entry of `t`, made (and counted for the accounting) if new.
  AtNode& at_node(Txn& t, uint32_t node);
  void on_participant(const sim::Record& r);
  void on_applied(const sim::Record& r);
  // A replica committed `client_txn`'s operation: its committed state moves on.
  void replica_committed(uint32_t node, uint64_t client_txn);
  void on_read(const sim::Record& r);
  void judge_replica(uint32_t node);
  // When a doubt is judged: the voter learnt the decision, a crash or a
  // fault came while it was in doubt (a violation only: it is judged again
  // later), or the run ended.
  enum class When : uint8_t { kLearnt, kInterrupted, kEnd };
  // Judges a YES voter's doubt from its vote until `now_ns`.
  void judge_doubt(uint64_t txn, uint32_t node, AtNode& n, uint32_t coordinator, int64_t now_ns,
                   When when);
  // A doubt past its bound, as the violation names it.
  struct Overrun {
    uint64_t txn = 0;
    uint32_t node = 0;
    uint32_t coordinator = 0;
    int64_t voted_ns = 0;
    int64_t from_ns = 0;        // up and in reach of each other since
    int64_t late_ns = 0;        // what their link held back of it
    int64_t before_cut_ns = 0;  // counted before their last cut
    int64_t bound_ns = 0;
  };
  void report_overrun(const Overrun& o, int64_t now_ns, When when);
  void judge_open_doubts(int64_t now_ns);
  // The latest of the voter's first YES and both nodes' last restarts.
  int64_t doubt_restarted(const AtNode& n, uint32_t node, uint32_t coordinator) const;
  int64_t in_reach_before_ns(const std::vector<Reachability::Spell>& spells, uint32_t node,
                             uint32_t coordinator, int64_t from_ns, int64_t base_rtt_ns) const;
  // Sets the accounted bytes from the tables' sizes and the nested entries counted.
  void account();

  std::vector<std::string> names_;
  std::vector<bool> replicas_;
  // Each replica's committed state as its commits come (isolation), and
  // every value an account or number held in one.
  std::map<uint32_t, std::map<uint64_t, int64_t>> replica_balances_;
  std::map<uint32_t, std::map<uint64_t, uint64_t>> replica_owners_;
  std::map<uint64_t, std::set<int64_t>> committed_balances_;
  std::map<uint64_t, std::set<uint64_t>> committed_owners_;
  int64_t termination_bound_ns_;
  int64_t query_interval_ns_;
  std::map<uint64_t, int64_t> initial_balances_;
  std::map<uint64_t, uint64_t> initial_owners_;
  std::map<uint64_t, Op> ops_;    // by client txn
  std::map<uint64_t, Txn> txns_;  // by txn
  // Per node, the transactions it committed, in order (a replay after a
  // restart commits nothing new: order is the first commit's).
  std::map<uint32_t, std::vector<uint64_t>> committed_at_;
  std::map<uint64_t, uint64_t> committed_client_;  // client txn -> the txn decided COMMIT
  std::map<uint64_t, std::pair<int64_t, uint64_t>> reported_;  // client txn -> (time, txn) reported committed
  // Nodes down now (crashed, not restarted), and when each last restarted:
  // termination is judged once a transaction's nodes are up.
  std::set<uint32_t> down_;
  std::map<uint32_t, int64_t> up_since_;
  std::map<uint32_t, int64_t> life_;  // per node: the incarnation of its last restart
  int64_t life_of(uint32_t node) const;
  // Which pairs can exchange messages, when, and how slowly (termination).
  Reachability reach_;
  // When a voter's link with its coordinator held messages past its tail
  // (termination: that time is not on the voter's clock).
  LinkStalls stalls_;
  // Voters in doubt now (txn, node), in order.
  std::set<std::pair<uint64_t, uint32_t>> open_doubts_;
  // Doubts termination did not judge.
  uint64_t excused_down_ = 0;  // their node or their coordinator down at the end
  uint64_t excused_cut_ = 0;   // cut off from their coordinator at the end
  uint64_t excused_loss_ = 0;  // past the lossless bound, within the loss allowance
  // Voters that learnt the decision while their coordinator was down or cut off from them.
  uint64_t excused_resolved_ = 0;
  // End state: nodes up at the end, their balances and owners.
  std::set<uint32_t> end_up_;
  std::map<uint32_t, std::map<uint64_t, int64_t>> end_balances_;
  std::map<uint32_t, std::map<uint64_t, uint64_t>> end_owners_;
  std::vector<Result> results_;
  uint64_t applies_ = 0;  // twopc.applied records judged (at most once)
  uint64_t reapplies_excused_ = 0;  // of those, again after a crash that may have taken the first
  // Entries of the nested tables (participants per transaction, commits per
  // node, committed values per account or number, the replicas' copies of
  // the domain, the end state), for the accounting.
  uint64_t nested_entries_ = 0;
  sim::Accounted bytes_{sim::Resource::kBillingHistory};
};

}  // namespace ecsim::check
