// Synchronous-style RPC as a sans-IO state machine (DESIGN.md, "The modelled
// system" -> Communication; "Kernel and network" -> wire accounting and
// connection pooling).
//
// What it promises:
// - A `Client::call` ends in exactly one `Completion`: the server's response
//   (ok, or the server's error code), or a failure (timeout after the last
//   retry, destination unreachable, connection reset after the last retry,
//   queue full). Retries back off exponentially with seeded jitter.
// - Connections model HTTP/1.1-style TCP (+ TLS) connections without
//   pipelining: one call at a time per connection, at most `pool_size_max`
//   per destination. A new connection pays its handshake round trips (1 for
//   TCP, 2 more for TLS) before its first request; an idle pooled connection
//   sends at once. A call that times out abandons its connection (a late
//   answer on it could not be matched to the next request), unless the
//   connection was still in its handshake: then the handshake goes on
//   without the call (no request was sent on it) and the connection serves
//   the oldest queued call, or waits idle in the pool, once established. An
//   orphaned handshake is given up when it is `orphan_handshake_timeout`
//   old (at once if it is older already: its messages were likely lost). Closing every connection whose call timed out mid-handshake
//   would turn a slow server into a storm of new handshakes.
// - A `Server` executes each (client, call id) at most once while the entry
//   is in its bounded cache: a retry of a finished call gets the cached
//   response; a retry of a call still executing is absorbed and the answer
//   goes out on the newest connection. Call ids carry the client's
//   incarnation, so a restarted client never collides with its old ids. The
//   cache is volatile: across a server crash a retry may execute again.
// - Duplicate, late and stale messages are ignored, counted and traced.
// - Wire sizes are the byte counts of the JSON-RPC 2.0 encoding
//   (newline-delimited over TCP), computed without building strings.
//
// Dispatch: client and server share one `Env<rpc::Message>` on a node. The
// owner hands `Request` and `ConnOpen` to its `Server`, `Response` and
// `ConnAccept` to its `Client`, and every timer to its `Client` (the server
// sets none). Completions are queued in the client and the owner collects
// them with `take_completions` after each call into the client: no callback,
// no allocation in the steady state (the two vectors swap their buffers).
// Body handles are opaque values: the server may send a cached handle again.
#pragma once
#include <compare>
#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <string_view>
#include <variant>
#include <vector>

#include "ecsim/proto/env.hpp"
#include "ecsim/proto/visit.hpp"
#include "ecsim/sim/assert.hpp"
#include "ecsim/sim/fifo_ring.hpp"
#include "ecsim/sim/flat_map.hpp"
#include "ecsim/sim/limits.hpp"
#include "ecsim/sim/rng.hpp"
#include "ecsim/sim/slot_pool.hpp"

namespace ecsim::proto::rpc {

// Trace record types 21-25, defined here (sim/trace.hpp lists every
// protocol's numbers; sim/ never includes proto/).
// kRecordCall: node = client, peer = server, kind = method, a = call id, b = attempt.
inline constexpr auto kRecordCall = static_cast<sim::RecordType>(21);
// kRecordDone: node = client, peer = server, code = Code, a = call id, b = latency ns.
inline constexpr auto kRecordDone = static_cast<sim::RecordType>(22);
// kRecordServe: node = server, peer = client, kind = method, code = ServeOutcome, a = call id.
inline constexpr auto kRecordServe = static_cast<sim::RecordType>(23);
// kRecordConn: node = client, peer = server, code = ConnEvent, a = connection id.
inline constexpr auto kRecordConn = static_cast<sim::RecordType>(24);
// kRecordIgnored: node, peer, code = Ignored, a = call id or connection id.
inline constexpr auto kRecordIgnored = static_cast<sim::RecordType>(25);
// kRecordAttempt (32, from the numbers the tiers left free): node = client,
// peer = server, code = AttemptEvent, a = call id, b = attempt number (0 for
// kCall). One record per increment of the counter of the same name, so the
// counters reconcile with the trace (docs/scenarios.md, "RPC counters").
inline constexpr auto kRecordAttempt = static_cast<sim::RecordType>(32);

// kStale: a call this server executed and then evicted from its response
// cache (or one too old to tell, below the window of evicted ids it keeps
// per client): refused, never executed again.
enum class ServeOutcome : uint16_t { kExecute = 1, kCached = 2, kInProgress = 3, kBusy = 4, kStale = 5 };
// kReused: an idle pooled connection takes a call (b = the call id).
enum class ConnEvent : uint16_t { kOpen = 1, kEstablished = 2, kClosed = 3, kReused = 4 };
// kCall: a call begins (refused ones included). kRetry: its backoff ran
// out and a further attempt begins (it may then wait, be shed or fail before
// its request leaves). kTimeout: an attempt timed out. kReset: an attempt
// was cut by reset_connections().
enum class AttemptEvent : uint16_t { kCall = 1, kRetry = 2, kTimeout = 3, kReset = 4 };
enum class Ignored : uint16_t {
  kLateResponse = 1,   // no such call (finished already): a duplicate or late answer
  kStaleResponse = 2,  // the call lives, but not on the connection the answer names
  kStaleAccept = 3,    // a handshake message for a connection that is gone or further on
  kStaleTimer = 4,     // a timer of a call that has moved on
};

// The methods of the modelled system. The names only size the wire encoding
// and label traces; inside the simulation a method is this enum. A tier that
// needs a new method adds a row here and to method_name().
enum class Method : uint16_t {
  kPing = 0,
  kSessionCheck = 1,      // "session.check"
  kSubscriberRead = 2,    // "subscriber.read"
  kSubscriberWrite = 3,   // "subscriber.write"
  kStorageRead = 4,       // "storage.read"
  kStorageWrite = 5,      // "storage.write"
  kStorageReplicate = 6,  // "storage.replicate"
  kStorageCatchUp = 7,    // "storage.catch_up"
  kRehydrate = 8,         // "cache.rehydrate"
  kCount
};
std::string_view method_name(Method m);

// Outcome codes. 0 is success; 1-99 are the RPC layer's own; a server's
// application errors use kAppErrorFirst and above.
enum class Code : uint16_t {
  kOk = 0,
  kTimeout = 1,          // no answer within the timeout, retries exhausted
  kUnreachable = 2,      // the owner declared the destination unreachable
  kQueueFull = 3,        // the destination's queue (kQueuedMax) was full: refused
  kServerBusy = 4,       // the server's executing table was full: refused there
  kConnectionReset = 5,  // reset_connections() with no retry left
  kStale = 6,            // the server ran it and forgot the answer (or it is too old to tell): not again
  kAppErrorFirst = 100,
};

// ---- Messages ----------------------------------------------------------------

struct Request {
  uint64_t call_id = 0;
  uint32_t conn_id = 0;  // the client's connection it travels on; echoed in the Response
  Method method = Method::kPing;
  uint64_t body_handle = 0;  // opaque to RPC
  uint32_t body_bytes = 0;   // encoded size of the params object
};
struct Response {
  uint64_t call_id = 0;
  uint32_t conn_id = 0;
  uint16_t code = 0;  // Code or an application error (>= kAppErrorFirst)
  uint64_t body_handle = 0;
  uint32_t body_bytes = 0;  // encoded size of the result value
};
// Handshake round trip `step` (0 = TCP SYN/SYN-ACK, 1 and 2 = TLS flights).
struct ConnOpen {
  uint32_t conn_id = 0;
  uint8_t step = 0;
};
struct ConnAccept {
  uint32_t conn_id = 0;
  uint8_t step = 0;
};
using Message = std::variant<Request, Response, ConnOpen, ConnAccept>;

// ---- Wire accounting -----------------------------------------------------------

using proto::decimal_digits;

// {"jsonrpc":"2.0","method":"NAME","params":PARAMS,"id":ID}\n
// An empty params object is `{}`.
constexpr uint32_t request_size_bytes(uint32_t method_name_bytes, uint64_t id,
                                      uint32_t params_bytes) {
  const uint32_t params = params_bytes < 2 ? 2 : params_bytes;
  return 27 + method_name_bytes + 11 + params + 6 + decimal_digits(id) + 2;
}

// Success: {"jsonrpc":"2.0","result":RESULT,"id":ID}\n (an empty result is `null`).
// Error:   {"jsonrpc":"2.0","error":{"code":CODE,"message":"error"},"id":ID}\n
constexpr uint32_t response_size_bytes(uint64_t id, uint16_t code, uint32_t result_bytes) {
  if (code == 0) {
    const uint32_t result = result_bytes < 4 ? 4 : result_bytes;
    return 26 + result + 6 + decimal_digits(id) + 2;
  }
  return 33 + decimal_digits(code) + 19 + 6 + decimal_digits(id) + 2;
}

// Handshake segment sizes in bytes: TCP SYN and SYN-ACK with options; TLS
// 1.2 ClientHello / ServerHello + certificate chain; key exchange / Finished.
// A connection opens in this many flights each way (TCP, then TLS 1.2).
inline constexpr uint8_t kHandshakeStepsMax = 3;
uint32_t conn_open_size_bytes(uint8_t step);
uint32_t conn_accept_size_bytes(uint8_t step);

uint32_t size_bytes(const Message& m);

// ---- Client -------------------------------------------------------------------

struct CallOptions {
  sim::Duration timeout = sim::milliseconds(1000);  // per attempt, queueing and handshake included
  uint32_t retries_max = 2;                         // attempts = 1 + retries
  sim::Duration backoff_base = sim::milliseconds(10);
  sim::Duration backoff_cap = sim::seconds(1);
};
// The longest a call with these options lives: every attempt's timeout and
// the longest backoff before each retry. A retry reaches a server at most
// this long after its call began; later, nobody waits for its answer.
sim::Duration call_horizon(const CallOptions& o);

struct ClientConfig {
  uint32_t pool_size_max = 4;  // connections per destination
  uint32_t incarnation = 0;    // the node's restart count: keeps call ids unique across restarts
  bool tls = false;            // default for destinations without set_tls()
  // A handshake that takes longer is given up once no call waits on it.
  sim::Duration orphan_handshake_timeout = sim::milliseconds(100);
  // Recovery rules (docs/model.md, "Recovery"); the defaults here leave them
  // off, as the protocol was before them.
  // Retry budget: every call earns `retry_budget_permille` thousandths of a
  // retry, up to `retry_budget_max` retries saved (the budget starts full); a
  // retry (here, or the owner's through spend_retry()) spends one, and with
  // none left the attempt's failure is final.
  bool retry_budget = false;
  uint32_t retry_budget_permille = 0;
  uint32_t retry_budget_max = 0;
  // New connections per destination: at most `connect_burst` at once and
  // `connect_rate_per_s` per second after that (0 = no limit). A call that
  // finds no idle connection and may not open one waits in the queue.
  uint32_t connect_rate_per_s = 0;
  uint32_t connect_burst = 0;
  // Calls waiting for a connection per destination; one more is refused at
  // once (kQueueFull): shed at the client rather than queued past its timeout.
  // A call whose connection's handshake timed out goes back to the head even
  // when the queue is full (it was admitted), so the queue holds at most
  // queue_max plus pool_size_max.
  size_t queue_max = 1024;
  // When the oldest waiting call has used more than half its attempt's
  // timeout, a freed connection serves the newest waiting call instead
  // (adaptive LIFO): the oldest would likely time out on the connection,
  // closing it, while the newest still has time to be answered.
  bool lifo_when_congested = false;
  // When set, the retries' jitter comes from the client's own stream seeded
  // with it, rather than from the Env's.
  std::optional<uint64_t> jitter_seed = std::nullopt;
};

struct Completion {
  uint64_t call_id = 0;
  NodeId dst = 0;
  bool ok = false;
  uint16_t code = 0;  // Code, or the server's application error
  uint64_t body_handle = 0;
  uint32_t body_bytes = 0;
  uint32_t attempts = 0;
  int64_t latency_ns = 0;  // from call() to completion
  bool request_sent = false;  // the last attempt's request went out (it may have reached the server)
};

struct ClientCounters {
  uint64_t calls = 0;
  uint64_t completed_ok = 0;
  uint64_t failed = 0;
  uint64_t timeouts = 0;  // attempts that timed out
  uint64_t retries = 0;   // further attempts begun after a backoff, whether or not their request left
  uint64_t refused_queue_full = 0;
  uint64_t refused_calls_max = 0;
  uint64_t unreachable = 0;  // calls failed because the destination was unreachable
  uint64_t resets = 0;       // attempts cut by reset_connections()
  uint64_t requests_sent = 0;
  uint64_t request_bytes = 0;
  uint64_t handshake_messages = 0;
  uint64_t handshake_bytes = 0;
  uint64_t connections_opened = 0;
  uint64_t connections_reused = 0;  // requests sent at once on an idle pooled connection
  uint64_t connections_closed = 0;
  uint64_t queued = 0;
  uint64_t responses_late = 0;
  uint64_t responses_stale = 0;
  uint64_t accepts_stale = 0;
  uint64_t timers_stale = 0;
  uint64_t retries_denied = 0;     // retries (and owner failovers) the retry budget refused
  uint64_t connects_delayed = 0;   // times a call waited because the connection rate limit held
  ClientCounters& operator+=(const ClientCounters& o);
};

class Client {
 public:
  static constexpr size_t kQueuedMax = 1024;     // waiting calls per destination
  // Live calls in total: the capacity of the call table (a SlotPool grown
  // lazily up to it). A call beyond it is refused at once (kQueueFull,
  // counted as refused_calls_max, limit `rpc.calls`). At most 2^16, so a
  // call's slot index fits the timer tag (see timer_tag()).
  static constexpr size_t kCallsMax = 1u << 16;
  static constexpr uint32_t kPoolSizeMax = 64;   // bound on config.pool_size_max

  Client(Env<Message>& env, ClientConfig config);
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  // Starts a call and returns its id (never 0). The call always completes:
  // a refusal (calls or queue at their max, destination unreachable) is a
  // failed Completion queued at once.
  // REQUIRES: timeout > 0, 0 < backoff_base <= backoff_cap.
  uint64_t call(NodeId dst, Method method, uint64_t body_handle, uint32_t body_bytes,
                CallOptions options = {});

  void on_response(NodeId from, const Response& r);
  void on_conn_accept(NodeId from, const ConnAccept& a);
  void on_timer(uint64_t tag);

  // The connections to `dst` broke (its crash, a partition): they are
  // dropped; calls on them retry (or fail with kConnectionReset when no retry
  // is left); queued calls get new connections.
  void reset_connections(NodeId dst);
  // Unreachable: every live call to `dst` fails at once with kUnreachable,
  // and new calls to it fail at once until it is reachable again.
  void set_reachable(NodeId dst, bool reachable);
  // TLS on the link to `dst`: new connections pay 2 more round trips.
  void set_tls(NodeId dst, bool tls);
  // Opens connections to `dst` ahead of calls until `count` are open (at
  // most the pool size): a warm pool spares the first calls the handshake.
  // They join the pool idle once established, like orphaned handshakes.
  void prewarm(NodeId dst, uint32_t count);

  // Spends one retry from the budget: true when there was one (always when
  // the budget is off). For the owner's own retries (another destination).
  bool spend_retry();

  // Moves the completions so far into `out` (cleared first; the buffers
  // swap, so polling with the same vector allocates nothing once warm).
  void take_completions(std::vector<Completion>& out);

  const ClientCounters& counters() const { return counters_; }
  size_t live_calls() const { return calls_.size(); }
  size_t open_connections() const;
  size_t open_connections(NodeId dst) const;

 private:
  enum class CallState : uint8_t { kQueued, kConnecting, kInFlight, kBackoff };
  enum class ConnState : uint8_t { kHandshaking, kIdle, kBusy };
  enum TimerKind : uint64_t { kTimerTimeout = 1, kTimerBackoff = 2, kTimerHandshake = 3, kTimerConnect = 4 };
  static constexpr int kSeqBits = 40;  // call id = incarnation << 40 | sequence

  // A live call, in the slot table calls_. Inside the client a call is named
  // by its slot id (calls_'s id: generation and slot index); its public call
  // id (the one on the wire, in traces and completions) is `id`.
  struct Call {
    uint64_t id = 0;  // the public call id: incarnation << 40 | sequence
    NodeId dst = 0;
    Method method = Method::kPing;
    uint64_t body_handle = 0;
    uint32_t body_bytes = 0;
    CallOptions options;
    sim::Time started;
    uint32_t attempts = 0;
    sim::Time attempt_started;  // the current attempt's start (its timeout runs from here)
    bool sent = false;          // the current attempt's request went out
    CallState state = CallState::kQueued;
    uint32_t conn_id = 0;  // 0 = none
    TimerId timer = 0;     // 0 = none
  };
  struct Conn {
    uint32_t id = 0;
    ConnState state = ConnState::kHandshaking;
    uint8_t step = 0;      // handshake round trips completed
    uint64_t call = 0;     // the slot of the call it serves (handshaking or busy); 0 = orphaned handshake
    TimerId timer = 0;     // an orphaned handshake's deadline
    sim::Time opened;      // the handshake's start
  };
  struct Dest {
    std::vector<Conn> conns;     // <= pool_size_max
    std::deque<uint64_t> queue;  // slots of the waiting calls, <= queue_max + pool_size_max
    bool tls = false;
    bool reachable = true;
    // Connection rate limit (GCRA): the theoretical time of the next
    // connection, and the timer that pumps the queue when one is allowed.
    sim::Time connect_tat{0};
    TimerId connect_timer = 0;
  };

  Dest& dest(NodeId dst);
  // Below, `slot` is a call's slot id in calls_ (not its public call id).
  void start_attempt(uint64_t slot);
  bool assign(uint64_t slot, Call& c, Dest& d);
  void open_connection(uint64_t slot, Call& c, Dest& d);
  // The rate limit allows a new connection to `dst` now (and counts it);
  // otherwise a timer pumps the queue when it will.
  bool connect_allowed(Dest& d, NodeId dst);
  void count_connect(Dest& d);
  uint32_t start_handshake(Dest& d, NodeId dst, uint64_t slot);
  void send_request(Call& c);
  void pump_queue(NodeId dst);
  void attempt_failed(uint64_t slot, Code code);
  void release(uint64_t slot, Call& c);
  void on_handshake_timer(uint32_t conn_id, NodeId dst);
  void close_connection(Dest& d, uint32_t conn_id, NodeId dst);
  void complete(uint64_t slot, Code code, uint64_t handle, uint32_t bytes);
  void complete_refused(uint64_t call_id, NodeId dst, Code code, uint32_t attempts);
  sim::Duration backoff_delay(const Call& c);
  // kind << 40 | value; for a call's timers the value is its slot (slot
  // index and the low 24 bits of the generation), for the others a
  // connection id or a destination.
  uint64_t timer_tag(TimerKind kind, uint64_t value) const;
  static uint64_t slot_tag_value(uint64_t slot);
  // The live call a timer's value names, or kNone when it is gone.
  uint64_t slot_of_tag_value(uint64_t value) const;
  // Whether a call with public id `call_id` is live (a scan: rare paths only).
  bool call_live(uint64_t call_id);
  uint8_t handshake_round_trips(const Dest& d) const { return d.tls ? 3 : 1; }
  void ignore(NodeId peer, Ignored why, uint64_t a);
  void trace_attempt(AttemptEvent what, NodeId dst, uint64_t call_id, uint32_t attempt);
  void check_invariants(const Dest& d) const;

  Env<Message>& env_;
  ClientConfig config_;
  uint64_t next_seq_ = 1;
  uint32_t next_conn_id_ = 1;
  // Live calls. The hot paths never look a call up by its public id: an
  // answer names its connection (which knows its call's slot), a timer's tag
  // carries the slot. The rare walks that must go in public id order (as the
  // std::map this replaces did) sort the ids they collect.
  sim::SlotPool<Call> calls_{kCallsMax};
  std::map<NodeId, Dest> dests_;
  std::vector<Completion> completions_;
  ClientCounters counters_;
  int64_t retry_milli_ = 0;  // the retry budget, in thousandths of a retry
  std::optional<sim::Rng> jitter_rng_;
};

// ---- Server -------------------------------------------------------------------

// Finished responses kept for de-duplication: the newest cache_min
// whatever their age; beyond them, each while it is younger than
// cache_keep (the clients' call horizon: a retry may still come); never
// more than cache_max. cache_keep 0: cache_min and no more.
struct ServerConfig {
  size_t cache_min = 4096;
  sim::Duration cache_keep = sim::Duration{0};
  size_t cache_max = 65536;
  size_t executing_max = 4096;  // requests handed to the owner and not answered yet
};

// A request the owner must execute and later answer with Server::respond().
struct Incoming {
  NodeId from = 0;
  uint64_t call_id = 0;
  Method method = Method::kPing;
  uint64_t body_handle = 0;
  uint32_t body_bytes = 0;
};

struct ServerCounters {
  uint64_t requests = 0;
  uint64_t executed = 0;           // handed to the owner
  uint64_t duplicates_cached = 0;  // answered from the cache
  uint64_t duplicates_executing = 0;
  uint64_t refused_busy = 0;   // executing table at its max
  uint64_t refused_stale = 0;  // a call the cache forgot (Code::kStale)
  uint64_t responses_sent = 0;
  uint64_t response_bytes = 0;
  uint64_t handshake_messages = 0;
  uint64_t handshakes_invalid = 0;  // a step beyond the TLS handshake
  uint64_t cache_evictions = 0;
  ServerCounters& operator+=(const ServerCounters& o);
};

class Server {
 public:
  Server(Env<Message>& env, ServerConfig config);
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Returns the request when the owner must execute it; nullopt when it was
  // a duplicate (answered from the cache or absorbed) or refused as busy.
  std::optional<Incoming> on_request(NodeId from, const Request& r);
  // Answers a handshake step (connections cost the server no state).
  void on_conn_open(NodeId from, const ConnOpen& o);
  // Answers a request that on_request handed out.
  // REQUIRES: (to, call_id) was handed out and not answered yet.
  void respond(NodeId to, uint64_t call_id, uint16_t code, uint64_t body_handle,
               uint32_t body_bytes);

  const ServerCounters& counters() const { return counters_; }
  const ServerConfig& config() const { return config_; }
  size_t executing() const { return executing_; }
  size_t cached() const { return done_order_.size(); }
  // Whether `client`'s call `call_id` is refused as stale when the cache
  // does not hold it: executed here and evicted, or below the window.
  bool forgotten(NodeId client, uint64_t call_id) const;
  // Call ids per client whose eviction the server can tell (the window).
  static constexpr uint64_t kForgottenWindow = 65536;

 private:
  struct Key {
    NodeId client = 0;
    uint64_t call_id = 0;
    auto operator<=>(const Key&) const = default;
  };
  struct KeyBits {
    uint64_t operator()(const Key& k) const { return k.call_id ^ (uint64_t{k.client} << 40); }
  };
  // A request executing or answered; the response is rebuilt from it (its
  // call id is the key's), so a slot of the table is 48 bytes.
  struct Entry {
    uint64_t body_handle = 0;  // these three: the response, valid when done
    uint32_t body_bytes = 0;
    uint16_t code = 0;
    bool done = false;
    uint32_t conn_id = 0;  // the newest connection the request came on
  };
  static Response response_of(uint64_t call_id, const Entry& e) {
    return Response{call_id, e.conn_id, e.code, e.body_handle, e.body_bytes};
  }
  // False when the node stopped at a protocol point (proto/points.hpp) instead.
  bool send_response(NodeId to, const Response& r);
  void evict();
  void serve_trace(NodeId from, const Request& r, ServeOutcome outcome);

  Env<Message>& env_;
  ServerConfig config_;
  sim::FlatMap<Entry, Key, KeyBits> entries_;  // looked up by key only, never iterated
  struct Done {
    Key key;
    int64_t at_ns = 0;  // when it was answered
  };
  sim::FifoRing<Done> done_order_;  // finished entries, oldest first: FIFO eviction
  // Per client node, the call ids executed here and evicted from the cache,
  // so that a late copy of one (a heavy-tailed link can hold a request for
  // seconds) is refused instead of running again. A bitmap over the window
  // of kForgottenWindow ids that ends at the newest id evicted (a ring of
  // 64-bit words, 8 KiB, made at the client's first eviction); a client's
  // ids only grow (incarnation << 40 | sequence), and an id below the
  // window is too old to tell and refused too. Calls finish out of order,
  // so an older id not marked may be a call still on its way: it runs.
  struct Forgotten {
    uint64_t base = 0;            // the window's first id, a multiple of 64
    std::vector<uint64_t> words;  // bit id % 64 of word (id / 64) % words
  };
  void forget(NodeId client, uint64_t call_id);
  std::vector<Forgotten> forgotten_;  // by client node
  size_t forgotten_words_ = 0;        // allocated in forgotten_'s bitmaps
  size_t executing_ = 0;
  ServerCounters counters_;
  // The three tables' storage: --memory-max (rpc.response_cache). A call
  // horizon of minutes (rpc.timeout x retries) fills the cache to its
  // cache_max at any rate: megabytes per core.
  void account();
  sim::Accounted bytes_{sim::Resource::kResponseCache};
};

}  // namespace ecsim::proto::rpc
