// Micro-benchmarks (Google Benchmark) of the pieces every simulated request
// goes through, to put a price on each in ns per operation beside the
// whole-run figures of `ecsim bench scenario` (docs/benchmarks.md, "Cost
// budget"). Run: build/release/bench/ecsim_micro [--benchmark_filter=RE].
// Not a test: no timing is asserted anywhere.
#include <benchmark/benchmark.h>

#include <cstdint>
#include <string>
#include <vector>

#include "ecsim/net/vector_clock.hpp"
#include "ecsim/proto/auth.hpp"
#include "ecsim/proto/vclock.hpp"
#include "ecsim/sim/event_queue.hpp"
#include "ecsim/sim/rng.hpp"
#include "ecsim/sim/slot_pool.hpp"
#include "ecsim/sim/trace.hpp"

namespace {

using namespace ecsim;

// The event queue in steady state: `pending` events, each pop followed by
// one push a uniform 0-2 ms later (the kernel bench's hold model).
void BM_EventQueueHold(benchmark::State& state) {
  const auto pending = static_cast<size_t>(state.range(0));
  sim::EventQueue q;
  sim::Rng rng(1);
  uint64_t seq = 0;
  for (size_t i = 0; i < pending; ++i) {
    q.push(sim::Event{static_cast<int64_t>(rng.below(2'000'000)), seq++, 0, 0, 0});
  }
  for (auto _ : state) {
    const sim::Event e = q.pop();
    q.push(sim::Event{e.time_ns + static_cast<int64_t>(rng.below(2'000'000)), seq++, 0, 0, 0});
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_EventQueueHold)->Arg(1000)->Arg(100000);

// A trace record stored and, every 1,632 records, hashed with XXH3.
void BM_TraceRecord(benchmark::State& state) {
  sim::Trace trace(true);
  sim::Record r{};
  r.type = sim::RecordType::kSend;
  for (auto _ : state) {
    ++r.time_ns;
    trace.record(r);
  }
  benchmark::DoNotOptimize(trace.hash());
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_TraceRecord);

// A trace record offered to one observer subscribed to its type, and to
// nine that are not (what the subscription by type saves is the nine calls).
struct Counting final : sim::TraceObserver {
  sim::RecordType type;
  uint64_t seen = 0;
  explicit Counting(sim::RecordType t) : type(t) {}
  std::span<const sim::RecordType> record_types() const override { return {&type, 1}; }
  void on_record(const sim::Record&) override { ++seen; }
};
void BM_TraceRecordObserved(benchmark::State& state) {
  sim::Trace trace(false);
  std::vector<Counting> observers;
  observers.reserve(10);
  observers.emplace_back(sim::RecordType::kSend);
  for (int i = 0; i < 9; ++i) observers.emplace_back(sim::RecordType::kDiskSync);
  for (Counting& o : observers) trace.add_observer(&o);
  sim::Record r{};
  r.type = sim::RecordType::kSend;
  for (auto _ : state) trace.record(r);
  benchmark::DoNotOptimize(observers[0].seen);
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_TraceRecordObserved);

// A slot table's acquire and release, with `live` entries held throughout.
void BM_SlotPoolAcquireRelease(benchmark::State& state) {
  sim::SlotPool<uint64_t> pool(1u << 20);
  std::vector<uint64_t> ids;
  for (int64_t i = 0; i < state.range(0); ++i) ids.push_back(pool.acquire(static_cast<uint64_t>(i)));
  size_t next = 0;
  for (auto _ : state) {
    benchmark::DoNotOptimize(pool.take(ids[next]));
    ids[next] = pool.acquire(next);
    next = (next + 1) % ids.size();
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_SlotPoolAcquireRelease)->Arg(64)->Arg(65536);

net::VectorClock clock_of(size_t entries, uint64_t base) {
  net::VectorClock c;
  for (size_t i = 0; i < entries; ++i) c.entries.emplace_back(static_cast<net::NodeId>(i * 2), base + i);
  return c;
}

// A receive's clock work: merge the carried clock, then tick.
void BM_VclockMergeIncrement(benchmark::State& state) {
  const auto n = static_cast<size_t>(state.range(0));
  net::VectorClock mine = clock_of(n, 100);
  const net::VectorClock carried = clock_of(n, 101);
  for (auto _ : state) {
    proto::vclock::merge(mine, carried);
    proto::vclock::increment(mine, 0);
    benchmark::DoNotOptimize(mine.entries.data());
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_VclockMergeIncrement)->Arg(8)->Arg(64);

// The hash of a whole clock that every clock record carries.
void BM_VclockHash(benchmark::State& state) {
  const net::VectorClock c = clock_of(static_cast<size_t>(state.range(0)), 7);
  for (auto _ : state) benchmark::DoNotOptimize(proto::vclock::hash(c));
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_VclockHash)->Arg(8)->Arg(64);

const std::string kSecret = "micro-benchmark secret, 32 bytes";

// A client's token minted (HMAC-SHA256 over the claims, base64).
void BM_AuthIssue(benchmark::State& state) {
  proto::auth::Signer signer(kSecret);
  proto::auth::Claims c{1, proto::auth::Role::kSubscriber, sim::Time{0}, sim::Time{3'600'000'000'000}};
  for (auto _ : state) {
    ++c.subscriber_id;
    benchmark::DoNotOptimize(signer.issue(c));
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_AuthIssue);

// An edge's check of a token: range(0) distinct tokens in rotation, so 8
// fit the Guard's memo of verified tokens (hits) and 4096 do not (a MAC
// per check).
void BM_GuardDecide(benchmark::State& state) {
  proto::auth::Signer signer(kSecret);
  proto::auth::Guard guard(kSecret);
  std::vector<std::string> tokens;
  for (int64_t i = 0; i < state.range(0); ++i) {
    tokens.push_back(signer.issue(proto::auth::Claims{static_cast<uint64_t>(i), proto::auth::Role::kSubscriber,
                                                      sim::Time{0}, sim::Time{3'600'000'000'000}}));
  }
  size_t next = 0;
  for (auto _ : state) {
    benchmark::DoNotOptimize(
        guard.decide(tokens[next], proto::auth::Operation::kRead, next, sim::Time{1'000'000'000}));
    next = (next + 1) % tokens.size();
  }
  state.counters["memo_hits"] = static_cast<double>(guard.memo_hits());
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_GuardDecide)->Arg(8)->Arg(4096);

}  // namespace

BENCHMARK_MAIN();
