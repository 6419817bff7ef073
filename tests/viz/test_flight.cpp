// The messages in flight aggregated for large topologies (model/flight.hpp):
// on the 300-node run, every message in flight is counted once, per link
// while the busy links fit, per tier pair past that.
#include <catch2/catch.hpp>

#include "model/flight.hpp"
#include "model/session.hpp"
#include "model/timeline.hpp"

namespace test_flight {

using namespace ecsim;

TEST_CASE("flight: messages in flight grouped per link, or per tier pair past links_max") {
  viz::OpenRequest request;
  request.scenario_path = ECSIM_SOURCE_DIR "/tests/viz/large-300.yaml";
  viz::Session s = viz::open_session(request);
  viz::Timeline& t = *s.timeline;
  t.seek_time(1'500'000'000);
  const size_t in_flight = t.state().in_flight.size();
  REQUIRE(in_flight >= 3);

  const viz::FlightGroups links = viz::group_in_flight(t, 1'000'000, nullptr);
  CHECK_FALSE(links.by_tier);
  CHECK(links.messages == in_flight);
  CHECK(links.groups.size() <= in_flight);
  for (const viz::FlightGroup& g : links.groups) {
    CHECK(g.count >= 1);
    CHECK(g.progress >= 0.0f);
    CHECK(g.progress <= 1.0f);
    CHECK(g.from < t.names().size());
    CHECK(g.to < t.names().size());
  }

  REQUIRE(links.groups.size() >= 2);
  const viz::FlightGroups tiers = viz::group_in_flight(t, 1, nullptr);
  CHECK(tiers.by_tier);
  CHECK(tiers.messages == in_flight);
  CHECK(tiers.groups.size() <= 9);
  CHECK(tiers.groups.size() <= links.groups.size());
  for (const viz::FlightGroup& g : tiers.groups) {
    CHECK(g.from < 3);
    CHECK(g.to < 3);
  }
  // The same state, the same groups.
  const viz::FlightGroups again = viz::group_in_flight(t, 1, nullptr);
  REQUIRE(again.groups.size() == tiers.groups.size());
  for (size_t k = 0; k < again.groups.size(); ++k) CHECK(again.groups[k].count == tiers.groups[k].count);
}

}  // namespace test_flight
