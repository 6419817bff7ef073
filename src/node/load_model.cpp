#include "ecsim/node/load_model.hpp"

#include <algorithm>

#include "ecsim/sim/assert.hpp"

namespace ecsim::node {

bool LoadProfile::enabled() const {
  for (const sim::Duration& d : service) {
    if (d.ns > 0) return true;
  }
  return false;
}

sim::Duration LoadProfile::wait_max() const {
  int64_t longest = 0;
  for (const sim::Duration& d : service) longest = std::max(longest, d.ns);
  return sim::Duration{(static_cast<int64_t>(queue_max / cores) + 2) * longest};
}

LoadModel::LoadModel(const LoadProfile& profile) : profile_(profile) {
  ECSIM_ASSERT(profile.cores >= 1 && profile.cores <= LoadProfile::kCoresMax);
  ECSIM_ASSERT(profile.memory_total_bytes > 0);
  core_free_ns_.assign(profile.cores, 0);
}

// Jobs leave the list once done; those still there whose start is in the
// future are waiting. Counts completed jobs towards the current sample.
size_t LoadModel::waiting(int64_t now_ns) {
  while (!jobs_.empty() && jobs_.front().done_ns <= now_ns) {
    response_sum_ns_ += jobs_.front().done_ns - jobs_.front().arrival_ns;
    ++done_since_sample_;
    jobs_.pop_front();
  }
  // Starts never decrease along the list (admit asserts it), so the
  // waiting jobs are a suffix: found by bisection, not by a walk over the
  // queue (which made every admission cost the queue's length).
  size_t lo = 0, hi = jobs_.size();  // the first job starting after now_ns
  while (lo < hi) {
    const size_t mid = lo + (hi - lo) / 2;
    if (jobs_[mid].start_ns <= now_ns) {
      lo = mid + 1;
    } else {
      hi = mid;
    }
  }
  return jobs_.size() - lo;
}

LoadModel::Admission LoadModel::admit(sim::Time now, uint32_t kind) {
  ECSIM_ASSERT(kind < LoadProfile::kKindsMax);
  ECSIM_ASSERT(now.ns >= last_arrival_ns_);
  last_arrival_ns_ = now.ns;
  if (waiting(now.ns) >= profile_.queue_max) {
    ++refused_;
    return {};
  }
  auto core = std::min_element(core_free_ns_.begin(), core_free_ns_.end());
  const int64_t start = std::max(now.ns, *core);
  const int64_t done = start + profile_.service[kind].ns;
  *core = done;
  scheduled_busy_ns_ += done - start;
  // Jobs are kept ordered by start: FIFO service means a later arrival never
  // starts before an earlier one.
  ECSIM_ASSERT(jobs_.empty() || jobs_.back().start_ns <= start);
  jobs_.push_back({start, done, now.ns});
  ++admitted_;
  return {true, sim::Time{start}, sim::Time{done}};
}

// Busy core time up to `now`: everything scheduled, minus the work still
// ahead of each core (after `now` a core's jobs run back to back, because
// every gap lies before the arrival that ended it, and arrivals are <= now).
int64_t LoadModel::busy_until(int64_t now_ns) const {
  int64_t ahead = 0;
  for (int64_t free_ns : core_free_ns_) ahead += std::max<int64_t>(0, free_ns - now_ns);
  return scheduled_busy_ns_ - ahead;
}

LoadSample LoadModel::sample(sim::Time now) {
  ECSIM_ASSERT(now.ns >= last_sample_ns_);
  LoadSample s;
  s.queue_length = static_cast<uint32_t>(waiting(now.ns));
  const int64_t interval_ns = now.ns - last_sample_ns_;
  const int64_t busy = busy_until(now.ns);
  if (interval_ns > 0) {
    const __int128 capacity = static_cast<__int128>(interval_ns) * profile_.cores;
    s.cpu_permille = static_cast<uint32_t>(
        std::min<__int128>(1000, static_cast<__int128>(busy - busy_at_last_sample_ns_) * 1000 / capacity));
  }
  const uint64_t in_system = jobs_.size();
  const uint64_t memory = profile_.memory_base_bytes + in_system * profile_.memory_per_queued_bytes;
  s.memory_permille = static_cast<uint32_t>(std::min<uint64_t>(1000, memory * 1000 / profile_.memory_total_bytes));
  s.served = done_since_sample_;
  s.response_ns_mean = done_since_sample_ ? response_sum_ns_ / static_cast<int64_t>(done_since_sample_) : 0;
  last_sample_ns_ = now.ns;
  busy_at_last_sample_ns_ = busy;
  response_sum_ns_ = 0;
  done_since_sample_ = 0;
  return s;
}

void LoadModel::reset(sim::Time now) {
  // Work not yet done is lost; the cores are free from now on.
  const int64_t ahead_before = scheduled_busy_ns_ - busy_until(now.ns);
  scheduled_busy_ns_ -= ahead_before;
  std::fill(core_free_ns_.begin(), core_free_ns_.end(), now.ns);
  jobs_.clear();
  last_arrival_ns_ = std::max(last_arrival_ns_, now.ns);
}

}  // namespace ecsim::node
