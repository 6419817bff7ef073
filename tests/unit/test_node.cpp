#include <catch2/catch.hpp>

#include "ecsim/check/durability.hpp"
#include "ecsim/node/cluster.hpp"

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
  c.on_record({1000, sim::RecordType::kDiskSync, 0, 1, 0, 0, 5, 0});
  c.on_record({2000000, sim::RecordType::kDiskLoss, 0, 1, 0, 0, 3, 5});
  REQUIRE(c.violation_count() == 1);
  CHECK(c.violations()[0].what ==
        "core-1: crash at 2ms kept 3 entries but 5 were synced: 2 acknowledged writes lost");
  // And a recovery that does not find what the crash kept.
  c.on_record({3000000, sim::RecordType::kRecover, 0, 1, 0, 0, 2, 0});
  CHECK(c.violation_count() == 2);
  CHECK(c.violations()[1].what == "core-1: recovered 2 entries at 3ms but the crash kept 3");
}
