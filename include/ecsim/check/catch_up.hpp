// Catch-up checker: a cloud replica that restarted says, with a catch_up
// record (storage's kCaughtUp), that it holds every write acknowledged
// before its restart. It follows the trace alone: a restart record of a
// cloud node opens a restart, that node's first kCaughtUp record after it
// closes it, and a crash of the node after the restart supersedes it (the
// next restart is the one judged). At the end, the latest restart of each
// cloud node that is up and had `grace` to catch up must have caught up.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "ecsim/sim/time.hpp"
#include "ecsim/sim/trace.hpp"

namespace ecsim::check {

struct CatchUp {
  uint32_t node = 0;
  int64_t restart_ns = 0;
  uint64_t record = 0;       // the restart record's 1-based index in the run's trace
  bool caught_up = false;
  int64_t caught_up_ns = 0;  // when caught up
  bool superseded = false;   // the node crashed again after this restart
};

struct CatchUpReport {
  bool ok = true;
  std::string detail;
  uint64_t judged = 0;  // restarts looked at (0: nothing restarted)
};

class CatchUpChecker final : public sim::TraceObserver {
 public:
  // `cloud[n]`: node n is a cloud replica (only those are followed);
  // `names` labels nodes in the detail.
  CatchUpChecker(std::vector<bool> cloud, std::vector<std::string> names);
  void on_record(const sim::Record& r) override;
  // Every cloud restart, in trace order.
  const std::vector<CatchUp>& restarts() const { return restarts_; }
  // The verdict at `now`: a restart neither caught up nor superseded fails
  // when it is at least `grace` old, and is left unjudged (named) otherwise.
  CatchUpReport judge(int64_t now_ns, sim::Duration grace) const;

 private:
  std::vector<bool> cloud_;
  std::vector<std::string> names_;
  std::vector<int64_t> open_;  // per node: index into restarts_ of its latest restart, -1: none
  std::vector<CatchUp> restarts_;
  uint64_t records_seen_ = 0;
};

}  // namespace ecsim::check
