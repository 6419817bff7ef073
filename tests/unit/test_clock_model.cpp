// check/clock_model against hand-worked clocks, and differentially against
// proto/vclock: the two are written apart, so a wrong rule in either shows
// as a disagreement here (and in a run, as a causality violation).
#include <catch2/catch.hpp>

#include "ecsim/check/clock_model.hpp"
#include "ecsim/proto/vclock.hpp"
#include "ecsim/sim/rng.hpp"

namespace test_clock_model {

using namespace ecsim;
namespace model = ecsim::check::clock_model;
namespace vc = ecsim::proto::vclock;
using Clock = net::VectorClock;

namespace {

Clock random_clock(sim::Rng& rng, uint32_t nodes) {
  Clock c;
  for (uint32_t n = 0; n < nodes; ++n) {
    if (rng.below(3) != 0) c.entries.emplace_back(n, 1 + rng.below(4));
  }
  return c;
}

}  // namespace

TEST_CASE("causality model: tick, max and order on hand-worked clocks", "[causality]") {
  Clock c;
  model::tick(c, 4);
  model::tick(c, 1);
  model::tick(c, 4);
  CHECK(c == Clock{{{1, 1}, {4, 2}}});
  model::take_max(c, Clock{{{0, 3}, {4, 1}, {7, 2}}});
  CHECK(c == Clock{{{0, 3}, {1, 1}, {4, 2}, {7, 2}}});
  model::take_max(c, Clock{{{1, 5}}});
  CHECK(c == Clock{{{0, 3}, {1, 5}, {4, 2}, {7, 2}}});
  model::take_max(c, c);
  CHECK(c == Clock{{{0, 3}, {1, 5}, {4, 2}, {7, 2}}});
  CHECK(model::well_formed(c));
  CHECK_FALSE(model::well_formed(Clock{{{2, 1}, {1, 1}}}));
  CHECK_FALSE(model::well_formed(Clock{{{1, 0}}}));

  const Clock a{{{0, 1}, {2, 3}}};
  CHECK(model::strictly_before(Clock{}, a));
  CHECK(model::strictly_before(a, Clock{{{0, 1}, {2, 4}}}));
  CHECK(model::strictly_before(a, Clock{{{0, 1}, {1, 1}, {2, 3}}}));  // b knows one more node
  CHECK_FALSE(model::strictly_before(a, a));                          // equal is not before
  CHECK_FALSE(model::strictly_before(a, Clock{{{0, 2}, {2, 2}}}));    // concurrent
  CHECK_FALSE(model::strictly_before(a, Clock{{{2, 9}}}));            // b lacks node 0
  CHECK_FALSE(model::strictly_before(Clock{{{0, 1}, {2, 4}}}, a));
  CHECK(model::describe(Clock{{{0, 2}, {5, 1}}}, {"edge-1", "core-1"}) == "{edge-1:2, 5:1}");
  CHECK(model::describe(Clock{}, {}) == "{}");
}

TEST_CASE("causality model: agrees with proto/vclock on random clocks", "[causality]") {
  sim::Rng rng(11);
  for (int round = 0; round < 2000; ++round) {
    const uint32_t nodes = 1 + static_cast<uint32_t>(rng.below(round < 1900 ? 10 : 100));
    const Clock a = random_clock(rng, nodes);
    const Clock b = random_clock(rng, nodes);
    INFO("a " << vc::to_string(a) << " b " << vc::to_string(b));
    CHECK(model::traced_hash(a) == vc::hash(a));
    CHECK(model::strictly_before(a, b) == vc::happens_before(a, b));
    Clock mine = a;
    Clock theirs = a;
    model::take_max(mine, b);
    vc::merge(theirs, b);
    CHECK(mine == theirs);
    const auto node = static_cast<net::NodeId>(rng.below(nodes + 1));
    model::tick(mine, node);
    vc::increment(theirs, node);
    CHECK(mine == theirs);
    CHECK(model::traced_hash(mine) == vc::hash(theirs));
    // A receive (merge, then the receiver's increment) follows the send,
    // whatever the clocks: check/causality relies on it without checking.
    CHECK(model::strictly_before(b, mine));
  }
}

}  // namespace test_clock_model
