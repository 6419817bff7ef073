// 2PC under random interleavings: two coordinators run conflicting transfers
// and number ports while messages are delivered in a seeded random order,
// 20 % of them dropped, syncs complete in random order, and participants and
// coordinators crash (losing un-synced log records or not) and restart. Once
// the faults stop and everything settles, every participant holds the same
// committed state, money is conserved, no transaction committed anywhere
// aborted elsewhere, and nothing is left locked or in doubt.
#include <catch2/catch.hpp>
#include <limits>

#include "twopc_cluster.hpp"

namespace test_twopc_random {

using namespace twopc_test;
using namespace ecsim::sim::literals;

namespace {

template <class Machine>
void fire_due(Cluster& c, Node<Machine>& n) {
  n.env.set_now(c.now);
  if (!n.up) return;
  for (const auto& t : n.env.take_due(c.now)) {
    if (n.up) n.m->on_timer(n.env, n.io, t.tag);
  }
}

// Twelve subscribers with 1000 each; the number starts with the first.
constexpr uint64_t kSubscribers = 12;
constexpr int64_t kBalance = 1000;

ParticipantConfig random_config() {
  ParticipantConfig c;
  for (uint64_t i = 0; i < kSubscribers; ++i) c.accounts.push_back({kAlice + i, kBalance});
  c.numbers = {{kNumber, kAlice}};
  return c;
}

Op random_op(sim::Rng& rng) {
  const uint64_t from = kAlice + rng.below(kSubscribers);
  const uint64_t to = kAlice + (from - kAlice + 1 + rng.below(kSubscribers - 1)) % kSubscribers;
  if (rng.below(5) == 0) return Op{OpKind::kPort, rng.below(3) == 0 ? to : from, to, 0, kNumber};
  return transfer(from, to, 1 + rng.below(400));
}

struct Run {
  explicit Run(uint64_t seed) : rng(seed) {
    for (NodeId id : kParts) {
      c.crash_part(id);
      c.start_part(id, random_config());
    }
  }
  sim::Rng rng;
  Cluster c;
  std::map<NodeId, uint32_t> incarnation{{kCore1, 0}, {kCore2, 0}};
  std::vector<uint64_t> txns;
  uint64_t next_client = 1;
  uint32_t drop_ppm = 200000;
  std::map<NodeId, int> restart_at;  // down nodes: the step they restart at

  void deliver_random() {
    c.collect();
    if (c.flight.empty()) return;
    const auto i = static_cast<std::ptrdiff_t>(rng.below(c.flight.size()));
    const InFlight f = c.flight[static_cast<size_t>(i)];
    c.flight.erase(c.flight.begin() + i);
    if (!rng.chance_ppm(drop_ppm)) c.deliver(f);
  }
  void sync_random() {
    const NodeId ids[] = {kCore1, kCore2, kP1, kP2, kP3};
    const NodeId id = ids[rng.below(5)];
    if (c.cores.contains(id)) {
      (void)Cluster::complete_syncs(*c.cores.at(id));
    } else {
      (void)Cluster::complete_syncs(*c.parts.at(id));
    }
  }
  void tick() {
    c.now = c.now + 2_ms;
    for (auto& [id, n] : c.cores) fire_due(c, *n);
    for (auto& [id, n] : c.parts) fire_due(c, *n);
  }
  void begin_random() {
    const NodeId core = rng.below(2) == 0 ? kCore1 : kCore2;
    if (!c.cores.at(core)->up) return;
    const uint64_t client = next_client++;
    if (const auto txn = c.begin(core, client, random_op(rng))) txns.push_back(*txn);
  }
  // Crashes a node that is up; it restarts 50 to 550 steps later.
  void crash_random(int step) {
    const NodeId ids[] = {kCore1, kCore2, kP1, kP2, kP3};
    const NodeId id = ids[rng.below(5)];
    if (restart_at.contains(id)) return;
    const bool lose = rng.below(2) == 0;
    c.cores.contains(id) ? c.crash_core(id, lose) : c.crash_part(id, lose);
    restart_at[id] = step + 50 + static_cast<int>(rng.below(500));
  }
  void restart_due(int step) {
    for (auto it = restart_at.begin(); it != restart_at.end();) {
      if (it->second > step) {
        ++it;
        continue;
      }
      const NodeId id = it->first;
      c.cores.contains(id) ? c.start_core(id, ++incarnation.at(id)) : c.start_part(id, random_config());
      it = restart_at.erase(it);
    }
  }
};

}  // namespace

TEST_CASE("twopc: random interleavings, drops and crashes keep every participant the same",
          "[twopc]") {
  for (uint64_t seed = 1; seed <= 8; ++seed) {
    INFO("seed " << seed);
    Run r(seed);
    for (int step = 0; step < 12000; ++step) {
      r.restart_due(step);
      const uint64_t dice = r.rng.below(1000);
      if (dice < 600) {
        r.deliver_random();
      } else if (dice < 750) {
        r.sync_random();
      } else if (dice < 970) {
        r.tick();
      } else if (dice < 985) {
        r.begin_random();
      } else if (dice < 988) {
        r.crash_random(step);
      } else {
        r.deliver_random();
      }
    }
    // The faults stop; everything comes back and settles.
    r.drop_ppm = 0;
    r.restart_due(std::numeric_limits<int>::max());
    r.c.run_for(10_s);
    REQUIRE(r.txns.size() > 50);
    for (NodeId id : {kCore1, kCore2}) CHECK(r.c.core(id).live() == 0);
    const Participant& first = r.c.part(kP1);
    int64_t total = 0;
    for (uint64_t who = kAlice; who < kAlice + kSubscribers; ++who) {
      total += first.balance(who).value_or(-1);
      CHECK(first.balance(who) >= 0);
      CHECK(r.c.all_balances(who, *first.balance(who)));
      for (NodeId p : kParts) CHECK(r.c.part(p).lock_holder(account_key(who)) == 0);
    }
    for (NodeId p : kParts) CHECK(r.c.part(p).live() == 0);
    CHECK(total == kBalance * static_cast<int64_t>(kSubscribers));  // transfers conserve money
    for (NodeId p : kParts) CHECK(r.c.part(p).number_owner(kNumber) == first.number_owner(kNumber));
    // Atomicity: where a transaction's fate is known, it is the same.
    size_t committed = 0;
    for (const uint64_t txn : r.txns) {
      std::optional<bool> fate;
      for (NodeId p : kParts) {
        const std::optional<bool> here = r.c.part(p).resolved(txn);
        if (!here) continue;
        if (fate) CHECK(*here == *fate);
        fate = here;
      }
      committed += fate.value_or(false) ? 1 : 0;
    }
    CHECK(committed > 0);
  }
}

}  // namespace test_twopc_random
