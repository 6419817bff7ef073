#include "model/probe.hpp"

#include <algorithm>
#include <iterator>
#include <vector>

#include "ecsim/proto/vclock.hpp"
#include "ecsim/proto/vclock_records.hpp"
#include "ecsim/sim/assert.hpp"
#include "model/records.hpp"

namespace ecsim::viz {

// The probe run's reader of clock records and of the local records the
// space-time diagram marks on a lane.
class Probe::Capture final : public sim::TraceObserver {
 public:
  explicit Capture(Probe& p) : probe_(p) {
    types_ = {proto::vclock::kRecordClockSend, proto::vclock::kRecordClockRecv};
    // What the Timeline keeps, but the messages and load samples: never a mark.
    for (const sim::RecordType t : collected_types()) {
      if (t != sim::RecordType::kSend && t != sim::RecordType::kDeliver && t != sim::RecordType::kDrop &&
          t != sim::RecordType::kDuplicate && t != sim::RecordType::kLoad) {
        types_.push_back(t);
      }
    }
  }
  std::span<const sim::RecordType> record_types() const override { return types_; }
  void on_record(const sim::Record& r) override {
    if (r.type == proto::vclock::kRecordClockSend || r.type == proto::vclock::kRecordClockRecv) {
      probe_.on_clock(r);
    } else if ((is_fault(r) || is_phase(r) || is_failure(r)) && record_node(r) != UINT32_MAX) {
      probe_.on_local(r, record_index());
    }
  }

 private:
  Probe& probe_;
  std::vector<sim::RecordType> types_;
};

Probe::Probe(const Timeline& t, tiers::SnapshotLimits limits)
    : scenario_(t.scenario()),
      options_(t.options()),
      limits_(std::move(limits)),
      timeline_id_(t.id()),
      capture_(std::make_unique<Capture>(*this)) {
  options_.observers.clear();
  options_.send_observer = nullptr;  // the Timeline's run reads the bodies
  options_.twopc_log_observer = nullptr;  // ... and the 2PC log entries
  options_.trace_path.clear();  // the Timeline's run writes the file, if any
  if (limits_.dsm_keys.empty()) limits_.dsm_keys = t.dsm_watched();
  ECSIM_ASSERT(std::is_sorted(limits_.dsm_keys.begin(), limits_.dsm_keys.end()));
}

Probe::~Probe() {
  // The run's objects give back their accounted bytes and scopes as they
  // go: with its own process-wide state installed.
  if (run_) run::with_parked(parked_, [&] { run_.reset(); });
}

void Probe::restart() {
  run::with_parked(parked_, [&] {
    run_.reset();  // one run of the probe's at a time
    run::RunOptions o = options_;
    o.observers.push_back(capture_.get());
    run_ = std::make_unique<run::Run>(scenario_, o);
    run_->apply_pinned();  // those pinned after event 0
  });
  if (events_ > 0 || ended_) ++restarts_;
  events_ = 0;
  ended_ = false;
}

bool Probe::advance_to(uint64_t event, int64_t capture_from_ns, uint64_t budget_events) {
  if (event != target_ || !run_) start_ = event < events_ || !run_ ? 0 : events_;
  target_ = event;
  capture_from_ns_ = capture_from_ns;
  if (!run_ || event < events_) restart();
  if (events_ == event || ended_) return true;
  run::with_parked(parked_, [&] {
    const uint64_t budget = std::min<uint64_t>(std::max<uint64_t>(1, budget_events), event - events_);
    ended_ = run_->advance(budget);
    events_ = run_->simulator().events_processed();
    ECSIM_ASSERT(events_ <= event);
    if (events_ == event && !ended_) run_->apply_pinned();
  });
  return events_ == event || ended_;
}

double Probe::progress() const {
  if (ended_ || events_ >= target_) return 1.0;
  const uint64_t span = target_ - start_;
  return span == 0 ? 1.0 : static_cast<double>(events_ - start_) / static_cast<double>(span);
}

const tiers::NodeSnapshot* Probe::snapshot(uint32_t node, uint64_t event) {
  const auto key = std::make_pair(event, node);
  if (auto it = snapshots_.find(key); it != snapshots_.end()) return &it->second;
  // Only the state at that event: an ended run stands for every event at
  // or after its last one, never for an earlier one.
  if (!run_ || !(events_ == event || (ended_ && event >= events_))) return nullptr;
  if (snapshots_.size() >= kSnapshotsCachedMax) {
    // Drop the one farthest from this event: the cursor moves locally.
    const auto first = snapshots_.begin(), last = std::prev(snapshots_.end());
    const uint64_t below = event > first->first.first ? event - first->first.first : 0;
    const uint64_t above = last->first.first > event ? last->first.first - event : 0;
    snapshots_.erase(above > below ? last : first);
  }
  tiers::NodeSnapshot s;
  run::with_parked(parked_, [&] { s = run_->snapshot(node, limits_); });
  return &snapshots_.emplace(key, std::move(s)).first->second;
}

void Probe::on_clock(const sim::Record& r) {
  if (!run_ || r.time_ns < capture_from_ns_) return;
  const net::VectorClock* c = run_->node_clock(r.node);
  // The record hashes the clock just after the send or the receive: what
  // the node holds now. A mismatch would be a bug; keep nothing then.
  if (c == nullptr || proto::vclock::hash(*c) != r.b) return;
  const bool send = r.type == proto::vclock::kRecordClockSend;
  const auto key = std::make_pair(r.a, send);
  if (clocks_.size() >= kClocksMax) {
    clocks_.erase(clock_order_.front());
    clock_order_.pop_front();
  }
  if (clocks_.insert_or_assign(key, CapturedClock{r.a, send, r.node, r.time_ns, *c}).second) {
    clock_order_.push_back(key);
  }
  ECSIM_ASSERT(clocks_.size() == clock_order_.size());
}

void Probe::on_local(const sim::Record& r, uint64_t trace_index) {
  if (!run_ || r.time_ns < capture_from_ns_) return;
  // Local records change no clock (only sends and receives do): what the
  // node holds now is its clock at the record.
  const net::VectorClock* c = run_->node_clock(r.node);
  if (local_clocks_.size() >= kClocksMax) {
    local_clocks_.erase(local_order_.front());
    local_order_.pop_front();
  }
  LocalClock l{trace_index, r.node, r.time_ns, c != nullptr, c != nullptr ? *c : net::VectorClock{}};
  if (local_clocks_.insert_or_assign(trace_index, std::move(l)).second) local_order_.push_back(trace_index);
  ECSIM_ASSERT(local_clocks_.size() == local_order_.size());
}

const LocalClock* Probe::local_clock(uint64_t trace_index) const {
  const auto it = local_clocks_.find(trace_index);
  return it == local_clocks_.end() ? nullptr : &it->second;
}

const CapturedClock* Probe::clock(uint64_t message, bool send) const {
  const auto it = clocks_.find(std::make_pair(message, send));
  return it == clocks_.end() ? nullptr : &it->second;
}

}  // namespace ecsim::viz
