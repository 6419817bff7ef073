#include "ecsim/check/exactly_once.hpp"

#include <algorithm>

#include <fmt/format.h>

#include "ecsim/proto/msgq.hpp"
#include "ecsim/sim/time.hpp"

namespace ecsim::check {

ExactlyOnceChecker::ExactlyOnceChecker(std::vector<std::string> names)
    : names_(std::move(names)), incarnation_(names_.size(), 0), up_(names_.size(), true) {}

void ExactlyOnceChecker::report(const sim::Record& r, std::string what) {
  ++violation_count_;
  if (violations_.size() < kViolationsMax) violations_.push_back({r.time_ns, r.node, std::move(what)});
}

ExactlyOnceChecker::Pair& ExactlyOnceChecker::pair(uint32_t sender, uint32_t receiver) {
  Pair& p = pairs_[{sender, receiver}];
  if (p.epoch != incarnation_[sender]) {
    // The sender restarted: its old messages died with it, and it numbers
    // from 1 again.
    in_flight_ += p.undelivered.size();
    p = Pair{};
    p.epoch = incarnation_[sender];
  }
  return p;
}

bool ExactlyOnceChecker::delivered_now(const Pair& p, uint64_t seq) const {
  return seq <= p.low || p.above.contains(seq);
}

void ExactlyOnceChecker::on_record(const sim::Record& r) {
  if (r.type == proto::msgq::kRecordSend) {
    on_send(r);
  } else if (r.type == proto::msgq::kRecordDeliver) {
    on_deliver(r);
  } else if (r.type == sim::RecordType::kCrash && r.node < names_.size()) {
    up_[r.node] = false;
  } else if (r.type == sim::RecordType::kRestart && r.node < names_.size()) {
    up_[r.node] = true;
    incarnation_[r.node] = static_cast<uint32_t>(r.a);
    // A restarted receiver forgot what it delivered: a resent message may
    // be delivered to it once more.
    for (auto& [key, p] : pairs_) {
      if (key.second != r.node) continue;
      p.before_low = p.low;
      p.before_above = p.above;
      p.again.clear();
    }
  }
}

void ExactlyOnceChecker::on_send(const sim::Record& r) {
  if (r.node >= names_.size() || r.peer >= names_.size()) return;
  Pair& p = pair(r.node, r.peer);
  const uint32_t to_live = up_[r.peer] ? 1 : 0;
  if (r.b != 1) {
    ++resent_;
    if (auto it = p.undelivered.find(r.a); it != p.undelivered.end()) {
      it->second.last_sent = r.time_ns;
      it->second.sent_to_live_receiver += to_live;
    }
    return;
  }
  ++sent_;
  p.undelivered.emplace(r.a, Pending{r.time_ns, r.time_ns, to_live});
}

void ExactlyOnceChecker::on_deliver(const sim::Record& r) {
  if (r.node >= names_.size() || r.peer >= names_.size()) return;
  const uint32_t sender = r.peer;
  const uint32_t receiver = r.node;
  const uint64_t seq = r.a;
  if (r.b < incarnation_[sender]) {
    ++redelivered_;  // sent before the sender's crash, still in flight: its old pair was reset
    return;
  }
  if (r.b > incarnation_[sender]) {
    report(r, fmt::format("{} delivered message {} from {} of sender incarnation {}, but {} is in incarnation {}",
                          names_[receiver], seq, names_[sender], r.b, names_[sender], incarnation_[sender]));
    return;
  }
  Pair& p = pair(sender, receiver);
  if (delivered_now(p, seq)) {
    // Delivered before: once more is allowed after a restart of the
    // receiver (its de-dup state was lost), never twice in one incarnation.
    const bool before_restart = seq <= p.before_low || p.before_above.contains(seq);
    if (!before_restart || !p.again.insert(seq).second) {
      report(r, fmt::format("{} -> {} message {} delivered twice: again at {}", names_[sender], names_[receiver],
                            seq, sim::format_time(sim::Time{r.time_ns})));
      return;
    }
    ++redelivered_;
    return;
  }
  auto it = p.undelivered.find(seq);
  if (it != p.undelivered.end()) {
    ++delivered_;
    p.undelivered.erase(it);
  } else {
    report(r, fmt::format("{} delivered message {} from {}, which {} never sent", names_[receiver], seq,
                          names_[sender], names_[sender]));
    return;
  }
  p.above.insert(seq);
  while (!p.above.empty() && *p.above.begin() == p.low + 1) {
    p.above.erase(p.above.begin());
    ++p.low;
  }
}

void ExactlyOnceChecker::finish(int64_t end_ns, int64_t resend_timeout_ns, int64_t settle_ns) {
  for (auto& [key, p] : pairs_) {
    const auto [sender, receiver] = key;
    const bool ends_up = p.epoch == incarnation_[sender] && up_[sender] && up_[receiver];
    for (const auto& [seq, m] : p.undelivered) {
      const bool stopped = m.last_sent + resend_timeout_ns + settle_ns < end_ns;
      const bool hopeless = m.sent_to_live_receiver >= kTransmissionsMax;
      if (!ends_up || (!stopped && !hopeless)) {
        ++in_flight_;
        continue;
      }
      sim::Record r;
      r.time_ns = end_ns;
      r.node = sender;
      const std::string why =
          stopped ? fmt::format("its sender stopped resending it after {}", sim::format_time(sim::Time{m.last_sent}))
                  : fmt::format("it was sent {} times while {} was up", m.sent_to_live_receiver, names_[receiver]);
      report(r, fmt::format("{} -> {} message {} first sent at {} was never delivered by the end at {}: {}",
                            names_[sender], names_[receiver], seq, sim::format_time(sim::Time{m.first_sent}),
                            sim::format_time(sim::Time{end_ns}), why));
    }
  }
}

}  // namespace ecsim::check
