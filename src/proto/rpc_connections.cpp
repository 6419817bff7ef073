// The RPC client's connection pool: handshakes (TCP, then TLS when the
// destination asks for it), the connection rate limit, resets and
// reachability. Calls and their attempts are in rpc.cpp.
#include "ecsim/proto/rpc.hpp"

#include <algorithm>

namespace ecsim::proto::rpc {

// GCRA over the destination's connection openings: one every 1/rate, at most
// `connect_burst` ahead of that pace.
bool Client::connect_allowed(Dest& d, NodeId dst) {
  if (config_.connect_rate_per_s == 0) return true;
  const int64_t interval = 1000000000 / config_.connect_rate_per_s;
  const sim::Time allowed_at = d.connect_tat - sim::nanoseconds(interval * (config_.connect_burst - 1));
  if (allowed_at <= env_.now()) return true;
  ++counters_.connects_delayed;
  if (d.connect_timer == 0) {
    d.connect_timer = env_.set_timer(allowed_at - env_.now(), timer_tag(kTimerConnect, dst));
  }
  return false;
}

void Client::count_connect(Dest& d) {
  if (config_.connect_rate_per_s == 0) return;
  const int64_t interval = 1000000000 / config_.connect_rate_per_s;
  d.connect_tat = std::max(d.connect_tat, env_.now()) + sim::nanoseconds(interval);
}

Client::Dest& Client::dest(NodeId dst) {
  auto [it, inserted] = dests_.try_emplace(dst);
  if (inserted) it->second.tls = config_.tls;
  return it->second;
}

void Client::set_tls(NodeId dst, bool tls) { dest(dst).tls = tls; }

void Client::prewarm(NodeId dst, uint32_t count) {
  Dest& d = dest(dst);
  if (!d.reachable) return;
  while (d.conns.size() < std::min(count, config_.pool_size_max)) {
    const uint32_t id = start_handshake(d, dst, 0);
    d.conns.back().timer = env_.set_timer(config_.orphan_handshake_timeout, timer_tag(kTimerHandshake, id));
  }
  check_invariants(d);
}

// A new connection in the pool, its first handshake flight sent; `slot` 0
// for a connection no call waits on.
uint32_t Client::start_handshake(Dest& d, NodeId dst, uint64_t slot) {
  const uint32_t id = next_conn_id_++;
  count_connect(d);
  d.conns.push_back(Conn{id, ConnState::kHandshaking, 0, slot, 0, env_.now()});
  ++counters_.connections_opened;
  ++counters_.handshake_messages;
  counters_.handshake_bytes += conn_open_size_bytes(0);
  env_.trace({env_.now().ns, kRecordConn, static_cast<uint16_t>(ConnEvent::kOpen), env_.self(), dst, 0, id, 0});
  env_.send(dst, ConnOpen{id, 0}, conn_open_size_bytes(0));
  return id;
}

// An orphaned handshake did not finish in time: the connection is given up.
void Client::on_handshake_timer(uint32_t conn_id, NodeId dst) {
  Dest& d = dest(dst);
  auto conn = std::find_if(d.conns.begin(), d.conns.end(), [&](const Conn& x) { return x.id == conn_id; });
  if (conn == d.conns.end() || conn->state != ConnState::kHandshaking) {
    ++counters_.timers_stale;
    ignore(dst, Ignored::kStaleTimer, conn_id);
    return;
  }
  conn->timer = 0;
  const uint64_t slot = conn->call;
  close_connection(d, conn_id, dst);
  if (slot != 0) {
    // A call had taken the handshake over: it goes back to the head of the
    // queue (its attempt's timeout still runs) and gets another connection.
    // It was admitted already, so a full queue takes it too (the invariant
    // allows queue_max plus the pool's connections).
    Call& c = calls_.at(slot);
    c.conn_id = 0;
    c.state = CallState::kQueued;
    d.queue.push_front(slot);
  }
  pump_queue(dst);
}

void Client::close_connection(Dest& d, uint32_t conn_id, NodeId dst) {
  auto it = std::find_if(d.conns.begin(), d.conns.end(),
                         [conn_id](const Conn& conn) { return conn.id == conn_id; });
  if (it == d.conns.end()) return;  // reset_connections() dropped it already
  if (it->timer != 0) env_.cancel_timer(it->timer);
  d.conns.erase(it);
  ++counters_.connections_closed;
  env_.trace({env_.now().ns, kRecordConn, static_cast<uint16_t>(ConnEvent::kClosed), env_.self(),
              dst, 0, conn_id, 0});
}

void Client::on_conn_accept(NodeId from, const ConnAccept& a) {
  Dest& d = dest(from);
  auto conn = std::find_if(d.conns.begin(), d.conns.end(),
                           [&](const Conn& x) { return x.id == a.conn_id; });
  if (conn == d.conns.end() || conn->state != ConnState::kHandshaking || conn->step != a.step) {
    ++counters_.accepts_stale;
    ignore(from, Ignored::kStaleAccept, a.conn_id);
    return;
  }
  ++conn->step;
  if (conn->step < handshake_round_trips(d)) {
    ++counters_.handshake_messages;
    counters_.handshake_bytes += conn_open_size_bytes(conn->step);
    env_.send(from, ConnOpen{conn->id, conn->step}, conn_open_size_bytes(conn->step));
    return;
  }
  env_.trace({env_.now().ns, kRecordConn, static_cast<uint16_t>(ConnEvent::kEstablished),
              env_.self(), from, 0, conn->id, 0});
  if (conn->timer != 0) env_.cancel_timer(conn->timer);
  conn->timer = 0;
  if (conn->call == 0) {
    // An orphaned handshake finished: the connection joins the pool idle and
    // takes the oldest queued call, if any.
    conn->state = ConnState::kIdle;
    pump_queue(from);
    return;
  }
  Call& c = calls_.at(conn->call);
  ECSIM_ASSERT(c.state == CallState::kConnecting && c.conn_id == conn->id);
  conn->state = ConnState::kBusy;
  send_request(c);
}

void Client::reset_connections(NodeId dst) {
  Dest& d = dest(dst);
  std::vector<uint64_t> cut;  // slots; a fault path: a small allocation is fine here
  for (const Conn& conn : d.conns) {
    if (conn.state != ConnState::kIdle && conn.call != 0) cut.push_back(conn.call);
    if (conn.timer != 0) env_.cancel_timer(conn.timer);
    ++counters_.connections_closed;
    env_.trace({env_.now().ns, kRecordConn, static_cast<uint16_t>(ConnEvent::kClosed), env_.self(),
                dst, 0, conn.id, 0});
  }
  d.conns.clear();
  for (uint64_t slot : cut) {
    ++counters_.resets;
    const Call& c = calls_.at(slot);
    trace_attempt(AttemptEvent::kReset, dst, c.id, c.attempts);
    attempt_failed(slot, Code::kConnectionReset);
  }
  pump_queue(dst);
  ECSIM_ASSERT(d.conns.size() <= config_.pool_size_max);
}

void Client::set_reachable(NodeId dst, bool reachable) {
  Dest& d = dest(dst);
  d.reachable = reachable;
  if (reachable) return;
  // The calls fail in public id order (the order of the std::map the slot
  // table replaced): the slots are walked by index, so their ids are sorted.
  // A fault path: a small allocation is fine here.
  std::vector<std::pair<uint64_t, uint64_t>> doomed;  // (call id, slot)
  calls_.for_each([&](uint64_t slot, const Call& c) {
    if (c.dst == dst) doomed.emplace_back(c.id, slot);
  });
  std::sort(doomed.begin(), doomed.end());
  d.queue.clear();
  for (const auto& [id, slot] : doomed) {
    Call& c = calls_.at(slot);
    if (c.timer != 0) env_.cancel_timer(c.timer);
    c.timer = 0;
    if (c.state != CallState::kQueued) release(slot, c);
    ++counters_.unreachable;
    complete(slot, Code::kUnreachable, 0, 0);
  }
  // Idle connections to it are gone too: a later call starts with a handshake.
  while (!d.conns.empty()) close_connection(d, d.conns.back().id, dst);
  ECSIM_ASSERT(d.queue.empty());
}

size_t Client::open_connections() const {
  size_t n = 0;
  for (const auto& [dst, d] : dests_) n += d.conns.size();
  return n;
}

size_t Client::open_connections(NodeId dst) const {
  auto it = dests_.find(dst);
  return it == dests_.end() ? 0 : it->second.conns.size();
}

void Client::check_invariants(const Dest& d) const {
  ECSIM_ASSERT(d.conns.size() <= config_.pool_size_max);
  // A call goes in only below queue_max; one whose handshake timed out goes
  // back to the head whatever the length, at most one per pooled connection.
  ECSIM_ASSERT(d.queue.size() <= config_.queue_max + config_.pool_size_max);
  // A queued call waits only while no connection is idle and the pool is full
  // (or the connection rate limit holds, its timer set).
  if (!d.queue.empty()) {
    ECSIM_ASSERT(d.conns.size() == config_.pool_size_max || d.connect_timer != 0);
    for (const Conn& conn : d.conns) {
      ECSIM_ASSERT(conn.state != ConnState::kIdle);
      ECSIM_ASSERT(conn.state != ConnState::kHandshaking || conn.call != 0);
    }
  }
}

}  // namespace ecsim::proto::rpc
