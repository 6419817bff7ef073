#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "ecsim/check/durability.hpp"
#include "ecsim/node/cluster.hpp"
#include "ecsim/sim/limits.hpp"

namespace test_node {

using namespace ecsim;
using namespace ecsim::sim::literals;

TEST_CASE("disk: a crash keeps every synced write and loses only un-synced ones", "[node]") {
  sim::Rng r(8);
  bool saw_all_lost = false, saw_none_lost = false;
  for (int trial = 0; trial < 500; ++trial) {
    node::Disk d;
    for (int i = 0; i < 10; ++i) d.append("x");
    d.make_durable(6);
    for (int i = 0; i < 4; ++i) d.append("y");
    const size_t kept = d.crash(r);
    REQUIRE(kept >= 6);   // never a synced one
    REQUIRE(kept <= 14);  // never more than was written
    CHECK(d.length() == kept);
    CHECK(d.entry(5) == "x");
    saw_all_lost |= kept == 6;
    saw_none_lost |= kept == 14;
  }
  CHECK(saw_all_lost);   // possibly all un-synced lost
  CHECK(saw_none_lost);  // possibly none
}

TEST_CASE("disk: a truncated front keeps indices, bytes and a crash's draw as they were", "[node]") {
  const auto bytes = [] { return sim::limit_state().use[static_cast<size_t>(sim::Resource::kDiskEntries)].bytes; };
  const int64_t before = bytes();
  sim::Rng r1(3), r2(3);
  node::Disk whole, cut;
  for (int i = 0; i < 20; ++i) {
    const std::string e(static_cast<size_t>(i + 1), 'a');
    REQUIRE(whole.append(e));
    REQUIRE(cut.append(e));
  }
  whole.make_durable(12);
  cut.make_durable(12);
  const int64_t full = bytes();
  CHECK(cut.truncate_front(8) == 8);
  CHECK(cut.first() == 8);
  CHECK(cut.retained() == 12);
  CHECK(cut.length() == 20);  // indices never move
  CHECK(cut.entry(8) == whole.entry(8));
  CHECK(cut.entry(19) == whole.entry(19));
  CHECK(bytes() < full);  // the dropped entries' bytes are given back
  CHECK(cut.truncate_front(8) == 0);  // nothing more before 8
  // The same seeded crash keeps the same length on both: the draw counts
  // the un-synced entries, which a truncation never touches.
  const size_t kept_whole = whole.crash(r1);
  const size_t kept_cut = cut.crash(r2);
  CHECK(kept_cut == kept_whole);
  CHECK(cut.length() == whole.length());
  CHECK(cut.first() == 8);
  node::Disk moved = std::move(cut);
  CHECK(moved.first() == 8);
  CHECK(moved.length() == kept_whole);
  CHECK(cut.length() == 0);
  CHECK(cut.first() == 0);
  (void)moved;
  {
    node::Disk gone = std::move(moved);
    (void)gone;
  }
  whole = node::Disk{};
  CHECK(bytes() == before);  // every disk gave its bytes back
}

namespace {
// Counts timers and writes; syncs every write.
struct Probe final : node::Actor {
  int* fired;
  explicit Probe(int* f) : fired(f) {}
  void on_start(node::Context& ctx) override {
    ctx.set_timer(10_ms, 1);
    const node::TimerId cancelled = ctx.set_timer(5_ms, 2);
    CHECK(ctx.cancel_timer(cancelled));
    CHECK_FALSE(ctx.cancel_timer(cancelled));
    ctx.disk().append("boot");
    ctx.sync(0);
  }
  void on_message(node::Context&, const net::Envelope&) override {}
  void on_timer(node::Context&, uint64_t tag) override {
    CHECK(tag == 1);
    ++*fired;
  }
  void on_sync(node::Context&, uint64_t) override {}
};
}  // namespace

TEST_CASE("cluster: a crash cancels timers, restart recovers from disk", "[node]") {
  sim::Trace trace;
  sim::Simulator s(1, trace);
  std::vector<std::string> names{"a", "b"};
  net::Network network(s, names);
  check::DurabilityChecker durability(names);
  trace.add_observer(&durability);
  int fired = 0;
  int built = 0;
  node::Cluster cluster(s, network, names, [&](net::NodeId) {
    ++built;
    return std::make_unique<Probe>(&fired);
  });
  cluster.boot();
  s.run_until(sim::Time{0} + 3_ms);  // syncs (0.5..1.5 ms) are done, timers pending
  CHECK(cluster.disk(0).durable_length() == 1);
  cluster.crash(0);
  CHECK_FALSE(cluster.is_up(0));
  s.run_until(sim::Time{0} + 20_ms);
  CHECK(fired == 1);  // only node b's timer; a's died with it
  cluster.restart(0);
  CHECK(built == 3);
  CHECK(cluster.incarnation(0) == 1);
  CHECK(cluster.disk(0).length() >= 1);
  s.run_until(sim::Time{0} + 40_ms);
  CHECK(fired == 2);
  CHECK(durability.violation_count() == 0);
  CHECK(durability.crashes_checked() == 1);
}

TEST_CASE("durability checker reports a synced write lost in a crash", "[node][check]") {
  // A hand-made history: node 1 synced 5 entries, then a crash kept only 3.
  check::DurabilityChecker c({"edge-1", "core-1"});
  c.offer({1000, sim::RecordType::kDiskSync, 0, 1, 0, 0, 5, 0});
  c.offer({2000000, sim::RecordType::kDiskLoss, 0, 1, 0, 0, 3, 5});
  REQUIRE(c.violation_count() == 1);
  CHECK(c.violations()[0].what ==
        "core-1 at 2ms, record #2: a crash kept 3 entries but 5 were synced: 2 acknowledged writes lost");
  CHECK(c.violations()[0].time_ns == 2000000);
  CHECK(c.violations()[0].record == 2);
  // And a recovery that does not find what the crash kept.
  c.offer({3000000, sim::RecordType::kRecover, 0, 1, 0, 0, 2, 0});
  CHECK(c.violation_count() == 2);
  CHECK(c.violations()[1].what == "core-1 at 3ms, record #3: recovered 2 entries but the crash kept 3");
  CHECK(c.violations()[1].record == 3);
}

namespace {
// Records when each message reached the actor.
struct Sink final : node::Actor {
  std::vector<int64_t>* at;
  explicit Sink(std::vector<int64_t>* a) : at(a) {}
  void on_start(node::Context&) override {}
  void on_message(node::Context& ctx, const net::Envelope&) override { at->push_back(ctx.now().ns); }
  void on_timer(node::Context&, uint64_t) override {}
  void on_sync(node::Context&, uint64_t) override {}
};
}  // namespace

TEST_CASE("cluster: the load model delays, queues and refuses messages", "[node][load]") {
  sim::Trace trace;
  sim::Simulator s(1, trace);
  std::vector<std::string> names{"client", "server"};
  net::Network network(s, names);
  net::LinkConfig link;
  link.latency = net::LatencyModel::constant(1_ms);
  network.set_link(0, 1, link);
  std::vector<int64_t> at;
  node::Cluster cluster(s, network, names, [&](net::NodeId) { return std::make_unique<Sink>(&at); });
  node::LoadProfile p;
  p.cores = 1;
  p.queue_max = 3;
  p.service[7] = 10_ms;
  cluster.set_load_profile(1, p);
  cluster.boot();
  cluster.start_load_sampling(1_s);
  for (int i = 0; i < 6; ++i) network.send(0, 1, 7, 100, 0);  // all arrive at 1 ms
  network.send(0, 1, 8, 100, 0);                                // a kind without service time
  s.run_until(sim::Time{0} + 2_s);
  // Kind 8 is handed over on arrival; of the six, one runs, three wait and two are refused.
  REQUIRE(at.size() == 5);
  CHECK(at[0] == 1000000);
  CHECK(at[1] == 11000000);
  CHECK(at[4] == 41000000);
  CHECK(cluster.stats().overload_refused == 2);
  CHECK(network.stats().dropped_by_reason[static_cast<size_t>(sim::DropReason::kOverload)] == 2);
  // 40 ms of work over the first second on one core: 4 percent.
  CHECK(cluster.last_load(1).cpu_permille == 0);  // the latest sample covers (1s, 2s]
  CHECK(cluster.load_model(1)->admitted() == 4);
}

namespace {
// Arms `count` timers at boot, keeping their ids; counts what fires.
struct Armer final : node::Actor {
  uint32_t count;
  std::vector<node::TimerId>* ids;
  std::vector<uint64_t>* fired;
  Armer(uint32_t c, std::vector<node::TimerId>* i, std::vector<uint64_t>* f) : count(c), ids(i), fired(f) {}
  void on_start(node::Context& ctx) override {
    for (uint32_t i = 0; i < count; ++i) ids->push_back(ctx.set_timer(1_ms * (i + 1), i));
  }
  void on_message(node::Context&, const net::Envelope&) override {}
  void on_timer(node::Context& ctx, uint64_t tag) override {
    fired->push_back(tag);
    if (tag == 0) ids->push_back(ctx.set_timer(10_ms, 100));  // a slot is free again
  }
  void on_sync(node::Context&, uint64_t) override {}
};

struct LimitRecords final : sim::TraceObserver {
  std::vector<sim::Record> seen;
  void on_record(const sim::Record& r) override {
    if (r.type == sim::RecordType::kLimitReached) seen.push_back(r);
  }
};
}  // namespace

TEST_CASE("cluster: a node at its timer maximum refuses the timer, counted and traced", "[node][limits]") {
  sim::Trace trace;
  sim::Simulator s(1, trace);
  LimitRecords limits;
  trace.add_observer(&limits);
  sim::LimitScope scope(s, sim::kMemoryMaxDefault);
  std::vector<std::string> names{"a"};
  net::Network network(s, names);
  std::vector<node::TimerId> ids;
  std::vector<uint64_t> fired;
  node::Cluster cluster(s, network, names, [&](net::NodeId) { return std::make_unique<Armer>(6, &ids, &fired); });
  cluster.set_timers_per_node_max(4);
  cluster.boot();  // the old cluster aborted at the 5th timer
  REQUIRE(ids.size() == 6);
  CHECK(ids[4] == node::kTimerRefused);
  CHECK(ids[5] == node::kTimerRefused);
  for (size_t i = 0; i < 4; ++i) {
    CHECK(ids[i] != node::kTimerRefused);
    CHECK(ids[i] != 0);  // 0 is "no timer" to the protocols, slot 0's first id included
  }
  CHECK_FALSE(cluster.context(0).cancel_timer(node::kTimerRefused));
  CHECK(cluster.stats().timers_refused == 2);
  const sim::ResourceUse& u = sim::limit_state().use[static_cast<size_t>(sim::Resource::kTimers)];
  CHECK(u.reached == 2);
  CHECK(u.first_node == 0);
  REQUIRE(limits.seen.size() == 2);  // reaches 1 and 2
  CHECK(limits.seen[0].code == static_cast<uint16_t>(sim::Resource::kTimers));
  CHECK(limits.seen[0].a == node::Cluster::kTimersPerNodeMax);
  s.run_until(sim::Time{0} + 50_ms);
  // The armed four fire, never the refused two; the first one's slot is
  // reused by the timer its handler arms.
  CHECK(fired == std::vector<uint64_t>{0, 1, 2, 3, 100});
  CHECK(ids.back() != node::kTimerRefused);
  CHECK(cluster.stats().timers_fired == 5);
}

}  // namespace test_node
