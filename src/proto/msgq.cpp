#include "ecsim/proto/msgq.hpp"
#include "ecsim/proto/plant.hpp"
#include "ecsim/proto/points.hpp"

#include <algorithm>

#include "ecsim/sim/limits.hpp"

#include "ecsim/proto/rpc.hpp"

namespace ecsim::proto::msgq {

namespace {
constexpr uint32_t kDeliverMethodBytes = 12;  // "msgq.deliver"
// {"epoch":E,"seq":S,"low":L,"body":BODY}: 9 + 7 + 7 + 8 + 1 characters
// around the values.
uint32_t data_params_bytes(const Data& d) {
  const uint32_t body = d.body_bytes < 4 ? 4 : d.body_bytes;  // `null` when empty
  return 32 + rpc::decimal_digits(d.epoch) + rpc::decimal_digits(d.seq) + rpc::decimal_digits(d.low) + body;
}
// {"epoch":E,"cumulative":C,"seq":S}: 9 + 14 + 7 + 1 characters around the values.
uint32_t ack_result_bytes(const Ack& a) {
  return 31 + rpc::decimal_digits(a.epoch) + rpc::decimal_digits(a.cumulative) +
         rpc::decimal_digits(a.seq);
}
}  // namespace

uint32_t size_bytes(const Message& m) {
  if (const Data* d = std::get_if<Data>(&m)) {
    return rpc::request_size_bytes(kDeliverMethodBytes, d->seq, data_params_bytes(*d));
  }
  const Ack& a = std::get<Ack>(m);
  return rpc::response_size_bytes(a.seq, 0, ack_result_bytes(a));
}

// ---- Counters ----------------------------------------------------------------

SenderCounters& SenderCounters::operator+=(const SenderCounters& o) {
  accepted += o.accepted;
  refused += o.refused;
  sent += o.sent;
  resent += o.resent;
  acked += o.acked;
  acks_duplicate += o.acks_duplicate;
  acks_stale += o.acks_stale;
  acks_invalid += o.acks_invalid;
  bytes += o.bytes;
  return *this;
}

ReceiverCounters& ReceiverCounters::operator+=(const ReceiverCounters& o) {
  received += o.received;
  delivered += o.delivered;
  duplicates += o.duplicates;
  refused += o.refused;
  stale_epoch += o.stale_epoch;
  invalid += o.invalid;
  acks_sent += o.acks_sent;
  epoch_resets += o.epoch_resets;
  return *this;
}

// ---- Sender -------------------------------------------------------------------

Sender::Sender(Env<Message>& env, SenderConfig config) : env_(env), config_(config) {
  ECSIM_ASSERT(config_.window_max >= 1 && config_.pending_max >= 1 && config_.dest_pending_max >= 1);
  ECSIM_ASSERT(config_.resend_timeout.ns > 0);
  ECSIM_ASSERT(config_.resend_timeout <= config_.resend_timeout_max);
}

uint64_t Sender::send(NodeId dst, uint64_t body_handle, uint32_t body_bytes) {
  Dest& d = dests_.try_emplace(dst, config_.window_max).first->second;
  if (pending_ >= config_.pending_max || d.waiting.size() + d.unacked.size() >= config_.dest_pending_max) {
    ++counters_.refused;
    sim::limit_reached(sim::Resource::kMsgqPending, env_.self());
    ignore(dst, Ignored::kRefusedPending, 0);
    return 0;
  }
  const uint64_t seq = d.next_seq++;
  ++pending_;
  ++counters_.accepted;
  env_.trace({env_.now().ns, kRecordAccepted, 0, env_.self(), dst, 0, seq, 0});
  d.waiting.push_back(Item{seq, body_handle, body_bytes, 0, {}, {}});
  dispatch(dst, d);
  ECSIM_ASSERT(pending_ <= config_.pending_max);
  return seq;
}

// Moves waiting messages onto the wire while the window has room. The window
// bounds the span from the lowest un-ACKed seq, not just the count: with
// selective ACKs a count would let later messages race arbitrarily far ahead
// of a lost one, past what the receiver's bounded de-dup set can hold.
bool Sender::window_open(const Dest& d, uint64_t seq) const {
  return d.unacked.empty() || seq < d.unacked.lowest() + config_.window_max;
}

void Sender::dispatch(NodeId dst, Dest& d) {
  while (!d.waiting.empty() && window_open(d, d.waiting.front().seq)) {
    Item item = d.waiting.front();
    d.waiting.pop_front();
    item.first_sent = env_.now();
    ++counters_.sent;
    transmit(dst, d, d.unacked.insert(item.seq, item));
  }
  arm(dst, d);
  check_invariants(d);
}

void Sender::transmit(NodeId dst, const Dest& d, Item& item) {
  ++item.transmissions;
  item.resend_at = env_.now() + timeout_for(item.transmissions);
  ECSIM_ASSERT(!d.unacked.empty());
  const Message m = Data{config_.epoch, item.seq, item.body_handle, item.body_bytes, d.unacked.lowest()};
  const uint32_t bytes = size_bytes(m);
  counters_.bytes += bytes;
  env_.trace({env_.now().ns, kRecordSend, 0, env_.self(), dst, 0, item.seq, item.transmissions});
  env_.send(dst, m, bytes);
}

// The wait after a message's `transmissions`-th transmission. The first is
// never jittered, so a run without resends draws nothing from the node's
// stream; from the first resend on, equal jitter over the doubled timeout
// spreads the resends of messages lost together, and consecutive ranges
// never overlap, so the waits still grow.
sim::Duration Sender::timeout_for(uint32_t transmissions) {
  ECSIM_ASSERT(transmissions >= 1);
  if (!config_.backoff) return config_.resend_timeout;
  int64_t d = config_.resend_timeout.ns;
  const int64_t cap = config_.resend_timeout_max.ns;
  for (uint32_t i = 1; i < transmissions && d < cap; ++i) d = d > cap / 2 ? cap : d * 2;
  d = std::min(d, cap);
  if (!config_.jitter || transmissions == 1) return sim::nanoseconds(d);
  if (!jitter_rng_) jitter_rng_.emplace(env_.rng().next_u64());
  const int64_t half = d / 2;
  const int64_t wait = d - half + static_cast<int64_t>(jitter_rng_->below(static_cast<uint64_t>(half) + 1));
  ECSIM_ASSERT(wait >= 1 && wait <= cap);
  return sim::nanoseconds(wait);
}

// Keeps the destination's single timer at or before its earliest deadline. A
// timer that fires early (its message was ACKed meanwhile) just re-arms.
void Sender::arm(NodeId dst, Dest& d) {
  sim::Time earliest = sim::Time::max();
  d.unacked.for_each([&](uint64_t, const Item& item) { earliest = std::min(earliest, item.resend_at); });
  if (earliest == sim::Time::max() || earliest >= d.timer_at) return;
  if (d.timer != 0) env_.cancel_timer(d.timer);
  d.timer = env_.set_timer(earliest - env_.now(), dst);
  d.timer_at = earliest;
}

void Sender::on_timer(uint64_t tag) {
  ECSIM_ASSERT(tag <= UINT32_MAX);
  const auto dst = static_cast<NodeId>(tag);
  auto it = dests_.find(dst);
  ECSIM_ASSERT(it != dests_.end());
  Dest& d = it->second;
  d.timer = 0;
  d.timer_at = sim::Time::max();
  // A planted stop at the resend point leaves the rest unsent, as a
  // crash there would; the timer is not re-armed then.
  bool stopped = false;
  d.unacked.for_each([&](uint64_t, Item& item) {
    if (stopped || item.resend_at > env_.now()) return;
    if (reach(env_, Point::kMsgqSenderBeforeResend)) {
      stopped = true;
      return;
    }
    ++counters_.resent;
    transmit(dst, d, item);
  });
  if (stopped) return;
  arm(dst, d);
  check_invariants(d);
}

void Sender::on_ack(NodeId from, const Ack& a) {
  auto it = dests_.find(from);
  if (a.epoch != config_.epoch || it == dests_.end()) {
    ++counters_.acks_stale;
    ignore(from, Ignored::kStaleEpoch, a.seq);
    return;
  }
  Dest& d = it->second;
  if (a.seq == 0 || a.seq >= d.next_seq || a.cumulative >= d.next_seq) {
    ++counters_.acks_invalid;
    ignore(from, Ignored::kInvalid, a.seq);
    return;
  }
  if (settle(from, d, a) == 0) ++counters_.acks_duplicate;
  dispatch(from, d);
}

// Removes what the ACK covers from the window; returns how many.
size_t Sender::settle(NodeId dst, Dest& d, const Ack& a) {
  size_t settled = 0;
  auto settle_one = [&](uint64_t seq, const Item& item) {
    ECSIM_ASSERT(pending_ > 0);
    --pending_;
    ++counters_.acked;
    ++settled;
    env_.trace({env_.now().ns, kRecordAcked, 0, env_.self(), dst, 0, seq,
                static_cast<uint64_t>((env_.now() - item.first_sent).ns)});
    settled_.push_back(item.body_handle);
    d.unacked.erase(seq);
  };
  while (!d.unacked.empty() && d.unacked.lowest() <= a.cumulative) {
    const uint64_t seq = d.unacked.lowest();
    settle_one(seq, *d.unacked.find(seq));
  }
  if (const Item* item = d.unacked.find(a.seq)) settle_one(a.seq, *item);
  return settled;
}

void Sender::take_settled(std::vector<uint64_t>& out) {
  out.clear();
  out.swap(settled_);
}

size_t Sender::unacked(NodeId dst) const {
  auto it = dests_.find(dst);
  return it == dests_.end() ? 0 : it->second.unacked.size();
}

std::vector<std::pair<NodeId, size_t>> Sender::pending_by_receiver() const {
  std::vector<std::pair<NodeId, size_t>> out;
  for (const auto& [dst, d] : dests_) {
    if (const size_t n = d.waiting.size() + d.unacked.size(); n > 0) out.emplace_back(dst, n);
  }
  return out;
}

void Sender::ignore(NodeId peer, Ignored why, uint64_t a) {
  env_.trace({env_.now().ns, kRecordIgnored, static_cast<uint16_t>(why), env_.self(), peer, 0, a,
              config_.epoch});
}

void Sender::check_invariants(const Dest& d) const {
  ECSIM_ASSERT(d.unacked.size() <= config_.window_max);
  ECSIM_ASSERT(d.unacked.empty() || d.unacked.highest() < d.unacked.lowest() + config_.window_max);
  ECSIM_ASSERT(d.waiting.empty() || !window_open(d, d.waiting.front().seq));
  ECSIM_ASSERT(pending_ <= config_.pending_max);
  // The timer is armed whenever something waits for its ACK.
  ECSIM_ASSERT(d.unacked.empty() || d.timer != 0);
}

// ---- Receiver -----------------------------------------------------------------

Receiver::Receiver(Env<Message>& env, ReceiverConfig config) : env_(env), config_(config) {
  ECSIM_ASSERT(config_.above_max >= 1 && config_.senders_max >= 1);
}

std::optional<Delivery> Receiver::on_data(NodeId from, const Data& d) {
  ++counters_.received;
  if (d.seq == 0) {
    ++counters_.invalid;
    ignore(from, Ignored::kInvalid, d);
    return std::nullopt;
  }
  auto it = peers_.find(from);
  if (it == peers_.end()) {
    if (peers_.size() >= config_.senders_max) {
      ++counters_.refused;
      sim::limit_reached(sim::Resource::kMsgqSenders, env_.self());
      ignore(from, Ignored::kRefusedSenders, d);
      return std::nullopt;
    }
    it = peers_.emplace(from, Peer{d.epoch, 0, {}}).first;
  }
  Peer& p = it->second;
  if (d.epoch < p.epoch) {
    ++counters_.stale_epoch;  // the sender restarted since: nobody waits for this ACK
    ignore(from, Ignored::kStaleEpoch, d);
    return std::nullopt;
  }
  if (d.epoch > p.epoch) {
    ++counters_.epoch_resets;  // the sender restarted and numbers from 1 again
    p = Peer{d.epoch, 0, {}};
  }
  if (d.low > p.contiguous + 1) {
    // Everything below `low` was ACKed by an earlier incarnation of this
    // receiver (or by this one, out of order): resume from there.
    p.contiguous = d.low - 1;
    while (!p.above.empty() && *p.above.begin() <= p.contiguous + 1) {
      if (*p.above.begin() == p.contiguous + 1) ++p.contiguous;
      p.above.erase(p.above.begin());
    }
  }
  const bool seen = d.seq <= p.contiguous || p.above.contains(d.seq);
  if (seen && planted(Plant::kMsgqNoDedup)) {  // planted bug: a resent copy is delivered again
    ++counters_.delivered;
    env_.trace({env_.now().ns, kRecordDeliver, 0, env_.self(), from, 0, d.seq, d.epoch});
    send_ack(from, p, d.seq);
    return Delivery{from, d.seq, d.body_handle, d.body_bytes};
  }
  if (seen) {
    ++counters_.duplicates;
    ignore(from, Ignored::kDuplicate, d);
    send_ack(from, p, d.seq);  // the first ACK may have been lost
    return std::nullopt;
  }
  if (d.seq != p.contiguous + 1 && p.above.size() >= config_.above_max) {
    ++counters_.refused;  // not ACKed: the sender resends once the gap closes
    sim::limit_reached(sim::Resource::kMsgqDedup, env_.self());
    ignore(from, Ignored::kRefusedAbove, d);
    return std::nullopt;
  }
  // In order (almost always): the watermark moves, the set stays empty.
  if (d.seq == p.contiguous + 1) {
    ++p.contiguous;
  } else {
    p.above.insert(d.seq);
  }
  while (!p.above.empty() && *p.above.begin() == p.contiguous + 1) {
    p.above.erase(p.above.begin());
    ++p.contiguous;
  }
  if (reach(env_, Point::kMsgqReceiverBeforeAck)) return std::nullopt;
  ++counters_.delivered;
  env_.trace({env_.now().ns, kRecordDeliver, 0, env_.self(), from, 0, d.seq, d.epoch});
  send_ack(from, p, d.seq);
  ECSIM_ASSERT(p.above.size() <= config_.above_max);
  ECSIM_ASSERT(p.above.empty() || *p.above.begin() > p.contiguous + 1);
  return Delivery{from, d.seq, d.body_handle, d.body_bytes};
}

void Receiver::send_ack(NodeId to, const Peer& p, uint64_t seq) {
  const Message m = Ack{p.epoch, p.contiguous, seq};
  ++counters_.acks_sent;
  env_.send(to, m, size_bytes(m));
}

uint64_t Receiver::watermark(NodeId from) const {
  auto it = peers_.find(from);
  return it == peers_.end() ? 0 : it->second.contiguous;
}

std::optional<uint32_t> Receiver::epoch(NodeId from) const {
  auto it = peers_.find(from);
  if (it == peers_.end()) return std::nullopt;
  return it->second.epoch;
}

void Receiver::ignore(NodeId peer, Ignored why, const Data& d) {
  env_.trace({env_.now().ns, kRecordIgnored, static_cast<uint16_t>(why), env_.self(), peer, 0,
              d.seq, d.epoch});
}

}  // namespace ecsim::proto::msgq
