// The billing figures of a run's summary (issue 11, item 8): the clients'
// view of the transactions (tiers/billing.hpp) and the participants' time in
// doubt, measured from the trace.
#include "run_impl.hpp"

namespace ecsim::run {

namespace twopc = proto::twopc;

namespace {
constexpr const char* kReasonNames[twopc::kReasonKinds] = {
    "none",      "insufficient_funds", "unknown_key", "not_owner", "invalid",      "lock_died",
    "lock_timeout", "duplicate",       "full",        "disk_full", "vote_timeout", "recovered", "forced"};
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
  if (r.type == twopc::kRecordWal) {
    // A truncation: the log held a + kind entries and b bytes just before it.
    if (r.code != static_cast<uint16_t>(twopc::WalEvent::kTruncated)) return;
    BillingSummary::Log& l = log_of(r.node).log;
    l.peak_entries = std::max(l.peak_entries, r.a + r.kind);
    l.peak_bytes = std::max(l.peak_bytes, r.b);
    return;
  }
  if (r.type == tiers::kRecordBillingCache) {
    const auto e = static_cast<tiers::CacheEvent>(r.code);
    if (e == tiers::CacheEvent::kServed) ++cache_.served;
    if (e == tiers::CacheEvent::kFilled) ++cache_.filled;
    if (e == tiers::CacheEvent::kFillRefused) ++cache_.fill_refused;
    if (e == tiers::CacheEvent::kFlushed) ++cache_.flushes;
    return;
  }
  if (r.type == tiers::kRecordBillingInval) {
    if (r.code == 1) ++cache_.invals_sent;
    if (r.code == 3) ++cache_.invals_refused;
    if (r.code == 2) ++cache_.invals_received;
    if (r.code == 2 && r.kind == 1) ++cache_.invals_dropped;
    return;
  }
  if (r.type == tiers::kRecordBillingEndLog) {
    NodeLog& n = log_of(r.node);
    n.seen = true;
    BillingSummary::Log& l = n.log;
    l.coordinator = r.code == 1;
    l.entries = r.kind;
    l.bytes = r.a;
    l.locks = r.peer;
    l.remembered = r.b;
    l.peak_entries = std::max(l.peak_entries, l.entries);
    l.peak_bytes = std::max(l.peak_bytes, l.bytes);
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
                                               twopc::kRecordParticipant, twopc::kRecordWal,
                                               tiers::kRecordBillingEndLog, tiers::kRecordBillingCache,
                                               tiers::kRecordBillingInval};
  return kTypes;
}

InDoubtMeter::NodeLog& InDoubtMeter::log_of(uint32_t node) {
  if (node >= logs_.size()) logs_.resize(node + 1);
  return logs_[node];
}

std::vector<BillingSummary::Log> InDoubtMeter::logs(const std::vector<std::string>& names) const {
  std::vector<BillingSummary::Log> out;
  for (uint32_t n = 0; n < logs_.size(); ++n) {
    if (!logs_[n].seen) continue;  // down at the end, or no 2PC machine
    out.push_back(logs_[n].log);
    out.back().node = n < names.size() ? names[n] : std::to_string(n);
  }
  return out;
}

void Run::Impl::summarize_billing(RunResult& r) {
  ECSIM_ASSERT(billing != nullptr && in_doubt != nullptr);
  billing->finish(sim.now());
  tiers::trace_billing_end_state(*billing, *world, cluster, sim);
  billing_checker->finish(sim.now().ns);
  if (cache_checker) cache_checker->finish();
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
  b.served = f.served;
  b.aborted_by_rule = f.aborted_by_rule;
  b.overdue = f.overdue;
  b.kind_served = f.kind_served;
  b.kind_settled = f.kind_settled;
  b.latency_p50_ns = f.txn_latency.quantile(0.5);
  b.latency_p99_ns = f.txn_latency.quantile(0.99);
  b.read_latency_p99_ns = f.read_latency.quantile(0.99);
  b.in_doubt = in_doubt->resolved().count();
  b.in_doubt_p99_ns = in_doubt->resolved().quantile(0.99);
  b.in_doubt_max_ns = in_doubt->resolved().max();
  b.in_doubt_open = in_doubt->open();
  b.logs = in_doubt->logs(names);
  b.cache = in_doubt->cache();
  b.cache.on = billing->cache().on();
  ECSIM_ASSERT(b.committed + b.aborted + b.unknown + b.failed + b.refused + b.unsettled + b.reads_ok ==
               b.operations);
}

void Run::Impl::billing_verdicts(RunResult& r) const {
  const scenario::BillingExpect& ex = sc.expect.billing;
  ECSIM_ASSERT(billing != nullptr && r.billing.present);
  const BillingSummary& b = r.billing;
  if (ex.served_ratio_min) {
    const uint64_t settled = b.settled();
    const std::string need = fmt::format("need >= {}", *ex.served_ratio_min);
    if (settled == 0) {
      r.verdicts.push_back(nothing_to_judge(
          "billing.served_ratio_min",
          fmt::format("no billing operation settled (refused ones and those under way at the end are left out), {}",
                      need)));
    } else {
      ECSIM_ASSERT(b.served == b.committed + b.reads_ok + b.aborted_by_rule && b.served <= settled);
      ECSIM_ASSERT(b.kind_served[0] + b.kind_served[1] == b.served && b.kind_settled[0] + b.kind_settled[1] == settled);
      const uint64_t system_aborts = b.aborted - b.aborted_by_rule;
      // Transactions and reads each: before 2026-12-07 the two were pooled,
      // and a run whose every transaction aborted passed on its reads.
      bool ok = true;
      std::string kinds;
      const char* names[2] = {"transactions", "reads"};
      const char* served_means[2] = {": committed or refused by a business rule", " answered"};
      for (size_t k = 0; k < 2; ++k) {
        if (b.kind_settled[k] == 0) continue;
        ok = ok && ratio_at_least(b.kind_served[k], b.kind_settled[k], *ex.served_ratio_min);
        kinds += fmt::format("{}{} {:.4f} served ({} of {}{})", kinds.empty() ? "" : ", ", names[k],
                             static_cast<double>(b.kind_served[k]) / static_cast<double>(b.kind_settled[k]),
                             b.kind_served[k], b.kind_settled[k], served_means[k]);
      }
      r.verdicts.push_back(
          {"billing.served_ratio_min", ok,
           fmt::format("{}; not served: {} aborted for the system's reasons, {} unknown, {} failed, {} unanswered at "
                       "the end over twice as long as any served one took; {} for each kind",
                       kinds, system_aborts, b.unknown, b.failed, b.overdue, need)});
    }
  }
  if (ex.recovers_within) {
    r.verdicts.push_back(
        recovery_verdict("billing.recovers_within", *ex.recovers_within, billing->figures().by_second,
                         billing->figures().incomplete_from));
  }
  const auto ms = [](int64_t ns) { return static_cast<double>(ns) / 1e6; };
  const struct {
    const char* name;
    const std::optional<sim::Duration>& bound;
    uint64_t count;
    int64_t p99_ns;
    const char* what;
  } latencies[] = {{"billing.latency_p99", ex.latency_p99, b.transactions, b.latency_p99_ns, "transactions"},
                   {"billing.read_latency_p99", ex.read_latency_p99, b.reads, b.read_latency_p99_ns, "reads"}};
  for (const auto& l : latencies) {
    if (!l.bound) continue;
    const std::string need = fmt::format("need p99 <= {}", sim::format_duration(*l.bound));
    if (l.count == 0) {
      r.verdicts.push_back(nothing_to_judge(l.name, fmt::format("no billing {} sent, {}", l.what, need)));
      continue;
    }
    r.verdicts.push_back({l.name, l.p99_ns <= l.bound->ns,
                          fmt::format("p99 {:.3f}ms over all {} {} (failed ones at the client's timeout, those "
                                      "under way at the end at their age), {}",
                                      ms(l.p99_ns), l.count, l.what, need)});
  }
}

}  // namespace ecsim::run
