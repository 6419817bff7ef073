// When an operation still unanswered at the end of a run counts as not
// served (the served ratios: served_ratio_min, recovers_within and their
// billing forms; docs/scenarios.md, "Expect"). A client timeout longer
// than the time left must not hide operations nothing was answering, and
// one merely in flight at the end of a healthy run must not count against
// it: it is overdue once it has waited more than twice as long as any
// answered ok took (twice, so that the slowest of a handful of answers in
// a low-rate run is not the bar an ordinary one in flight must beat).
#pragma once
#include <cstdint>

namespace ecsim::workload {

inline constexpr int64_t kOverdueFactor = 2;

// REQUIRES: age_ns >= 0, longest_ok_ns >= 0.
inline bool overdue(int64_t age_ns, int64_t longest_ok_ns) { return age_ns > kOverdueFactor * longest_ok_ns; }

}  // namespace ecsim::workload
