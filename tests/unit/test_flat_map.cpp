#include <catch2/catch.hpp>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "ecsim/sim/flat_map.hpp"
#include "ecsim/sim/rng.hpp"

namespace test_flat_map {

using ecsim::sim::FlatMap;

namespace {
std::map<uint64_t, std::string> contents(const FlatMap<std::string>& m) {
  std::map<uint64_t, std::string> out;
  m.for_each([&](uint64_t k, const std::string& v) { CHECK(out.emplace(k, v).second); });
  return out;
}
}  // namespace

TEST_CASE("flat map: find, emplace, erase, every key value allowed", "[flat_map]") {
  FlatMap<std::string> m;
  CHECK(m.empty());
  CHECK(m.find(0) == nullptr);
  CHECK(m.slot_count() == 0);  // nothing allocated before the first insert
  for (const uint64_t k : {uint64_t{0}, UINT64_MAX, UINT64_MAX - 1, uint64_t{8}, uint64_t{16}}) {
    auto [v, made] = m.try_emplace(k, std::to_string(k));
    CHECK(made);
    CHECK(*v == std::to_string(k));
  }
  CHECK(m.size() == 5);
  auto [again, made_again] = m.try_emplace(8, "other");
  CHECK_FALSE(made_again);
  CHECK(*again == "8");
  CHECK(m.at(UINT64_MAX) == std::to_string(UINT64_MAX));
  CHECK(m.erase(0));
  CHECK_FALSE(m.erase(0));
  CHECK_FALSE(m.contains(0));
  CHECK(m.contains(UINT64_MAX - 1));
  m[0] = "back";
  CHECK(m.at(0) == "back");
  CHECK(m.size() == 5);
}

TEST_CASE("flat map: a random history agrees with std::map", "[flat_map]") {
  // Small key ranges keep the table small and full of probe runs that wrap
  // around its end, so erases shift entries back across the wrap; the
  // large range forces growth.
  for (const uint64_t range : {uint64_t{16}, uint64_t{300}, uint64_t{1} << 40}) {
    ecsim::sim::Rng rng(range);
    FlatMap<std::string> m;
    std::map<uint64_t, std::string> ref;
    for (int step = 0; step < 50000; ++step) {
      const uint64_t k = rng.below(range);
      switch (rng.below(4)) {
        case 0:
        case 1: {
          const std::string v = std::to_string(step);
          auto [p, made] = m.try_emplace(k, v);
          const bool ref_made = ref.emplace(k, v).second;
          REQUIRE(made == ref_made);
          REQUIRE(*p == ref.at(k));
          break;
        }
        case 2:
          REQUIRE(m.erase(k) == (ref.erase(k) == 1));
          break;
        default: {
          const std::string* p = m.find(k);
          const auto it = ref.find(k);
          REQUIRE((p != nullptr) == (it != ref.end()));
          if (p != nullptr) REQUIRE(*p == it->second);
        }
      }
      REQUIRE(m.size() == ref.size());
      if (step % 97 == 0) {  // every entry still reachable from its home slot
        for (const auto& [key, value] : ref) {
          const std::string* p = m.find(key);
          REQUIRE(p != nullptr);
          REQUIRE(*p == value);
        }
      }
    }
    CHECK(contents(m) == ref);
  }
}

TEST_CASE("flat map: churn through distinct keys leaves no growth behind", "[flat_map]") {
  // Erase leaves no tombstone behind: a table whose live entries stay few
  // never grows, however many keys pass through it.
  FlatMap<int> m;
  for (uint64_t k = 0; k < 100000; ++k) {
    m[k] = 1;
    if (k >= 3) REQUIRE(m.erase(k - 3));
  }
  CHECK(m.size() == 3);
  CHECK(m.slot_count() == 8);
}

TEST_CASE("flat map: clear releases the table", "[flat_map]") {
  FlatMap<int> m;
  for (uint64_t k = 0; k < 100; ++k) m[k * 7919] = 1;
  m.clear();
  CHECK(m.empty());
  CHECK(m.slot_count() == 0);
  CHECK(m.find(0) == nullptr);
  m[3] = 4;
  CHECK(m.at(3) == 4);
}

}  // namespace test_flat_map
