#include "model/probe.hpp"

#include <algorithm>
#include <iterator>
#include <vector>

#include <nlohmann/json.hpp>

#include "ecsim/proto/vclock.hpp"
#include "ecsim/proto/vclock_records.hpp"
#include "ecsim/sim/assert.hpp"
#include "model/records.hpp"

// What a checkpoint's worker sends its owner (model/forks.hpp), as CBOR.
namespace ecsim::net {
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(VectorClock, entries)
}  // namespace ecsim::net
namespace ecsim::tiers {
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(LockSnapshot, key, holder, holder_state, waiters)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(DsmEntrySnapshot, key, value, writer, clock)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(WalLine, disk, index, durable, text, txn)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(NodeSnapshot, up, tier_node, incarnation, clock, dsm_clock,
                                   dsm_size, dsm, disk_length, disk_durable, wal, participant,
                                   locks_held, locks, lock_rows)
}  // namespace ecsim::tiers

namespace ecsim::viz {

NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(CapturedClock, message, send, node, time_ns, clock)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(LocalClock, trace_index, node, time_ns, up, clock)

namespace {

using Json = nlohmann::json;

std::vector<uint8_t> cbor(const Json& j) { return Json::to_cbor(j); }

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

Probe::Probe(const Timeline& t, tiers::SnapshotLimits limits, uint64_t cache_bytes_max,
             ForkLimits forks)
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
  if (forks.memory_bytes_max > 0)
    forks_ = std::make_unique<RunForks>(forks, [this](int fd) { serve(fd); });
}

Probe::~Probe() {
  forks_.reset();  // the checkpoints and a worker die; nothing of theirs is read
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
  if (forks_) forks_->offer(0, run_->simulator().now().ns);
}

bool Probe::advance_to(uint64_t event, int64_t capture_from_ns, uint64_t budget_events) {
  capture_from_ns_ = capture_from_ns;
  if (run_ && event < events_ && forks_ && forks_->enabled()) {
    // Behind the own run: a checkpoint's worker goes there, the own run stays ahead.
    if (event != target_ || !remote())
      start_ = remote() && event >= remote_.events ? remote_.events : 0;
    target_ = event;
    const std::optional<bool> there = advance_remote(event, budget_events);
    if (there) return *there;
    // The checkpoints failed (none is used again): from t = 0, as without them.
  }
  end_remote();
  if (event != target_ || !run_) start_ = event < events_ || !run_ ? 0 : events_;
  target_ = event;
  if (!run_ || event < events_) {
    start_ = 0;
    restart();
  }
  if (events_ == event && !ended_) {
    // Stopped here on the way to a farther target (or a checkpoint was):
    // the faults pinned after this event are applied now, as the trace has them.
    run::with_parked(parked_, [&] { run_->apply_pinned(); });
  }
  if (events_ == event || ended_) return true;
  uint64_t budget = std::min<uint64_t>(std::max<uint64_t>(1, budget_events), event - events_);
  for (bool moved = true; budget > 0 && !ended_ && moved;) {
    // In pieces that end where a checkpoint is due.
    const uint64_t piece = forks_ ? std::min(budget, forks_->due_in(events_)) : budget;
    run::with_parked(parked_, [&] {
      ended_ = run_->advance(piece);
      const uint64_t before = events_;
      events_ = run_->simulator().events_processed();
      ECSIM_ASSERT(events_ <= event && events_ - before <= budget);
      budget -= events_ - before;
      moved = events_ > before;
      if (events_ == event && !ended_) run_->apply_pinned();
    });
    // With the run's state parked: a checkpoint forks the whole process.
    if (forks_ && !ended_) forks_->offer(events_, run_->simulator().now().ns);
  }
  return events_ == event || ended_;
}

std::optional<bool> Probe::advance_remote(uint64_t event, uint64_t budget_events) {
  // A worker only goes forwards: behind where it is (or is going), a new
  // session; and one from a checkpoint nearer than where it is, too.
  if (remote()) {
    const uint64_t from = remote_.pending ? remote_.asked : remote_.events;
    const std::optional<uint64_t> nearest = forks_->latest_at_or_before(event);
    if (from > event || (nearest && *nearest > from)) end_remote();
  }
  if (!remote()) {
    // None: the checkpoints failed, or a checkpoint could not fork a
    // worker this time (then the own run restarts, as without checkpoints).
    const std::optional<RunForks::Session> s = forks_->open(event);
    if (!s) return std::nullopt;
    remote_ = Remote{};
    remote_.fd = s->fd;
    remote_.events = s->event;
    remote_.from_ns = s->time_ns;
    start_ = s->event;
  }
  for (;;) {
    if (!remote_.pending) {
      if (remote_.known && (remote_.events == event || remote_.ended)) return true;
      const Json ask = {{"op", "advance"}, {"event", event}, {"from", capture_from_ns_}};
      if (!frames::send(remote_.fd, cbor(ask))) break;
      remote_.pending = true;
      remote_.asked = event;
    }
    // Unbounded: until it answers. Otherwise a short wait (at most 10 ms,
    // within the frame's budget), never a frame's worth of simulation: the
    // worker runs beside the window.
    const int wait_ms =
        budget_events == UINT64_MAX ? -1 : static_cast<int>(std::min<uint64_t>(10, budget_events / 2000));
    if (!frames::ready(remote_.fd, wait_ms)) return false;
    if (!take_advance_answer()) break;
  }
  remote_ = Remote{};
  forks_->fail();
  return std::nullopt;
}

bool Probe::take_advance_answer() {
  std::vector<uint8_t> bytes;
  if (!frames::receive(remote_.fd, bytes)) return false;
  try {
    const Json a = Json::from_cbor(bytes);
    remote_.events = a.at("events").get<uint64_t>();
    remote_.ended = a.at("ended").get<bool>();
    remote_.trace_hash = a.at("hash").get<uint64_t>();
    remote_.known = true;
    remote_.pending = false;
    for (const Json& c : a.at("clocks")) {
      CapturedClock k = c.get<CapturedClock>();
      const auto key = std::make_pair(k.message, k.send);
      keep_clock(clocks_, clock_order_, key, std::move(k), &Probe::drop_oldest_message_clock);
    }
    for (const Json& c : a.at("locals")) {
      LocalClock k = c.get<LocalClock>();
      const uint64_t key = k.trace_index;
      keep_clock(local_clocks_, local_order_, key, std::move(k), &Probe::drop_oldest_local_clock);
    }
  } catch (const Json::exception&) {
    return false;
  }
  return true;
}

void Probe::end_remote() {
  if (!remote()) return;
  std::vector<uint8_t> stale;
  if (remote_.pending && !frames::receive(remote_.fd, stale)) {
    remote_ = Remote{};
    forks_->fail();
    return;
  }
  remote_ = Remote{};
  forks_->close_session();
}

void Probe::serve(int fd) {
  // A worker: the owner's checkpoints are not this process's to use.
  // (Anything thrown here ends the worker with a failure: model/forks.cpp.)
  (void)forks_.release();
  std::vector<uint8_t> in;
  while (frames::receive(fd, in) && !in.empty()) {
    Json answer;
    try {
      const Json ask = Json::from_cbor(in);
      const uint64_t event = ask.at("event").get<uint64_t>();
      if (ask.at("op") == "advance") {
        // It sends what it captures on this way only.
        clocks_.clear();
        clock_order_.clear();
        local_clocks_.clear();
        local_order_.clear();
        snapshots_.clear();
        cache_bytes_ = 0;
        while (!advance_to(event, ask.at("from").get<int64_t>(), UINT64_MAX)) {
        }
        Json clocks = Json::array(), locals = Json::array();
        for (const auto& key : clock_order_) clocks.push_back(clocks_.at(key));
        for (const uint64_t key : local_order_) locals.push_back(local_clocks_.at(key));
        answer = {{"events", events_},
                  {"ended", ended_},
                  {"hash", trace_hash_so_far()},
                  {"clocks", std::move(clocks)},
                  {"locals", std::move(locals)}};
      } else {
        const tiers::NodeSnapshot* s = snapshot(ask.at("node").get<uint32_t>(), event);
        answer = s != nullptr ? Json{{"snapshot", *s}} : Json{{"none", true}};
      }
    } catch (const Json::exception&) {
      ::_exit(1);  // the owner reads end-of-file (model/forks.hpp), never waits for an answer
    }
    if (!frames::send(fd, cbor(answer))) return;
  }
}

uint64_t Probe::trace_hash_so_far() {
  if (remote()) return remote_.trace_hash;
  return run_ ? run_->simulator().trace().hash() : 0;
}

double Probe::progress() const {
  if (ended() || events() >= target_) return 1.0;
  const uint64_t span = target_ - start_;
  const uint64_t done = events() > start_ ? events() - start_ : 0;
  return span == 0 ? 1.0 : static_cast<double>(done) / static_cast<double>(span);
}

const tiers::NodeSnapshot* Probe::snapshot(uint32_t node, uint64_t event) {
  const auto key = std::make_pair(event, node);
  if (auto it = snapshots_.find(key); it != snapshots_.end()) return &it->second;
  // Only the state at that event: an ended run stands for every event at
  // or after its last one, never for an earlier one.
  const auto at = [event](uint64_t events, bool ended) {
    return events == event || (ended && event >= events);
  };
  tiers::NodeSnapshot s;
  if (remote() && remote_.known && !remote_.pending && at(remote_.events, remote_.ended)) {
    std::vector<uint8_t> bytes;
    const Json ask = {{"op", "snapshot"}, {"node", node}, {"event", event}};
    bool ok = frames::send(remote_.fd, cbor(ask)) && frames::receive(remote_.fd, bytes);
    bool none = false;
    if (ok) {
      try {
        const Json a = Json::from_cbor(bytes);
        none = a.contains("none");
        if (!none) s = a.at("snapshot").get<tiers::NodeSnapshot>();
      } catch (const Json::exception&) {
        ok = false;
      }
    }
    if (!ok) {
      remote_ = Remote{};
      forks_->fail();
      return nullptr;
    }
    if (none) return nullptr;
  } else if (run_ && at(events_, ended_)) {
    run::with_parked(parked_, [&] { s = run_->snapshot(node, limits_); });
  } else {
    return nullptr;
  }
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
