#include <catch2/catch.hpp>
#include <cstdint>
#include <map>
#include <vector>

#include "ecsim/sim/rng.hpp"
#include "ecsim/sim/seq_ring.hpp"

namespace test_seq_ring {

using ecsim::sim::SeqRing;

namespace {
std::vector<std::pair<uint64_t, int>> contents(const SeqRing<int>& r) {
  std::vector<std::pair<uint64_t, int>> out;
  r.for_each([&](uint64_t seq, const int& v) { out.emplace_back(seq, v); });
  return out;
}
}  // namespace

TEST_CASE("seq ring: entries by ascending seq, lowest follows erasures", "[seq_ring]") {
  SeqRing<int> r(8);
  CHECK(r.empty());
  r.insert(5, 50);
  r.insert(6, 60);
  r.insert(9, 90);
  CHECK(r.size() == 3);
  CHECK(r.lowest() == 5);
  CHECK(r.highest() == 9);
  r.erase(6);
  CHECK(contents(r) == std::vector<std::pair<uint64_t, int>>{{5, 50}, {9, 90}});
  r.erase(5);
  CHECK(r.lowest() == 9);
  CHECK(r.find(5) == nullptr);
  CHECK(r.find(6) == nullptr);
  REQUIRE(r.find(9) != nullptr);
  CHECK(*r.find(9) == 90);
  r.erase(9);
  CHECK(r.empty());
  // After emptying, the next key may be far above the old ones.
  r.insert(1000, 1);
  CHECK(r.lowest() == 1000);
  CHECK(r.highest() == 1000);
}

TEST_CASE("seq ring: agrees with an ordered map under random use", "[seq_ring]") {
  // A sliding window as msgq drives it: sends in order within the span,
  // cumulative and selective settles; the ring grows lazily past 4 slots.
  for (uint64_t seed = 1; seed <= 10; ++seed) {
    ecsim::sim::Rng rng(seed);
    const uint64_t span = 1 + rng.below(100);
    SeqRing<int> r(span);
    std::map<uint64_t, int> ref;
    uint64_t next = 1 + rng.below(5);
    for (int step = 0; step < 5000; ++step) {
      const uint64_t roll = rng.below(10);
      if (roll < 5) {
        if (ref.empty() || next < ref.begin()->first + span) {
          const int v = static_cast<int>(rng.below(1000));
          r.insert(next, v);
          ref[next] = v;
        }
        next += 1 + (rng.below(4) == 0 ? 1 : 0);
      } else if (roll < 8 && !ref.empty()) {
        auto it = ref.begin();
        std::advance(it, static_cast<long>(rng.below(ref.size())));
        r.erase(it->first);
        ref.erase(it);
      } else if (!ref.empty()) {
        const uint64_t upto = ref.begin()->first + rng.below(span);
        while (!ref.empty() && ref.begin()->first <= upto) {
          REQUIRE(r.lowest() == ref.begin()->first);
          r.erase(r.lowest());
          ref.erase(ref.begin());
        }
      }
      REQUIRE(r.size() == ref.size());
      if (!ref.empty()) {
        REQUIRE(r.lowest() == ref.begin()->first);
        REQUIRE(r.highest() == ref.rbegin()->first);
      }
      const uint64_t probe = next > 3 ? next - 1 - rng.below(std::min<uint64_t>(next - 1, span + 3)) : 1;
      const int* found = r.find(probe);
      REQUIRE((found != nullptr) == (ref.count(probe) == 1));
      if (found) REQUIRE(*found == ref[probe]);
    }
    CHECK(contents(r) == std::vector<std::pair<uint64_t, int>>(ref.begin(), ref.end()));
  }
}

}  // namespace test_seq_ring
