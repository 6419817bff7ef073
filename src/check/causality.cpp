#include "ecsim/check/causality.hpp"

#include "ecsim/sim/limits.hpp"
#include <fmt/format.h>

#include <algorithm>

#include "ecsim/check/clock_model.hpp"
#include "ecsim/proto/vclock_records.hpp"
#include "ecsim/sim/assert.hpp"
#include "ecsim/sim/time.hpp"
#include "internal.hpp"

namespace ecsim::check {

namespace vclock = proto::vclock;  // the record types only: the clock rules are clock_model
namespace model = clock_model;
using net::VectorClock;
using sim::RecordType;

namespace {

using internal::at;

}  // namespace

CausalityChecker::CausalityChecker(std::vector<std::string> names)
    : CausalityChecker(std::move(names), Options{}) {}

CausalityChecker::CausalityChecker(std::vector<std::string> names, Options options)
    : names_(std::move(names)),
      options_(options),
      clocks_(names_.size()),
      known_(names_.size(), 1),
      pending_send_(names_.size()) {}

const VectorClock& CausalityChecker::clock_of(uint32_t node) const {
  ECSIM_ASSERT(node < clocks_.size());
  return clocks_[node];
}

bool CausalityChecker::clock_known(uint32_t node) const {
  ECSIM_ASSERT(node < known_.size());
  return known_[node] != 0;
}

std::string CausalityChecker::name(uint32_t node) const {
  return node < names_.size() ? names_[node] : fmt::format("node {}", node);
}

std::string CausalityChecker::clock_text(const VectorClock& c) const {
  return model::describe(c, names_);
}

void CausalityChecker::report(const sim::Record& r, uint32_t node, std::string what) {
  report(r.time_ns, record_index(), node, r.a, std::move(what));
}

void CausalityChecker::report(int64_t time_ns, uint64_t record, uint32_t node, uint64_t message_id,
                              std::string what) {
  ++violation_count_;
  if (violations_.size() < kViolationsMax) {
    std::string text =
        fmt::format("{} at {}, record #{}: {}", name(node), at(time_ns), record, what);
    violations_.push_back({time_ns, record, node, message_id, std::move(text)});
  }
}

std::string CausalityChecker::summary() const {
  std::string out = fmt::format("{} sends and {} receives checked against recomputed clocks",
                                sends_checked_, receives_checked_);
  if (incomplete()) {
    out = fmt::format("incomplete: the checker reached its limit {} ({} messages in flight); {}",
                      sim::resource_info(sim::Resource::kCausalityInFlight).name, kInFlightMax, out);
  }
  if (unverified_ > 0) {
    out += fmt::format(
        "; {} clock records unverified: {} messages sent while {} were in flight were not "
        "tracked, and the clocks they reached became unknown",
        unverified_, untracked_at_bound_, kInFlightMax);
  }
  return out;
}

void CausalityChecker::on_record(const sim::Record& r) {
  const bool clock_record = r.type == vclock::kRecordClockSend ||
                            r.type == vclock::kRecordClockRecv ||
                            r.type == vclock::kRecordClockLocal;
  if (r.node >= names_.size()) {
    // Only clock records must name known nodes; other traffic may involve
    // nodes this checker was not told about and carries no clock.
    if (clock_record) report(r, r.node, fmt::format("clock record for unknown node {}", r.node));
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
  } else if (r.type == RecordType::kCrash) {
    on_crash(r);
  } else if (r.type == RecordType::kRestart) {
    on_restart(r);
  }
}

void CausalityChecker::on_send(const sim::Record& r) {
  // Only the latest send can be followed by its clock_send record.
  pending_send_[r.node] = PendingSend{r.a, r.peer, 1, 0, record_index()};
}

// The network decides a copy's fate as it sends: it writes the duplicate
// (node = sender) or the drop (node = receiver, peer = sender) before the
// sender's clock_send record; those count against the send still waiting
// for its clock.
void CausalityChecker::on_duplicate(const sim::Record& r) {
  if (std::optional<PendingSend>& p = pending_send_[r.node]; p && p->id == r.a) {
    ++p->copies;
  } else if (InFlight* m = in_flight_.find(r.a); m != nullptr) {
    ++m->copies;
  }
}

void CausalityChecker::on_drop(const sim::Record& r) {
  if (r.peer < pending_send_.size()) {
    if (std::optional<PendingSend>& p = pending_send_[r.peer]; p && p->id == r.a) {
      ++p->ended;
      return;
    }
  }
  InFlight* m = in_flight_.find(r.a);
  if (m == nullptr) return;
  // A receiver whose service queue is full refuses a copy just delivered.
  if (r.code == static_cast<uint16_t>(sim::DropReason::kOverload) && m->arrived > 0) --m->arrived;
  end_copy(r.a, *m);
}

void CausalityChecker::end_copy(uint64_t id, InFlight& m) {
  ECSIM_ASSERT(m.copies > 0);
  if (--m.copies != 0) return;
  clock_bytes_.add(-static_cast<int64_t>(m.clock_bytes));
  if (spare_clocks_.size() < kSpareClocksMax) spare_clocks_.push_back(std::move(m.clock));
  in_flight_.erase(id);
}

void CausalityChecker::on_clock_send(const sim::Record& r) {
  std::optional<PendingSend>& p = pending_send_[r.node];
  if (!p || p->id != r.a || p->dst != r.peer) {
    report(r, r.node,
           fmt::format("clock_send for message {} to {} does not follow that message's send record",
                       r.a, name(r.peer)));
    return;
  }
  const uint32_t copies = p->copies > p->ended ? p->copies - p->ended : 0;
  const uint64_t send_record = p->record;
  p.reset();
  VectorClock& clock = clocks_[r.node];
  const bool known = known_[r.node] != 0;
  if (known) {
    model::tick(clock, r.node);
    ++sends_checked_;
    const uint64_t want = model::traced_hash(clock);
    if (want != r.b) {
      report(r, r.node,
             fmt::format("message {} to {} carries clock hash {:016x}, but the trace gives {} "
                         "(hash {:016x}): the carried clock was not the sender's",
                         r.a, name(r.peer), r.b, clock_text(clock), want));
    }
  } else {
    ++unverified_;
  }
  if (copies == 0) return;  // every copy was dropped as it was sent
  if (in_flight_.size() >= kInFlightMax) {
    // Its receive will be unverified: the verdict becomes incomplete.
    ++untracked_at_bound_;
    sim::limit_reached(sim::Resource::kCausalityInFlight, r.node);
    return;
  }
  auto [entry, made] = in_flight_.try_emplace(r.a);
  if (!made) {
    report(r, r.node, fmt::format("message id {} sent twice", r.a));
    return;
  }
  InFlight& m = *entry;
  if (!spare_clocks_.empty()) {  // a received message's clock storage, reused
    m.clock = std::move(spare_clocks_.back());
    spare_clocks_.pop_back();
  }
  if (known) {
    m.clock.entries.assign(clock.entries.begin(), clock.entries.end());
  } else {
    m.clock.entries.clear();
  }
  m.clock_bytes = static_cast<uint32_t>(m.clock.entries.capacity() * sizeof(m.clock.entries[0]));
  clock_bytes_.add(m.clock_bytes);
  m.clock_known = known;
  m.src = r.node;
  m.dst = r.peer;
  m.send_ns = r.time_ns;
  m.send_record = send_record;
  m.copies = copies;
  if (in_flight_.size() > in_flight_peak_) {
    in_flight_peak_ = in_flight_.size();
    // The table only grows (erase never shrinks it): its slots are its bytes.
    in_flight_bytes_.set_bytes(static_cast<int64_t>(in_flight_.slot_count() * InFlightMap::slot_bytes()));
  }
  ECSIM_ASSERT(in_flight_.size() <= kInFlightMax);
}

// A delivery puts a copy at the receiver, but the receiver's actor may take
// it later (it can wait in the node's service queue, and the node may handle
// other messages first). The merge is checked at the clock_recv record,
// which the actor writes when it takes the copy.
void CausalityChecker::on_deliver(const sim::Record& r) {
  InFlight* tracked = in_flight_.find(r.a);
  if (tracked == nullptr) return;  // not tracked
  InFlight& m = *tracked;
  if (r.node != m.dst || r.peer != m.src) {
    report(r, r.node,
           fmt::format("delivery of message {} from {} does not match its send (record #{}) from "
                       "{} to {}",
                       r.a, name(r.peer), m.send_record, name(m.src), name(m.dst)));
    return;
  }
  if (r.time_ns < m.send_ns) {
    report(r, r.node,
           fmt::format("message {} from {} delivered before its send at {} (record #{}): the "
                       "receive would not happen after its send",
                       r.a, name(m.src), at(m.send_ns), m.send_record));
  }
  if (m.arrived >= m.copies) {
    report(r, r.node,
           fmt::format("message {} from {} delivered more often than its {} copies in flight", r.a,
                       name(m.src), m.copies));
    return;
  }
  ++m.arrived;
  m.arrived_ns = r.time_ns;
  m.arrived_record = record_index();
}

void CausalityChecker::on_clock_recv(const sim::Record& r) {
  InFlight* tracked = in_flight_.find(r.a);
  if (tracked == nullptr || tracked->arrived == 0 || tracked->dst != r.node) {
    if (untracked_at_bound_ > 0 && tracked == nullptr) {
      // Its send may have come while the table was full.
      ++unverified_;
      forget_clock(r.node);
      return;
    }
    report(
        r, r.node,
        fmt::format("clock_recv for message {} from {} without a delivery of a tracked send to it",
                    r.a, name(r.peer)));
    return;
  }
  InFlight& m = *tracked;
  --m.arrived;
  if (m.clock_known && known_[r.node]) {
    check_receive(r, m);
  } else {
    ++unverified_;
    forget_clock(r.node);
  }
  end_copy(r.a, m);
}

void CausalityChecker::check_receive(const sim::Record& r, const InFlight& sent) {
  VectorClock& clock = clocks_[r.node];
  before_receive_ = clock;  // reuses its storage: no allocation in the steady state
  // Merge, then the receiver's own increment: the result is strictly after
  // the send's clock by construction (every entry at least the send's, the
  // receiver's one above it; test_clock_model.cpp checks it on random
  // clocks), so the reported hash is compared with a clock known to follow
  // the send, and no comparison is spent on it per receive.
  model::take_max(clock, sent.clock);
  model::tick(clock, r.node);
  ++receives_checked_;
  if (model::traced_hash(clock) != r.b) report(r, r.node, explain_receive(r, sent));
}

// The receiver reported a clock other than the recomputed one. Only its hash
// is known; the usual ways to get a receive wrong are tried against it.
std::string CausalityChecker::explain_receive(const sim::Record& r, const InFlight& sent) const {
  const VectorClock& want = clocks_[r.node];
  const std::string head = fmt::format(
      "clock after receiving message {} from {} (sent at {}, record #{}, with {}) has "
      "hash {:016x}",
      r.a, name(sent.src), at(sent.send_ns), sent.send_record, clock_text(sent.clock), r.b);
  VectorClock no_merge = before_receive_;
  model::tick(no_merge, r.node);
  if (model::traced_hash(no_merge) == r.b) {
    return fmt::format(
        "{}: that is {}, its clock before plus its own increment: it skipped the "
        "merge with the send's clock, so the receive does not follow its send "
        "(merging gives {})",
        head, clock_text(no_merge), clock_text(want));
  }
  VectorClock no_increment = before_receive_;
  model::take_max(no_increment, sent.clock);
  if (model::traced_hash(no_increment) == r.b) {
    const bool after = model::strictly_before(sent.clock, no_increment);
    return fmt::format(
        "{}: that is {}, the merge without its own increment{} (merging and "
        "incrementing gives {})",
        head, clock_text(no_increment),
        after ? "" : ", which does not happen after the send's clock", clock_text(want));
  }
  VectorClock adopted = sent.clock;
  model::tick(adopted, r.node);
  if (model::traced_hash(adopted) == r.b) {
    return fmt::format(
        "{}: that is {}, the send's clock plus its own increment: it replaced its "
        "clock {} instead of merging (merging gives {})",
        head, clock_text(adopted), clock_text(before_receive_), clock_text(want));
  }
  return fmt::format(
      "{}, but merging the send's clock into its clock {} and incrementing gives {} (hash "
      "{:016x}): a wrong merge or increment",
      head, clock_text(before_receive_), clock_text(want), model::traced_hash(want));
}

void CausalityChecker::on_clock_local(const sim::Record& r) {
  if (!known_[r.node]) {
    ++unverified_;
    return;
  }
  VectorClock& clock = clocks_[r.node];
  model::tick(clock, r.node);
  ++locals_checked_;
  const uint64_t want = model::traced_hash(clock);
  if (want != r.b) {
    report(
        r.time_ns, record_index(), r.node, 0,
        fmt::format("local event reports clock hash {:016x}, but the trace gives {} (hash {:016x})",
                    r.b, clock_text(clock), want));
  }
}

// The receive of a message the checker could not track: the receiver's clock
// is no longer known, and is not used to judge anything until a restart
// empties it.
void CausalityChecker::forget_clock(uint32_t node) {
  known_[node] = 0;
  clocks_[node].entries.clear();
}

void CausalityChecker::on_crash(const sim::Record& r) {
  // A crash loses what the node was doing (a half-recorded send) and the
  // copies waiting in its service queue: they are dropped later, when their
  // service would have ended, and need no clock_recv.
  pending_send_[r.node].reset();
  in_flight_.for_each([&](uint64_t, InFlight& m) {
    if (m.dst == r.node) m.arrived = 0;
  });
}

void CausalityChecker::on_restart(const sim::Record& r) {
  pending_send_[r.node].reset();
  if (!options_.clocks_survive_restart) {
    clocks_[r.node].entries.clear();
    known_[r.node] = 1;  // an empty clock is known again
  }
}

void CausalityChecker::finish(int64_t end_ns, std::span<const int64_t> take_within_ns) {
  ECSIM_ASSERT(take_within_ns.empty() || take_within_ns.size() == names_.size());
  const auto bound = [&](uint32_t node) {
    const int64_t b = take_within_ns.empty() ? kTakeWithinNs : take_within_ns[node];
    ECSIM_ASSERT(b > 0);
    return b;
  };
  std::vector<uint64_t> ids;
  in_flight_.for_each([&](uint64_t id, const InFlight& m) {
    if (m.arrived != 0 && m.arrived_ns + bound(m.dst) <= end_ns) ids.push_back(id);
  });
  std::sort(ids.begin(), ids.end());  // reported by ascending id
  for (const uint64_t id : ids) {
    const InFlight& m = in_flight_.at(id);
    report(
        m.arrived_ns, m.arrived_record, m.dst, id,
        fmt::format("message {} from {} (sent at {}, record #{}) was delivered but never got its "
                    "clock_recv record: the node did not take it by the end at {}",
                    id, name(m.src), at(m.send_ns), m.send_record, at(end_ns)));
  }
}

std::span<const sim::RecordType> CausalityChecker::record_types() const {
  static constexpr sim::RecordType kTypes[] = {RecordType::kSend, vclock::kRecordClockSend, RecordType::kDeliver, vclock::kRecordClockRecv, vclock::kRecordClockLocal, RecordType::kDrop, RecordType::kDuplicate, RecordType::kCrash, RecordType::kRestart};
  return kTypes;
}

}  // namespace ecsim::check
