#include "model/timeline.hpp"

#include <algorithm>
#include <variant>

#include <fmt/format.h>

#include "ecsim/fault/nemesis.hpp"
#include "ecsim/node/disk.hpp"
#include "ecsim/proto/dsm.hpp"
#include "ecsim/proto/twopc.hpp"
#include "ecsim/scenario/selector.hpp"
#include "ecsim/sim/assert.hpp"
#include "ecsim/tiers/send_observer.hpp"
#include "model/records.hpp"

namespace ecsim::viz {

namespace {
using sim::Record;
using sim::RecordType;
using rt::kClientEnd;
using rt::kClientStart;
using rt::kCloudOp;
using rt::kLookup;
constexpr int64_t kSecondNs = sim::seconds(1).ns;
// Events the run dispatches between checks of what the viewer asked for.
constexpr uint64_t kEventsPerChunk = 8192;
uint64_t next_timeline_id = 1;  // viewer-side only: names a Timeline (Timeline::id)

int64_t quantile(std::vector<int64_t>& v, double q) {
  if (v.empty()) return 0;
  const size_t k = static_cast<size_t>(q * static_cast<double>(v.size() - 1));
  std::nth_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(k), v.end());
  return v[k];
}
}  // namespace

// Hands the run's records to the Timeline with their index in the trace.
class Timeline::Collector final : public sim::TraceObserver {
 public:
  explicit Collector(Timeline& t) : timeline_(t) {}
  std::span<const RecordType> record_types() const override { return collected_types(); }
  void on_record(const Record& r) override { timeline_.on_record(r, record_index()); }

 private:
  Timeline& timeline_;
};

// Reads the 2PC transaction of every 2PC message the run sends.
class Timeline::SendTap final : public tiers::SendObserver {
 public:
  explicit SendTap(Timeline& t) : timeline_(t) {}
  void on_send(net::NodeId, net::NodeId, uint32_t kind, uint64_t message_id, const tiers::Payload& payload) override {
    if (kind != tiers::kKindTwopc) return;
    const auto* m = std::get_if<proto::twopc::Message>(&payload);
    ECSIM_ASSERT(m != nullptr);  // the kind names the body
    const uint64_t txn = std::visit([](const auto& x) { return x.txn; }, *m);
    auto& v = timeline_.message_txns_;
    if (!v.empty() && v.back().first >= message_id) {
      // Ids only grow; a send the network never numbered (none today) would
      // leave its id to the next one: keep the latest.
      ECSIM_ASSERT(v.back().first == message_id);
      v.back().second = txn;
      return;
    }
    if (v.size() >= kMessageTxnsMax) {
      ++timeline_.message_txns_refused_;
      return;
    }
    v.emplace_back(message_id, txn);
  }

 private:
  Timeline& timeline_;
};

// Reads the transaction of every entry a 2PC machine appends to its log.
class Timeline::LogTap final : public proto::twopc::LogObserver {
 public:
  explicit LogTap(Timeline& t) : timeline_(t) {}
  void on_log_append(net::NodeId node, uint64_t index, uint64_t txn) override {
    timeline_.on_log_append(node, index, txn);
  }

 private:
  Timeline& timeline_;
};

Timeline::Timeline(scenario::Scenario scenario, run::RunOptions options, TimelineLimits limits,
                   TimelinePrefix prefix)
    : scenario_(std::move(scenario)),
      options_(options),
      id_(next_timeline_id++),
      names_(scenario::node_names(scenario_.topology)),
      limits_(limits),
      collector_(std::make_unique<Collector>(*this)),
      send_tap_(std::make_unique<SendTap>(*this)),
      log_tap_(std::make_unique<LogTap>(*this)),
      head_(names_.size()),
      cursor_(names_.size()),
      every_(std::max<uint64_t>(1, limits.checkpoint_every)) {
  for (uint32_t n = 0; n < names_.size(); ++n) {
    tiers_.push_back(static_cast<Tier>(scenario::node_tier(scenario_.topology, n)));
  }
  options_.observers.clear();
  options_.send_observer = nullptr;
  options_.twopc_log_observer = nullptr;
  logs_.resize(names_.size());
  end_ns_ = options.until.value_or(scenario_.duration).ns;
  for (const scenario::Fault& f : scenario_.faults) {
    if (f.kind == scenario::Fault::Kind::kDsmSet || f.kind == scenario::Fault::Kind::kDsmGet) {
      dsm_watched_.push_back(f.key);
    }
    const bool cuts = f.kind == scenario::Fault::Kind::kPartition ||
                      (f.kind == scenario::Fault::Kind::kAtPoint && f.action == scenario::Fault::PointAction::kCut);
    partition_groups_.push_back(cuts ? fault::partition_groups(scenario_.topology, f, names_.size())
                                     : std::vector<uint32_t>{});
  }
  std::sort(dsm_watched_.begin(), dsm_watched_.end());
  dsm_watched_.erase(std::unique(dsm_watched_.begin(), dsm_watched_.end()), dsm_watched_.end());
  take_checkpoint();  // the state before the first record (building the run may record)
  ECSIM_ASSERT(checkpoints_.size() == 1);
  if (!prefix.records.empty() && prefix.dsm_watched == dsm_watched_ && !prefix.checkpoints.empty() &&
      prefix.checkpoints[0].applied == 0) {
    records_ = std::move(prefix.records);
    trace_index_ = std::move(prefix.trace_index);
    event_index_ = std::move(prefix.event_index);
    end_delta_ = std::move(prefix.end_delta);
    checkpoints_ = std::move(prefix.checkpoints);
    every_ = prefix.every;
    ECSIM_ASSERT(every_ > 0 && records_.size() == event_index_.size());
    const auto end = std::upper_bound(event_index_.begin(), event_index_.end(), prefix.through_event);
    truncate_to(static_cast<uint64_t>(end - event_index_.begin()));
    prefix_end_ = records_.size();
  }
  options.observers.push_back(collector_.get());
  options.send_observer = send_tap_.get();
  options.twopc_log_observer = log_tap_.get();
  run_ = std::make_unique<run::Run>(scenario_, options);
}

Timeline::~Timeline() = default;

uint64_t Timeline::seed() const { return result_ ? result_->seed : run_->simulator().seed(); }
int64_t Timeline::end_ns() const { return end_ns_; }
int64_t Timeline::simulated_ns() const { return finished() ? end_ns() : run_->simulator().now().ns; }

const run::RunResult& Timeline::result() const {
  ECSIM_ASSERT(result_ != nullptr);
  return *result_;
}

uint64_t Timeline::record_bytes() const {
  return records_.capacity() * sizeof(Record) + trace_index_.capacity() * sizeof(uint64_t) +
         event_index_.capacity() * sizeof(uint64_t) +
         end_delta_.capacity() * sizeof(uint32_t);
}

void Timeline::on_record(const Record& r, uint64_t trace_index) {
  add_second_figures(r);
  wal_scratch_set_ = false;
  if (r.type == proto::twopc::kRecordWal) attribute_wal(r);
  const bool watched = r.type == proto::dsm::kRecordDsm &&
                       std::binary_search(dsm_watched_.begin(), dsm_watched_.end(), r.a);
  if (!stored(r) && !watched) return;
  if (records_.size() >= limits_.records_max) {
    truncated_ = true;
    return;
  }
  const uint64_t event = run_ ? run_->simulator().events_processed() : 0;
  if (matched_ < prefix_end_) {
    const Record& k = records_[matched_];
    const bool same = k.time_ns == r.time_ns && k.type == r.type && k.code == r.code && k.node == r.node &&
                      k.peer == r.peer && k.kind == r.kind && k.a == r.a && k.b == r.b &&
                      trace_index_[matched_] == trace_index && event_index_[matched_] == event;
    if (same) {
      store_wal(matched_);
      ++matched_;
      ++reused_;
      return;
    }
    // The run differs from the prefix (it should not): collect from here.
    truncate_to(matched_);
    prefix_end_ = matched_;
  }
  store_wal(records_.size());
  keep(r, trace_index, event);
}

void Timeline::on_log_append(uint32_t node, uint64_t index, uint64_t txn) {
  ECSIM_ASSERT(node < logs_.size());
  NodeLog& log = logs_[node];
  // Truncations drop only durable entries and a crash loses only un-synced
  // ones, so an append lands at or after the log's first entry; at an index
  // already known it follows a crash that lost the entries from there.
  ECSIM_ASSERT(index >= log.first);
  const uint64_t at = index - log.first;
  if (at < log.txns.size()) log.txns.resize(at);
  ECSIM_ASSERT(at == log.txns.size() && log.txns.size() < node::Disk::kEntriesMax);
  log.txns.push_back(txn);
}

void Timeline::attribute_wal(const Record& r) {
  using WE = proto::twopc::WalEvent;
  ECSIM_ASSERT(r.type == proto::twopc::kRecordWal && r.node < logs_.size());
  NodeLog& log = logs_[r.node];
  const uint64_t end = log.first + log.txns.size();
  // The part of the log the record names: [lo, hi).
  uint64_t lo = 0, hi = 0;
  switch (static_cast<WE>(r.code)) {
    case WE::kReplayed:  // the log read at recovery, b = its length (a crash may have cut it)
      ECSIM_ASSERT(r.b >= log.first && r.b <= end);
      log.txns.resize(r.b - log.first);
      lo = log.first, hi = r.b;
      break;
    case WE::kRejected:  // a = the entry's index
      ECSIM_ASSERT(r.a >= log.first && r.a < end);
      lo = r.a, hi = r.a + 1;
      break;
    case WE::kCheckpointed:  // a, b = the checkpoint's first entry and the log's length after it
      lo = r.a, hi = r.b;
      break;
    case WE::kTruncated:  // a = entries dropped from the front
      ECSIM_ASSERT(r.a <= log.txns.size());
      lo = log.first, hi = log.first + r.a;
      break;
  }
  ECSIM_ASSERT(lo >= log.first && hi <= log.first + log.txns.size() && lo <= hi);
  wal_scratch_.clear();
  for (uint64_t i = lo; i < hi; ++i) {
    const uint64_t txn = log.txns[i - log.first];
    if (txn != 0) wal_scratch_.push_back(txn);
  }
  std::sort(wal_scratch_.begin(), wal_scratch_.end());
  wal_scratch_.erase(std::unique(wal_scratch_.begin(), wal_scratch_.end()), wal_scratch_.end());
  wal_scratch_set_ = true;
  if (static_cast<WE>(r.code) == WE::kTruncated) {
    log.txns.erase(log.txns.begin(), log.txns.begin() + static_cast<std::ptrdiff_t>(r.a));
    log.first += r.a;
  }
}

void Timeline::store_wal(uint64_t index) {
  if (!wal_scratch_set_) return;
  ECSIM_ASSERT(wal_records_.empty() || wal_records_.back() < index);
  if (wal_txns_.size() + wal_scratch_.size() > kWalTxnsMax) {
    ++wal_txns_refused_;
    return;
  }
  wal_records_.push_back(index);
  wal_begin_.push_back(wal_txns_.size());
  wal_txns_.insert(wal_txns_.end(), wal_scratch_.begin(), wal_scratch_.end());
}

std::optional<std::span<const uint64_t>> Timeline::wal_txns(uint64_t index) const {
  const auto it = std::lower_bound(wal_records_.begin(), wal_records_.end(), index);
  if (it == wal_records_.end() || *it != index) return std::nullopt;
  const size_t k = static_cast<size_t>(it - wal_records_.begin());
  const uint64_t begin = wal_begin_[k];
  const uint64_t end = k + 1 < wal_begin_.size() ? wal_begin_[k + 1] : wal_txns_.size();
  return std::span<const uint64_t>(wal_txns_.data() + begin, end - begin);
}

void Timeline::truncate_to(uint64_t m) {
  ECSIM_ASSERT(m <= records_.size());
  records_.resize(m);
  trace_index_.resize(m);
  event_index_.resize(m);
  end_delta_.resize(m);
  while (checkpoints_.size() > 1 && checkpoints_.back().applied > m) checkpoints_.pop_back();
  const auto wal_cut = std::lower_bound(wal_records_.begin(), wal_records_.end(), m);
  const size_t wal_kept = static_cast<size_t>(wal_cut - wal_records_.begin());
  if (wal_kept < wal_records_.size()) wal_txns_.resize(wal_begin_[wal_kept]);
  wal_records_.resize(wal_kept);
  wal_begin_.resize(wal_kept);
  checkpoint_bytes_ = 0;
  for (const ViewState& c : checkpoints_) checkpoint_bytes_ += c.bytes();
  head_ = checkpoints_.back();
  while (head_.applied < m) head_.apply(records_[head_.applied]);
  // The messages whose end is not among the first m records are in flight.
  pending_sends_.clear();
  for (uint64_t i = 0; i < m; ++i) {
    if (records_[i].type != RecordType::kSend) continue;
    if (end_delta_[i] == 0 || i + end_delta_[i] >= m) {
      end_delta_[i] = 0;
      pending_sends_[records_[i].a] = i;
    }
  }
  if (cursor_.applied > m) cursor_ = head_;
  ECSIM_ASSERT(head_.applied == m && checkpoints_.back().applied <= m);
}

TimelinePrefix Timeline::release_prefix(uint64_t through_event) {
  TimelinePrefix p;
  p.records = std::move(records_);
  p.trace_index = std::move(trace_index_);
  p.event_index = std::move(event_index_);
  p.end_delta = std::move(end_delta_);
  p.checkpoints = std::move(checkpoints_);
  p.every = every_;
  p.dsm_watched = dsm_watched_;
  p.through_event = through_event;
  records_.clear();
  checkpoints_.clear();
  return p;
}

void Timeline::keep(const Record& r, uint64_t trace_index, uint64_t event) {
  const uint64_t index = records_.size();
  records_.push_back(r);
  trace_index_.push_back(trace_index);
  event_index_.push_back(event);
  end_delta_.push_back(0);
  if (r.type == RecordType::kSend) {
    pending_sends_[r.a] = index;
  } else if (r.type == RecordType::kDeliver || r.type == RecordType::kDrop) {
    auto it = pending_sends_.find(r.a);
    if (it != pending_sends_.end()) {
      end_delta_[it->second] = static_cast<uint32_t>(std::min<uint64_t>(index - it->second, UINT32_MAX));
      pending_sends_.erase(it);
    }
  }
  head_.apply(r);
  if (head_.applied % every_ == 0) take_checkpoint();
}

std::optional<uint64_t> Timeline::message_txn(uint64_t message_id) const {
  const auto it = std::lower_bound(message_txns_.begin(), message_txns_.end(), std::make_pair(message_id, uint64_t{0}));
  if (it == message_txns_.end() || it->first != message_id) return std::nullopt;
  return it->second;
}

std::optional<uint64_t> Timeline::message_end(uint64_t send_index) const {
  if (send_index >= end_delta_.size() || end_delta_[send_index] == 0) return std::nullopt;
  return send_index + end_delta_[send_index];
}

void Timeline::add_second_figures(const Record& r) {
  // A record at the end time itself (the end state, the requests still
  // waiting) counts in the last whole second.
  const int64_t t_ns = std::clamp<int64_t>(r.time_ns, 0, std::max<int64_t>(0, end_ns_ - 1));
  const size_t second = static_cast<size_t>(t_ns / kSecondNs);
  while (seconds_.size() <= second) {
    if (!seconds_.empty()) close_second();
    SecondFigures f;
    f.cpu_permille.assign(names_.size(), 0);
    f.memory_permille.assign(names_.size(), 0);
    f.cache_hits.assign(names_.size(), 0);
    f.cache_misses.assign(names_.size(), 0);
    seconds_.push_back(std::move(f));
  }
  SecondFigures& f = seconds_.back();
  const bool node_ok = r.node < names_.size();
  if (r.type == kClientStart) {
    ++f.requests_started;
  } else if (r.type == kClientEnd) {
    ++f.requests_ended;
    const size_t tier = std::min<size_t>(r.kind, 1);  // 0 edge, 1 via core
    if (r.code == 0) {
      ++f.tiers[tier].ok;
      open_latencies_[tier].push_back(static_cast<int64_t>(r.b));
    } else if (r.code != 5) {
      ++f.tiers[tier].failed;
    }
  } else if (r.type == kCloudOp) {
    if (r.code == 1) {
      ++f.tiers[2].ok;
      open_latencies_[2].push_back(static_cast<int64_t>(r.b));
    } else {
      ++f.tiers[2].failed;
    }
  } else if (r.type == kLookup && node_ok) {
    ++(r.code == 1 ? f.cache_hits : f.cache_misses)[r.node];
  } else if (r.type == RecordType::kLoad && node_ok) {
    f.cpu_permille[r.node] = static_cast<uint16_t>(std::min<uint64_t>(r.a >> 32, 1000));
    f.memory_permille[r.node] = static_cast<uint16_t>(std::min<uint64_t>(r.a & 0xffffffffu, 1000));
  } else if (r.type == RecordType::kDrop) {
    ++f.drops;
  }
}

void Timeline::close_second() {
  SecondFigures& f = seconds_.back();
  for (size_t t = 0; t < kTiers; ++t) {
    f.tiers[t].p50_ns = quantile(open_latencies_[t], 0.50);
    f.tiers[t].p99_ns = quantile(open_latencies_[t], 0.99);
    open_latencies_[t].clear();
  }
}

std::string Timeline::describe(const Record& r) const {
  if (r.type == kExpectationFailed && r.a < failed_.size()) {
    const run::Verdict& v = failed_[r.a];
    return fmt::format("expectation failed: {}: {}", v.name, v.detail);
  }
  return viz::describe(r, names_);
}

void Timeline::take_checkpoint() {
  ECSIM_ASSERT(head_.applied == checkpoints_.size() * every_);
  checkpoints_.push_back(head_);
  checkpoint_bytes_ += head_.bytes();
  if (checkpoint_bytes_ > limits_.checkpoint_memory_bytes && checkpoints_.size() > 2) thin_checkpoints();
}

void Timeline::thin_checkpoints() {
  // Keep the even ones: checkpoints_[k] then sits at k * (2 * every_).
  std::vector<ViewState> kept;
  uint64_t bytes = 0;
  for (size_t k = 0; k < checkpoints_.size(); k += 2) {
    bytes += checkpoints_[k].bytes();
    kept.push_back(std::move(checkpoints_[k]));
  }
  checkpoints_ = std::move(kept);
  checkpoint_bytes_ = bytes;
  every_ *= 2;
  ECSIM_ASSERT(checkpoints_.back().applied % every_ == 0);
}

void Timeline::finish_run() {
  ECSIM_ASSERT(result_ == nullptr);
  result_ = std::make_unique<run::RunResult>(run_->finish());
  // Prefix records the run never reproduced (the old run's failed
  // expectations, or a run that ended sooner) are not this run's.
  if (matched_ < prefix_end_) {
    truncate_to(matched_);
    prefix_end_ = matched_;
  }
  if (!seconds_.empty()) close_second();
  // The failed expectations, as records after the run's last one (the
  // trace and its hash are final: they never enter them).
  for (const run::Verdict& v : result_->verdicts) {
    if (v.ok || v.informational || truncated_ || records_.size() >= limits_.records_max) continue;
    keep(Record{result_->end.ns, kExpectationFailed, 0, UINT32_MAX, 0, 0, failed_.size(), 0}, result_->records,
         result_->events);
    failed_.push_back(v);
  }
}

uint64_t Timeline::events_simulated() const {
  return finished() ? result_->events : run_->simulator().events_processed();
}

void Timeline::simulate_events(uint64_t events) {
  if (finished() || truncated_ || events == 0) return;
  if (run_->advance(events)) finish_run();
}

void Timeline::simulate_records(uint64_t count) {
  while (!finished() && !truncated_ && records_.size() < count) {
    if (run_->advance(kEventsPerChunk)) finish_run();
  }
}

void Timeline::simulate_time(int64_t t_ns) {
  while (!finished() && !truncated_ && run_->simulator().now().ns <= t_ns) {
    if (run_->advance(kEventsPerChunk)) finish_run();
  }
}

void Timeline::simulate_all() { simulate_records(UINT64_MAX); }

uint64_t Timeline::count_at_time(int64_t t_ns) {
  simulate_time(t_ns);
  return collected_at_time(t_ns);
}

uint64_t Timeline::collected_at_time(int64_t t_ns) const {
  const auto at = std::upper_bound(records_.begin(), records_.end(), t_ns,
                                   [](int64_t t, const Record& r) { return t < r.time_ns; });
  return static_cast<uint64_t>(at - records_.begin());
}

uint64_t Timeline::count_through_event(uint64_t event) {
  // Records are made in event order: simulate until one of a later event
  // is kept (or the run ends), then search.
  while (!finished() && !truncated_ && run_->simulator().events_processed() <= event) {
    if (run_->advance(std::min<uint64_t>(kEventsPerChunk, event + 1 - run_->simulator().events_processed()))) {
      finish_run();
    }
  }
  const auto at = std::upper_bound(event_index_.begin(), event_index_.end(), event);
  return static_cast<uint64_t>(at - event_index_.begin());
}

std::vector<uint64_t> Timeline::sends_in_flight_before(uint64_t index) const {
  ECSIM_ASSERT(index <= records_.size());
  const size_t k = static_cast<size_t>(std::min<uint64_t>(index / every_, checkpoints_.size() - 1));
  const ViewState& c = checkpoints_[k];
  ECSIM_ASSERT(c.applied <= index);
  std::vector<uint64_t> out;
  const auto open_at = [&](uint64_t send) {
    const auto end = message_end(send);
    return !end || *end >= index;
  };
  for (const auto& [id, m] : c.in_flight) {
    if (open_at(m.send_index)) out.push_back(m.send_index);
  }
  for (uint64_t i = c.applied; i < index; ++i) {
    if (records_[i].type == RecordType::kSend && open_at(i)) out.push_back(i);
  }
  std::sort(out.begin(), out.end());
  return out;
}

void Timeline::seek(uint64_t index) {
  if (index > records_.size()) simulate_records(index);
  index = std::min<uint64_t>(index, records_.size());
  const uint64_t from_checkpoint = index / every_ * every_;
  // Forwards within reach: apply from where the cursor is. Otherwise (or
  // backwards) restore the checkpoint at or before `index`.
  if (index < cursor_.applied || cursor_.applied < from_checkpoint) {
    const size_t k = static_cast<size_t>(std::min<uint64_t>(index / every_, checkpoints_.size() - 1));
    cursor_ = checkpoints_[k];
  }
  while (cursor_.applied < index) {
    cursor_.apply(records_[cursor_.applied]);
    ++applied_total_;
  }
  ECSIM_ASSERT(cursor_.applied == index);
}

void Timeline::seek_time(int64_t t_ns) { seek(count_at_time(t_ns)); }

void Timeline::step(int64_t delta) {
  if (delta < 0) {
    const uint64_t back = static_cast<uint64_t>(-delta);
    seek(cursor_.applied > back ? cursor_.applied - back : 0);
  } else {
    seek(cursor_.applied + static_cast<uint64_t>(delta));
  }
}

bool Timeline::seek_next(const std::function<bool(const Record&)>& pred) {
  for (uint64_t i = cursor_.applied;; ++i) {
    if (i >= records_.size()) simulate_records(i + 1);
    if (i >= records_.size()) return false;
    if (pred(records_[i])) {
      seek(i + 1);
      return true;
    }
  }
}

bool Timeline::seek_prev(const std::function<bool(const Record&)>& pred) {
  // The cursor's own record is cursor-1: look before it.
  for (uint64_t i = cursor_.applied >= 1 ? cursor_.applied - 1 : 0; i-- > 0;) {
    if (pred(records_[i])) {
      seek(i + 1);
      return true;
    }
  }
  return false;
}

std::optional<uint64_t> Timeline::find_first(const std::function<bool(const Record&)>& pred) {
  for (uint64_t i = 0;; ++i) {
    if (i >= records_.size()) simulate_records(i + 1);
    if (i >= records_.size()) return std::nullopt;
    if (pred(records_[i])) return i;
  }
}

bool Timeline::link_cut(uint32_t a, uint32_t b) const {
  for (const uint32_t p : cursor_.partitions) {
    const std::vector<uint32_t>& group = partition_groups_[p];
    if (!group.empty() && a < group.size() && b < group.size() && group[a] != group[b]) return true;
  }
  return false;
}

}  // namespace ecsim::viz
