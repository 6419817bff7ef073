// The billing figures of a run's summary (issue 11, item 8): the clients'
// view of the transactions (tiers/billing.hpp) and the participants' time in
// doubt, measured from the trace.
#include "run_impl.hpp"

namespace ecsim::run {

namespace twopc = proto::twopc;

namespace {
constexpr const char* kReasonNames[twopc::kReasonKinds] = {
    "none",      "insufficient_funds", "unknown_key", "not_owner", "invalid",      "lock_died",
    "lock_timeout", "duplicate",       "full",        "disk_full", "vote_timeout", "recovered"};
}  // namespace

void InDoubtMeter::on_record(const sim::Record& r) {
  if (r.type == twopc::kRecordCoordinator) {
    const auto event = static_cast<twopc::CoordinatorEvent>(r.code);
    if (event == twopc::CoordinatorEvent::kDecidedCommit) ++decided_commit_;
    if (event == twopc::CoordinatorEvent::kDecidedAbort && r.kind < decided_abort_.size()) ++decided_abort_[r.kind];
    return;
  }
  if (r.type == twopc::kRecordVote) {
    if (r.code == 1) open_.emplace(std::pair{r.node, r.a}, r.time_ns);  // a re-vote keeps the first
    return;
  }
  ECSIM_ASSERT(r.type == twopc::kRecordParticipant);
  const auto event = static_cast<twopc::ParticipantEvent>(r.code);
  if (event != twopc::ParticipantEvent::kCommitted && event != twopc::ParticipantEvent::kAborted) return;
  const auto it = open_.find({r.node, r.a});
  if (it == open_.end()) return;  // it voted NO, or never voted
  resolved_.add(r.time_ns - it->second);
  open_.erase(it);
}

std::span<const sim::RecordType> InDoubtMeter::record_types() const {
  static constexpr sim::RecordType kTypes[] = {twopc::kRecordCoordinator, twopc::kRecordVote,
                                               twopc::kRecordParticipant};
  return kTypes;
}

void Run::Impl::summarize_billing(RunResult& r) {
  ECSIM_ASSERT(billing != nullptr && in_doubt != nullptr);
  billing->finish(sim.now());
  tiers::trace_billing_end_state(*billing, *world, cluster, sim);
  billing_checker->finish(sim.now().ns);
  const tiers::BillingFigures& f = billing->figures();
  BillingSummary& b = r.billing;
  b.present = true;
  b.operations = f.operations;
  b.transactions = f.transactions;
  b.committed = f.committed;
  b.aborted = f.aborted;
  for (size_t i = 0; i < f.aborted_by.size(); ++i) {
    if (f.aborted_by[i] > 0) b.aborted_by.emplace_back(kReasonNames[i], f.aborted_by[i]);
  }
  b.decided_commit = in_doubt->decided_commit();
  for (size_t i = 0; i < twopc::kReasonKinds; ++i) {
    if (in_doubt->decided_abort()[i] > 0) b.decided_abort_by.emplace_back(kReasonNames[i], in_doubt->decided_abort()[i]);
  }
  // From the coordinators' decisions: a client may have heard "unknown"
  // (its edge moved on to the other core before the votes timed out).
  b.participant_down = in_doubt->decided_abort()[static_cast<size_t>(twopc::Reason::kVoteTimeout)];
  b.unknown = f.unknown;
  b.failed = f.failed;
  b.refused = f.refused;
  b.unsettled = f.unsettled;
  b.reads = f.reads;
  b.reads_ok = f.reads_ok;
  b.latency_p50_ns = f.txn_latency.quantile(0.5);
  b.latency_p99_ns = f.txn_latency.quantile(0.99);
  b.read_latency_p99_ns = f.read_latency.quantile(0.99);
  b.in_doubt = in_doubt->resolved().count();
  b.in_doubt_p99_ns = in_doubt->resolved().quantile(0.99);
  b.in_doubt_max_ns = in_doubt->resolved().max();
  b.in_doubt_open = in_doubt->open();
  ECSIM_ASSERT(b.committed + b.aborted + b.unknown + b.failed + b.refused + b.unsettled + b.reads_ok ==
               b.operations);
}

}  // namespace ecsim::run
