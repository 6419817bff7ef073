#include "ecsim/workload/ping.hpp"

#include <cmath>
#include <cstring>

namespace ecsim::workload {

using sim::Record;
using sim::RecordType;

namespace {
constexpr int kWorkloadShift = 48;  // payload = workload << 48 | ping id
constexpr uint64_t kIdMask = (uint64_t{1} << kWorkloadShift) - 1;
}  // namespace

void PingStats::add_workload(std::string label, sim::Duration timeout) {
  labels_.push_back(std::move(label));
  timeouts_.push_back(timeout);
  figures_.emplace_back();
  outstanding_.emplace_back();
}

uint64_t PingStats::on_sent(uint32_t workload, sim::Time now) {
  ECSIM_ASSERT(workload < figures_.size());
  expire(workload, now);
  const uint64_t id = next_id_++;
  ECSIM_ASSERT(id <= kIdMask);
  ++figures_[workload].sent;
  if (outstanding_[workload].size() >= kOutstandingMax) {
    ++refused_;  // never waited for: counted as lost at once
    ++figures_[workload].lost;
    return id;
  }
  outstanding_[workload].emplace_hint(outstanding_[workload].end(), id, now.ns);
  return id;
}

void PingStats::on_pong(uint32_t workload, uint64_t id, sim::Time now) {
  ECSIM_ASSERT(workload < figures_.size());
  auto& open = outstanding_[workload];
  auto it = open.find(id);
  if (it == open.end()) return;  // expired already, or a duplicated pong
  const int64_t rtt_ns = now.ns - it->second;
  open.erase(it);
  PingFigures& f = figures_[workload];
  if (rtt_ns > timeouts_[workload].ns) {
    ++f.lost;
  } else {
    ++f.answered;
    f.rtt.add(rtt_ns);
  }
}

// Ids grow with send time within a workload, so expired pings are a prefix.
void PingStats::expire(uint32_t workload, sim::Time now) {
  auto& open = outstanding_[workload];
  const int64_t timeout_ns = timeouts_[workload].ns;
  while (!open.empty() && open.begin()->second + timeout_ns < now.ns) {
    open.erase(open.begin());
    ++figures_[workload].lost;
  }
}

void PingStats::finish(sim::Time end) {
  for (uint32_t w = 0; w < figures_.size(); ++w) {
    expire(w, end);
    figures_[w].unsettled += outstanding_[w].size();
    outstanding_[w].clear();
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
  const uint64_t id = stats_.on_sent(role.workload, ctx.now());
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
