// g++ 12 at -O3 reports a false -Wmaybe-uninitialized inside std::rotate
// over pairs holding a moved std::variant (the delivery shuffles below); the
// values are fully constructed. Silenced for this test file only.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif
#include <fmt/format.h>

#include <catch2/catch.hpp>
#include <algorithm>
#include <functional>
#include <memory>

#include "ecsim/proto/dsm.hpp"
#include "ecsim/tiers/dsm_groups.hpp"

namespace test_dsm {

using namespace ecsim;
using namespace ecsim::sim::literals;
namespace dsm = ecsim::proto::dsm;
using Env = proto::FakeEnv<dsm::Message>;

namespace {

// n replicas with fake environments; messages move only when a test pumps them.
struct Cluster {
  std::vector<std::unique_ptr<Env>> envs;
  std::vector<std::unique_ptr<dsm::Replica>> replicas;

  explicit Cluster(net::NodeId n) {
    for (net::NodeId i = 0; i < n; ++i) {
      dsm::Config config;
      for (net::NodeId p = 0; p < n; ++p) {
        if (p != i) config.peers.push_back(p);
      }
      envs.push_back(std::make_unique<Env>(i));
      replicas.push_back(std::make_unique<dsm::Replica>(i, config));
      replicas.back()->start(*envs.back());
    }
  }
  // Takes what `from` has sent so far.
  std::vector<Env::Sent> take(net::NodeId from) {
    std::vector<Env::Sent> out = std::move(envs[from]->sent);
    envs[from]->sent.clear();
    return out;
  }
  void deliver(net::NodeId from, const Env::Sent& s) {
    replicas[s.dst]->on_message(*envs[s.dst], from, s.message);
  }
  // Delivers everything in flight until nothing is left; `drop` may refuse.
  void settle(const std::function<bool(net::NodeId, const Env::Sent&)>& drop = {}) {
    for (bool moved = true; moved;) {
      moved = false;
      for (net::NodeId i = 0; i < envs.size(); ++i) {
        for (const Env::Sent& s : take(i)) {
          moved = true;
          if (!drop || !drop(i, s)) deliver(i, s);
        }
      }
    }
  }
  void fire_timers(sim::Time until) {
    for (net::NodeId i = 0; i < envs.size(); ++i) {
      envs[i]->set_now(until);
      for (const Env::Timer& t : envs[i]->take_due(until)) replicas[i]->on_timer(*envs[i], t.tag);
    }
  }
  dsm::Replica& at(net::NodeId i) { return *replicas[i]; }
  Env& env(net::NodeId i) { return *envs[i]; }
};

}  // namespace

TEST_CASE("dsm: concurrent writes resolve to the same value at both replicas in either order",
          "[dsm]") {
  for (int order = 0; order < 2; ++order) {
    Cluster c(2);
    REQUIRE(c.at(0).set(c.env(0), 7, 100));
    REQUIRE(c.at(1).set(c.env(1), 7, 200));
    auto from0 = c.take(0), from1 = c.take(1);
    REQUIRE(from0.size() == 1);
    REQUIRE(from1.size() == 1);
    if (order == 0) {
      c.deliver(0, from0[0]);
      c.deliver(1, from1[0]);
    } else {
      c.deliver(1, from1[0]);
      c.deliver(0, from0[0]);
    }
    // Equal sums; as (node, counter) pairs (0,1) < (1,1), so the clock {1:1}
    // and with it node 1's write wins everywhere.
    CHECK(c.at(0).get(7) == std::optional<uint64_t>{200});
    CHECK(c.at(1).get(7) == std::optional<uint64_t>{200});
    CHECK(c.at(0).counters().resolved_concurrent == 1);
    CHECK(c.at(1).counters().resolved_concurrent == 1);
    CHECK(c.at(0).counters().applied == 1);
    CHECK(c.at(1).counters().ignored_older == 1);
  }
}

TEST_CASE("dsm: many concurrent writers converge whatever the delivery order", "[dsm]") {
  std::optional<uint64_t> first;
  for (int rotation = 0; rotation < 4; ++rotation) {
    Cluster c(4);
    for (net::NodeId i = 0; i < 4; ++i) REQUIRE(c.at(i).set(c.env(i), 1, 10 + i));
    std::vector<std::pair<net::NodeId, Env::Sent>> all;
    for (net::NodeId i = 0; i < 4; ++i) {
      for (auto& s : c.take(i)) all.emplace_back(i, s);
    }
    std::rotate(all.begin(), all.begin() + rotation * 3, all.end());
    if (rotation % 2) std::reverse(all.begin(), all.end());
    for (const auto& [from, s] : all) c.deliver(from, s);
    for (net::NodeId i = 1; i < 4; ++i) CHECK(c.at(i).get(1) == c.at(0).get(1));
    if (!first) first = c.at(0).get(1);
    CHECK(c.at(0).get(1) == first);
  }
}

TEST_CASE("dsm: a causally later update overrides an earlier one", "[dsm]") {
  Cluster c(3);
  REQUIRE(c.at(2).set(c.env(2), 5, 1));  // node 2 wins the lexicographic tie-break...
  c.settle();
  REQUIRE(c.at(0).set(c.env(0), 5, 2));  // ...but node 0 writes after seeing it
  c.settle();
  for (net::NodeId i = 0; i < 3; ++i) CHECK(c.at(i).get(5) == std::optional<uint64_t>{2});
  CHECK(c.at(2).counters().resolved_concurrent == 0);
  const net::VectorClock& clock = c.at(2).entries().at(5).clock;
  CHECK(clock == net::VectorClock{{{0, 2}, {2, 1}}});  // carries node 2's write: causally after
  CHECK(c.at(2).entries().at(5).writer == 0);
}

TEST_CASE("dsm: a duplicate update changes nothing and is counted", "[dsm]") {
  Cluster c(2);
  REQUIRE(c.at(0).set(c.env(0), 9, 42));
  const auto sent = c.take(0);
  REQUIRE(sent.size() == 1);
  c.deliver(0, sent[0]);
  const dsm::Stored before = c.at(1).entries().at(9);
  c.deliver(0, sent[0]);
  CHECK(c.at(1).counters().applied == 1);
  CHECK(c.at(1).counters().duplicates == 1);
  CHECK(c.at(1).entries().at(9).clock == before.clock);
  CHECK(c.at(1).get(9) == std::optional<uint64_t>{42});
  CHECK(c.env(1).sent.empty());
}

TEST_CASE("dsm: an update older than the local entry is ignored", "[dsm]") {
  Cluster c(2);
  REQUIRE(c.at(0).set(c.env(0), 3, 1));
  const auto old_update = c.take(0);
  REQUIRE(c.at(0).set(c.env(0), 3, 2));
  c.settle();
  REQUIRE(c.at(1).get(3) == std::optional<uint64_t>{2});
  c.deliver(0, old_update[0]);  // reordered: arrives after the newer one
  CHECK(c.at(1).get(3) == std::optional<uint64_t>{2});
  CHECK(c.at(1).counters().ignored_older == 1);
}

TEST_CASE("dsm: anti-entropy repairs dropped updates in both directions", "[dsm]") {
  Cluster c(3);
  REQUIRE(c.at(0).set(c.env(0), 1, 11));
  REQUIRE(c.at(1).set(c.env(1), 2, 22));
  REQUIRE(c.at(1).set(c.env(1), 1, 99));  // concurrent with node 0's write of key 1
  c.settle([](net::NodeId, const Env::Sent&) { return true; });  // the network drops all
  CHECK_FALSE(c.at(2).get(1).has_value());

  c.fire_timers(sim::Time{} + 500_ms);
  c.settle();
  for (net::NodeId i = 0; i < 3; ++i) {
    CHECK(c.at(i).get(1) == c.at(0).get(1));
    CHECK(c.at(i).get(2) == std::optional<uint64_t>{22});
    CHECK(c.at(i).entries().at(1).clock == c.at(0).entries().at(1).clock);
  }
  CHECK(c.at(0).counters().digests_sent > 0);
  CHECK(c.at(2).counters().repairs_sent > 0);
  // Converged: the next round finds nothing to repair.
  const uint64_t repairs = c.at(0).counters().repairs_sent + c.at(1).counters().repairs_sent +
                           c.at(2).counters().repairs_sent;
  c.fire_timers(sim::Time{} + 1000_ms);
  c.settle();
  CHECK(c.at(0).counters().repairs_sent + c.at(1).counters().repairs_sent +
            c.at(2).counters().repairs_sent ==
        repairs);
}

TEST_CASE("dsm: anti-entropy walks a key space larger than one digest", "[dsm]") {
  Cluster c(2);
  const uint64_t keys = dsm::kDigestEntriesMax * 2 + 10;
  for (uint64_t k = 0; k < keys; ++k) REQUIRE(c.at(0).set(c.env(0), k * 3, k));
  c.take(0);  // every update lost
  for (int round = 1; round <= 3; ++round) {
    c.fire_timers(sim::Time{} + 500_ms * round);
    c.settle();
  }
  CHECK(c.at(1).entries().size() == keys);
  CHECK(c.at(1).get(3 * (keys - 1)) == std::optional<uint64_t>{keys - 1});
}

TEST_CASE("dsm: the entries keep their keys ascending whatever the insert order", "[dsm]") {
  dsm::Entries entries;
  std::vector<uint64_t> keys;
  uint64_t x = 12345;
  for (int i = 0; i < 500; ++i) {
    x = x * 6364136223846793005ull + 1442695040888963407ull;
    const uint64_t key = x >> 40;
    if (entries.find(key) != nullptr) continue;
    entries.insert(key, dsm::Stored::of(key * 3, net::VectorClock{{{1, key + 1}}}, 1));
    keys.push_back(key);
  }
  std::sort(keys.begin(), keys.end());
  REQUIRE(entries.size() == keys.size());
  CHECK(entries.keys() == keys);
  std::vector<uint64_t> walked;
  entries.for_each([&](uint64_t key, const dsm::Stored& s) {
    CHECK(s.value == key * 3);
    CHECK(s.clock_hash == proto::vclock::hash(s.clock));
    walked.push_back(key);
  });
  CHECK(walked == keys);
  CHECK(entries.lower_bound(keys[10]) == 10);
  CHECK(entries.lower_bound(keys[10] + 1) == 11);
  CHECK(entries.lower_bound(UINT64_MAX) == keys.size());
  CHECK(entries.find(keys.back() + 1) == nullptr);
  dsm::Stored& held = *entries.find(keys[3]);
  held.assign(7, net::VectorClock{{{2, 9}}}, 2);
  CHECK(entries.at(keys[3]).value == 7);
  CHECK(entries.at(keys[3]).clock_hash == proto::vclock::hash(net::VectorClock{{{2, 9}}}));
  CHECK(entries.keys() == keys);  // an update in place leaves the order
}

TEST_CASE("dsm: a malformed update is dropped with a counter and a trace record", "[dsm]") {
  Cluster c(2);
  dsm::Update bad{4, 1, net::VectorClock{{{0, 0}}}, 0};
  c.at(1).on_message(c.env(1), 0, bad);
  CHECK(c.at(1).counters().dropped_invalid == 1);
  CHECK_FALSE(c.at(1).get(4).has_value());
  REQUIRE_FALSE(c.env(1).records.empty());
  CHECK(c.env(1).records.back().type == dsm::kRecordDsm);
  CHECK(c.env(1).records.back().code == static_cast<uint16_t>(dsm::Event::kDroppedInvalid));
}

TEST_CASE("dsm: a new key past kKeysMax is refused and counted", "[dsm]") {
  Cluster c(1);
  for (uint64_t k = 0; k < dsm::kKeysMax; ++k) REQUIRE(c.at(0).set(c.env(0), k, k));
  CHECK_FALSE(c.at(0).set(c.env(0), dsm::kKeysMax, 1));
  CHECK(c.at(0).set(c.env(0), 0, 5));  // an existing key is still writable
  CHECK(c.at(0).counters().refused_full == 1);
  CHECK(c.at(0).entries().size() == dsm::kKeysMax);
}

TEST_CASE("dsm: the wire size is that of the JSON-RPC text", "[dsm]") {
  const dsm::Update u{12, 3456, net::VectorClock{{{0, 3}, {17, 1}}}, 17};
  const std::string text = fmt::format(
      R"({{"jsonrpc":"2.0","method":"dsm.update","params":{{"key":12,"value":3456,"clock":{{"0":3,"17":1}},"writer":17}},"id":789}})");
  CHECK(dsm::wire_size_bytes(u, 789) == text.size());
  const dsm::Repair r{{u}, {5, 66}};
  const std::string repair = fmt::format(
      R"({{"jsonrpc":"2.0","method":"dsm.repair","params":{{"entries":[{{"key":12,"value":3456,"clock":{{"0":3,"17":1}},"writer":17}}],"pull":[5,66]}},"id":1}})");
  CHECK(dsm::wire_size_bytes(r, 1) == repair.size());
  const dsm::Digest d{0, 99, {{1, 22}, {3, 4}}};
  const std::string digest =
      R"({"jsonrpc":"2.0","method":"dsm.digest","params":{"lo":0,"hi":99,"entries":[[1,22],[3,4]]},"id":5})";
  CHECK(dsm::wire_size_bytes(d, 5) == digest.size());
}

TEST_CASE("dsm groups: at most 8 consecutive nodes each, sizes within one, 8 or fewer nodes one group", "[dsm]") {
  using ecsim::tiers::dsm_group_count;
  using ecsim::tiers::dsm_group_of;
  for (uint32_t n = 1; n <= 8; ++n) {
    CHECK(dsm_group_count(n) == 1);
    for (uint32_t i = 0; i < n; ++i) CHECK(dsm_group_of(i, n) == 0);
  }
  for (uint32_t n : {9u, 17u, 67u, 1000u, 1337u}) {
    const uint32_t groups = dsm_group_count(n);
    CHECK(groups == (n + 7) / 8);
    std::vector<uint32_t> size(groups, 0);
    uint32_t last = 0;
    for (uint32_t i = 0; i < n; ++i) {
      const uint32_t g = dsm_group_of(i, n);
      REQUIRE(g < groups);
      CHECK(g >= last);  // consecutive ids
      CHECK(g <= last + 1);
      last = g;
      ++size[g];
    }
    CHECK(last == groups - 1);
    const auto [lo, hi] = std::minmax_element(size.begin(), size.end());
    CHECK(*hi <= 8);
    CHECK(*hi - *lo <= 1);
  }
  CHECK(dsm_group_of(8, 9) == 1);  // 9 nodes: 5 + 4
  CHECK(dsm_group_of(4, 9) == 0);
  CHECK(dsm_group_of(5, 9) == 1);
}

}  // namespace test_dsm
