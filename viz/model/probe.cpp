#include "model/probe.hpp"

#include <algorithm>
#include <iterator>
#include <vector>

#include "ecsim/proto/vclock.hpp"
#include "ecsim/proto/vclock_records.hpp"
#include "ecsim/sim/assert.hpp"
#include "model/records.hpp"

namespace ecsim::viz {

namespace {

constexpr uint64_t kMapNodeOverhead = ViewState::kMapNodeOverhead;

uint64_t clock_bytes(const net::VectorClock& c) {
  return c.entries.capacity() * sizeof(c.entries[0]);
}

uint64_t snapshot_bytes(const tiers::NodeSnapshot& s) {
  uint64_t b = sizeof(std::pair<const std::pair<uint64_t, uint32_t>, tiers::NodeSnapshot>) +
               kMapNodeOverhead + clock_bytes(s.clock) + clock_bytes(s.dsm_clock) +
               s.dsm.capacity() * sizeof(s.dsm[0]) + s.wal.capacity() * sizeof(s.wal[0]) +
               s.locks.capacity() * sizeof(s.locks[0]);
  for (const tiers::DsmEntrySnapshot& e : s.dsm) b += clock_bytes(e.clock);
  for (const tiers::WalLine& w : s.wal)
    b += w.text.capacity() > 15 ? w.text.capacity() + 1 : 0;  // beyond SSO
  for (const tiers::LockSnapshot& l : s.locks) b += l.waiters.capacity() * sizeof(l.waiters[0]);
  return b;
}

// A cached clock: its map node, its key's place in the eviction order, its entries.
uint64_t clock_entry_bytes(const CapturedClock& c) {
  return sizeof(std::pair<const std::pair<uint64_t, bool>, CapturedClock>) + kMapNodeOverhead +
         sizeof(std::pair<uint64_t, bool>) + clock_bytes(c.clock);
}
uint64_t clock_entry_bytes(const LocalClock& l) {
  return sizeof(std::pair<const uint64_t, LocalClock>) + kMapNodeOverhead + sizeof(uint64_t) +
         clock_bytes(l.clock);
}

}  // namespace

// The probe run's reader of clock records and of the local records the
// space-time diagram marks on a lane.
class Probe::Capture final : public sim::TraceObserver {
 public:
  explicit Capture(Probe& p) : probe_(p) {
    types_ = {proto::vclock::kRecordClockSend, proto::vclock::kRecordClockRecv,
              proto::vclock::kRecordClockLocal};
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
    const bool mark = (is_fault(r) || is_phase(r) || is_failure(r)) && record_node(r) != UINT32_MAX;
    if (probe_.building_) {
      // No run to read clocks from yet: kept for resolve_built. A local
      // increment matters only for working a clock back.
      if (mark || r.type == proto::vclock::kRecordClockSend ||
          r.type == proto::vclock::kRecordClockLocal) {
        probe_.built_.push_back({r, record_index(), mark});
      }
    } else if (r.type == proto::vclock::kRecordClockSend ||
               r.type == proto::vclock::kRecordClockRecv) {
      probe_.on_clock(r);
    } else if (mark) {
      probe_.on_local(r, record_index());
    }
  }

 private:
  Probe& probe_;
  std::vector<sim::RecordType> types_;
};

Probe::Probe(const Timeline& t, tiers::SnapshotLimits limits, uint64_t cache_bytes_max)
    : scenario_(t.scenario()),
      options_(t.options()),
      limits_(std::move(limits)),
      timeline_id_(t.id()),
      capture_(std::make_unique<Capture>(*this)),
      cache_bytes_max_(cache_bytes_max) {
  ECSIM_ASSERT(cache_bytes_max_ >= 1);
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
    built_.clear();
    building_ = true;
    run_ = std::make_unique<run::Run>(scenario_, o);
    building_ = false;
    resolve_built();
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

uint64_t Probe::trace_hash_so_far() { return run_ ? run_->simulator().trace().hash() : 0; }

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
  tiers::NodeSnapshot s;
  run::with_parked(parked_, [&] { s = run_->snapshot(node, limits_); });
  const uint64_t bytes = snapshot_bytes(s);
  if (snapshots_.size() >= kSnapshotsCachedMax) drop_farthest_snapshot(event);
  while (!snapshots_.empty() && !fits(bytes)) drop_farthest_snapshot(event);
  while ((!clocks_.empty() || !local_clocks_.empty()) && !fits(bytes)) drop_oldest_clock();
  cache_bytes_ += bytes;
  return &snapshots_.emplace(key, std::move(s)).first->second;
}

uint64_t Probe::cache_bytes_recounted() const {
  uint64_t b = 0;
  for (const auto& [key, s] : snapshots_) b += snapshot_bytes(s);
  for (const auto& [key, c] : clocks_) b += clock_entry_bytes(c);
  for (const auto& [key, l] : local_clocks_) b += clock_entry_bytes(l);
  return b;
}

void Probe::drop_farthest_snapshot(uint64_t event) {
  ECSIM_ASSERT(!snapshots_.empty());
  const auto first = snapshots_.begin(), last = std::prev(snapshots_.end());
  const uint64_t below = event > first->first.first ? event - first->first.first : 0;
  const uint64_t above = last->first.first > event ? last->first.first - event : 0;
  const auto gone = above > below ? last : first;
  const uint64_t bytes = snapshot_bytes(gone->second);
  ECSIM_ASSERT(cache_bytes_ >= bytes);
  cache_bytes_ -= bytes;
  snapshots_.erase(gone);
}

void Probe::drop_oldest_clock() {
  // The older of the two kinds' oldest entries (each queue is in the order
  // kept, trace order but for clocks kept again after a restart: a heuristic).
  ECSIM_ASSERT(!clocks_.empty() || !local_clocks_.empty());
  const bool message = !clocks_.empty() && (local_clocks_.empty() ||
                                            clocks_.at(clock_order_.front()).time_ns <=
                                                local_clocks_.at(local_order_.front()).time_ns);
  if (message) {
    drop_oldest_message_clock();
  } else {
    drop_oldest_local_clock();
  }
}

void Probe::drop_oldest_message_clock() {
  ECSIM_ASSERT(!clock_order_.empty());
  const auto it = clocks_.find(clock_order_.front());
  ECSIM_ASSERT(it != clocks_.end() && cache_bytes_ >= clock_entry_bytes(it->second));
  cache_bytes_ -= clock_entry_bytes(it->second);
  clocks_.erase(it);
  clock_order_.pop_front();
}

void Probe::drop_oldest_local_clock() {
  ECSIM_ASSERT(!local_order_.empty());
  const auto it = local_clocks_.find(local_order_.front());
  ECSIM_ASSERT(it != local_clocks_.end() && cache_bytes_ >= clock_entry_bytes(it->second));
  cache_bytes_ -= clock_entry_bytes(it->second);
  local_clocks_.erase(it);
  local_order_.pop_front();
}

// Keeps `value` under `key` in one of the two clock caches: in place if the
// key is there (offered again: a duplicate's second receive, or a restarted
// probe passing it again), else as the newest, within the kind's count and
// the byte budget (making room drops clocks only; none fits: not kept).
template <class Map, class Order, class Key, class Value>
void Probe::keep_clock(Map& cache, Order& order, const Key& key, Value value,
                       void (Probe::*drop_oldest_of_kind)()) {
  ECSIM_ASSERT(cache.size() == order.size());
  const uint64_t bytes = clock_entry_bytes(value);
  if (const auto old = cache.find(key); old != cache.end()) {
    ECSIM_ASSERT(cache_bytes_ >= clock_entry_bytes(old->second));
    cache_bytes_ -= clock_entry_bytes(old->second);
    old->second = std::move(value);
    cache_bytes_ += bytes;
  } else {
    if (cache.size() >= kClocksMax) (this->*drop_oldest_of_kind)();
    while (!fits(bytes) && (!clocks_.empty() || !local_clocks_.empty())) drop_oldest_clock();
    if (!fits(bytes)) return;  // the snapshots hold the budget
    cache_bytes_ += bytes;
    cache.emplace(key, std::move(value));
    order.push_back(key);
  }
  while (!fits(0) && (!clocks_.empty() || !local_clocks_.empty())) drop_oldest_clock();
}

void Probe::resolve_built() {
  // Each node's clock, worked back from the end of the build record by record.
  std::map<uint32_t, net::VectorClock> clock;
  std::map<uint32_t, bool> known;  // false once a hash disagreed or the node has no clock
  const auto undo_increment = [](net::VectorClock& c, uint32_t node) {
    for (auto it = c.entries.begin(); it != c.entries.end(); ++it) {
      if (it->first != node) continue;
      if (--it->second == 0) c.entries.erase(it);
      return true;
    }
    return false;  // no increment of its own to undo: not the clock we thought
  };
  std::vector<std::pair<const Built*, net::VectorClock>> found;  // latest first
  for (auto b = built_.rbegin(); b != built_.rend(); ++b) {
    const sim::Record& r = b->record;
    if (b->mark) {
      if (r.time_ns < capture_from_ns_) continue;
      const net::VectorClock* now = run_->node_clock(r.node);
      if (now == nullptr) {
        found.emplace_back(&*b, net::VectorClock{});  // no clock: kept as such, as on_local does
        continue;
      }
      if (!known.try_emplace(r.node, true).first->second) continue;
      const net::VectorClock& c = clock.try_emplace(r.node, *now).first->second;
      found.emplace_back(&*b, c);
      continue;
    }
    const net::VectorClock* now = run_->node_clock(r.node);
    if (now == nullptr || !known.try_emplace(r.node, true).first->second) continue;
    net::VectorClock& c = clock.try_emplace(r.node, *now).first->second;
    if (proto::vclock::hash(c) != r.b) {
      known[r.node] = false;  // something else changed it: stop guessing for this node
      continue;
    }
    if (r.type == proto::vclock::kRecordClockSend && r.time_ns >= capture_from_ns_)
      found.emplace_back(&*b, c);
    if (!undo_increment(c, r.node)) known[r.node] = false;
  }
  // Kept oldest first, as they would have been had the run existed.
  for (auto f = found.rbegin(); f != found.rend(); ++f) {
    const sim::Record& r = f->first->record;
    if (f->first->mark) {
      const bool up = run_->node_clock(r.node) != nullptr;
      keep_clock(local_clocks_, local_order_, f->first->trace_index,
                 LocalClock{f->first->trace_index, r.node, r.time_ns, up, std::move(f->second)},
                 &Probe::drop_oldest_local_clock);
    } else {
      keep_clock(clocks_, clock_order_, std::make_pair(r.a, true),
                 CapturedClock{r.a, true, r.node, r.time_ns, std::move(f->second)},
                 &Probe::drop_oldest_message_clock);
    }
  }
  built_.clear();
  built_.shrink_to_fit();
}

void Probe::on_clock(const sim::Record& r) {
  if (!run_ || r.time_ns < capture_from_ns_) return;
  const net::VectorClock* c = run_->node_clock(r.node);
  // The record hashes the clock just after the send or the receive: what
  // the node holds now. A mismatch would be a bug; keep nothing then.
  if (c == nullptr || proto::vclock::hash(*c) != r.b) return;
  const bool send = r.type == proto::vclock::kRecordClockSend;
  keep_clock(clocks_, clock_order_, std::make_pair(r.a, send),
             CapturedClock{r.a, send, r.node, r.time_ns, *c}, &Probe::drop_oldest_message_clock);
  ECSIM_ASSERT(clocks_.size() == clock_order_.size());
}

void Probe::on_local(const sim::Record& r, uint64_t trace_index) {
  if (!run_ || r.time_ns < capture_from_ns_) return;
  // Local records change no clock (only sends and receives do): what the
  // node holds now is its clock at the record.
  const net::VectorClock* c = run_->node_clock(r.node);
  keep_clock(local_clocks_, local_order_, trace_index,
             LocalClock{trace_index, r.node, r.time_ns, c != nullptr,
                        c != nullptr ? *c : net::VectorClock{}},
             &Probe::drop_oldest_local_clock);
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
