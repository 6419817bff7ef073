#include <catch2/catch.hpp>
#include <set>
#include <string>

#include "ecsim/proto/rpc.hpp"

namespace test_rpc {

using namespace ecsim;
using namespace ecsim::sim::literals;
using proto::FakeEnv;
namespace rpc = ecsim::proto::rpc;

namespace {

constexpr net::NodeId kClient = 1;
constexpr net::NodeId kServer = 2;

// One client node and one server node joined by a tiny network: a constant
// one-way delay, an optional seeded drop probability, and a hook that may
// drop chosen messages. The server's owner answers at once (echoing the
// request's body handle + 1000) unless told to stay silent.
struct World {
  struct InFlight {
    sim::Time at;
    uint64_t order;
    net::NodeId src, dst;
    rpc::Message msg;
  };
  struct SendLog {
    sim::Time at;
    net::NodeId src;
    size_t index;  // variant index of the message
  };

  FakeEnv<rpc::Message> cenv{kClient, 11};
  FakeEnv<rpc::Message> senv{kServer, 12};
  rpc::Client client;
  rpc::Server server;
  sim::Rng net_rng{42};
  uint32_t drop_ppm = 0;
  sim::Duration delay = 1_ms;
  bool server_answers = true;
  // Return true to drop this message (after the random drop).
  bool (*drop_hook)(World&, const InFlight&) = nullptr;
  std::vector<InFlight> flight;
  std::vector<SendLog> log;
  std::vector<rpc::Incoming> executed;
  std::vector<rpc::Completion> done;
  sim::Time now{0};
  uint64_t order = 0;
  int responses_dropped = 0;

  explicit World(rpc::ClientConfig cc = {}, rpc::ServerConfig sc = {})
      : client(cenv, cc), server(senv, sc) {}

  void collect(FakeEnv<rpc::Message>& env) {
    for (auto& s : env.sent) {
      log.push_back({now, env.self(), s.message.index()});
      CHECK(s.size_bytes == rpc::size_bytes(s.message));
      InFlight f{now + delay, order++, env.self(), s.dst, s.message};
      if (net_rng.chance_ppm(drop_ppm)) continue;
      if (drop_hook != nullptr && drop_hook(*this, f)) continue;
      flight.push_back(f);
    }
    env.sent.clear();
  }
  void collect_all() {
    collect(cenv);
    collect(senv);
    std::vector<rpc::Completion> out;
    client.take_completions(out);
    done.insert(done.end(), out.begin(), out.end());
  }

  void deliver(const InFlight& f) {
    if (f.dst == kServer) {
      if (auto* r = std::get_if<rpc::Request>(&f.msg)) {
        if (auto in = server.on_request(f.src, *r)) {
          executed.push_back(*in);
          if (server_answers) server.respond(in->from, in->call_id, 0, in->body_handle + 1000, 64);
        }
      } else {
        server.on_conn_open(f.src, std::get<rpc::ConnOpen>(f.msg));
      }
      return;
    }
    if (auto* r = std::get_if<rpc::Response>(&f.msg)) {
      client.on_response(f.src, *r);
    } else {
      client.on_conn_accept(f.src, std::get<rpc::ConnAccept>(f.msg));
    }
  }

  sim::Time next_timer() const {
    sim::Time t = sim::Time::max();
    for (const auto& timer : cenv.timers) {
      if (timer.live) t = std::min(t, timer.at);
    }
    return t;
  }

  // Runs events (deliveries, then client timers at equal times) up to `until`.
  void run_until(sim::Time until) {
    collect_all();
    for (;;) {
      auto first = std::min_element(flight.begin(), flight.end(), [](const auto& a, const auto& b) {
        return a.at != b.at ? a.at < b.at : a.order < b.order;
      });
      const sim::Time tm = next_timer();
      const sim::Time tf = first == flight.end() ? sim::Time::max() : first->at;
      const sim::Time t = std::min(tm, tf);
      if (t > until) break;
      now = t;
      cenv.set_now(t);
      senv.set_now(t);
      if (tf <= tm) {
        const InFlight f = *first;
        flight.erase(first);
        deliver(f);
      } else {
        for (const auto& timer : cenv.take_due(t)) client.on_timer(timer.tag);
      }
      collect_all();
    }
    now = until;
    cenv.set_now(until);
    senv.set_now(until);
  }

  size_t count(net::NodeId src, size_t index) const {
    size_t n = 0;
    for (const auto& l : log) n += (l.src == src && l.index == index);
    return n;
  }
};

constexpr size_t kRequest = 0, kResponse = 1, kConnOpen = 2, kConnAccept = 3;

}  // namespace

TEST_CASE("rpc: wire sizes match the JSON-RPC encoding", "[rpc]") {
  const std::string params = R"({"subscriber":12345})";
  const std::string req = std::string(R"({"jsonrpc":"2.0","method":")") + "session.check" +
                          R"(","params":)" + params + R"(,"id":4711})" + "\n";
  CHECK(rpc::request_size_bytes(13, 4711, static_cast<uint32_t>(params.size())) == req.size());
  const std::string empty = R"({"jsonrpc":"2.0","method":"ping","params":{},"id":7})"
                            "\n";
  CHECK(rpc::request_size_bytes(4, 7, 0) == empty.size());
  const std::string ok = R"({"jsonrpc":"2.0","result":{"ok":true},"id":123})"
                         "\n";
  CHECK(rpc::response_size_bytes(123, 0, 11) == ok.size());
  const std::string err = R"({"jsonrpc":"2.0","error":{"code":104,"message":"error"},"id":99})"
                          "\n";
  CHECK(rpc::response_size_bytes(99, 104, 0) == err.size());
  CHECK(rpc::decimal_digits(0) == 1);
  CHECK(rpc::decimal_digits(9) == 1);
  CHECK(rpc::decimal_digits(10) == 2);
  CHECK(rpc::decimal_digits(UINT64_MAX) == 20);
}

TEST_CASE("rpc: a new connection pays the TCP handshake and a pooled one skips it", "[rpc]") {
  World w;
  const uint64_t a = w.client.call(kServer, rpc::Method::kSessionCheck, 5, 20);
  w.run_until(sim::Time{0} + 1_s);
  REQUIRE(w.done.size() == 1);
  CHECK(w.done[0].call_id == a);
  CHECK(w.done[0].ok);
  CHECK(w.done[0].body_handle == 1005);
  CHECK(w.done[0].attempts == 1);
  CHECK(w.done[0].latency_ns == (4_ms).ns);  // 1 handshake RTT + 1 request RTT
  CHECK(w.count(kClient, kConnOpen) == 1);
  CHECK(w.count(kServer, kConnAccept) == 1);
  CHECK(w.count(kClient, kRequest) == 1);

  w.client.call(kServer, rpc::Method::kSessionCheck, 6, 20);
  w.run_until(sim::Time{0} + 2_s);
  REQUIRE(w.done.size() == 2);
  CHECK(w.done[1].ok);
  CHECK(w.done[1].latency_ns == (2_ms).ns);  // the pooled connection: no handshake
  CHECK(w.count(kClient, kConnOpen) == 1);
  CHECK(w.count(kClient, kRequest) == 2);
  CHECK(w.client.counters().connections_opened == 1);
  CHECK(w.client.counters().connections_reused == 1);
  CHECK(w.client.open_connections(kServer) == 1);
}

TEST_CASE("rpc: TLS adds two handshake round trips on a new connection", "[rpc]") {
  World w(rpc::ClientConfig{.pool_size_max = 4, .incarnation = 0, .tls = true});
  w.client.call(kServer, rpc::Method::kStorageRead, 1, 30);
  w.run_until(sim::Time{0} + 1_s);
  REQUIRE(w.done.size() == 1);
  CHECK(w.done[0].ok);
  CHECK(w.done[0].latency_ns == (8_ms).ns);  // 3 handshake RTTs + 1 request RTT
  CHECK(w.count(kClient, kConnOpen) == 3);
  CHECK(w.count(kServer, kConnAccept) == 3);
  CHECK(w.client.counters().handshake_bytes == 60 + 320 + 180);
}

TEST_CASE("rpc: a handshake outliving its call finishes and serves the next call", "[rpc]") {
  World w(rpc::ClientConfig{.pool_size_max = 1, .incarnation = 0, .tls = true});
  w.delay = 10_ms;  // a TLS handshake takes 60 ms, longer than the call's 25 ms timeout
  const rpc::CallOptions short_call{.timeout = 25_ms, .retries_max = 0};
  w.client.call(kServer, rpc::Method::kPing, 1, 0, short_call);
  w.run_until(sim::Time{0} + 30_ms);
  REQUIRE(w.done.size() == 1);
  CHECK(w.done[0].code == static_cast<uint16_t>(rpc::Code::kTimeout));
  CHECK(w.client.open_connections(kServer) == 1);  // the handshake goes on
  w.run_until(sim::Time{0} + 70_ms);
  CHECK(w.count(kClient, kConnOpen) == 3);  // done, without a request on it
  CHECK(w.count(kClient, kRequest) == 0);
  const rpc::CallOptions normal{.timeout = 100_ms};
  w.client.call(kServer, rpc::Method::kPing, 2, 0, normal);
  w.run_until(sim::Time{0} + 200_ms);
  REQUIRE(w.done.size() == 2);
  CHECK(w.done[1].ok);
  CHECK(w.done[1].latency_ns == (20_ms).ns);  // the pooled connection: one round trip
  CHECK(w.client.counters().connections_opened == 1);
  CHECK(w.client.counters().connections_closed == 0);
}

TEST_CASE("rpc: an orphaned handshake that stalls is given up and frees its slot", "[rpc]") {
  World w(rpc::ClientConfig{.pool_size_max = 1, .orphan_handshake_timeout = 50_ms});
  w.drop_ppm = 1000000;  // the SYN is lost
  w.client.call(kServer, rpc::Method::kPing, 1, 0, {.timeout = 20_ms, .retries_max = 0});
  w.run_until(sim::Time{0} + 30_ms);
  REQUIRE(w.done.size() == 1);
  CHECK(w.client.open_connections(kServer) == 1);
  // A second call queues behind the stalled handshake until it is given up
  // at 50 ms, then opens its own connection.
  w.drop_ppm = 0;
  w.client.call(kServer, rpc::Method::kPing, 2, 0, {.timeout = 100_ms});
  w.run_until(sim::Time{0} + 49_ms);
  CHECK(w.count(kClient, kConnOpen) == 1);
  w.run_until(sim::Time{0} + 200_ms);
  REQUIRE(w.done.size() == 2);
  CHECK(w.done[1].ok);
  CHECK(w.done[1].latency_ns == (50_ms - 30_ms + 4_ms).ns);  // waited, then handshake + request
  CHECK(w.client.counters().connections_opened == 2);
  CHECK(w.client.counters().connections_closed == 1);
}

TEST_CASE("rpc: the pool is bounded and extra calls queue, then refuse at kQueuedMax", "[rpc]") {
  World w(rpc::ClientConfig{.pool_size_max = 2});
  const size_t n = 2 + rpc::Client::kQueuedMax + 1;
  // The timeout covers time in the queue: long enough to drain 1024 calls.
  const rpc::CallOptions opt{.timeout = 10_s};
  for (size_t i = 0; i < n; ++i) w.client.call(kServer, rpc::Method::kPing, i, 0, opt);
  w.collect_all();
  REQUIRE(w.done.size() == 1);  // the last one, refused at once
  CHECK_FALSE(w.done[0].ok);
  CHECK(w.done[0].code == static_cast<uint16_t>(rpc::Code::kQueueFull));
  CHECK(w.client.counters().refused_queue_full == 1);
  CHECK(w.count(kClient, kConnOpen) == 2);

  w.run_until(sim::Time{0} + 20_s);
  REQUIRE(w.done.size() == n);
  size_t ok = 0;
  for (const auto& c : w.done) ok += c.ok;
  CHECK(ok == n - 1);
  CHECK(w.client.counters().connections_opened == 2);
  CHECK(w.executed.size() == n - 1);
  CHECK(w.client.live_calls() == 0);
}

TEST_CASE("rpc: timeouts retry with exponential backoff and fail after the last retry", "[rpc]") {
  World w;
  w.server_answers = false;  // the server executes but never answers
  const rpc::CallOptions opt{
      .timeout = 100_ms, .retries_max = 4, .backoff_base = 10_ms, .backoff_cap = 1_s};
  const uint64_t id = w.client.call(kServer, rpc::Method::kSubscriberWrite, 9, 40, opt);
  w.run_until(sim::Time{0} + 10_s);
  REQUIRE(w.done.size() == 1);
  CHECK(w.done[0].call_id == id);
  CHECK_FALSE(w.done[0].ok);
  CHECK(w.done[0].code == static_cast<uint16_t>(rpc::Code::kTimeout));
  CHECK(w.done[0].attempts == 5);
  CHECK(w.client.counters().timeouts == 5);
  CHECK(w.client.counters().retries == 4);
  // A timed-out attempt abandons its connection: every attempt opens a new one.
  std::vector<int64_t> opens;
  for (const auto& l : w.log) {
    if (l.src == kClient && l.index == kConnOpen) opens.push_back(l.at.ns);
  }
  REQUIRE(opens.size() == 5);
  for (size_t k = 1; k < opens.size(); ++k) {
    // Gap = the attempt's timeout + a backoff drawn from [d/2, d], d = 10 ms * 2^(k-1).
    const int64_t backoff = opens[k] - opens[k - 1] - (100_ms).ns;
    const int64_t d = (10_ms).ns << (k - 1);
    CHECK(backoff >= d / 2);
    CHECK(backoff <= d);
  }
  // The server saw five requests for one call and executed it once.
  CHECK(w.executed.size() == 1);
  CHECK(w.server.counters().duplicates_executing == 4);
  CHECK(w.done[0].latency_ns >= 5 * (100_ms).ns);
}

TEST_CASE("rpc: an unreachable destination fails calls at once", "[rpc]") {
  World w;
  w.drop_ppm = 1000000;  // nothing arrives
  const uint64_t id = w.client.call(kServer, rpc::Method::kPing, 1, 0);
  w.run_until(sim::Time{0} + 50_ms);
  CHECK(w.done.empty());
  w.client.set_reachable(kServer, false);
  w.collect_all();
  REQUIRE(w.done.size() == 1);
  CHECK(w.done[0].call_id == id);
  CHECK(w.done[0].code == static_cast<uint16_t>(rpc::Code::kUnreachable));
  CHECK(w.client.open_connections() == 0);
  w.client.call(kServer, rpc::Method::kPing, 2, 0);
  w.collect_all();
  REQUIRE(w.done.size() == 2);
  CHECK(w.done[1].code == static_cast<uint16_t>(rpc::Code::kUnreachable));
  CHECK(w.done[1].attempts == 0);
  // Stale timers of the failed call do not fire into anything.
  w.run_until(sim::Time{0} + 10_s);
  CHECK(w.done.size() == 2);
  CHECK(w.client.live_calls() == 0);
}

TEST_CASE("rpc: a duplicated response is ignored and counted", "[rpc]") {
  World w;
  w.client.call(kServer, rpc::Method::kSessionCheck, 3, 10);
  w.run_until(sim::Time{0} + 1_s);
  REQUIRE(w.done.size() == 1);
  // The network delivers the response a second time.
  rpc::Response copy{};
  copy.call_id = w.done[0].call_id;
  copy.conn_id = 1;
  copy.body_handle = 1003;
  w.client.on_response(kServer, copy);
  w.collect_all();
  CHECK(w.done.size() == 1);
  CHECK(w.client.counters().responses_late == 1);
  CHECK(w.client.counters().completed_ok == 1);
}

TEST_CASE("rpc: the server executes a retried request once and answers from its cache", "[rpc]") {
  World w;
  w.drop_hook = [](World& world, const World::InFlight& f) {
    // Lose the first response: the client times out and retries.
    if (f.msg.index() != kResponse || world.responses_dropped > 0) return false;
    ++world.responses_dropped;
    return true;
  };
  const rpc::CallOptions opt{
      .timeout = 50_ms, .retries_max = 3, .backoff_base = 5_ms, .backoff_cap = 100_ms};
  w.client.call(kServer, rpc::Method::kStorageWrite, 77, 100, opt);
  w.run_until(sim::Time{0} + 5_s);
  REQUIRE(w.done.size() == 1);
  CHECK(w.done[0].ok);
  CHECK(w.done[0].attempts == 2);
  CHECK(w.done[0].body_handle == 1077);  // the cached response of the first execution
  CHECK(w.executed.size() == 1);
  CHECK(w.server.counters().duplicates_cached == 1);
  CHECK(w.count(kClient, kRequest) == 2);
}

TEST_CASE("rpc: reset_connections retries the call on a new connection", "[rpc]") {
  World w;
  w.server_answers = false;
  w.client.call(kServer, rpc::Method::kRehydrate, 1, 0,
                {.timeout = 1_s, .retries_max = 1, .backoff_base = 1_ms, .backoff_cap = 1_ms});
  w.run_until(sim::Time{0} + 10_ms);  // handshake done, request at the server
  REQUIRE(w.executed.size() == 1);
  w.server_answers = true;
  w.client.reset_connections(kServer);
  CHECK(w.client.counters().resets == 1);
  CHECK(w.client.open_connections() == 0);
  w.run_until(sim::Time{0} + 20_ms);
  // The retry reached the server while the first execution was still open.
  CHECK(w.server.counters().duplicates_executing == 1);
  w.server.respond(kClient, w.executed[0].call_id, 0, 555, 8);
  w.run_until(sim::Time{0} + 100_ms);
  REQUIRE(w.done.size() == 1);
  CHECK(w.done[0].ok);
  CHECK(w.done[0].attempts == 2);
  CHECK(w.done[0].body_handle == 555);
  CHECK(w.client.counters().connections_opened == 2);
}

TEST_CASE("rpc: under 20 percent drops every call completes and executes exactly once", "[rpc]") {
  World w(rpc::ClientConfig{.pool_size_max = 3, .orphan_handshake_timeout = 10_ms});  // orphaned handshakes: 5 round trips
  w.drop_ppm = 200000;
  // The timeout covers queueing behind the 3 connections (about 140 ms for all 200).
  const rpc::CallOptions opt{
      .timeout = 500_ms, .retries_max = 30, .backoff_base = 1_ms, .backoff_cap = 50_ms};
  std::set<uint64_t> ids;
  for (int i = 0; i < 200; ++i) ids.insert(w.client.call(kServer, rpc::Method::kPing, i, 10, opt));
  w.run_until(sim::Time{0} + 600_s);
  REQUIRE(w.done.size() == 200);
  std::set<uint64_t> completed, executed;
  for (const auto& c : w.done) {
    CHECK(c.ok);
    completed.insert(c.call_id);
  }
  for (const auto& e : w.executed) CHECK(executed.insert(e.call_id).second);
  CHECK(completed == ids);
  CHECK(executed == ids);
  CHECK(w.client.counters().retries > 0);
  CHECK(w.client.live_calls() == 0);
}

TEST_CASE("rpc: call ids of a restarted client do not collide with the old ones", "[rpc]") {
  FakeEnv<rpc::Message> env(kClient);
  rpc::Client first(env, {.pool_size_max = 1, .incarnation = 0});
  rpc::Client second(env, {.pool_size_max = 1, .incarnation = 1});
  const uint64_t a = first.call(kServer, rpc::Method::kPing, 0, 0);
  const uint64_t b = second.call(kServer, rpc::Method::kPing, 0, 0);
  CHECK(a != b);
  // The server treats them as two calls.
  FakeEnv<rpc::Message> senv(kServer);
  rpc::Server server(senv, {});
  CHECK(server.on_request(kClient, {a, 1, rpc::Method::kPing, 0, 0}).has_value());
  CHECK(server.on_request(kClient, {b, 1, rpc::Method::kPing, 0, 0}).has_value());
}

TEST_CASE("rpc: the server's dedup cache is bounded and evicts the oldest", "[rpc]") {
  FakeEnv<rpc::Message> senv(kServer);
  rpc::Server server(senv, {.cache_max = 4, .executing_max = 2});
  for (uint64_t id = 1; id <= 6; ++id) {
    REQUIRE(server.on_request(kClient, {id, 1, rpc::Method::kPing, 0, 0}).has_value());
    server.respond(kClient, id, 0, id, 0);
  }
  CHECK(server.cached() == 4);
  CHECK(server.counters().cache_evictions == 2);
  CHECK(server.forgotten(kClient, 1));
  CHECK(server.forgotten(kClient, 2));
  CHECK_FALSE(server.forgotten(kClient, 3));
  CHECK_FALSE(server.on_request(kClient, {6, 1, rpc::Method::kPing, 0, 0}).has_value());
  // Evicted: a late copy of call 1 is refused as stale, never executed again.
  CHECK_FALSE(server.on_request(kClient, {1, 1, rpc::Method::kPing, 0, 0}).has_value());
  CHECK(server.counters().refused_stale == 1);
  CHECK(std::get<rpc::Response>(senv.sent.back().message).code == static_cast<uint16_t>(rpc::Code::kStale));
  CHECK(server.counters().executed == 6);
  CHECK(server.on_request(kClient, {7, 1, rpc::Method::kPing, 0, 0}).has_value());
  CHECK(server.on_request(kClient, {8, 1, rpc::Method::kPing, 0, 0}).has_value());
  // Two executing: the third is refused as busy.
  CHECK_FALSE(server.on_request(kClient, {9, 1, rpc::Method::kPing, 0, 0}).has_value());
  CHECK(server.counters().refused_busy == 1);
  const auto& last = std::get<rpc::Response>(senv.sent.back().message);
  CHECK(last.code == static_cast<uint16_t>(rpc::Code::kServerBusy));
}

TEST_CASE("rpc: beyond cache_min the server keeps an answer for cache_keep, never beyond cache_max",
          "[rpc]") {
  FakeEnv<rpc::Message> senv(kServer);
  rpc::Server server(
      senv, {.cache_min = 2, .cache_keep = sim::Duration{100}, .cache_max = 5, .executing_max = 8});
  const auto run = [&](uint64_t id) {
    REQUIRE(server.on_request(kClient, {id, 1, rpc::Method::kPing, 0, 0}).has_value());
    server.respond(kClient, id, 0, 0, 0);
  };
  for (uint64_t id = 1; id <= 4; ++id) run(id);
  CHECK(server.cached() == 4);  // over cache_min, but none is 100 ns old
  CHECK(server.counters().cache_evictions == 0);
  CHECK_FALSE(server.on_request(kClient, {1, 2, rpc::Method::kPing, 0, 0}).has_value());
  CHECK(server.counters().duplicates_cached == 1);  // a retry of 1 is answered, not refused
  senv.set_now(sim::Time{150});
  run(5);  // answers 1-4 are 150 ns old: down to cache_min
  CHECK(server.cached() == 2);
  CHECK(server.forgotten(kClient, 3));
  CHECK_FALSE(server.forgotten(kClient, 4));
  for (uint64_t id = 6; id <= 10; ++id) run(id);  // young, but cache_max holds
  CHECK(server.cached() == 5);
  CHECK(server.forgotten(kClient, 5));
  CHECK_FALSE(server.forgotten(kClient, 6));
}

TEST_CASE("rpc: a call's horizon is its attempts' timeouts and the longest backoffs between them",
          "[rpc]") {
  using sim::milliseconds;
  CHECK(rpc::call_horizon({milliseconds(200), 1, milliseconds(10), sim::seconds(1)}) ==
        milliseconds(410));
  CHECK(rpc::call_horizon({milliseconds(1000), 2, milliseconds(10), sim::seconds(1)}) ==
        milliseconds(3030));
  // Backoffs 400, then capped at 500 twice.
  CHECK(rpc::call_horizon({milliseconds(100), 3, milliseconds(400), milliseconds(500)}) ==
        milliseconds(1800));
  CHECK(rpc::call_horizon({milliseconds(100), 0, milliseconds(10), milliseconds(10)}) ==
        milliseconds(100));
}

TEST_CASE("rpc: a call the cache forgot never executes again, one still on its way does", "[rpc]") {
  FakeEnv<rpc::Message> senv(kServer);
  rpc::Server server(senv, {.cache_max = 2, .executing_max = 8});
  constexpr net::NodeId kOther = 3;
  // Client A runs 10 and 30 (its call 20 is still on its way), then B runs
  // 3 and 4: A's two calls are evicted.
  for (auto [who, id] : {std::pair{kClient, uint64_t{10}}, {kClient, 30}, {kOther, 3}, {kOther, 4}}) {
    REQUIRE(server.on_request(who, {id, 1, rpc::Method::kPing, 0, 0}).has_value());
    server.respond(who, id, 0, 0, 0);
  }
  CHECK(server.forgotten(kClient, 10));
  CHECK(server.forgotten(kClient, 30));
  CHECK_FALSE(server.forgotten(kClient, 20));
  CHECK_FALSE(server.forgotten(kOther, 3));
  const uint64_t executed = server.counters().executed;
  for (uint64_t id : {10, 30}) CHECK_FALSE(server.on_request(kClient, {id, 1, rpc::Method::kPing, 0, 0}).has_value());
  CHECK(server.counters().refused_stale == 2);
  CHECK(server.counters().executed == executed);
  // Calls finish out of order: the older call 20 never ran here and runs now.
  CHECK(server.on_request(kClient, {20, 1, rpc::Method::kPing, 0, 0}).has_value());
  // B's calls are still cached; A's newer calls run.
  CHECK_FALSE(server.on_request(kOther, {3, 1, rpc::Method::kPing, 0, 0}).has_value());
  CHECK(server.counters().duplicates_cached == 1);
  CHECK(server.on_request(kClient, {31, 1, rpc::Method::kPing, 0, 0}).has_value());
}

TEST_CASE("rpc: the window of forgotten calls slides with the client's ids, older ones are refused", "[rpc]") {
  FakeEnv<rpc::Message> senv(kServer);
  rpc::Server server(senv, {.cache_max = 1, .executing_max = 8});
  constexpr uint64_t kW = rpc::Server::kForgottenWindow;
  const auto run = [&](uint64_t id) {
    REQUIRE(server.on_request(kClient, {id, 1, rpc::Method::kPing, 0, 0}).has_value());
    server.respond(kClient, id, 0, 0, 0);
  };
  run(100);
  run(101);  // evicts 100
  CHECK(server.forgotten(kClient, 100));
  CHECK_FALSE(server.forgotten(kClient, 99));
  run(3 * kW);
  run(3 * kW + 1);  // evicts 3W: the window slides up to end there
  CHECK(server.forgotten(kClient, 3 * kW));
  CHECK(server.forgotten(kClient, 100));          // below the window now: too old to tell
  CHECK(server.forgotten(kClient, 2 * kW));       // likewise
  CHECK_FALSE(server.forgotten(kClient, 3 * kW - 64));  // in the window, never run here
  // A slide by less than a window: the ring's words it reuses for new ids
  // are cleared first. Mark an id in the window's lowest word, then slide
  // ten words on: that word's slot now stands for ids just above 3W.
  const uint64_t low = (3 * kW / 64 - (kW / 64 - 1)) * 64 + 5;
  run(low);      // evicts 3W + 1
  run(low + 1);  // evicts low
  run(3 * kW + 640);
  CHECK(server.forgotten(kClient, low));
  run(3 * kW + 641);  // evicts 3W + 640: the window ends ten words on
  CHECK(server.forgotten(kClient, 3 * kW + 640));
  CHECK(server.forgotten(kClient, 3 * kW));        // still in the window, still marked
  CHECK(server.forgotten(kClient, low));           // slid out below: too old to tell
  CHECK_FALSE(server.forgotten(kClient, 3 * kW + 64 + 5));  // the reused slot, cleared
  // A restarted client's ids (incarnation << 40) slide it past every old id.
  const uint64_t next = uint64_t{1} << 40;
  run(next);
  run(next + 1);  // evicts `next`
  CHECK(server.forgotten(kClient, next));
  CHECK(server.forgotten(kClient, 3 * kW));
  CHECK_FALSE(server.forgotten(kClient, next + 5));
}

TEST_CASE("rpc: a prewarmed pool serves the first calls without a handshake", "[rpc]") {
  World w(rpc::ClientConfig{.pool_size_max = 4, .incarnation = 0, .tls = true});
  w.client.prewarm(kServer, 2);
  w.client.prewarm(kServer, 2);  // already there: nothing more
  w.run_until(sim::Time{0} + 10_ms);
  CHECK(w.count(kClient, kConnOpen) == 6);  // 2 connections x 3 TLS flights
  CHECK(w.client.open_connections(kServer) == 2);
  w.client.call(kServer, rpc::Method::kPing, 1, 0);
  w.client.call(kServer, rpc::Method::kPing, 2, 0);
  w.client.call(kServer, rpc::Method::kPing, 3, 0);  // beyond the warm ones: a new connection
  w.run_until(sim::Time{0} + 1_s);
  REQUIRE(w.done.size() == 3);
  CHECK(w.done[0].latency_ns == (2_ms).ns);
  CHECK(w.done[1].latency_ns == (2_ms).ns);
  CHECK(w.done[2].latency_ns == (8_ms).ns);
  CHECK(w.client.counters().connections_opened == 3);
  CHECK(w.client.counters().timers_stale == 0);
}

TEST_CASE("rpc: a call made while the pool warms up takes over a warming connection", "[rpc]") {
  World w(rpc::ClientConfig{.pool_size_max = 4});
  w.client.prewarm(kServer, 2);
  w.client.call(kServer, rpc::Method::kPing, 1, 0);  // at once: both connections still handshaking
  w.run_until(sim::Time{0} + 1_s);
  REQUIRE(w.done.size() == 1);
  CHECK(w.done[0].ok);
  CHECK(w.done[0].latency_ns == (4_ms).ns);  // the warming handshake's round trip, then the request's
  CHECK(w.client.counters().connections_opened == 2);  // no third connection
  CHECK(w.client.open_connections(kServer) == 2);
  CHECK(w.client.counters().timers_stale == 0);
}

namespace {

size_t attempt_records(const FakeEnv<rpc::Message>& env, rpc::AttemptEvent what) {
  size_t n = 0;
  for (const auto& r : env.records) {
    n += r.type == rpc::kRecordAttempt && r.code == static_cast<uint16_t>(what);
  }
  return n;
}

}  // namespace

TEST_CASE("rpc: every call, retry, timeout and reset has its record, sent or not", "[rpc]") {
  // One connection and a queue of one: while a silent server holds the
  // connection, the second call waits and times out in the queue, and the
  // retries of both find the queue taken or empty in turn. Retries whose
  // request never left still count as retries (docs/scenarios.md).
  World w(rpc::ClientConfig{.pool_size_max = 1, .queue_max = 1});
  w.server_answers = false;
  const rpc::CallOptions opt{.timeout = 50_ms, .retries_max = 2, .backoff_base = 1_ms, .backoff_cap = 1_ms};
  w.client.call(kServer, rpc::Method::kPing, 1, 0, opt);
  w.client.call(kServer, rpc::Method::kPing, 2, 0, opt);
  w.client.call(kServer, rpc::Method::kPing, 3, 0, opt);  // shed at once: the queue holds the second
  w.run_until(sim::Time{0} + 120_ms);
  w.client.reset_connections(kServer);
  w.run_until(sim::Time{0} + 2_s);
  const rpc::ClientCounters& c = w.client.counters();
  REQUIRE(w.done.size() == 3);
  CHECK(c.calls == 3);
  CHECK(c.retries > 0);
  CHECK(c.timeouts > 0);
  CHECK(c.resets == 1);
  CHECK(attempt_records(w.cenv, rpc::AttemptEvent::kCall) == c.calls);
  CHECK(attempt_records(w.cenv, rpc::AttemptEvent::kRetry) == c.retries);
  CHECK(attempt_records(w.cenv, rpc::AttemptEvent::kTimeout) == c.timeouts);
  CHECK(attempt_records(w.cenv, rpc::AttemptEvent::kReset) == c.resets);
  size_t retried_sent = 0, reused = 0;
  for (const auto& r : w.cenv.records) {
    retried_sent += r.type == rpc::kRecordCall && r.b > 1;
    reused += r.type == rpc::kRecordConn && r.code == static_cast<uint16_t>(rpc::ConnEvent::kReused);
  }
  // Some retries waited in the queue and timed out there: fewer requests
  // went out as retries than retries began.
  CHECK(retried_sent < c.retries);
  CHECK(reused == c.connections_reused);
}

}  // namespace test_rpc
