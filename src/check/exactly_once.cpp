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
    // A restarted receiver forgot what it delivered: resent messages may
    // be delivered again.
    for (auto& [key, p] : pairs_) {
      if (key.second != r.node) continue;
      p.low = 0;
      p.above.clear();
    }
  }
}

void ExactlyOnceChecker::on_send(const sim::Record& r) {
  if (r.node >= names_.size() || r.peer >= names_.size()) return;
  if (r.b != 1) {
    ++resent_;
    return;
  }
  ++sent_;
  Pair& p = pair(r.node, r.peer);
  p.undelivered.emplace(r.a, r.time_ns);
  p.max_sent = std::max(p.max_sent, r.a);
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
    report(r, fmt::format("{} -> {} message {} delivered twice: again at {}", names_[sender], names_[receiver],
                          seq, sim::format_time(sim::Time{r.time_ns})));
    return;
  }
  auto it = p.undelivered.find(seq);
  if (it != p.undelivered.end()) {
    ++delivered_;
    p.undelivered.erase(it);
  } else if (seq > p.max_sent) {
    report(r, fmt::format("{} delivered message {} from {}, which {} never sent", names_[receiver], seq,
                          names_[sender], names_[sender]));
    return;
  } else {
    ++redelivered_;  // delivered to an earlier incarnation of the receiver, resent since
  }
  p.above.insert(seq);
  while (!p.above.empty() && *p.above.begin() == p.low + 1) {
    p.above.erase(p.above.begin());
    ++p.low;
  }
}

void ExactlyOnceChecker::finish(int64_t end_ns, int64_t settle_ns) {
  for (auto& [key, p] : pairs_) {
    const auto [sender, receiver] = key;
    const bool sender_lives = p.epoch == incarnation_[sender] && up_[sender];
    for (const auto& [seq, sent_ns] : p.undelivered) {
      if (!sender_lives || !up_[receiver] || sent_ns + settle_ns > end_ns) {
        ++in_flight_;
        continue;
      }
      sim::Record r;
      r.time_ns = end_ns;
      r.node = sender;
      report(r, fmt::format("{} -> {} message {} first sent at {} was never delivered by the end at {}",
                            names_[sender], names_[receiver], seq, sim::format_time(sim::Time{sent_ns}),
                            sim::format_time(sim::Time{end_ns})));
    }
  }
}

}  // namespace ecsim::check
