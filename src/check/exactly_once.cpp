#include "ecsim/check/exactly_once.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <utility>
#include <vector>

#include "ecsim/proto/msgq.hpp"
#include "ecsim/sim/assert.hpp"
#include "ecsim/sim/time.hpp"
#include "internal.hpp"

namespace ecsim::check {

namespace {
using internal::at;
std::string span(int64_t ns) { return sim::format_duration(sim::Duration{ns}); }
using internal::type_number;
}  // namespace

ExactlyOnceChecker::ExactlyOnceChecker(std::vector<std::string> names)
    : names_(std::move(names)), incarnation_(names_.size(), 0), up_(names_.size(), true) {}

void ExactlyOnceChecker::report(int64_t time_ns, uint64_t record, uint32_t node, std::string what) {
  ++violation_count_;
  if (violations_.size() >= kViolationsMax) return;
  violations_.push_back({time_ns, node, violation_text(name(node), time_ns, record, what), record});
}

std::string ExactlyOnceChecker::name(uint32_t node) const {
  ECSIM_ASSERT(node < names_.size());
  return names_[node];
}

ExactlyOnceChecker::Pair& ExactlyOnceChecker::pair(uint32_t sender, uint32_t receiver) {
  Pair& p = pairs_[{sender, receiver}];
  if (p.epoch != incarnation_[sender]) {
    // The sender restarted: its old messages died with it, and it numbers
    // from 1 again.
    abandoned_ += p.undelivered.size();
    p = Pair{};
    p.epoch = incarnation_[sender];
  }
  return p;
}

// The undelivered message, if the pair is still in `epoch` (a record about
// an older incarnation of the sender concerns an abandoned message).
ExactlyOnceChecker::Pending* ExactlyOnceChecker::find_pending(uint32_t sender, uint32_t receiver,
                                                              uint32_t epoch, uint64_t seq) {
  auto p = pairs_.find({sender, receiver});
  if (p == pairs_.end() || p->second.epoch != epoch) return nullptr;
  return p->second.undelivered.find(seq);
}

bool ExactlyOnceChecker::delivered_now(const Pair& p, uint64_t seq) const {
  return seq <= p.low || p.above.contains(seq);
}

void ExactlyOnceChecker::on_record(const sim::Record& r) {
  if (finished_) return;
  // The records that must come right after another one in the trace: the
  // network's send record after msgq's, and an overload drop after the
  // hand-over it undoes. It is offered only the types it reads, so "right
  // after" is told by the records' indices.
  const bool next = record_index() == last_index_ + 1;
  last_index_ = record_index();
  if (unmatched_send_ && (r.type != sim::RecordType::kSend || !next)) {
    ++unmatched_;
    unmatched_send_ = false;
  }
  const bool handed = std::exchange(handed_, false) && next;
  if (r.node >= names_.size()) return;
  switch (type_number(r.type)) {
    case type_number(proto::msgq::kRecordSend):
      on_send(r);
      break;
    case type_number(proto::msgq::kRecordDeliver):
      on_deliver(r);
      break;
    case type_number(proto::msgq::kRecordAcked):
      on_acked(r);
      break;
    case type_number(proto::msgq::kRecordIgnored):
      on_ignored(r);
      break;
    case type_number(sim::RecordType::kSend):
      on_net_send(r);
      break;
    case type_number(sim::RecordType::kDuplicate):
      if (Wire* w = wire_.find(r.a)) ++w->copies;
      break;
    case type_number(sim::RecordType::kDeliver):
      on_net_deliver(r);
      break;
    case type_number(sim::RecordType::kDrop):
      if (handed && r.a == handed_id_) {
        // Refused at once by the receiver's full queue: not handed after all.
        const Wire& w = handed_msg_;
        Pending* m = find_pending(w.sender, w.receiver, w.epoch, w.seq);
        if (m != nullptr && !m->handed_ns.empty()) m->handed_ns.pop_back();
      } else {
        on_net_drop(r);
      }
      break;
    case type_number(sim::RecordType::kCrash):
      on_crash(r.node);
      break;
    case type_number(sim::RecordType::kRestart):
      on_restart(r.node, static_cast<uint32_t>(r.a));
      break;
    default:
      break;
  }
}

void ExactlyOnceChecker::on_crash(uint32_t node) {
  up_[node] = false;
  // What the network handed to it and it did not answer died with it.
  for (auto& [key, p] : pairs_) {
    if (key.second != node) continue;
    p.undelivered.for_each([](uint64_t, Pending& m) { m.handed_ns.clear(); });
  }
}

void ExactlyOnceChecker::on_restart(uint32_t node, uint32_t incarnation) {
  up_[node] = true;
  incarnation_[node] = incarnation;
  // A restarted receiver forgot what it delivered: a resent message may be
  // delivered to it once more.
  for (auto& [key, p] : pairs_) {
    if (key.second != node) continue;
    p.before_low = p.low;
    p.before_above = p.above;
    p.again.clear();
  }
}

void ExactlyOnceChecker::on_send(const sim::Record& r) {
  if (r.peer >= names_.size()) return;
  Pair& p = pair(r.node, r.peer);
  if (r.b != 1) {
    ++resent_;
    if (Pending* m = p.undelivered.find(r.a)) {
      m->last_sent_ns = r.time_ns;
      ++m->transmissions;
    }
  } else {
    ++sent_;
    Pending m;
    m.first_sent_ns = m.last_sent_ns = r.time_ns;
    m.first_sent_record = record_index();
    m.transmissions = 1;
    p.undelivered.try_emplace(r.a, m);
  }
  // Only transmissions of undelivered messages are followed on the wire.
  if (!p.undelivered.contains(r.a)) return;
  unmatched_send_ = true;
  last_send_ = Wire{r.node, r.peer, p.epoch, r.a, 1};
}

void ExactlyOnceChecker::on_net_send(const sim::Record& r) {
  if (!std::exchange(unmatched_send_, false)) return;
  if (r.node != last_send_.sender || r.peer != last_send_.receiver) {
    ++unmatched_;
    return;
  }
  const bool inserted = wire_.try_emplace(r.a, last_send_).second;
  ECSIM_ASSERT(inserted);  // the network numbers its envelopes once
}

void ExactlyOnceChecker::on_net_deliver(const sim::Record& r) {
  Wire* found = wire_.find(r.a);
  if (found == nullptr) return;
  const Wire w = *found;
  if (--found->copies == 0) wire_.erase(r.a);
  Pending* m = find_pending(w.sender, w.receiver, w.epoch, w.seq);
  if (m == nullptr) return;  // delivered meanwhile, or abandoned
  ECSIM_ASSERT(r.node == w.receiver);
  m->handed_ns.push_back(r.time_ns);
  handed_ = true;
  handed_id_ = r.a;
  handed_msg_ = w;
}

void ExactlyOnceChecker::on_net_drop(const sim::Record& r) {
  Wire* found = wire_.find(r.a);
  if (found != nullptr && --found->copies == 0) wire_.erase(r.a);
}

// The receiver answered a Data without delivering it (a duplicate, a
// refusal, a stale or invalid message): record node = receiver, peer =
// sender, a = seq, b = the sender's epoch. The sender's own ignore records
// (about ACKs) have the roles the other way round and almost never match an
// undelivered message waiting at its receiver; when one does, the checker
// is only more lenient.
void ExactlyOnceChecker::on_ignored(const sim::Record& r) {
  if (r.code == static_cast<uint16_t>(proto::msgq::Ignored::kRefusedPending)) return;
  if (r.peer >= names_.size()) return;
  Pending* m = find_pending(r.peer, r.node, static_cast<uint32_t>(r.b), r.a);
  if (m != nullptr && !m->handed_ns.empty()) m->handed_ns.pop_front();
}

void ExactlyOnceChecker::on_acked(const sim::Record& r) {
  if (r.peer >= names_.size()) return;
  Pair& p = pair(r.node, r.peer);
  if (delivered_now(p, r.a)) return;
  const Pending* m = p.undelivered.find(r.a);
  if (m == nullptr) {
    report(r.time_ns, record_index(), r.node,
           fmt::format("{} recorded the ACK of message {} to {}, which it never sent", name(r.node),
                       r.a, name(r.peer)));
    return;
  }
  ++lost_;
  report(
      r.time_ns, record_index(), r.node,
      fmt::format(
          "{} -> {} message {} first sent at {} (record #{}) is lost: acknowledged at {} but never "
          "delivered",
          name(r.node), name(r.peer), r.a, at(m->first_sent_ns), m->first_sent_record,
          at(r.time_ns)));
  p.undelivered.erase(r.a);
}

void ExactlyOnceChecker::on_deliver(const sim::Record& r) {
  if (r.peer >= names_.size()) return;
  const uint32_t sender = r.peer;
  const uint32_t receiver = r.node;
  const uint64_t seq = r.a;
  auto pit = pairs_.find({sender, receiver});
  if (r.b < incarnation_[sender] && (pit == pairs_.end() || pit->second.epoch != r.b)) {
    ++late_;  // sent before the sender's restart, and its old pair was reset since
    return;
  }
  if (r.b > incarnation_[sender]) {
    report(r.time_ns, record_index(), r.node,
           fmt::format("{} delivered message {} from {} of sender incarnation {}, but {} is in "
                       "incarnation {}",
                       name(receiver), seq, name(sender), r.b, name(sender), incarnation_[sender]));
    return;
  }
  // A message of the sender's previous incarnation still judged in its pair
  // (the sender restarted and has not sent to this receiver since).
  Pair& p = r.b < incarnation_[sender] ? pit->second : pair(sender, receiver);
  if (delivered_now(p, seq)) {
    // Delivered before: once more is allowed after a restart of the
    // receiver (its de-dup state was lost), never twice in one incarnation.
    const bool before_restart = seq <= p.before_low || p.before_above.contains(seq);
    if (!before_restart || !p.again.insert(seq).second) {
      report(r.time_ns, record_index(), r.node,
             fmt::format("{} -> {} message {} delivered twice: again at {}", name(sender),
                         name(receiver), seq, at(r.time_ns)));
      return;
    }
    ++redelivered_;
    return;
  }
  if (!p.undelivered.erase(seq)) {
    report(r.time_ns, record_index(), r.node,
           fmt::format("{} delivered message {} from {}, which {} never sent", name(receiver), seq,
                       name(sender), name(sender)));
    return;
  }
  ++delivered_;
  // In order (almost always): the watermark moves, the set stays empty.
  if (seq == p.low + 1) {
    ++p.low;
  } else {
    p.above.insert(seq);
  }
  while (!p.above.empty() && *p.above.begin() == p.low + 1) {
    p.above.erase(p.above.begin());
    ++p.low;
  }
}

// Rules (b) and (c) for one message undelivered at the end, whose sender is
// up in the message's incarnation; otherwise it is in flight.
void ExactlyOnceChecker::judge_undelivered(uint32_t sender, uint32_t receiver, uint64_t seq,
                                           const Pending& m, int64_t end_ns, int64_t bound_ns,
                                           int64_t handed_bound_ns) {
  std::string why;
  if (!m.handed_ns.empty() && m.handed_ns.front() + handed_bound_ns < end_ns) {
    why = fmt::format("the network handed it to {} at {}, which neither delivered nor refused it",
                      name(receiver), at(m.handed_ns.front()));
  } else if (m.last_sent_ns + bound_ns < end_ns) {
    why = fmt::format("{} stopped resending it after {} ({} transmissions) without its ACK",
                      name(sender), at(m.last_sent_ns), m.transmissions);
  }
  if (why.empty()) {
    ++in_flight_;
    const bool older = !has_oldest_ || m.first_sent_ns < oldest_.m.first_sent_ns;
    if (older) oldest_ = Oldest{sender, receiver, seq, m};
    has_oldest_ = true;
    return;
  }
  ++lost_;
  report(end_ns, record_index(), sender,
         fmt::format("{} -> {} message {} first sent at {} (record #{}) is lost: undelivered at the end at {}, "
                     "and {}",
                     name(sender), name(receiver), seq, at(m.first_sent_ns), m.first_sent_record, at(end_ns), why));
}

void ExactlyOnceChecker::finish(int64_t end_ns, int64_t resend_timeout_ns, int64_t settle_ns,
                                std::span<const int64_t> queue_wait_ns) {
  ECSIM_ASSERT(!finished_);
  ECSIM_ASSERT(resend_timeout_ns > 0 && settle_ns >= 0);
  ECSIM_ASSERT(queue_wait_ns.empty() || queue_wait_ns.size() == names_.size());
  if (unmatched_send_) ++unmatched_;  // the run ended between the two records
  unmatched_send_ = false;
  finished_ = true;
  end_ns_ = end_ns;
  const int64_t bound_ns = resend_timeout_ns + settle_ns;
  for (const auto& [key, p] : pairs_) {
    const auto [sender, receiver] = key;
    if (p.epoch != incarnation_[sender] || !up_[sender]) {
      abandoned_ += p.undelivered.size();
      continue;
    }
    // In seq order, so that the first violation reported is the oldest.
    std::vector<uint64_t> seqs;
    seqs.reserve(p.undelivered.size());
    p.undelivered.for_each([&](uint64_t seq, const Pending&) { seqs.push_back(seq); });
    std::sort(seqs.begin(), seqs.end());
    // Handed over, it may still wait in the receiver's service queue.
    const int64_t handed_bound_ns =
        queue_wait_ns.empty() ? bound_ns : std::max(bound_ns, queue_wait_ns[receiver]);
    for (const uint64_t seq : seqs)
      judge_undelivered(sender, receiver, seq, p.undelivered.at(seq), end_ns, bound_ns,
                        handed_bound_ns);
  }
  ECSIM_ASSERT(lost_ <= violation_count_);
}

std::string ExactlyOnceChecker::summary() const {
  ECSIM_ASSERT(finished_);
  if (violation_count_ > 0) {
    return fmt::format("{} ({} violations)", violations_.front().what, violation_count_);
  }
  std::string s = fmt::format(
      "{} messages put on the wire ({} resends), {} delivered exactly once, {} delivered again "
      "to a restarted receiver, none lost or duplicated, {} in flight (undelivered) at the end",
      sent_, resent_, delivered_, redelivered_, in_flight_);
  if (in_flight_ > 0) {
    const Oldest& o = oldest_;
    s += fmt::format(
        ": resent on time, no transmission left unanswered by the receiver; the oldest, {} -> {} "
        "message {}, first sent at {}, undelivered for {} after {} transmissions",
        name(o.sender), name(o.receiver), o.seq, at(o.m.first_sent_ns),
        span(end_ns_ - o.m.first_sent_ns), o.m.transmissions);
  }
  if (abandoned_ > 0) {
    s += fmt::format("; {} abandoned undelivered by a crashed sender", abandoned_);
  }
  if (late_ > 0) {
    s += fmt::format("; {} delivered after their sender restarted, not checked for duplicates",
                     late_);
  }
  if (unmatched_ > 0) {
    s += fmt::format(
        "; {} transmissions not followed to their receiver (no network send record after them)",
        unmatched_);
  }
  return s;
}


std::span<const sim::RecordType> ExactlyOnceChecker::record_types() const {
  static constexpr sim::RecordType kTypes[] = {proto::msgq::kRecordSend, proto::msgq::kRecordDeliver, proto::msgq::kRecordAcked, proto::msgq::kRecordIgnored, sim::RecordType::kSend, sim::RecordType::kDuplicate, sim::RecordType::kDeliver, sim::RecordType::kDrop, sim::RecordType::kCrash, sim::RecordType::kRestart};
  return kTypes;
}

}  // namespace ecsim::check
