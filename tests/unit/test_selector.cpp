// Node names and selectors: names, tiers, globs and "*" resolve to ascending
// node ids in the fixed order edge-1..edge-E, core-1..core-C, cloud-1..cloud-K.
#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "ecsim/scenario/selector.hpp"

namespace test_selector {

using namespace ecsim::scenario;
using Ids = std::vector<uint32_t>;

TEST_CASE("selector: node names and tiers follow the topology", "[scenario]") {
  const Topology t{2, 1, 3};
  CHECK(node_names(t) ==
        std::vector<std::string>{"edge-1", "edge-2", "core-1", "cloud-1", "cloud-2", "cloud-3"});
  CHECK(node_tier(t, 0) == Tier::kEdge);
  CHECK(node_tier(t, 1) == Tier::kEdge);
  CHECK(node_tier(t, 2) == Tier::kCore);
  CHECK(node_tier(t, 3) == Tier::kCloud);
  CHECK(node_tier(t, 5) == Tier::kCloud);
  CHECK(std::string(tier_name(Tier::kEdge)) == "edge");
  CHECK(std::string(tier_name(Tier::kCore)) == "core");
  CHECK(std::string(tier_name(Tier::kCloud)) == "cloud");
}

TEST_CASE("selector: glob_match", "[scenario]") {
  CHECK(glob_match("*", ""));
  CHECK(glob_match("*", "core-1"));
  CHECK(glob_match("cloud-*", "cloud-12"));
  CHECK(glob_match("cloud-*", "cloud-"));
  CHECK_FALSE(glob_match("cloud-*", "cloud"));
  CHECK_FALSE(glob_match("cloud-*", "core-1"));
  CHECK(glob_match("?dge-?", "edge-3"));
  CHECK_FALSE(glob_match("?dge-?", "edge-10"));
  CHECK(glob_match("*-1", "edge-1"));
  CHECK_FALSE(glob_match("*-1", "edge-10"));
  CHECK(glob_match("*e*-1*", "core-12"));
  CHECK(glob_match("edge-1", "edge-1"));
  CHECK_FALSE(glob_match("edge-1", "edge-11"));
  CHECK_FALSE(glob_match("", "a"));
  CHECK(glob_match("**a**", "bab"));
  // Many stars against a long non-matching text must stay fast (no exponential backtracking).
  CHECK_FALSE(glob_match("*a*a*a*a*a*a*a*a*b", std::string(2000, 'a')));
}

TEST_CASE("selector: resolve names, tiers, globs and *", "[scenario]") {
  const Topology t{3, 2, 3};  // edge 0..2, core 3..4, cloud 5..7
  CHECK(resolve(t, "*") == Ids{0, 1, 2, 3, 4, 5, 6, 7});
  CHECK(resolve(t, "edge") == Ids{0, 1, 2});
  CHECK(resolve(t, "core") == Ids{3, 4});
  CHECK(resolve(t, "cloud") == Ids{5, 6, 7});
  CHECK(resolve(t, "core-2") == Ids{4});
  CHECK(resolve(t, "cloud-*") == Ids{5, 6, 7});
  CHECK(resolve(t, "*-1") == Ids{0, 3, 5});
  CHECK(resolve(t, "c*") == Ids{3, 4, 5, 6, 7});
  CHECK(resolve(t, "cl?ud-2") == Ids{6});
  CHECK(resolve(t, "?ore-?") == Ids{3, 4});
  CHECK(resolve(t, "core-3").empty());
  CHECK(resolve(t, "core-0").empty());
  CHECK(resolve(t, "Core-1").empty());
  CHECK(resolve(t, "edges").empty());
  CHECK(resolve(t, "").empty());
}

TEST_CASE("selector: large topologies name multi-digit nodes exactly", "[scenario]") {
  const Topology t{kNodesPerTierMax, 1, 1};  // edge-1..edge-1000
  CHECK(resolve(t, "edge-1") == Ids{0});
  CHECK(resolve(t, "edge-100") == Ids{99});
  CHECK(resolve(t, "edge-1000") == Ids{999});
  CHECK(resolve(t, "edge-1?").size() == 10);   // edge-10..edge-19
  CHECK(resolve(t, "edge-1??").size() == 100);  // edge-100..edge-199
  CHECK(resolve(t, "edge-1*").size() == 112);  // edge-1, 10..19, 100..199, 1000
  CHECK(resolve(t, "cloud") == Ids{1001});
}

}  // namespace test_selector
