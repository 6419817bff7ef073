#include <algorithm>
#include <catch2/catch.hpp>
#include <cstdint>
#include <map>
#include <vector>

#include "ecsim/sim/rng.hpp"
#include "ecsim/tiers/edge_cache.hpp"

namespace test_edge_cache {

using ecsim::sim::milliseconds;
using ecsim::sim::Time;
using ecsim::tiers::EdgeCache;
using ecsim::tiers::HotKeys;
using ecsim::tiers::PutResult;
using ecsim::tiers::StalenessMeter;
using ecsim::tiers::Version;

namespace {
Time at_ms(int64_t ms) { return Time{} + milliseconds(ms); }
}  // namespace

TEST_CASE("edge cache: versions order by counter then writer", "[cache]") {
  CHECK(Version{2, 0} > Version{1, 9});
  CHECK(Version{1, 2} > Version{1, 1});
  CHECK(Version{1, 1} == Version{1, 1});
  CHECK_FALSE(Version{1, 1} < Version{1, 1});
}

TEST_CASE("edge cache: LRU evicts the least recently used entry", "[cache]") {
  EdgeCache c(3);
  CHECK(c.put(1, 10, {1, 0}, at_ms(0)) == PutResult::kInserted);
  CHECK(c.put(2, 20, {1, 0}, at_ms(1)) == PutResult::kInserted);
  CHECK(c.put(3, 30, {1, 0}, at_ms(2)) == PutResult::kInserted);
  REQUIRE(c.get(1, at_ms(3)).has_value());  // 1 is now the most recent; 2 the least
  CHECK(c.keys_by_recency() == std::vector<uint64_t>{1, 3, 2});
  CHECK(c.put(4, 40, {1, 0}, at_ms(4)) == PutResult::kInserted);
  CHECK_FALSE(c.peek(2).has_value());
  CHECK(c.keys_by_recency() == std::vector<uint64_t>{4, 1, 3});
  CHECK(c.put(5, 50, {1, 0}, at_ms(5)) == PutResult::kInserted);
  CHECK_FALSE(c.peek(3).has_value());
  CHECK(c.keys_by_recency() == std::vector<uint64_t>{5, 4, 1});
  CHECK(c.counters().evictions == 2);
  // A newer version refreshes recency: 1 survives the next insert, 4 goes.
  CHECK(c.put(1, 11, {2, 0}, at_ms(6)) == PutResult::kReplaced);
  c.put(6, 60, {1, 0}, at_ms(7));
  CHECK(c.keys_by_recency() == std::vector<uint64_t>{6, 1, 5});
}

TEST_CASE("edge cache: last write wins by version", "[cache]") {
  EdgeCache c(4);
  REQUIRE(c.put(7, 100, {5, 1}, at_ms(0)) == PutResult::kInserted);
  SECTION("an older version is ignored and counted") {
    CHECK(c.put(7, 99, {4, 9}, at_ms(1)) == PutResult::kStale);
    CHECK(c.put(7, 98, {5, 0}, at_ms(1)) == PutResult::kStale);
    CHECK(c.peek(7)->value == 100);
    CHECK(c.peek(7)->version == Version{5, 1});
    CHECK(c.counters().stale_puts == 2);
  }
  SECTION("an equal version is a no-op") {
    CHECK(c.put(7, 555, {5, 1}, at_ms(1)) == PutResult::kEqual);
    CHECK(c.peek(7)->value == 100);
    CHECK(c.peek(7)->stored_at == at_ms(0));
    CHECK(c.counters().equal_puts == 1);
  }
  SECTION("a newer version replaces, by counter or by writer") {
    CHECK(c.put(7, 101, {5, 2}, at_ms(1)) == PutResult::kReplaced);
    CHECK(c.peek(7)->value == 101);
    CHECK(c.put(7, 102, {6, 0}, at_ms(2)) == PutResult::kReplaced);
    CHECK(c.peek(7)->value == 102);
    CHECK(c.peek(7)->stored_at == at_ms(2));
    CHECK(c.counters().replacements == 2);
  }
  SECTION("a stale put does not refresh recency") {
    c.put(8, 1, {1, 0}, at_ms(1));
    c.put(7, 0, {1, 0}, at_ms(2));  // stale: 7 stays the least recent
    CHECK(c.keys_by_recency() == std::vector<uint64_t>{8, 7});
  }
  CHECK(c.size() == c.keys_by_recency().size());
}

TEST_CASE("edge cache: size never exceeds the capacity", "[cache]") {
  EdgeCache c(100);
  for (uint64_t k = 0; k < 1000; ++k) {
    c.put(k, k, {1, 0}, at_ms(static_cast<int64_t>(k)));
    REQUIRE(c.size() <= 100);
  }
  CHECK(c.size() == 100);
  CHECK(c.counters().inserts == 1000);
  CHECK(c.counters().evictions == 900);
  CHECK_FALSE(c.peek(899).has_value());
  for (uint64_t k = 900; k < 1000; ++k) CHECK(c.peek(k).has_value());
}

TEST_CASE("edge cache: clear empties the cache and keeps the counters", "[cache]") {
  EdgeCache c(8);
  for (uint64_t k = 0; k < 5; ++k) c.put(k, k, {1, 0}, at_ms(0));
  REQUIRE(c.get(3, at_ms(1)).has_value());
  c.clear();
  CHECK(c.size() == 0);
  CHECK(c.keys_by_recency().empty());
  CHECK_FALSE(c.get(3, at_ms(2)).has_value());
  CHECK(c.counters().hits == 1);
  CHECK(c.counters().misses == 1);
  CHECK(c.counters().clears == 1);
  CHECK(c.hit_ratio_ppm() == 500000);
  // Refills after a crash as if new: all capacity is usable.
  for (uint64_t k = 10; k < 18; ++k) c.put(k, k, {1, 0}, at_ms(3));
  CHECK(c.size() == 8);
  CHECK(c.counters().evictions == 0);
}

TEST_CASE("edge cache: hit ratio over a window of counters", "[cache]") {
  CHECK(ecsim::tiers::hit_ratio_ppm(0, 0) == 0);
  CHECK(ecsim::tiers::hit_ratio_ppm(3, 1) == 750000);
  CHECK(ecsim::tiers::hit_ratio_ppm(1, 2) == 333333);
}

TEST_CASE("edge cache: staleness of reads against acknowledged writes", "[cache][staleness]") {
  StalenessMeter m(100);
  m.on_ack(7, {1, 0}, at_ms(10));
  m.on_ack(7, {2, 0}, at_ms(20));
  m.on_ack(7, {5, 1}, at_ms(30));

  auto fresh = m.on_read(7, {5, 1}, at_ms(35));
  CHECK_FALSE(fresh.stale);
  CHECK(fresh.versions_behind == 0);
  CHECK(fresh.time_behind.ns == 0);

  auto r2 = m.on_read(7, {2, 0}, at_ms(40));  // superseded by {5,1} at 30 ms
  CHECK(r2.stale);
  CHECK(r2.versions_behind == 3);
  CHECK(r2.time_behind == milliseconds(10));

  auto r1 = m.on_read(7, {1, 0}, at_ms(50));  // superseded by {2,0} at 20 ms
  CHECK(r1.versions_behind == 4);
  CHECK(r1.time_behind == milliseconds(30));

  // Same counter, other writer: stale by the tie-break, one version behind.
  m.on_ack(10, {4, 2}, at_ms(0));
  auto tie = m.on_read(10, {4, 1}, at_ms(1));
  CHECK(tie.stale);
  CHECK(tie.versions_behind == 1);
  CHECK(tie.time_behind == milliseconds(1));

  // Acks reported out of version order: the earliest newer ack counts.
  m.on_ack(9, {3, 0}, at_ms(100));
  m.on_ack(9, {2, 0}, at_ms(90));
  CHECK(m.on_read(9, {1, 0}, at_ms(110)).time_behind == milliseconds(20));

  // A read ahead of every ack (its own write, not yet acknowledged) is fresh.
  CHECK_FALSE(m.on_read(9, {8, 0}, at_ms(111)).stale);
  // A key never acknowledged cannot be judged stale.
  CHECK_FALSE(m.on_read(12345, {1, 0}, at_ms(112)).stale);
  CHECK(m.unknown_key_reads() == 1);

  CHECK(m.reads() == 7);
  CHECK(m.stale_reads() == 4);
  CHECK(m.versions_behind_max() == 4);
  CHECK(m.time_behind_max() == milliseconds(30));
}

TEST_CASE("edge cache: staleness p99 sits below the max on a long sequence", "[cache][staleness]") {
  StalenessMeter m(10);
  m.on_ack(1, {1, 0}, at_ms(0));
  m.on_ack(1, {2, 0}, at_ms(100));
  for (int i = 0; i < 98; ++i) m.on_read(1, {2, 0}, at_ms(200));  // fresh
  m.on_read(1, {1, 0}, at_ms(110));                               // 10 ms behind
  m.on_read(1, {1, 0}, at_ms(130));                               // 30 ms behind
  REQUIRE(m.reads() == 100);
  CHECK(m.stale_reads() == 2);
  CHECK(m.time_behind_max() == milliseconds(30));
  // The 99th of 100 reads is the 10 ms one (histogram precision 1.6 %).
  CHECK(static_cast<double>(m.time_behind_p99().ns) ==
        Approx(static_cast<double>(milliseconds(10).ns)).epsilon(0.02));
  CHECK(m.versions_behind_p99() == 1);
}

TEST_CASE("edge cache: staleness memory is bounded", "[cache][staleness]") {
  StalenessMeter m(2);
  m.on_ack(1, {1, 0}, at_ms(0));
  m.on_ack(2, {1, 0}, at_ms(0));
  m.on_ack(3, {1, 0}, at_ms(0));
  CHECK(m.keys() == 2);
  CHECK(m.acks_refused() == 1);
  // Six versions of key 1: only the newest four are kept, so a read of
  // version 1 is measured from version 3's ack (a lower bound).
  for (uint64_t v = 2; v <= 6; ++v) m.on_ack(1, {v, 0}, at_ms(static_cast<int64_t>(v) * 10));
  auto r = m.on_read(1, {1, 0}, at_ms(100));
  CHECK(r.versions_behind == 5);
  CHECK(r.time_behind == milliseconds(70));
  CHECK(m.truncated_reads() == 1);
  // A read within the retained history is exact.
  CHECK(m.on_read(1, {4, 0}, at_ms(100)).time_behind == milliseconds(50));
  CHECK(m.truncated_reads() == 1);
}

TEST_CASE("edge cache: hot keys come hottest first, ties by key", "[cache][hotkeys]") {
  HotKeys h(8);
  for (int i = 0; i < 5; ++i) h.touch(42);
  for (int i = 0; i < 3; ++i) h.touch(7);
  h.touch(9, 3);
  h.touch(100);
  CHECK(h.top(10) == std::vector<uint64_t>{42, 7, 9, 100});
  CHECK(h.top(2) == std::vector<uint64_t>{42, 7});
  CHECK(h.count(9) == 3);
  CHECK(h.count(555) == 0);
  h.decay();  // 42:2, 7:1, 9:1, 100 forgotten
  CHECK(h.top(10) == std::vector<uint64_t>{42, 7, 9});
  CHECK(h.size() == 3);
  h.clear();
  CHECK(h.top(10).empty());
}

TEST_CASE("edge cache: hot keys replace the coldest key when full", "[cache][hotkeys]") {
  HotKeys h(2);
  for (int i = 0; i < 5; ++i) h.touch(1);
  for (int i = 0; i < 3; ++i) h.touch(2);
  h.touch(3);  // replaces key 2 (the coldest) and inherits its count
  CHECK(h.size() == 2);
  CHECK(h.replacements() == 1);
  CHECK(h.count(2) == 0);
  CHECK(h.count(3) == 4);
  CHECK(h.top(2) == std::vector<uint64_t>{1, 3});
}

TEST_CASE("edge cache: a heavy hitter stays tracked among noise", "[cache][hotkeys]") {
  // Space-saving guarantees every key with more than total/capacity
  // accesses is tracked; here key 5 has a quarter of the traffic.
  HotKeys h(16);
  ecsim::sim::Rng rng(3);
  for (int i = 0; i < 20000; ++i) {
    h.touch(i % 4 == 0 ? 5 : 1000 + rng.below(5000));
    REQUIRE(h.size() <= 16);
  }
  CHECK(h.top(1) == std::vector<uint64_t>{5});
  CHECK(h.count(5) >= 5000);
}

namespace {
// The sketch as its definition states it, over an ordered set: the victim
// is the coldest (count, key) pair, the largest key among equal counts.
struct ReferenceHotKeys {
  size_t capacity;
  std::map<uint64_t, uint64_t> counts;
  uint64_t replacements = 0;

  std::vector<std::pair<uint64_t, uint64_t>> hottest_first() const {
    std::vector<std::pair<uint64_t, uint64_t>> v(counts.begin(), counts.end());
    std::sort(v.begin(), v.end(), [](const auto& a, const auto& b) {
      return a.second != b.second ? a.second > b.second : a.first < b.first;
    });
    return v;
  }
  void touch(uint64_t key, uint64_t weight) {
    if (auto it = counts.find(key); it != counts.end()) {
      it->second += weight;
      return;
    }
    uint64_t inherited = 0;
    if (counts.size() == capacity) {
      const auto victim = hottest_first().back();
      inherited = victim.second;
      counts.erase(victim.first);
      ++replacements;
    }
    counts[key] = inherited + weight;
  }
  std::vector<uint64_t> top(size_t k) const {
    std::vector<uint64_t> keys;
    for (const auto& [key, count] : hottest_first()) {
      if (keys.size() == k) break;
      keys.push_back(key);
    }
    return keys;
  }
  void decay() {
    for (auto it = counts.begin(); it != counts.end();) {
      it->second /= 2;
      it = it->second == 0 ? counts.erase(it) : std::next(it);
    }
  }
};
}  // namespace

TEST_CASE("edge cache: hot keys agree with the sketch's definition", "[cache][hotkeys]") {
  // Random touches, weights, decays and tops against the reference: the
  // same victims (so the same counts) and the same order, step by step.
  for (uint64_t seed = 1; seed <= 20; ++seed) {
    ecsim::sim::Rng rng(seed);
    const size_t capacity = 1 + rng.below(24);
    HotKeys h(capacity);
    ReferenceHotKeys ref{capacity, {}, 0};
    for (int step = 0; step < 3000; ++step) {
      const uint64_t roll = rng.below(100);
      if (roll < 90) {
        const uint64_t key = rng.below(3) == 0 ? rng.below(4) : rng.below(60);
        const uint64_t weight = 1 + (rng.below(10) == 0 ? rng.below(5) : 0);
        h.touch(key, weight);
        ref.touch(key, weight);
      } else if (roll < 93) {
        h.decay();
        ref.decay();
      } else {
        const size_t k = rng.below(capacity + 3);
        REQUIRE(h.top(k) == ref.top(k));
      }
      REQUIRE(h.size() == ref.counts.size());
      REQUIRE(h.replacements() == ref.replacements);
    }
    for (const auto& [key, count] : ref.counts) CHECK(h.count(key) == count);
    CHECK(h.top(capacity) == ref.top(capacity));
  }
}

}  // namespace test_edge_cache
