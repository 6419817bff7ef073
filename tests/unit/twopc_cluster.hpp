// A hand-driven 2PC cluster for the sans-IO tests: two coordinators and three
// participants on FakeEnvs, a FIFO of messages in flight that the test
// delivers, drops or reorders, and disks whose syncs complete when the test
// says so. Crash = the machine and its timers, un-synced syncs and unsent
// messages go; the Disk stays (optionally losing its un-synced suffix).
#pragma once
#include <catch2/catch.hpp>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <vector>

#include "ecsim/proto/twopc_participant.hpp"

namespace twopc_test {

using namespace ecsim;
using namespace ecsim::proto::twopc;
using ecsim::net::NodeId;
using ecsim::proto::FakeEnv;

constexpr NodeId kCore1 = 1;
constexpr NodeId kCore2 = 2;
constexpr NodeId kP1 = 10;
constexpr NodeId kP2 = 11;
constexpr NodeId kP3 = 12;
const std::vector<NodeId> kParts{kP1, kP2, kP3};
constexpr uint64_t kAlice = 100;  // 1000
constexpr uint64_t kBob = 101;    // 500
constexpr uint64_t kCarol = 102;  // 0
constexpr uint64_t kNumber = 7000;  // Alice's

inline Op transfer(uint64_t from, uint64_t to, uint64_t amount) {
  return Op{OpKind::kTransfer, from, to, amount, 0};
}
inline Op debit(uint64_t from, uint64_t amount) { return Op{OpKind::kDebit, from, 0, amount, 0}; }

struct Io final : LogIo {
  struct Sync {
    uint64_t tag;
    size_t length;
  };
  node::Disk d;
  std::vector<Sync> syncs;
  node::Disk& disk() override { return d; }
  void sync(uint64_t tag) override { syncs.push_back({tag, d.length()}); }
};

struct InFlight {
  NodeId src;
  NodeId dst;
  Message m;
};

template <class Machine>
struct Node {
  explicit Node(NodeId i) : id(i), env(i) {}
  NodeId id;
  FakeEnv<Message> env;
  Io io;
  std::unique_ptr<Machine> m;
  bool up = true;
};

struct Cluster {
  explicit Cluster(ParticipantConfig pc = part_config(), CoordinatorConfig cc = {})
      : part_cfg(std::move(pc)), core_cfg(cc) {
    for (NodeId id : {kCore1, kCore2}) {
      cores[id] = std::make_unique<Node<Coordinator>>(id);
      start_core(id, 0);
    }
    for (NodeId id : kParts) {
      parts[id] = std::make_unique<Node<Participant>>(id);
      start_part(id);
    }
  }

  static ParticipantConfig part_config() {
    ParticipantConfig c;
    c.accounts = {{kAlice, 1000}, {kBob, 500}, {kCarol, 0}};
    c.numbers = {{kNumber, kAlice}};
    return c;
  }
  void start_core(NodeId id, uint32_t incarnation) {
    auto& n = *cores.at(id);
    CoordinatorConfig c = core_cfg;
    c.incarnation = incarnation;
    n.m = std::make_unique<Coordinator>(id, c);
    n.up = true;
    n.m->recover(n.env, n.io);
  }
  void start_part(NodeId id) { start_part(id, part_cfg); }
  void start_part(NodeId id, ParticipantConfig c) {
    auto& n = *parts.at(id);
    n.m = std::make_unique<Participant>(id, std::move(c));
    n.up = true;
    n.m->recover(n.env, n.io);
  }
  template <class Machine>
  static void stop(Node<Machine>& n, bool lose_unsynced) {
    n.m.reset();
    n.up = false;
    n.env.sent.clear();
    n.env.timers.clear();
    n.io.syncs.clear();
    sim::Rng rng(7);
    if (lose_unsynced) n.io.d.crash(rng);
  }
  void crash_core(NodeId id, bool lose_unsynced = false) { stop(*cores.at(id), lose_unsynced); }
  void crash_part(NodeId id, bool lose_unsynced = false) { stop(*parts.at(id), lose_unsynced); }

  Coordinator& core(NodeId id) { return *cores.at(id)->m; }
  Participant& part(NodeId id) { return *parts.at(id)->m; }

  std::optional<uint64_t> begin(NodeId core_id, uint64_t client_txn, const Op& op) {
    auto& n = *cores.at(core_id);
    return n.m->begin(n.env, n.io, client_txn, op, kParts);
  }

  void collect() {
    auto take = [&](FakeEnv<Message>& env) {
      for (auto& s : env.sent) {
        if (!cut.contains({env.self(), s.dst})) flight.push_back({env.self(), s.dst, s.message});
      }
      env.sent.clear();
    };
    for (auto& [id, n] : cores) take(n->env);
    for (auto& [id, n] : parts) take(n->env);
  }

  void deliver(const InFlight& f) {
    if (cores.contains(f.dst)) {
      auto& n = *cores.at(f.dst);
      if (n.up) n.m->on_message(n.env, n.io, f.src, f.m);
    } else {
      auto& n = *parts.at(f.dst);
      if (n.up) n.m->on_message(n.env, n.io, f.src, f.m);
    }
  }

  // Delivers the first message in flight matching `pred`; false if none.
  bool deliver_first(const std::function<bool(const InFlight&)>& pred) {
    collect();
    for (auto it = flight.begin(); it != flight.end(); ++it) {
      if (!pred(*it)) continue;
      const InFlight f = *it;
      flight.erase(it);
      deliver(f);
      return true;
    }
    return false;
  }

  template <class Machine>
  static bool complete_syncs(Node<Machine>& n) {
    if (!n.up || n.io.syncs.empty()) return false;
    const std::vector<Io::Sync> syncs = std::move(n.io.syncs);
    n.io.syncs.clear();
    for (const Io::Sync& s : syncs) {
      n.io.d.make_durable(s.length);
      if (n.up) n.m->on_sync_done(n.env, n.io, s.tag);
    }
    return true;
  }
  bool complete_any_sync() {
    for (auto& [id, n] : cores) {
      if (hold_syncs.contains(id)) continue;
      if (complete_syncs(*n)) return true;
    }
    for (auto& [id, n] : parts) {
      if (hold_syncs.contains(id)) continue;
      if (complete_syncs(*n)) return true;
    }
    return false;
  }

  // Delivers everything in flight and completes every sync until quiet.
  void settle() {
    for (int i = 0; i < 100000; ++i) {
      collect();
      if (!flight.empty()) {
        const InFlight f = flight.front();
        flight.pop_front();
        deliver(f);
        continue;
      }
      if (!complete_any_sync()) return;
    }
    FAIL("the cluster did not settle");
  }

  // Moves time on in steps, firing due timers and settling after each.
  void run_for(sim::Duration total, sim::Duration step = sim::milliseconds(5)) {
    const sim::Time end = now + total;
    while (now < end) {
      now = now + step;
      for (auto& [id, n] : cores) fire(*n);
      for (auto& [id, n] : parts) fire(*n);
    }
  }
  template <class Machine>
  void fire(Node<Machine>& n) {
    n.env.set_now(now);
    if (!n.up) return;
    for (const auto& t : n.env.take_due(now)) {
      if (n.up) n.m->on_timer(n.env, n.io, t.tag);
      settle();
    }
  }

  std::vector<Completion> completions(NodeId core_id) {
    std::vector<Completion> out;
    core(core_id).take_completions(out);
    return out;
  }

  // Every participant holds `balance` for `who`.
  bool all_balances(uint64_t who, int64_t balance) {
    for (NodeId id : kParts) {
      if (part(id).balance(who) != balance) return false;
    }
    return true;
  }
  bool no_locks() {
    for (NodeId id : kParts) {
      if (part(id).live() != 0) return false;
      for (uint64_t who : {kAlice, kBob, kCarol}) {
        if (part(id).lock_holder(account_key(who)) != 0) return false;
      }
    }
    return true;
  }

  ParticipantConfig part_cfg;  // at every (re)start unless a test gives its own
  CoordinatorConfig core_cfg;
  sim::Time now{0};
  std::map<NodeId, std::unique_ptr<Node<Coordinator>>> cores;
  std::map<NodeId, std::unique_ptr<Node<Participant>>> parts;
  std::deque<InFlight> flight;
  std::set<std::pair<NodeId, NodeId>> cut;  // (src, dst) links that drop everything
  std::set<NodeId> hold_syncs;              // nodes whose syncs the test completes itself
};

template <class T>
bool is(const InFlight& f) {
  return std::holds_alternative<T>(f.m);
}

}  // namespace twopc_test
