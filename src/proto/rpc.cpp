// The RPC client: calls, their attempts, timeouts, backoff and completions,
// and the message sizes of both sides. The connection pool is in
// rpc_connections.cpp, the server in rpc_server.cpp.
#include "ecsim/proto/rpc.hpp"
#include "ecsim/proto/plant.hpp"
#include "ecsim/proto/points.hpp"
#include "ecsim/sim/limits.hpp"

#include <algorithm>

namespace ecsim::proto::rpc {

namespace {

constexpr std::string_view kMethodNames[] = {
    "ping",          "session.check",     "subscriber.read",  "subscriber.write", "storage.read",
    "storage.write", "storage.replicate", "storage.catch_up", "cache.rehydrate",
};
static_assert(std::size(kMethodNames) == static_cast<size_t>(Method::kCount));

// Bytes per handshake flight, client side then server side. TCP: SYN and
// SYN-ACK with options (the final ACK rides on the first request). TLS 1.2:
// ClientHello / ServerHello + certificate chain + ServerHelloDone, then
// ClientKeyExchange + ChangeCipherSpec + Finished / ChangeCipherSpec + Finished.
constexpr uint32_t kOpenBytes[] = {60, 320, 180};
constexpr uint32_t kAcceptBytes[] = {60, 3200, 80};
static_assert(std::size(kOpenBytes) == kHandshakeStepsMax && std::size(kAcceptBytes) == kHandshakeStepsMax);

}  // namespace

std::string_view method_name(Method m) {
  const auto i = static_cast<size_t>(m);
  return i < std::size(kMethodNames) ? kMethodNames[i] : std::string_view("method");
}

uint32_t conn_open_size_bytes(uint8_t step) {
  ECSIM_ASSERT(step < kHandshakeStepsMax);
  return kOpenBytes[step];
}

uint32_t conn_accept_size_bytes(uint8_t step) {
  ECSIM_ASSERT(step < kHandshakeStepsMax);
  return kAcceptBytes[step];
}

uint32_t size_bytes(const Message& m) {
  struct Sizer {
    uint32_t operator()(const Request& r) const {
      return request_size_bytes(static_cast<uint32_t>(method_name(r.method).size()), r.call_id,
                                r.body_bytes);
    }
    uint32_t operator()(const Response& r) const {
      return response_size_bytes(r.call_id, r.code, r.body_bytes);
    }
    uint32_t operator()(const ConnOpen& o) const { return conn_open_size_bytes(o.step); }
    uint32_t operator()(const ConnAccept& a) const { return conn_accept_size_bytes(a.step); }
  };
  return std::visit(Sizer{}, m);
}

// ---- Counters ----------------------------------------------------------------

ClientCounters& ClientCounters::operator+=(const ClientCounters& o) {
  calls += o.calls;
  completed_ok += o.completed_ok;
  failed += o.failed;
  timeouts += o.timeouts;
  retries += o.retries;
  refused_queue_full += o.refused_queue_full;
  refused_calls_max += o.refused_calls_max;
  unreachable += o.unreachable;
  resets += o.resets;
  requests_sent += o.requests_sent;
  request_bytes += o.request_bytes;
  handshake_messages += o.handshake_messages;
  handshake_bytes += o.handshake_bytes;
  connections_opened += o.connections_opened;
  connections_reused += o.connections_reused;
  connections_closed += o.connections_closed;
  queued += o.queued;
  responses_late += o.responses_late;
  responses_stale += o.responses_stale;
  accepts_stale += o.accepts_stale;
  timers_stale += o.timers_stale;
  retries_denied += o.retries_denied;
  connects_delayed += o.connects_delayed;
  return *this;
}

// ---- Client -------------------------------------------------------------------

// Connection ids carry the incarnation in their top byte, like call ids, so
// a handshake message of the node's previous life never matches a new one.
Client::Client(Env<Message>& env, ClientConfig config)
    : env_(env), config_(config), next_conn_id_(((config.incarnation & 0xffu) << 24) + 1) {
  ECSIM_ASSERT(config_.pool_size_max >= 1 && config_.pool_size_max <= kPoolSizeMax);
  ECSIM_ASSERT(config_.orphan_handshake_timeout.ns > 0);
  ECSIM_ASSERT(config_.incarnation < (1u << (64 - kSeqBits - 1)));
  ECSIM_ASSERT(config_.queue_max >= 1 && config_.queue_max <= kQueuedMax);
  ECSIM_ASSERT(config_.connect_rate_per_s == 0 || config_.connect_burst >= 1);
  retry_milli_ = int64_t{config_.retry_budget_max} * 1000;  // the budget starts full
  if (config_.jitter_seed) jitter_rng_.emplace(*config_.jitter_seed);
}

bool Client::spend_retry() {
  if (!config_.retry_budget) return true;
  if (retry_milli_ < 1000) {
    ++counters_.retries_denied;
    return false;
  }
  retry_milli_ -= 1000;
  ECSIM_ASSERT(retry_milli_ >= 0);
  return true;
}

uint64_t Client::timer_tag(TimerKind kind, uint64_t value) const {
  // Tags stay below 2^48 so an owner may multiplex protocols in the high bits.
  ECSIM_ASSERT(value < (uint64_t{1} << kSeqBits));
  return (static_cast<uint64_t>(kind) << kSeqBits) | value;
}

// A call's timer tag names its slot: the slot index (below 2^16) and the low
// 24 bits of the slot's generation, so a timer of a finished call is not
// taken for the slot's next tenant. (Timer tags are the client's own: the
// owner routes them and never traces them.)
static_assert(Client::kCallsMax <= (size_t{1} << 16));

uint64_t Client::slot_tag_value(uint64_t slot) {
  const uint64_t index = slot & 0xffffu;
  ECSIM_ASSERT(index == static_cast<uint32_t>(slot));
  return ((slot >> 32) & 0xffffffu) << 16 | index;
}

uint64_t Client::slot_of_tag_value(uint64_t value) const {
  const uint64_t slot = calls_.live_id(static_cast<uint32_t>(value & 0xffffu));
  if (slot == sim::SlotPool<Call>::kNone || slot_tag_value(slot) != value) return sim::SlotPool<Call>::kNone;
  return slot;
}

bool Client::call_live(uint64_t call_id) {
  bool live = false;
  calls_.for_each([&](uint64_t, const Call& c) { live = live || c.id == call_id; });
  return live;
}

uint64_t Client::call(NodeId dst, Method method, uint64_t body_handle, uint32_t body_bytes,
                      CallOptions options) {
  ECSIM_ASSERT(options.timeout.ns > 0);
  ECSIM_ASSERT(options.backoff_base.ns > 0 && options.backoff_base <= options.backoff_cap);
  ECSIM_ASSERT(next_seq_ < (uint64_t{1} << kSeqBits));
  const uint64_t id = (uint64_t{config_.incarnation} << kSeqBits) | next_seq_++;
  ++counters_.calls;
  trace_attempt(AttemptEvent::kCall, dst, id, 0);
  if (config_.retry_budget) {
    retry_milli_ = std::min<int64_t>(retry_milli_ + config_.retry_budget_permille,
                                     int64_t{config_.retry_budget_max} * 1000);
  }
  if (calls_.full()) {
    ++counters_.refused_calls_max;
    sim::limit_reached(sim::Resource::kRpcCalls, env_.self());
    complete_refused(id, dst, Code::kQueueFull, 0);
    return id;
  }
  if (!dest(dst).reachable) {
    ++counters_.unreachable;
    complete_refused(id, dst, Code::kUnreachable, 0);
    return id;
  }
  const uint64_t slot =
      calls_.acquire(Call{id, dst, method, body_handle, body_bytes, options, env_.now(), 0, env_.now(), false});
  ECSIM_ASSERT(slot != sim::SlotPool<Call>::kNone);
  start_attempt(slot);
  return id;
}

// Starts attempt number c.attempts + 1: on an idle connection, on a new one,
// or in the queue; the attempt's timeout covers all three.
void Client::start_attempt(uint64_t slot) {
  Call& c = calls_.at(slot);
  ECSIM_ASSERT(c.conn_id == 0 && c.timer == 0);
  Dest& d = dest(c.dst);
  ++c.attempts;
  c.attempt_started = env_.now();
  c.sent = false;
  if (!assign(slot, c, d)) {
    if (d.queue.size() >= config_.queue_max) {
      ++counters_.refused_queue_full;
      // Below kQueuedMax this is load shedding (counted as shed), not a limit reach.
      if (config_.queue_max >= kQueuedMax) sim::limit_reached(sim::Resource::kRpcQueued, env_.self());
      complete(slot, Code::kQueueFull, 0, 0);
      return;
    }
    ++counters_.queued;
    c.state = CallState::kQueued;
    d.queue.push_back(slot);
  }
  c.timer = env_.set_timer(c.options.timeout, timer_tag(kTimerTimeout, slot_tag_value(slot)));
  check_invariants(d);
}

// Puts the call on an idle connection or a new one; false when the pool is
// full and busy.
bool Client::assign(uint64_t slot, Call& c, Dest& d) {
  for (Conn& conn : d.conns) {
    if (conn.state != ConnState::kIdle) continue;
    conn.state = ConnState::kBusy;
    conn.call = slot;
    c.conn_id = conn.id;
    ++counters_.connections_reused;
    env_.trace({env_.now().ns, kRecordConn, static_cast<uint16_t>(ConnEvent::kReused), env_.self(), c.dst, 0,
                conn.id, c.id});
    send_request(c);
    return true;
  }
  // A handshake no call waits on (prewarmed, or orphaned) is taken over
  // before a new one is started; its deadline stays.
  for (Conn& conn : d.conns) {
    if (conn.state != ConnState::kHandshaking || conn.call != 0) continue;
    conn.call = slot;
    c.conn_id = conn.id;
    c.state = CallState::kConnecting;
    return true;
  }
  if (d.conns.size() >= config_.pool_size_max || !connect_allowed(d, c.dst)) return false;
  open_connection(slot, c, d);
  return true;
}

void Client::open_connection(uint64_t slot, Call& c, Dest& d) {
  ECSIM_ASSERT(d.conns.size() < config_.pool_size_max);
  c.conn_id = start_handshake(d, c.dst, slot);
  c.state = CallState::kConnecting;
}

void Client::send_request(Call& c) {
  ECSIM_ASSERT(c.conn_id != 0);
  const Request r{c.id, c.conn_id, c.method, c.body_handle, c.body_bytes};
  const uint32_t bytes = size_bytes(r);
  c.state = CallState::kInFlight;
  c.sent = true;
  ++counters_.requests_sent;
  counters_.request_bytes += bytes;
  env_.trace({env_.now().ns, kRecordCall, 0, env_.self(), c.dst, static_cast<uint32_t>(c.method),
              c.id, c.attempts});
  env_.send(c.dst, r, bytes);
  // A crash here leaves the request in flight; what follows in this handler
  // is bookkeeping a crash discards (the node's Env refuses its effects).
  (void)reach(env_, Point::kRpcClientAfterSend);
}

// Gives free connection slots to the oldest queued calls.
void Client::pump_queue(NodeId dst) {
  Dest& d = dest(dst);
  while (!d.queue.empty()) {
    bool newest = false;
    if (config_.lifo_when_congested) {
      const Call& oldest = calls_.at(d.queue.front());
      newest = (env_.now() - oldest.attempt_started).ns * 2 > oldest.options.timeout.ns;
    }
    const uint64_t slot = newest ? d.queue.back() : d.queue.front();
    Call& c = calls_.at(slot);
    ECSIM_ASSERT(c.state == CallState::kQueued);
    if (!assign(slot, c, d)) break;
    if (newest) {
      d.queue.pop_back();
    } else {
      d.queue.pop_front();
    }
  }
  check_invariants(d);
}

void Client::on_timer(uint64_t tag) {
  const auto kind = static_cast<TimerKind>(tag >> kSeqBits);
  const uint64_t value = tag & ((uint64_t{1} << kSeqBits) - 1);
  ECSIM_ASSERT(kind == kTimerTimeout || kind == kTimerBackoff || kind == kTimerHandshake || kind == kTimerConnect);
  if (kind == kTimerConnect) {
    // The connection rate limit allows another connection: serve the queue.
    const auto dst = static_cast<NodeId>(value);
    auto it = dests_.find(dst);
    ECSIM_ASSERT(it != dests_.end());
    it->second.connect_timer = 0;
    pump_queue(dst);
    return;
  }
  if (kind == kTimerHandshake) {
    // The destination is not in the tag: find the connection's pool.
    const auto conn_id = static_cast<uint32_t>(value);
    for (const auto& [dst, d] : dests_) {
      for (const Conn& conn : d.conns) {
        if (conn.id == conn_id) {
          on_handshake_timer(conn_id, dst);
          return;
        }
      }
    }
    ++counters_.timers_stale;
    ignore(env_.self(), Ignored::kStaleTimer, conn_id);  // the destination is unknown here
    return;
  }
  const uint64_t slot = slot_of_tag_value(value);
  Call* c = calls_.find(slot);
  const bool backing_off = c != nullptr && c->state == CallState::kBackoff;
  if (c == nullptr || backing_off != (kind == kTimerBackoff)) {
    // Cancelled timers do not fire; this guards a mix-up. A call that is
    // gone left no id behind: the record names the tag's slot value.
    ++counters_.timers_stale;
    ignore(0, Ignored::kStaleTimer, c != nullptr ? c->id : value);
    return;
  }
  c->timer = 0;
  if (kind == kTimerBackoff) {
    if (reach(env_, Point::kRpcClientBeforeRetry)) return;
    ++counters_.retries;
    trace_attempt(AttemptEvent::kRetry, c->dst, c->id, c->attempts + 1);
    start_attempt(slot);
    return;
  }
  ++counters_.timeouts;
  trace_attempt(AttemptEvent::kTimeout, c->dst, c->id, c->attempts);
  attempt_failed(slot, Code::kTimeout);
}

// The attempt is over without an answer: back off and retry, or fail.
void Client::attempt_failed(uint64_t slot, Code code) {
  Call& c = calls_.at(slot);
  ECSIM_ASSERT(c.state != CallState::kBackoff);
  if (c.timer != 0) env_.cancel_timer(c.timer);
  c.timer = 0;
  const NodeId dst = c.dst;
  release(slot, c);
  // A retry of a request that went out spends the budget; one whose request
  // never left (it waited for a connection, or its handshake failed) put no
  // work on the server and retries freely (its connections are rate-limited).
  if (c.attempts <= c.options.retries_max && (!c.sent || spend_retry())) {
    c.state = CallState::kBackoff;
    c.timer = env_.set_timer(backoff_delay(c), timer_tag(kTimerBackoff, slot_tag_value(slot)));
  } else {
    complete(slot, code, 0, 0);
  }
  pump_queue(dst);  // a closed connection frees a slot
}

// Takes the call out of the queue or off its connection. A connection whose
// attempt failed is closed: an answer arriving on it later must not be taken
// for the next request's.
void Client::release(uint64_t slot, Call& c) {
  Dest& d = dest(c.dst);
  if (c.state == CallState::kQueued) {
    auto it = std::find(d.queue.begin(), d.queue.end(), slot);
    ECSIM_ASSERT(it != d.queue.end());
    d.queue.erase(it);
  } else if (c.conn_id != 0) {
    auto conn = std::find_if(d.conns.begin(), d.conns.end(), [&](const Conn& x) { return x.id == c.conn_id; });
    const sim::Time deadline =
        conn != d.conns.end() ? conn->opened + config_.orphan_handshake_timeout : sim::Time{0};
    if (conn != d.conns.end() && conn->state == ConnState::kHandshaking && deadline > env_.now()) {
      conn->call = 0;  // orphaned: the handshake goes on for the next call
      if (conn->timer == 0) conn->timer = env_.set_timer(deadline - env_.now(), timer_tag(kTimerHandshake, conn->id));
    } else {
      close_connection(d, c.conn_id, c.dst);
    }
  }
  c.conn_id = 0;
}

sim::Duration call_horizon(const CallOptions& o) {
  int64_t total = o.timeout.ns;
  int64_t d = o.backoff_base.ns;
  for (uint32_t retry = 1; retry <= o.retries_max; ++retry) {
    total +=
        std::min(d, o.backoff_cap.ns) + o.timeout.ns;  // backoff_delay's largest, then the attempt
    d = d > o.backoff_cap.ns / 2 ? o.backoff_cap.ns : d * 2;
  }
  return sim::nanoseconds(total);
}

// Exponential backoff with "equal jitter": a delay drawn uniformly from
// [d/2, d], d = min(cap, base * 2^(attempts-1)). Consecutive ranges never
// overlap, so the delays grow with the attempts while retries of many
// clients spread out.
sim::Duration Client::backoff_delay(const Call& c) {
  ECSIM_ASSERT(c.attempts >= 1);
  int64_t d = c.options.backoff_base.ns;
  const int64_t cap = c.options.backoff_cap.ns;
  for (uint32_t i = 1; i < c.attempts && d < cap; ++i) d = d > cap / 2 ? cap : d * 2;
  d = std::min(d, cap);
  const int64_t half = d / 2;
  sim::Rng& rng = jitter_rng_ ? *jitter_rng_ : env_.rng();
  const int64_t delay = d - half + static_cast<int64_t>(rng.below(static_cast<uint64_t>(half) + 1));
  ECSIM_ASSERT(delay >= d - half && delay <= d);
  return sim::nanoseconds(delay);
}

// No pipelining: an answer on a connection is for the call the connection
// carries, so the call is found through the connection the answer names.
// Anything else is ignored: late when no call with its id lives (a walk over
// the live calls, on this rare path only), stale when one does elsewhere.
void Client::on_response(NodeId from, const Response& r) {
  const auto d = dests_.find(from);
  Conn* conn = nullptr;
  Call* c = nullptr;
  if (d != dests_.end()) {
    auto it = std::find_if(d->second.conns.begin(), d->second.conns.end(),
                           [&](const Conn& x) { return x.id == r.conn_id; });
    if (it != d->second.conns.end() && it->call != 0) {
      conn = &*it;
      c = calls_.find(it->call);
    }
  }
  if (c == nullptr || c->id != r.call_id || c->dst != from || c->state != CallState::kInFlight ||
      c->conn_id != r.conn_id) {
    if (!call_live(r.call_id)) {
      ++counters_.responses_late;
      ignore(from, Ignored::kLateResponse, r.call_id);
    } else {
      ++counters_.responses_stale;
      ignore(from, Ignored::kStaleResponse, r.call_id);
    }
    return;
  }
  ECSIM_ASSERT(conn->state == ConnState::kBusy);
  const uint64_t slot = conn->call;
  conn->state = ConnState::kIdle;  // kept in the pool for reuse
  conn->call = 0;
  c->conn_id = 0;
  complete(slot, static_cast<Code>(r.code), r.body_handle, r.body_bytes);
  pump_queue(from);
}

void Client::complete(uint64_t slot, Code code, uint64_t handle, uint32_t bytes) {
  Call& c = calls_.at(slot);
  if (c.timer != 0) env_.cancel_timer(c.timer);
  const bool ok = code == Code::kOk;
  const int64_t latency_ns = (env_.now() - c.started).ns;
  ++(ok ? counters_.completed_ok : counters_.failed);
  completions_.push_back(
      {c.id, c.dst, ok, static_cast<uint16_t>(code), handle, bytes, c.attempts, latency_ns, c.sent});
  env_.trace({env_.now().ns, kRecordDone, static_cast<uint16_t>(code), env_.self(), c.dst, 0,
              c.id, static_cast<uint64_t>(latency_ns)});
  calls_.release(slot);
  ECSIM_ASSERT(completions_.size() <= counters_.calls);
}

// A call refused before it lived: it completes at once without state.
void Client::complete_refused(uint64_t call_id, NodeId dst, Code code, uint32_t attempts) {
  ++counters_.failed;
  completions_.push_back({call_id, dst, false, static_cast<uint16_t>(code), 0, 0, attempts, 0, false});
  env_.trace(
      {env_.now().ns, kRecordDone, static_cast<uint16_t>(code), env_.self(), dst, 0, call_id, 0});
}

void Client::take_completions(std::vector<Completion>& out) {
  out.clear();
  out.swap(completions_);
}

void Client::ignore(NodeId peer, Ignored why, uint64_t a) {
  env_.trace(
      {env_.now().ns, kRecordIgnored, static_cast<uint16_t>(why), env_.self(), peer, 0, a, 0});
}

void Client::trace_attempt(AttemptEvent what, NodeId dst, uint64_t call_id, uint32_t attempt) {
  env_.trace({env_.now().ns, kRecordAttempt, static_cast<uint16_t>(what), env_.self(), dst, 0, call_id, attempt});
}

}  // namespace ecsim::proto::rpc
