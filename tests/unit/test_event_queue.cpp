// Differential tests: EventQueue against a std::priority_queue ordered by
// (time, seq). Any difference in the dispatch order, the sizes or the top()
// fails, whatever the bucket width or ring size the queue adapted to.
#include <catch2/catch.hpp>

#include <cstdint>
#include <functional>
#include <queue>
#include <vector>

#include "ecsim/sim/event_queue.hpp"
#include "ecsim/sim/rng.hpp"

namespace test_event_queue {

namespace {

using ecsim::sim::Event;
using ecsim::sim::EventQueue;
using ecsim::sim::Rng;

struct Later {
  bool operator()(const Event& x, const Event& y) const { return ecsim::sim::event_before(y, x); }
};
using Reference = std::priority_queue<Event, std::vector<Event>, Later>;

bool same(const Event& x, const Event& y) {
  return x.time_ns == y.time_ns && x.seq == y.seq && x.handler == y.handler && x.a == y.a && x.b == y.b;
}

// Drives the queue and the reference in lockstep; every pop and top compared.
struct Harness {
  EventQueue q;
  Reference ref;
  uint64_t seq = 0;
  int64_t last_popped = 0;
  uint64_t mismatches = 0;

  void push(int64_t t) {
    const Event e{t, seq, static_cast<uint32_t>(seq % 7), static_cast<uint32_t>(seq * 13), seq * 0x9e3779b97f4a7c15ULL};
    ++seq;
    q.push(e);
    ref.push(e);
    if (q.size() != ref.size()) ++mismatches;
  }
  void pop() {
    REQUIRE(!ref.empty());
    REQUIRE(!q.empty());
    const Event peek = q.top();
    const Event got = q.pop();
    const Event want = ref.top();
    ref.pop();
    if (!same(got, want) || !same(peek, want)) ++mismatches;
    if (q.size() != ref.size() || q.empty() != ref.empty()) ++mismatches;
    last_popped = got.time_ns;
  }
  void drain() {
    while (!ref.empty()) pop();
    CHECK(q.empty());
    CHECK(q.size() == 0);
  }
};

// Hold model: pop one, push one at now + delay(), `events` times.
void hold(Harness& h, size_t pending, uint64_t events, const std::function<int64_t()>& delay) {
  for (size_t i = 0; i < pending; ++i) h.push(delay());
  for (uint64_t i = 0; i < events; ++i) {
    h.pop();
    h.push(h.last_popped + delay());
  }
}

}  // namespace

TEST_CASE("event queue: empty queue", "[event_queue]") {
  EventQueue q;
  CHECK(q.empty());
  CHECK(q.size() == 0);
  q.push(Event{5, 0, 0, 0, 0});
  CHECK(q.top().time_ns == 5);
  CHECK(q.pop().seq == 0);
  CHECK(q.empty());
  q.push(Event{3, 1, 0, 0, 0});  // the queue accepts pushes again after emptying
  CHECK(q.pop().seq == 1);
  CHECK(q.empty());
}

TEST_CASE("event queue: uniform hold model matches the reference", "[event_queue]") {
  for (size_t pending : {size_t{1}, size_t{10}, size_t{1000}, size_t{20000}}) {
    Harness h;
    Rng rng(42 + pending);
    hold(h, pending, 200000, [&] { return rng.uniform_int(1, 2000000); });
    h.drain();
    CHECK(h.mismatches == 0);
  }
}

TEST_CASE("event queue: bimodal hold model matches the reference", "[event_queue]") {
  Harness h;
  Rng rng(7);
  const auto delay = [&]() -> int64_t {
    if (rng.below(10) != 0) return rng.uniform_int(1000, 100000);
    return rng.uniform_int(1000000000, 5000000000);
  };
  hold(h, 20000, 300000, delay);
  h.drain();
  CHECK(h.mismatches == 0);
}

// Many short chains in flight beside a pending set of long timers (the
// three tiers' pattern: deliveries and service completions well under a
// millisecond ahead, request timeouts and cache TTLs seconds ahead). Each
// popped event schedules the next of its own kind.
int hold_chains_and_timers(Harness& h, size_t timers, size_t chains, uint64_t events) {
  Rng rng(timers + chains);
  std::vector<bool> is_timer;
  const auto push = [&](bool timer, int64_t now) {
    is_timer.push_back(timer);
    h.push(now +
           (timer ? rng.uniform_int(1000000000, 5000000000) : rng.uniform_int(1000, 1000000)));
  };
  for (size_t i = 0; i < timers; ++i) push(true, 0);
  for (size_t i = 0; i < chains; ++i) push(false, 0);
  for (uint64_t i = 0; i < events; ++i) {
    const uint64_t seq = h.ref.top().seq;
    h.pop();
    push(is_timer[seq], h.last_popped);
  }
  return h.q.bucket_shift();
}

TEST_CASE("event queue: short chains beside long timers take rate-sized buckets", "[event_queue]") {
  // A thousand timers: without the rate cap the buckets would be about
  // 2^26 ns wide (the timers' spread) and nearly every short event would go
  // through the open bucket's heap.
  Harness h;
  CHECK(hold_chains_and_timers(h, 1000, 100, 400000) <= 20);
  h.drain();
  CHECK(h.mismatches == 0);
  // Twenty thousand timers would not fit in far_ as a small heap: the
  // spread decides the width as before.
  Harness many;
  CHECK(hold_chains_and_timers(many, 20000, 100, 400000) > 20);
  many.drain();
  CHECK(many.mismatches == 0);
}

TEST_CASE("event queue: large count triggers adaptation", "[event_queue]") {
  Harness h;
  Rng rng(99);
  // Dense at first, then a thousand times sparser: the width must change.
  hold(h, 200000, 200000, [&] { return rng.uniform_int(1, 1000); });
  const int shift_dense = h.q.bucket_shift();
  hold(h, 0, 400000, [&] { return rng.uniform_int(1, 1000000); });
  CHECK(h.q.bucket_shift() != shift_dense);
  CHECK(h.q.rebuilds() > 1);
  h.drain();
  CHECK(h.mismatches == 0);
}

TEST_CASE("event queue: all events at one time break ties by seq", "[event_queue]") {
  Harness h;
  for (int i = 0; i < 50000; ++i) h.push(777);
  // Pushes at the same time as the top while popping: they go after it.
  for (int i = 0; i < 100000; ++i) {
    h.pop();
    h.push(777);
  }
  uint64_t prev = 0;
  bool ordered = true;
  for (bool first = true; !h.q.empty(); first = false) {
    const Event e = h.q.pop();
    h.ref.pop();
    if (e.time_ns != 777 || (!first && e.seq <= prev)) ordered = false;
    prev = e.seq;
  }
  CHECK(ordered);
  CHECK(h.mismatches == 0);
}

TEST_CASE("event queue: huge gaps and times up to 2^62", "[event_queue]") {
  Harness h;
  Rng rng(5);
  for (int k = 0; k <= 62; ++k) h.push(int64_t{1} << k);
  for (int k = 0; k <= 62; k += 3) h.push((int64_t{1} << k) + 1);
  h.push(INT64_MAX);
  h.push(INT64_MAX - 1);
  for (int i = 0; i < 20000; ++i) {
    h.pop();
    // Near, mid or astronomically far from the last popped time.
    const uint64_t kind = rng.below(3);
    int64_t d = kind == 0 ? rng.uniform_int(0, 100) : kind == 1 ? rng.uniform_int(0, 1 << 30) : rng.uniform_int(0, int64_t{1} << 61);
    if (h.last_popped > INT64_MAX - d) d = INT64_MAX - h.last_popped;
    h.push(h.last_popped + d);
    if (rng.below(4) == 0) h.pop();
    if (h.ref.empty()) h.push(h.last_popped);
  }
  h.drain();
  CHECK(h.mismatches == 0);
}

TEST_CASE("event queue: events spread wider than the largest window", "[event_queue]") {
  // 2^62 ns of spread cannot fit one ring window: the queue must jump from
  // cluster to cluster through far_ and stay exact.
  Harness h;
  Rng rng(17);
  for (int i = 0; i < 30000; ++i) h.push(rng.uniform_int(0, int64_t{1} << 62));
  for (int i = 0; i < 60000; ++i) {
    h.pop();
    if (i % 2 == 0) h.push(h.last_popped + rng.uniform_int(0, (INT64_MAX - h.last_popped) / 4));
  }
  h.drain();
  CHECK(h.mismatches == 0);
}

TEST_CASE("event queue: interleaved pushes before the top and into the open bucket", "[event_queue]") {
  Harness h;
  Rng rng(11);
  for (int i = 0; i < 5000; ++i) h.push(rng.uniform_int(0, 10000000));
  for (int i = 0; i < 300000; ++i) {
    const uint64_t op = rng.below(8);
    if (op < 3 && !h.ref.empty()) {
      h.pop();
    } else if (op == 3 && !h.ref.empty()) {
      // top() may advance the window; then push earlier than it (but not
      // before the last popped time), which must come out first.
      const int64_t top = h.q.top().time_ns;
      const int64_t t = h.last_popped + static_cast<int64_t>(rng.below(static_cast<uint64_t>(top - h.last_popped) + 1));
      h.push(t);
      h.pop();
      if (h.last_popped != t && h.last_popped != top) ++h.mismatches;
    } else if (op == 4) {
      h.push(h.last_popped);  // at exactly the last popped time
    } else if (op == 5) {
      h.push(h.last_popped + rng.uniform_int(0, 50));  // the open bucket
    } else {
      h.push(h.last_popped + rng.uniform_int(0, 10000000));
    }
    if (i % 50000 == 0) {
      CHECK(h.q.size() == h.ref.size());
    }
  }
  h.drain();
  CHECK(h.mismatches == 0);
}

TEST_CASE("event queue: burst then drain then refill", "[event_queue]") {
  Harness h;
  Rng rng(3);
  for (int round = 0; round < 5; ++round) {
    const int64_t base = h.last_popped;
    const int64_t spread = int64_t{1} << (4 * round + 4);
    for (int i = 0; i < 30000; ++i) h.push(base + rng.uniform_int(0, spread));
    for (int i = 0; i < 25000; ++i) h.pop();
  }
  h.drain();
  CHECK(h.mismatches == 0);
}

}  // namespace test_event_queue
