#include "ecsim/workload/ping.hpp"

#include <cmath>
#include <cstring>

#include "ecsim/sim/limits.hpp"
#include "ecsim/workload/overdue.hpp"

namespace ecsim::workload {

using sim::Record;
using sim::RecordType;

namespace {
constexpr int kWorkloadShift = 48;  // payload = workload << 48 | ping id
constexpr uint64_t kIdMask = (uint64_t{1} << kWorkloadShift) - 1;
}  // namespace

void PingStats::add_workload(std::string label, sim::Duration timeout) {
  Window w;
  w.label = std::move(label);
  w.timeout = timeout;
  w.send_ns.assign(64, kSettled);
  ring_slots_ += w.send_ns.size();
  ring_bytes_.set_bytes(static_cast<int64_t>(ring_slots_ * sizeof(int64_t)));
  windows_.push_back(std::move(w));
}

void PingStats::grow(Window& w) {
  std::vector<int64_t> bigger(w.send_ns.size() * 2, kSettled);
  for (uint64_t id = w.first; id < w.first + w.count; ++id) bigger[id & (bigger.size() - 1)] = w.at(id);
  ring_slots_ += bigger.size() - w.send_ns.size();
  ring_bytes_.set_bytes(static_cast<int64_t>(ring_slots_ * sizeof(int64_t)));
  w.send_ns.swap(bigger);
}

uint64_t PingStats::on_sent(uint32_t workload, sim::Time now, uint32_t node) {
  ECSIM_ASSERT(workload < windows_.size());
  Window& w = windows_[workload];
  expire(w, now);
  const uint64_t id = w.next++;
  ECSIM_ASSERT(id <= kIdMask);
  ++w.figures.sent;
  if (w.count == 0) w.first = id;
  if (w.count >= kOutstandingMax) {
    ++refused_;  // never waited for: lost at once, and the window moves on
    sim::limit_reached(sim::Resource::kPingOutstanding, node);
    ++w.figures.lost;
    w.figures.rtt_all.add(w.timeout.ns);
    w.at(w.first) = kSettled;
    ++w.first;
    --w.count;
  }
  if (w.count == w.send_ns.size()) grow(w);
  ECSIM_ASSERT(w.first + w.count == id);
  w.at(id) = now.ns;
  ++w.count;
  return id;
}

void PingStats::on_pong(uint32_t workload, uint64_t id, sim::Time now) {
  ECSIM_ASSERT(workload < windows_.size());
  Window& w = windows_[workload];
  // Outside the window: expired already. Settled: a duplicated pong.
  if (id < w.first || id >= w.first + w.count || w.at(id) == kSettled) return;
  const int64_t rtt_ns = now.ns - w.at(id);
  w.at(id) = kSettled;
  if (rtt_ns > w.timeout.ns) {
    ++w.figures.lost;
    w.figures.rtt_all.add(w.timeout.ns);
  } else {
    ++w.figures.answered;
    w.figures.rtt.add(rtt_ns);
    w.figures.rtt_all.add(rtt_ns);
  }
  expire(w, now);
}

// Drops settled pings from the front of the window and counts those past
// their timeout as lost. Send times grow with the number, so expired pings
// are a prefix.
void PingStats::expire(Window& w, sim::Time now) {
  while (w.count > 0) {
    int64_t& front = w.at(w.first);
    if (front != kSettled) {
      if (front + w.timeout.ns >= now.ns) break;
      ++w.figures.lost;
      w.figures.rtt_all.add(w.timeout.ns);
      front = kSettled;
    }
    ++w.first;
    --w.count;
  }
}

void PingStats::finish(sim::Time end) {
  for (Window& w : windows_) {
    expire(w, end);
    for (uint64_t id = w.first; id < w.first + w.count; ++id) {
      if (w.at(id) == kSettled) continue;
      ++w.figures.unsettled;
      if (overdue(end.ns - w.at(id), w.figures.rtt.max())) ++w.figures.overdue;
      w.figures.rtt_all.add(end.ns - w.at(id));
    }
    w.count = 0;
    w.first = w.next;
  }
}

void PingActor::on_start(node::Context& ctx) {
  // Recovery: every surviving log entry is a ping this node served.
  served_ = ctx.disk().length();
  for (uint32_t r = 0; r < roles_.size(); ++r) schedule_arrival(ctx, r);
  ctx.set_timer(kSyncInterval, kSync);
}

void PingActor::schedule_arrival(node::Context& ctx, uint32_t role) {
  const double mean_ns = 1e9 / static_cast<double>(roles_[role].rate_per_s);
  const int64_t gap_ns = std::max<int64_t>(1, std::llround(ctx.rng().exponential(mean_ns)));
  ctx.set_timer(sim::Duration{gap_ns}, kArrival | (uint64_t{role} << 8));
}

void PingActor::on_timer(node::Context& ctx, uint64_t tag) {
  if ((tag & 0xff) == kSync) {
    if (ctx.disk().length() > ctx.disk().durable_length()) ctx.sync(0);
    ctx.set_timer(kSyncInterval, kSync);
    return;
  }
  ECSIM_ASSERT((tag & 0xff) == kArrival);
  const uint32_t r = static_cast<uint32_t>(tag >> 8);
  ECSIM_ASSERT(r < roles_.size());
  const PingRole& role = roles_[r];
  const net::NodeId target = role.targets[ctx.rng().below(role.targets.size())];
  const uint64_t id = stats_.on_sent(role.workload, ctx.now(), ctx.self());
  ctx.trace().record(Record{ctx.now().ns, RecordType::kPingSent, 0, ctx.self(), target, role.workload, id, 0});
  ctx.send(target, kPing, role.size_bytes, (uint64_t{role.workload} << kWorkloadShift) | id);
  schedule_arrival(ctx, r);
}

void PingActor::on_message(node::Context& ctx, const net::Envelope& m) {
  if (m.kind == kPing) {
    char entry[8];
    std::memcpy(entry, &m.payload, sizeof entry);
    if (ctx.disk().append(std::string_view(entry, sizeof entry))) ++served_;
    ctx.send(m.src, kPong, kPongSizeBytes, m.payload);
    return;
  }
  ECSIM_ASSERT(m.kind == kPong);
  const uint32_t workload = static_cast<uint32_t>(m.payload >> kWorkloadShift);
  const uint64_t id = m.payload & kIdMask;
  ctx.trace().record(Record{ctx.now().ns, RecordType::kPingDone, 0, ctx.self(), m.src, workload,
                            id, static_cast<uint64_t>(ctx.now().ns - m.send_ns)});
  stats_.on_pong(workload, id, ctx.now());
}

}  // namespace ecsim::workload
