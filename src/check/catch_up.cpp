#include "ecsim/check/catch_up.hpp"

#include <fmt/format.h>

#include "ecsim/check/durability.hpp"  // violation_text
#include "ecsim/proto/storage.hpp"     // the catch-up record and its events

namespace ecsim::check {

CatchUpChecker::CatchUpChecker(std::vector<bool> cloud, std::vector<std::string> names)
    : cloud_(std::move(cloud)), names_(std::move(names)), open_(cloud_.size(), -1) {}

void CatchUpChecker::on_record(const sim::Record& r) {
  ++records_seen_;
  // Offered every record: the three kinds it follows are told apart first.
  if (r.type != sim::RecordType::kRestart && r.type != sim::RecordType::kCrash &&
      r.type != proto::storage::kRecordCatchUp) {
    return;
  }
  if (r.node >= cloud_.size() || !cloud_[r.node]) return;
  const int64_t open = open_[r.node];
  if (r.type == sim::RecordType::kRestart) {
    open_[r.node] = static_cast<int64_t>(restarts_.size());
    restarts_.push_back(CatchUp{r.node, r.time_ns, records_seen_, false, 0, false});
  } else if (open < 0) {
    return;
  } else if (r.type == sim::RecordType::kCrash) {
    restarts_[static_cast<size_t>(open)].superseded = true;
  } else if (r.type == proto::storage::kRecordCatchUp &&
             r.code == static_cast<uint16_t>(proto::storage::CatchUpEvent::kCaughtUp)) {
    CatchUp& c = restarts_[static_cast<size_t>(open)];
    if (!c.caught_up && !c.superseded) {
      c.caught_up = true;
      c.caught_up_ns = r.time_ns;
    }
  }
}

CatchUpReport CatchUpChecker::judge(int64_t now_ns, sim::Duration grace) const {
  CatchUpReport rep;
  rep.judged = restarts_.size();
  std::string late, caught, waiting;
  auto add = [](std::string& list, const std::string& item) { list += (list.empty() ? "" : ", ") + item; };
  for (const CatchUp& c : restarts_) {
    if (c.superseded) continue;
    const std::string& name = names_[c.node];
    if (c.caught_up) {
      add(caught, fmt::format("{} after {:.3f}s", name, static_cast<double>(c.caught_up_ns - c.restart_ns) / 1e9));
    } else if (now_ns - c.restart_ns >= grace.ns) {
      rep.ok = false;
      late += (late.empty() ? "" : "; ") +
              violation_text(name, c.restart_ns, c.record,
                             fmt::format("restarted, not caught up by the end at {}", sim::format_time(sim::Time{now_ns})));
    } else {
      add(waiting, name);
    }
  }
  if (!late.empty()) {
    rep.detail = late;
  } else if (restarts_.empty()) {
    rep.detail = "no cloud replica restarted";
  } else {
    rep.detail = caught.empty() ? "" : "caught up: " + caught;
    if (!waiting.empty()) {
      rep.detail += fmt::format("{}not judged (restarted less than {} before the end): {}",
                                rep.detail.empty() ? "" : "; ", sim::format_duration(grace), waiting);
    }
    if (rep.detail.empty()) rep.detail = "every restarted replica crashed again before the end";
  }
  return rep;
}

}  // namespace ecsim::check
