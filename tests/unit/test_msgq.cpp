#include <catch2/catch.hpp>
#include <algorithm>
#include <map>
#include <string>
#include <vector>

#include "ecsim/proto/msgq.hpp"

namespace test_msgq {

using namespace ecsim;
using namespace ecsim::sim::literals;
using proto::FakeEnv;
namespace msgq = ecsim::proto::msgq;

namespace {

constexpr net::NodeId kA = 1;  // sender
constexpr net::NodeId kB = 2;  // receiver

// A sender node and a receiver node joined by a tiny network with a seeded
// drop probability (both directions) and a seeded delay in [delay_min,
// delay_max], so messages also overtake each other.
struct World {
  struct InFlight {
    sim::Time at;
    uint64_t order;
    net::NodeId src, dst;
    msgq::Message msg;
  };

  FakeEnv<msgq::Message> aenv;
  FakeEnv<msgq::Message> benv{kB, 22};
  msgq::Sender sender;
  msgq::Receiver receiver;
  sim::Rng net_rng{1234};
  uint32_t drop_ppm = 0;
  sim::Duration delay_min = 1_ms, delay_max = 1_ms;
  bool (*drop_hook)(World&, const InFlight&) = nullptr;
  std::vector<InFlight> flight;
  std::vector<msgq::Delivery> delivered;
  std::vector<sim::Time> data_sent_at;  // every Data transmission
  sim::Time now{0};
  uint64_t order = 0;
  int dropped_by_hook = 0;

  explicit World(msgq::SenderConfig sc = {}, msgq::ReceiverConfig rc = {}, uint64_t sender_seed = 21)
      : aenv(kA, sender_seed), sender(aenv, sc), receiver(benv, rc) {}

  void collect(FakeEnv<msgq::Message>& env) {
    for (auto& s : env.sent) {
      CHECK(s.size_bytes == msgq::size_bytes(s.message));
      if (std::holds_alternative<msgq::Data>(s.message)) data_sent_at.push_back(now);
      const int64_t d = net_rng.uniform_int(delay_min.ns, delay_max.ns);
      InFlight f{now + sim::nanoseconds(d), order++, env.self(), s.dst, s.message};
      if (net_rng.chance_ppm(drop_ppm)) continue;
      if (drop_hook != nullptr && drop_hook(*this, f)) continue;
      flight.push_back(f);
    }
    env.sent.clear();
  }

  sim::Time next_timer() const {
    sim::Time t = sim::Time::max();
    for (const auto& timer : aenv.timers) {
      if (timer.live) t = std::min(t, timer.at);
    }
    return t;
  }

  void run_until(sim::Time until) {
    collect(aenv);
    for (;;) {
      auto first = std::min_element(flight.begin(), flight.end(), [](const auto& a, const auto& b) {
        return a.at != b.at ? a.at < b.at : a.order < b.order;
      });
      const sim::Time tm = next_timer();
      const sim::Time tf = first == flight.end() ? sim::Time::max() : first->at;
      const sim::Time t = std::min(tm, tf);
      if (t > until) break;
      now = t;
      aenv.set_now(t);
      benv.set_now(t);
      if (tf <= tm) {
        const InFlight f = *first;
        flight.erase(first);
        if (const auto* d = std::get_if<msgq::Data>(&f.msg)) {
          if (auto got = receiver.on_data(f.src, *d)) delivered.push_back(*got);
        } else {
          sender.on_ack(f.src, std::get<msgq::Ack>(f.msg));
        }
      } else {
        for (const auto& timer : aenv.take_due(t)) sender.on_timer(timer.tag);
      }
      collect(aenv);
      collect(benv);
    }
    now = until;
    aenv.set_now(until);
    benv.set_now(until);
  }
};

}  // namespace

TEST_CASE("msgq: under 30 percent drops both ways 1000 messages arrive exactly once", "[msgq]") {
  World w(msgq::SenderConfig{.window_max = 32, .pending_max = 2000, .resend_timeout = 50_ms});
  w.drop_ppm = 300000;
  w.delay_min = 1_ms;
  w.delay_max = 5_ms;  // jitter reorders too
  for (uint64_t i = 1; i <= 1000; ++i) REQUIRE(w.sender.send(kB, 100000 + i, 32) == i);
  w.run_until(sim::Time{0} + 600_s);

  REQUIRE(w.delivered.size() == 1000);
  std::map<uint64_t, uint64_t> seen;  // seq -> body handle
  for (const auto& d : w.delivered) {
    CHECK(d.from == kA);
    CHECK(seen.emplace(d.seq, d.body_handle).second);  // no seq twice
  }
  uint64_t expected = 1;
  for (const auto& [seq, handle] : seen) {
    CHECK(seq == expected);
    CHECK(handle == 100000 + seq);
    ++expected;
  }
  CHECK(w.receiver.watermark(kA) == 1000);
  CHECK(w.sender.pending() == 0);
  CHECK(w.sender.counters().acked == 1000);
  CHECK(w.sender.counters().resent > 0);
  // Lost ACKs made the sender resend messages the receiver already had.
  CHECK(w.receiver.counters().duplicates > 0);
  CHECK(w.receiver.counters().delivered == 1000);
}

TEST_CASE("msgq: a lost message is resent after the 5 s default timeout", "[msgq]") {
  World w;
  w.drop_hook = [](World& world, const World::InFlight& f) {
    // Lose the first two transmissions of Data.
    if (!std::holds_alternative<msgq::Data>(f.msg) || world.dropped_by_hook >= 2) return false;
    ++world.dropped_by_hook;
    return true;
  };
  REQUIRE(w.sender.send(kB, 7, 10) == 1);
  w.run_until(sim::Time{0} + 4_s);
  CHECK(w.delivered.empty());
  w.run_until(sim::Time{0} + 30_s);
  REQUIRE(w.delivered.size() == 1);
  CHECK(w.delivered[0].body_handle == 7);
  REQUIRE(w.data_sent_at.size() == 3);
  CHECK(w.data_sent_at[0] == sim::Time{0});
  CHECK(w.data_sent_at[1] == sim::Time{0} + 5_s);
  CHECK(w.data_sent_at[2] == sim::Time{0} + 10_s);
  CHECK(w.sender.counters().resent == 2);
  CHECK(w.sender.pending() == 0);
}

TEST_CASE("msgq: with backoff on, resend intervals double up to the cap", "[msgq]") {
  World w(msgq::SenderConfig{.resend_timeout = 1_s, .backoff = true, .resend_timeout_max = 4_s});
  w.drop_ppm = 1000000;  // nothing arrives
  w.sender.send(kB, 1, 0);
  w.run_until(sim::Time{0} + 20_s);
  // Sends at 0, 1, 3, 7, 11, 15, 19 s.
  const std::vector<sim::Time> expected{
      sim::Time{0},        sim::Time{0} + 1_s,  sim::Time{0} + 3_s, sim::Time{0} + 7_s,
      sim::Time{0} + 11_s, sim::Time{0} + 15_s, sim::Time{0} + 19_s};
  CHECK(w.data_sent_at == expected);
}

TEST_CASE("msgq: with backoff and jitter, resend waits grow, are jittered and never pass the cap", "[msgq]") {
  // The recovery rules' settings (tiers: TierParams::msgq_sender): the first
  // wait is the timeout itself; after the n-th transmission the wait is
  // drawn from [d/2, d], d = min(cap, timeout * 2^(n-1)).
  const msgq::SenderConfig cfg{.resend_timeout = 100_ms, .backoff = true, .jitter = true,
                               .resend_timeout_max = msgq::resend_timeout_max_for(100_ms)};
  REQUIRE(cfg.resend_timeout_max == 1_s);
  std::vector<std::vector<sim::Duration>> runs;
  for (const uint64_t seed : {uint64_t{21}, uint64_t{22}}) {
    World w(cfg, {}, seed);
    w.drop_ppm = 1000000;  // nothing arrives
    w.sender.send(kB, 1, 0);
    w.run_until(sim::Time{0} + 30_s);
    REQUIRE(w.data_sent_at.size() >= 10);
    std::vector<sim::Duration> waits;
    for (size_t i = 1; i < w.data_sent_at.size(); ++i) waits.push_back(w.data_sent_at[i] - w.data_sent_at[i - 1]);
    CHECK(waits[0] == 100_ms);  // the first resend is not jittered
    for (size_t i = 1; i < waits.size(); ++i) {
      const int64_t d = std::min<int64_t>(int64_t{100000000} << std::min<size_t>(i, 20), 1000000000);
      CHECK(waits[i].ns >= d - d / 2);
      CHECK(waits[i].ns <= d);
    }
    // The waits grow: the ranges of consecutive waits never overlap below the cap.
    CHECK(waits[1] >= waits[0]);
    CHECK(waits[3] > waits[1]);
    // Jittered: at the cap, the waits are not all the same.
    const std::vector<sim::Duration> tail(waits.begin() + 5, waits.end());
    CHECK(std::adjacent_find(tail.begin(), tail.end(), std::not_equal_to<>()) != tail.end());
    runs.push_back(waits);
  }
  CHECK(runs[0] != runs[1]);  // the jitter comes from the seeded stream
}

TEST_CASE("msgq: without backoff (recovery: false), resends come at the fixed timeout", "[msgq]") {
  World w(msgq::SenderConfig{.resend_timeout = 100_ms});
  w.drop_ppm = 1000000;
  w.sender.send(kB, 1, 0);
  w.run_until(sim::Time{0} + 2_s);
  REQUIRE(w.data_sent_at.size() == 21);
  for (size_t i = 0; i < w.data_sent_at.size(); ++i) {
    CHECK(w.data_sent_at[i] == sim::Time{0} + sim::milliseconds(100 * static_cast<int64_t>(i)));
  }
}

TEST_CASE("msgq: the backoff cap is twice the timeout, at least 1 s", "[msgq]") {
  CHECK(msgq::resend_timeout_max_for(5_s) == 10_s);
  CHECK(msgq::resend_timeout_max_for(1_ms) == 1_s);
  CHECK(msgq::resend_timeout_max_for(sim::nanoseconds(1)) == 1_s);
  CHECK(msgq::resend_timeout_max_for(sim::seconds(3600)) == sim::seconds(7200));
}

TEST_CASE("msgq: the pending queue is bounded and refuses beyond pending_max", "[msgq]") {
  World w(msgq::SenderConfig{.window_max = 4, .pending_max = 10});
  for (int i = 0; i < 10; ++i) CHECK(w.sender.send(kB, i, 0) != 0);
  CHECK(w.sender.send(kB, 99, 0) == 0);
  CHECK(w.sender.send(kB + 1, 99, 0) == 0);  // the bound covers every destination
  CHECK(w.sender.counters().refused == 2);
  CHECK(w.sender.counters().accepted == 10);
  CHECK(w.sender.pending() == 10);
  CHECK(w.aenv.sent.size() == 4);  // only the window is on the wire
  w.run_until(sim::Time{0} + 1_s);
  CHECK(w.delivered.size() == 10);
  CHECK(w.sender.pending() == 0);
  CHECK(w.sender.send(kB, 100, 0) == 11);  // room again
}

TEST_CASE("msgq: a duplicate is ACKed again but delivered once", "[msgq]") {
  FakeEnv<msgq::Message> env(kB);
  msgq::Receiver r(env, {});
  const msgq::Data d{0, 1, 5, 0};
  CHECK(r.on_data(kA, d).has_value());
  CHECK_FALSE(r.on_data(kA, d).has_value());
  REQUIRE(env.sent.size() == 2);
  const auto& ack = std::get<msgq::Ack>(env.sent[1].message);
  CHECK(ack.seq == 1);
  CHECK(ack.cumulative == 1);
  CHECK(r.counters().duplicates == 1);
  CHECK(r.counters().delivered == 1);
}

TEST_CASE("msgq: a restarted sender's new epoch resets the receiver's sequence space", "[msgq]") {
  FakeEnv<msgq::Message> env(kB);
  msgq::Receiver r(env, {});
  CHECK(r.on_data(kA, {0, 1, 10, 0}).has_value());
  CHECK(r.on_data(kA, {0, 2, 11, 0}).has_value());
  CHECK(r.on_data(kA, {1, 1, 20, 0}).has_value());  // epoch 1 numbers from 1 again
  CHECK(r.counters().epoch_resets == 1);
  CHECK_FALSE(r.on_data(kA, {0, 3, 12, 0}).has_value());  // the old incarnation's straggler
  CHECK(r.counters().stale_epoch == 1);
  CHECK(r.watermark(kA) == 1);
}

TEST_CASE("msgq: the receiver's out-of-order set is bounded and refuses without ACK", "[msgq]") {
  FakeEnv<msgq::Message> env(kB);
  msgq::Receiver r(env, {.above_max = 2, .senders_max = 4});
  CHECK(r.on_data(kA, {0, 3, 0, 0}).has_value());
  CHECK(r.on_data(kA, {0, 4, 0, 0}).has_value());
  CHECK_FALSE(r.on_data(kA, {0, 5, 0, 0}).has_value());  // set full: refused
  CHECK(r.counters().refused == 1);
  CHECK(env.sent.size() == 2);                     // and not ACKed
  CHECK(r.on_data(kA, {0, 1, 0, 0}).has_value());  // the next in order is always taken
  CHECK(r.on_data(kA, {0, 2, 0, 0}).has_value());
  CHECK(r.watermark(kA) == 4);
  CHECK(r.on_data(kA, {0, 5, 0, 0}).has_value());
  CHECK(r.watermark(kA) == 5);
}

TEST_CASE("msgq: a cumulative ACK settles everything below it", "[msgq]") {
  FakeEnv<msgq::Message> env(kA);
  msgq::Sender s(env, {.window_max = 8});
  for (int i = 0; i < 5; ++i) s.send(kB, i, 0);
  CHECK(s.unacked(kB) == 5);
  s.on_ack(kB, {0, 3, 3});
  CHECK(s.unacked(kB) == 2);
  CHECK(s.counters().acked == 3);
  s.on_ack(kB, {0, 3, 5});  // selective
  CHECK(s.unacked(kB) == 1);
  s.on_ack(kB, {0, 3, 5});  // a duplicate ACK settles nothing
  CHECK(s.counters().acks_duplicate == 1);
  s.on_ack(kB, {0, 9, 9});  // never sent: invalid
  CHECK(s.counters().acks_invalid == 1);
  s.on_ack(kB, {1, 4, 4});  // another epoch
  CHECK(s.counters().acks_stale == 1);
  CHECK(s.pending() == 1);
}

TEST_CASE("msgq: a restarted receiver resumes at the sender's low watermark", "[msgq]") {
  FakeEnv<msgq::Message> env(kB);
  // A receiver that lost its state: the sender is at seq 500, everything
  // below was ACKed to the receiver's previous incarnation.
  msgq::Receiver fresh(env, {.above_max = 16});
  uint64_t delivered = 0;
  for (uint64_t seq = 500; seq < 600; ++seq) {
    delivered += fresh.on_data(kA, msgq::Data{0, seq, seq, 4, seq}).has_value();
  }
  CHECK(delivered == 100);  // without the watermark the 17th would be refused forever
  CHECK(fresh.watermark(kA) == 599);
  CHECK(fresh.counters().refused == 0);
  CHECK_FALSE(fresh.on_data(kA, msgq::Data{0, 550, 550, 4, 500}).has_value());  // a duplicate
  CHECK_FALSE(fresh.on_data(kA, msgq::Data{0, 300, 300, 4, 300}).has_value());  // below: taken as done
  CHECK(fresh.counters().duplicates == 2);
}

TEST_CASE("msgq: Data carries the lowest un-ACKed seq and ACKed bodies are handed back", "[msgq]") {
  World w(msgq::SenderConfig{.window_max = 4, .resend_timeout = 50_ms});
  w.drop_hook = [](World&, const World::InFlight& f) {
    const auto* d = std::get_if<msgq::Data>(&f.msg);
    return d != nullptr && d->seq == 2 && f.at < sim::Time{0} + 10_ms;  // seq 2's first copy is lost
  };
  for (uint64_t i = 1; i <= 4; ++i) w.sender.send(kB, 100 + i, 8);
  w.collect(w.aenv);
  w.run_until(sim::Time{0} + 20_ms);
  std::vector<uint64_t> settled;
  w.sender.take_settled(settled);
  std::sort(settled.begin(), settled.end());
  CHECK(settled == std::vector<uint64_t>{101, 103, 104});
  w.run_until(sim::Time{0} + 100_ms);  // seq 2 resent with low = 2
  w.sender.take_settled(settled);
  CHECK(settled == std::vector<uint64_t>{102});
  CHECK(w.delivered.size() == 4);
}

TEST_CASE("msgq: wire sizes match the JSON-RPC text", "[msgq]") {
  const std::string data =
      R"({"jsonrpc":"2.0","method":"msgq.deliver","params":{"epoch":3,"seq":42,"low":40,"body":)" +
      std::string(20, 'x') + R"(},"id":42})" + "\n";
  CHECK(msgq::size_bytes(msgq::Data{3, 42, 7, 20, 40}) == data.size());
  const std::string ack = R"({"jsonrpc":"2.0","result":{"epoch":3,"cumulative":41,"seq":42},"id":42})" "\n";
  CHECK(msgq::size_bytes(msgq::Ack{3, 41, 42}) == ack.size());
}

TEST_CASE("msgq: the window bounds the span above a lost message, so the receiver never refuses", "[msgq]") {
  // The receiver remembers only as many seqs above a gap as the window is
  // wide. If the window counted un-ACKed messages instead of their span,
  // selective ACKs would let seqs past 1 + 8 through while seq 1 is lost.
  World w(msgq::SenderConfig{.window_max = 8, .resend_timeout = 100_ms}, msgq::ReceiverConfig{.above_max = 8});
  w.drop_hook = [](World&, const World::InFlight& f) {
    const auto* d = std::get_if<msgq::Data>(&f.msg);
    return d != nullptr && d->seq == 1 && f.at < sim::Time{0} + 50_ms;  // seq 1's first copy is lost
  };
  for (uint64_t i = 1; i <= 100; ++i) w.sender.send(kB, i, 8);
  w.run_until(sim::Time{0} + 50_ms);
  CHECK(w.delivered.size() == 7);  // seqs 2..8: the window stops at 1 + 8
  CHECK(w.sender.unacked(kB) == 1);
  w.run_until(sim::Time{0} + 10_s);
  CHECK(w.delivered.size() == 100);
  CHECK(w.receiver.counters().refused == 0);
  CHECK(w.receiver.counters().delivered == 100);
}

TEST_CASE("msgq: a destination that never answers takes at most its own share of the queue", "[msgq]") {
  FakeEnv<msgq::Message> env(kA);
  msgq::Sender sender(env, {.window_max = 8, .pending_max = 100, .dest_pending_max = 30});
  constexpr net::NodeId kDead = 7;
  uint64_t accepted = 0;
  for (int i = 0; i < 50; ++i) accepted += sender.send(kDead, i, 8) != 0;
  CHECK(accepted == 30);  // the dead peer's share
  CHECK(sender.counters().refused == 20);
  // The other destinations are still served.
  for (int i = 0; i < 30; ++i) CHECK(sender.send(kB, i, 8) != 0);
  CHECK(sender.pending() == 60);
}

}  // namespace test_msgq
