// The served ratios' bookkeeping (served_ratio_min, recovers_within and
// their billing forms; docs/scenarios.md, "Expect"), one rule for pings,
// client requests and billing operations. When an operation still
// unanswered at the end of a run counts as not served: a client timeout longer
// than the time left must not hide operations nothing was answering, and
// one merely in flight at the end of a healthy run must not count against
// it: it is overdue once it has waited more than twice as long as any
// answered ok took (twice, so that the slowest of a handful of answers in
// a low-rate run is not the bar an ordinary one in flight must beat).
#pragma once
#include <array>
#include <cstdint>
#include <vector>

namespace ecsim::workload {

inline constexpr int64_t kOverdueFactor = 2;

// REQUIRES: age_ns >= 0, longest_ok_ns >= 0.
inline bool overdue(int64_t age_ns, int64_t longest_ok_ns) { return age_ns > kOverdueFactor * longest_ok_ns; }

// One more settled operation begun at `start_ns`, served or not, in a table
// {served, settled} by the second operations began (what recovers_within
// judges, run/recovery.hpp). REQUIRES: start_ns >= 0.
inline void count_second(std::vector<std::array<uint64_t, 2>>& by_second, int64_t start_ns, bool served) {
  const auto k = static_cast<size_t>(start_ns / 1000000000);
  if (k >= by_second.size()) by_second.resize(k + 1, {0, 0});
  by_second[k][0] += served ? 1 : 0;
  ++by_second[k][1];
}

}  // namespace ecsim::workload
