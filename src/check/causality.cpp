#include "ecsim/check/causality.hpp"

#include <fmt/format.h>

#include "ecsim/check/clock_model.hpp"
#include "ecsim/proto/vclock_records.hpp"
#include "ecsim/sim/assert.hpp"
#include "ecsim/sim/time.hpp"

namespace ecsim::check {

namespace vclock = proto::vclock;  // the record types only: the logic is clock_model
namespace model = clock_model;
using sim::RecordType;

namespace {

std::string at(int64_t time_ns) { return sim::format_time(sim::Time{time_ns}); }

}  // namespace

CausalityChecker::CausalityChecker(std::vector<std::string> names)
    : CausalityChecker(std::move(names), Options{}) {}

CausalityChecker::CausalityChecker(std::vector<std::string> names, Options options)
    : names_(std::move(names)),
      options_(options),
      clocks_(names_.size()),
      last_send_(names_.size()) {}

const net::VectorClock& CausalityChecker::clock_of(uint32_t node) const {
  ECSIM_ASSERT(node < clocks_.size());
  return clocks_[node];
}

void CausalityChecker::report(int64_t time_ns, uint32_t node, uint64_t message_id,
                              std::string what) {
  ++violation_count_;
  if (violations_.size() < kViolationsMax) {
    violations_.push_back({time_ns, node, message_id, std::move(what)});
  }
}

void CausalityChecker::on_record(const sim::Record& r) {
  const bool clock_record = r.type == vclock::kRecordClockSend ||
                            r.type == vclock::kRecordClockRecv ||
                            r.type == vclock::kRecordClockLocal;
  const bool relevant = clock_record || r.type == RecordType::kSend ||
                        r.type == RecordType::kDeliver || r.type == RecordType::kDrop ||
                        r.type == RecordType::kDuplicate || r.type == RecordType::kCrash ||
                        r.type == RecordType::kRestart;
  if (!relevant) return;
  if (r.node >= names_.size()) {
    // Only clock records must name known nodes; other traffic may involve
    // nodes this checker was not told about and carries no clock.
    if (clock_record) {
      report(r.time_ns, r.node, r.a, fmt::format("clock record for unknown node {}", r.node));
    }
    return;
  }
  if (r.type == RecordType::kSend) {
    on_send(r);
  } else if (r.type == vclock::kRecordClockSend) {
    on_clock_send(r);
  } else if (r.type == RecordType::kDeliver) {
    on_deliver(r);
  } else if (r.type == vclock::kRecordClockRecv) {
    on_clock_recv(r);
  } else if (r.type == vclock::kRecordClockLocal) {
    on_clock_local(r);
  } else if (r.type == RecordType::kDrop) {
    on_drop(r);
  } else if (r.type == RecordType::kDuplicate) {
    on_duplicate(r);
  } else {
    on_restart(r);  // kCrash or kRestart
  }
}

void CausalityChecker::on_send(const sim::Record& r) {
  // Only the latest send can be followed by its clock_send record.
  last_send_[r.node] = LastSend{r.a, r.peer};
}

// The network decides a copy's fate as it sends: it writes the duplicate
// (node = sender) or the drop (node = receiver, peer = sender) before the
// sender's clock_send record; those count against the send still waiting
// for its clock.
void CausalityChecker::on_duplicate(const sim::Record& r) {
  if (std::optional<LastSend>& last = last_send_[r.node]; last && last->id == r.a) {
    ++last->copies;
  } else if (auto it = in_flight_.find(r.a); it != in_flight_.end()) {
    ++it->second.copies;
  }
}

void CausalityChecker::on_drop(const sim::Record& r) {
  if (r.peer < last_send_.size()) {
    if (std::optional<LastSend>& last = last_send_[r.peer]; last && last->id == r.a) {
      ++last->ended;
      return;
    }
  }
  on_copy_ends(r.a);
}

void CausalityChecker::on_clock_send(const sim::Record& r) {
  std::optional<LastSend>& last = last_send_[r.node];
  if (!last || last->id != r.a) {
    report(r.time_ns, r.node, r.a,
           fmt::format("{}: clock_send for message {} at {} does not follow that message's send "
                       "record",
                       name(r.node), r.a, at(r.time_ns)));
    return;
  }
  const uint32_t copies = last->copies - last->ended;
  last.reset();
  net::VectorClock& clock = clocks_[r.node];
  model::tick(clock, r.node);
  ++sends_checked_;
  if (model::traced_hash(clock) != r.b) {
    report(r.time_ns, r.node, r.a,
           fmt::format("{}: message {} sent at {} carries clock hash {:016x}, but the trace gives "
                       "{} (hash {:016x}): the carried clock was not the sender's",
                       name(r.node), r.a, at(r.time_ns), r.b, model::describe(clock, names_),
                       model::traced_hash(clock)));
  }
  if (copies > 0) remember(r.a, InFlight{clock, r.node, r.time_ns, copies});
}

void CausalityChecker::remember(uint64_t id, InFlight f) {
  if (in_flight_.size() >= kInFlightMax && !in_flight_.contains(id)) {
    in_flight_.erase(in_flight_.begin());  // ids grow with sends: the oldest
    ++evictions_;
  }
  in_flight_[id] = std::move(f);
  ECSIM_ASSERT(in_flight_.size() <= kInFlightMax);
}

void CausalityChecker::on_copy_ends(uint64_t id) {
  auto it = in_flight_.find(id);
  if (it == in_flight_.end()) return;
  if (--it->second.copies == 0) in_flight_.erase(it);
}

// A delivery puts the message at the receiver, but the receiver's actor may
// take it later (it can wait in the node's service queue, and the node may
// handle other messages first). The merge is checked at the clock_recv
// record, which the actor writes when it takes the message.
void CausalityChecker::on_deliver(const sim::Record& r) {
  auto it = in_flight_.find(r.a);
  if (it == in_flight_.end()) return;  // not tracked (or evicted)
  InFlight& sent = it->second;
  if (r.time_ns < sent.send_ns || r.peer != sent.src) {
    report(r.time_ns, r.node, r.a,
           fmt::format("{}: delivery of message {} at {} does not match its send by {} at {}", name(r.node), r.a,
                       at(r.time_ns), name(sent.src), at(sent.send_ns)));
  }
  ++sent.arrived;
  sent.arrived_ns = r.time_ns;
}

void CausalityChecker::on_clock_recv(const sim::Record& r) {
  auto it = in_flight_.find(r.a);
  if (it == in_flight_.end() || it->second.arrived == 0) {
    if (evictions_ > 0) {
      ++unverified_receives_;  // its send may have been evicted
    } else {
      report(r.time_ns, r.node, r.a,
             fmt::format("{}: clock_recv for message {} at {} without a deliver of a tracked send",
                         name(r.node), r.a, at(r.time_ns)));
    }
    return;
  }
  InFlight& sent = it->second;
  --sent.arrived;
  net::VectorClock& clock = clocks_[r.node];
  model::take_max(clock, sent.clock);
  model::tick(clock, r.node);
  ++receives_checked_;
  if (!model::strictly_before(sent.clock, clock)) {
    report(r.time_ns, r.node, r.a,
           fmt::format("{}: receive of message {} at {} does not follow its send by {} at {} "
                       "(send clock {}, receiver clock {})",
                       name(r.node), r.a, at(r.time_ns), name(sent.src), at(sent.send_ns),
                       model::describe(sent.clock, names_), model::describe(clock, names_)));
  }
  if (model::traced_hash(clock) != r.b) {
    report(r.time_ns, r.node, r.a,
           fmt::format("{}: clock after receiving message {} from {} at {} has hash {:016x}, but "
                       "merging the send's clock gives {} (hash {:016x}): the receive does not "
                       "follow its send",
                       name(r.node), r.a, name(sent.src), at(r.time_ns), r.b, model::describe(clock, names_),
                       model::traced_hash(clock)));
  }
  on_copy_ends(r.a);
}

void CausalityChecker::on_clock_local(const sim::Record& r) {
  net::VectorClock& clock = clocks_[r.node];
  model::tick(clock, r.node);
  if (model::traced_hash(clock) != r.b) {
    report(r.time_ns, r.node, 0,
           fmt::format("{}: local event at {} reports clock hash {:016x}, but the trace gives {}",
                       name(r.node), at(r.time_ns), r.b, model::describe(clock, names_)));
  }
}

void CausalityChecker::on_restart(const sim::Record& r) {
  // A crash loses what the node was doing: a half-recorded send or receive.
  last_send_[r.node].reset();
  if (r.type == RecordType::kRestart && !options_.clocks_survive_restart) {
    clocks_[r.node].entries.clear();
  }
}

void CausalityChecker::finish(int64_t end_ns) {
  for (const auto& [id, f] : in_flight_) {
    if (f.arrived == 0 || f.arrived_ns + kTakeWithinNs > end_ns) continue;
    // The clock of the receiver is not known from here; name the sender's side.
    report(end_ns, f.src, id,
           fmt::format("message {} from {} delivered at {} never got its clock_recv record", id, name(f.src),
                       at(f.arrived_ns)));
  }
}

}  // namespace ecsim::check
