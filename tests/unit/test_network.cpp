#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <map>
#include <vector>

#include "ecsim/net/network.hpp"
#include "fill_network.hpp"

namespace test_network {

using namespace ecsim;
using namespace ecsim::sim::literals;

namespace {

// A receiver that records what arrives, with every node up unless told.
struct Recorder final : net::Receiver {
  std::vector<net::Envelope> delivered;
  uint64_t discarded = 0;
  uint64_t copies = 0;
  std::vector<bool> up = std::vector<bool>(8, true);
  bool is_up(net::NodeId n) const override { return up[n]; }
  net::Arrival on_deliver(const net::Envelope& e) override {
    delivered.push_back(e);
    return net::Arrival::kTaken;
  }
  void on_discard(const net::Envelope&) override { ++discarded; }
  void on_copy(const net::Envelope&) override { ++copies; }
};

struct World {
  sim::Trace trace;
  sim::Simulator sim{1, trace};
  std::vector<std::string> names{"n0", "n1", "n2", "n3"};
  net::Network net{sim, names};
  Recorder rx;
  World() { net.set_receiver(&rx); }
};

}  // namespace

TEST_CASE("network: the measured drop rate is within binomial bounds", "[net]") {
  World w;
  net::LinkConfig c;
  c.drop_ppm = 300000;  // 30 %
  w.net.set_link(0, 1, c);
  constexpr int n = 20000;
  for (int i = 0; i < n; ++i) w.net.send(0, 1, 1, 100, i);
  w.sim.run_until(sim::Time{0} + 1_s);
  const double dropped = n - static_cast<double>(w.rx.delivered.size());
  const double sd = std::sqrt(n * 0.3 * 0.7);
  CHECK(std::fabs(dropped - 0.3 * n) < 4 * sd);
  CHECK(w.rx.discarded == static_cast<uint64_t>(dropped));
  CHECK(w.net.stats().dropped() == w.rx.discarded);
}

TEST_CASE("network: duplicates arrive twice with the same message id", "[net]") {
  World w;
  net::LinkConfig c;
  c.duplicate_ppm = net::kPpmOne;
  w.net.set_link(0, 1, c);
  const uint64_t id = w.net.send(0, 1, 1, 100, 7);
  w.sim.run_until(sim::Time{0} + 1_s);
  REQUIRE(w.rx.delivered.size() == 2);
  CHECK(w.rx.delivered[0].id == id);
  CHECK(w.rx.delivered[1].id == id);
  CHECK(w.rx.copies == 1);
}

TEST_CASE("network: links are FIFO unless reorder is set", "[net]") {
  for (bool reorder : {false, true}) {
    World w;
    net::LinkConfig c;
    c.latency = net::LatencyModel::uniform(1_us, 1_ms);  // heavy jitter
    c.reorder = reorder;
    w.net.set_link(0, 1, c);
    for (int i = 0; i < 2000; ++i) {
      w.net.send(0, 1, 1, 10, static_cast<uint64_t>(i));
      w.sim.run_until(w.sim.now() + 10_us);
    }
    w.sim.run_until(w.sim.now() + 1_s);
    REQUIRE(w.rx.delivered.size() == 2000);
    int inversions = 0;
    for (size_t i = 1; i < w.rx.delivered.size(); ++i) {
      if (w.rx.delivered[i].payload < w.rx.delivered[i - 1].payload) ++inversions;
      CHECK(w.rx.delivered[i].deliver_ns >= w.rx.delivered[i].send_ns + 1);
    }
    if (reorder) {
      CHECK(inversions > 100);
    } else {
      CHECK(inversions == 0);
    }
  }
}

TEST_CASE("network: a partition cuts exactly the links across groups, heal restores", "[net]") {
  World w;
  // Messages already in flight across the cut are lost with it.
  w.net.send(0, 2, 1, 10, 99);
  w.net.set_partition({1, 1, 2, 2});
  w.sim.run_until(w.sim.now() + 1_s);
  CHECK(w.rx.delivered.empty());
  std::map<std::pair<int, int>, int> got;
  auto send_all = [&] {
    w.rx.delivered.clear();
    for (net::NodeId s = 0; s < 4; ++s)
      for (net::NodeId d = 0; d < 4; ++d)
        if (s != d) w.net.send(s, d, 1, 10, 0);
    w.sim.run_until(w.sim.now() + 1_s);
    got.clear();
    for (const auto& e : w.rx.delivered) ++got[{static_cast<int>(e.src), static_cast<int>(e.dst)}];
  };
  send_all();
  for (int s = 0; s < 4; ++s) {
    for (int d = 0; d < 4; ++d) {
      if (s == d) continue;
      const bool same_side = (s < 2) == (d < 2);
      CHECK(got.count({s, d}) == (same_side ? 1u : 0u));
    }
  }
  w.net.set_partition({0, 0, 0, 0});
  send_all();
  CHECK(w.rx.delivered.size() == 12);
}

TEST_CASE("network: a crashed node's in-flight messages are dropped", "[net]") {
  World w;
  w.net.send(0, 1, 1, 10, 1);
  w.net.send(1, 2, 1, 10, 2);
  w.net.send(2, 3, 1, 10, 3);
  w.net.reset_node(1);
  w.sim.run_until(w.sim.now() + 1_s);
  REQUIRE(w.rx.delivered.size() == 1);
  CHECK(w.rx.delivered[0].payload == 3);
  CHECK(w.net.stats().dropped_by_reason[static_cast<size_t>(sim::DropReason::kLinkReset)] == 2);
}

TEST_CASE("latency models never go below 1 ns and hit their parameters", "[net]") {
  sim::Rng r(3);
  const auto lognormal = net::LatencyModel::lognormal(2_ms, 8_ms);
  std::vector<int64_t> v;
  for (int i = 0; i < 50000; ++i) v.push_back(lognormal.sample(r).ns);
  std::sort(v.begin(), v.end());
  CHECK(static_cast<double>(v[v.size() / 2]) == Approx(2e6).epsilon(0.03));
  CHECK(static_cast<double>(v[v.size() * 99 / 100]) == Approx(8e6).epsilon(0.08));
  const auto normal = net::LatencyModel::normal(1_ns, 1_ms);
  for (int i = 0; i < 10000; ++i) CHECK(normal.sample(r).ns >= 1);
  const auto pareto = net::LatencyModel::pareto(1_ms, 1.5, 100_ms);
  for (int i = 0; i < 10000; ++i) {
    const int64_t s = pareto.sample(r).ns;
    CHECK(s >= 1000000);
    CHECK(s <= 100000000);
  }
  CHECK(net::LatencyModel::uniform(5_ms, 1_ms).validate() != "");
  CHECK(net::LatencyModel::lognormal(5_ms, 1_ms).validate() != "");
  CHECK(net::LatencyModel::constant(0_ns).validate() != "");
}

namespace {

int64_t quantile(std::vector<int64_t> v, double q) {
  REQUIRE(!v.empty());
  std::sort(v.begin(), v.end());
  return v[static_cast<size_t>(q * static_cast<double>(v.size() - 1))];
}

}  // namespace

TEST_CASE("network: FIFO holds per connection, not across connections", "[net]") {
  World w;
  net::LinkConfig c;
  c.latency = net::LatencyModel::uniform(1_us, 1_ms);  // heavy jitter
  w.net.set_link(0, 1, c);
  // Three connections interleaved, 10 us apart: each keeps its order, but
  // one does not wait for another, so the link as a whole reorders.
  constexpr int kMessages = 3000;
  for (int i = 0; i < kMessages; ++i) {
    w.net.send(0, 1, 1, 10, static_cast<uint64_t>(i), static_cast<uint64_t>(1 + i % 3));
    w.sim.run_until(w.sim.now() + 10_us);
  }
  w.sim.run_until(w.sim.now() + 1_s);
  REQUIRE(w.rx.delivered.size() == kMessages);
  std::map<uint64_t, uint64_t> last;  // conn -> last payload
  int inversions_within = 0;
  int inversions_across = 0;
  for (size_t i = 0; i < w.rx.delivered.size(); ++i) {
    const net::Envelope& e = w.rx.delivered[i];
    if (auto it = last.find(e.conn); it != last.end() && e.payload < it->second) ++inversions_within;
    last[e.conn] = e.payload;
    if (i > 0 && e.payload < w.rx.delivered[i - 1].payload) ++inversions_across;
  }
  CHECK(inversions_within == 0);
  CHECK(inversions_across > 100);
}

TEST_CASE("network: after a heal, latency follows the link's distribution again", "[net]") {
  World w;
  net::LinkConfig slow;
  slow.latency = net::LatencyModel::constant(600_ms);  // a delay fault in force
  w.net.set_link(0, 1, slow);
  // In flight when the partition cuts the link: on the pair's queue and on
  // connection 7.
  for (int i = 0; i < 50; ++i) {
    w.net.send(0, 1, 1, 10, 0);
    w.net.send(0, 1, 1, 10, 0, 7);
    w.sim.run_until(w.sim.now() + 1_ms);
  }
  w.sim.run_until(sim::Time{0} + 60_ms);
  w.net.set_partition({1, 2, 0, 0});
  net::LinkConfig healthy;
  healthy.latency = net::LatencyModel::lognormal(2_ms, 8_ms);
  w.net.set_link(0, 1, healthy);  // the delay reverted
  w.sim.run_until(sim::Time{0} + 100_ms);
  w.net.set_partition({0, 0, 0, 0});  // heal
  // After the heal: every 200 us a message on a connection of its own, and
  // every 50 ms one on the pair's queue and one on connection 7 (far apart
  // against the latency, so FIFO never delays them on a healthy link).
  constexpr int kMessages = 20000;
  for (int i = 0; i < kMessages; ++i) {
    w.net.send(0, 1, 1, 10, 1, static_cast<uint64_t>(100 + i));
    if (i % 250 == 0) {
      w.net.send(0, 1, 1, 10, 2);
      w.net.send(0, 1, 1, 10, 2, 7);
    }
    w.sim.run_until(w.sim.now() + 200_us);
  }
  w.sim.run_until(w.sim.now() + 1_s);
  CHECK(w.net.stats().dropped_by_reason[static_cast<size_t>(sim::DropReason::kLinkReset)] == 100);
  std::vector<int64_t> fresh;
  int64_t queued_max_ns = 0;
  for (const net::Envelope& e : w.rx.delivered) {
    const int64_t latency_ns = e.deliver_ns - e.send_ns;
    if (e.payload == 1) fresh.push_back(latency_ns);
    if (e.payload == 2) queued_max_ns = std::max(queued_max_ns, latency_ns);
  }
  REQUIRE(fresh.size() == kMessages);
  CHECK(static_cast<double>(quantile(fresh, 0.5)) == Approx(2e6).epsilon(0.05));
  CHECK(static_cast<double>(quantile(fresh, 0.99)) == Approx(8e6).epsilon(0.08));
  // Nothing waits behind the messages the partition dropped (600 ms late).
  CHECK(queued_max_ns > 0);
  CHECK(queued_max_ns < 50'000'000);
}

TEST_CASE("network: a crash clears the FIFO state of what it dropped", "[net]") {
  World w;
  net::LinkConfig slow;
  slow.latency = net::LatencyModel::constant(600_ms);
  w.net.set_link(0, 1, slow);
  w.net.send(0, 1, 1, 10, 0);
  w.net.send(0, 1, 1, 10, 0, 7);
  w.net.reset_node(1);
  w.net.set_link(0, 1, net::LinkConfig{});  // 1 ms
  w.sim.run_until(sim::Time{0} + 10_ms);
  w.net.send(0, 1, 1, 10, 1);
  w.net.send(0, 1, 1, 10, 1, 7);
  w.sim.run_until(sim::Time{0} + 20_ms);
  REQUIRE(w.rx.delivered.size() == 2);
  for (const net::Envelope& e : w.rx.delivered) CHECK(e.deliver_ns - e.send_ns == 1'000'000);
}

namespace {

// A receiver with a service queue: holds every message, then takes or
// loses them when told.
struct Holder final : net::Receiver {
  net::Network* net = nullptr;
  std::vector<net::Envelope> held;
  bool refuse_next = false;
  bool is_up(net::NodeId) const override { return true; }
  net::Arrival on_deliver(const net::Envelope& e) override {
    if (refuse_next) {
      refuse_next = false;
      net->refuse(e, sim::DropReason::kOverload);
      return net::Arrival::kRefused;
    }
    held.push_back(e);
    return net::Arrival::kHeld;
  }
  void on_discard(const net::Envelope&) override {}
  void on_copy(const net::Envelope&) override {}
};

}  // namespace

TEST_CASE("network: counters reconcile, and a held message lost in a crash is dropped, not delivered", "[net]") {
  sim::Trace trace;
  sim::Simulator s{1, trace};
  net::Network net{s, {"a", "b"}};
  Holder rx;
  rx.net = &net;
  net.set_receiver(&rx);
  net::LinkConfig dup;
  dup.duplicate_ppm = net::kPpmOne;
  net.set_link(0, 1, dup);
  for (int i = 0; i < 5; ++i) net.send(0, 1, 1, 10, 0);  // 10 copies
  const auto& st = net.stats();
  CHECK(net.in_flight() == 10);
  rx.refuse_next = true;
  s.run_until(sim::Time{0} + 10_ms);
  REQUIRE(rx.held.size() == 9);
  CHECK(st.held == 9);
  CHECK(st.dropped() == 1);
  net.take_held(rx.held[0]);
  net.take_held(rx.held[1]);
  net.lose_held(rx.held[2], sim::DropReason::kNodeDown);
  CHECK(st.sent == 5);
  CHECK(st.duplicated == 5);
  CHECK(st.delivered == 2);
  CHECK(st.dropped() == 2);
  CHECK(net.in_flight() == 6);
  CHECK(st.sent + st.duplicated == st.delivered + st.dropped() + net.in_flight());
  net.check_counters();
}

TEST_CASE("network: FIFO state grows with the connections in flight, not with those ever opened", "[net]") {
  net::ConnFifo fifo;
  const std::vector<uint32_t> epochs{0, 0};
  // 200,000 connections one after the other, each delivered before the
  // next opens: the table keeps its initial size.
  int64_t now = 0;
  for (uint64_t conn = 1; conn <= 200000; ++conn) {
    CHECK(fifo.order(0, 0, conn, now + 1000, now, epochs) == now + 1000);
    now += 2000;
  }
  CHECK(fifo.slots() == net::ConnFifo::kSlotsMin);
  // 10,000 connections in flight at once: it grows to hold them, keeps
  // each one's order, and a bumped epoch clears them.
  for (uint64_t conn = 1; conn <= 10000; ++conn) fifo.order(1, 0, conn, now + 5000, now, epochs);
  CHECK(fifo.used() >= 10000);
  CHECK(fifo.slots() >= 2 * fifo.used());
  CHECK(fifo.order(1, 0, 77, now + 10, now, epochs) == now + 5000);
  const std::vector<uint32_t> bumped{0, 1};
  CHECK(fifo.order(1, 1, 78, now + 10, now, bumped) == now + 10);
}

TEST_CASE("conn_fifo: at its slot limit a new connection goes untracked, counted, stale entries make room",
          "[net][limits]") {
  // The table's limit cannot be reached in a run (conn_fifo.hpp): a small
  // table shows what happens at it.
  net::ConnFifo fifo(net::ConnFifo::kSlotsMin);
  const std::vector<uint32_t> epochs{0};
  const uint64_t before = sim::limit_state().use[static_cast<size_t>(sim::Resource::kConnFifo)].reached;
  const uint64_t half = net::ConnFifo::kSlotsMin / 2;
  // Half the table's slots: connections 1..half, each with a message in
  // flight until 1000 ns.
  for (uint64_t c = 1; c <= half; ++c) CHECK(fifo.order(0, 0, c, 1000, 0, epochs) == 1000);
  CHECK(fifo.slots() == net::ConnFifo::kSlotsMin);
  const auto reached = [&] {
    return sim::limit_state().use[static_cast<size_t>(sim::Resource::kConnFifo)].reached - before;
  };
  CHECK(reached() == 0);
  // One more connection: untracked, its message keeps its own time (500,
  // not after anything), and the reach is counted.
  CHECK(fifo.order(0, 0, half + 1, 500, 0, epochs) == 500);
  CHECK(reached() == 1);
  CHECK(fifo.used() == half);
  // Tracked connections keep their FIFO order at the limit.
  CHECK(fifo.order(0, 0, 1, 900, 0, epochs) == 1000);
  // Once their messages are delivered (now 2000) the entries are stale, and
  // the new connection gets one.
  CHECK(fifo.order(0, 0, half + 1, 2500, 2000, epochs) == 2500);
  CHECK(fifo.order(0, 0, half + 1, 2400, 2000, epochs) == 2500);  // tracked: after its previous message
  CHECK(reached() == 1);
  CHECK(fifo.slots() == net::ConnFifo::kSlotsMin);
}

// A receiver that counts each payload's references as tiers::PayloadPool
// does, and notes any copy or discard of a payload no longer held.
struct RefCounter final : net::Receiver {
  std::map<uint64_t, int> refs;
  int misuse = 0;
  bool is_up(net::NodeId) const override { return true; }
  net::Arrival on_deliver(const net::Envelope& e) override {
    on_discard(e);
    return net::Arrival::kTaken;
  }
  void on_discard(const net::Envelope& e) override { misuse += refs[e.payload]-- > 0 ? 0 : 1; }
  void on_copy(const net::Envelope& e) override { misuse += refs[e.payload]++ > 0 ? 0 : 1; }
};

TEST_CASE("network: a duplicate of a message dropped at the in-flight limit never touches a freed body",
          "[net]") {
  sim::Trace trace;
  sim::Simulator s{1, trace};
  net::Network net{s, test::fill_node_names()};
  RefCounter rx;
  net.set_receiver(&rx);
  test::fill_network(net, [&rx](uint64_t p) { rx.refs[p] = 1; });  // the network full, each link within its share
  net::LinkConfig dup;
  dup.duplicate_ppm = net::kPpmOne;
  const net::NodeId empty = test::kFillNodes - 1;
  net.set_link(0, empty, dup);  // a link with nothing on it: the network's limit, not the link's
  const uint64_t body = net::Network::kInFlightMax + 1;
  rx.refs[body] = 1;
  net.send(0, empty, 1, 100, body);  // the original and its copy both meet the limit
  CHECK(rx.misuse == 0);
  CHECK(rx.refs[body] == 0);  // both references released, none twice
  CHECK(net.stats().dropped_by_reason[static_cast<size_t>(sim::DropReason::kInFlightLimit)] == 2);
}

}  // namespace test_network
