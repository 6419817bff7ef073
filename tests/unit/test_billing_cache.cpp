// The edge billing cache (tiers/billing_cache.hpp), sans-IO, and its
// checker (check/billing_cache.hpp) on hand-made histories.
#include <catch2/catch.hpp>

#include <algorithm>
#include <map>
#include <string>
#include <vector>

#include "ecsim/check/billing_cache.hpp"
#include "ecsim/proto/twopc.hpp"
#include "ecsim/tiers/billing.hpp"
#include "ecsim/tiers/billing_cache.hpp"

namespace test_billing_cache {

using namespace ecsim;
using sim::Record;
using tiers::BillingCache;
using tiers::CacheSync;
namespace twopc = proto::twopc;

namespace {
constexpr net::NodeId kCoreA = 3, kCoreB = 4;
constexpr int64_t kBound = 1000;
constexpr uint64_t kKey = twopc::account_key(7);

// A msgq receiver as the cache sees it: per core, the epoch and the
// contiguous watermark.
struct FakeReceiver {
  std::map<net::NodeId, std::pair<uint32_t, uint64_t>> peers;
  BillingCache::Delivered delivered() const {
    return [this](net::NodeId core, uint32_t epoch, uint64_t seq) {
      const auto it = peers.find(core);
      return it != peers.end() && it->second.first == epoch && it->second.second >= seq;
    };
  }
};

BillingCache make() { return BillingCache(4, kBound, {kCoreA, kCoreB}); }

// Fills `key` with `value` through a read (id `read`) and syncs both cores at `at`.
void fill(BillingCache& c, uint64_t read, uint64_t key, uint64_t value) {
  c.read_started(read, key);
  REQUIRE(c.read_answered(read, value, true));
}
void sync_both(BillingCache& c, int64_t at, uint64_t seq_a = 0, uint32_t epoch = 0) {
  c.sync(kCoreA, CacheSync{epoch, seq_a, 0, at});
  c.sync(kCoreB, CacheSync{0, 0, 0, at});
}
}  // namespace

TEST_CASE("billing cache: a value is served only in sync with every core, within the bound", "[billing_cache]") {
  BillingCache c = make();
  FakeReceiver rx;
  fill(c, 1, kKey, 500);
  CHECK_FALSE(c.lookup(kKey, 10, rx.delivered()));  // never heard from a core
  c.sync(kCoreA, CacheSync{0, 0, 0, 10});
  CHECK_FALSE(c.lookup(kKey, 10, rx.delivered()));  // core B not yet
  c.sync(kCoreB, CacheSync{0, 0, 0, 10});
  // The first sync point of each core flushed what was held before it.
  CHECK(c.size() == 0);
  fill(c, 2, kKey, 500);
  CHECK(c.lookup(kKey, 20, rx.delivered()) == 500u);
  CHECK(c.lookup(kKey, 10 + kBound, rx.delivered()) == 500u);
  CHECK_FALSE(c.lookup(kKey, 11 + kBound, rx.delivered()));  // the sync points are too old
  CHECK(c.counters().served == 2);
  CHECK(c.counters().unsynced >= 1);
}

TEST_CASE("billing cache: a sync point's invalidations must all be delivered", "[billing_cache]") {
  BillingCache c = make();
  FakeReceiver rx;
  sync_both(c, 10);
  fill(c, 1, kKey, 500);
  sync_both(c, 20, 5);  // core A accepted invalidations up to seq 5
  CHECK_FALSE(c.lookup(kKey, 30, rx.delivered()));
  rx.peers[kCoreA] = {0, 4};
  CHECK_FALSE(c.lookup(kKey, 30, rx.delivered()));
  rx.peers[kCoreA] = {1, 9};  // another epoch's seqs do not count
  CHECK_FALSE(c.lookup(kKey, 30, rx.delivered()));
  rx.peers[kCoreA] = {0, 5};
  CHECK(c.lookup(kKey, 30, rx.delivered()) == 500u);
}

TEST_CASE("billing cache: an invalidation drops the entry and a racing read fills nothing", "[billing_cache]") {
  BillingCache c = make();
  FakeReceiver rx;
  sync_both(c, 10);
  fill(c, 1, kKey, 500);
  CHECK(c.invalidate(kKey));
  CHECK_FALSE(c.lookup(kKey, 20, rx.delivered()));
  CHECK_FALSE(c.invalidate(kKey));  // nothing left to drop
  // A read on its way when the invalidation arrives may carry the old
  // value: it must not re-install it.
  c.read_started(2, kKey);
  c.read_started(3, twopc::account_key(8));
  c.invalidate(kKey);
  CHECK_FALSE(c.read_answered(2, 500, true));
  CHECK(c.read_answered(3, 900, true));  // another key: not raced
  CHECK_FALSE(c.lookup(kKey, 20, rx.delivered()));
  CHECK(c.lookup(twopc::account_key(8), 20, rx.delivered()) == 900u);
  // A read started after the invalidation fills; one not cacheable does not.
  c.read_started(4, kKey);
  CHECK_FALSE(c.read_answered(4, 600, false));
  c.read_started(5, kKey);
  CHECK(c.read_answered(5, 600, true));
  CHECK(c.lookup(kKey, 20, rx.delivered()) == 600u);
  CHECK(c.counters().fill_refused == 2);
}

TEST_CASE("billing cache: a core's new epoch or a refused invalidation flushes everything", "[billing_cache]") {
  BillingCache c = make();
  FakeReceiver rx;
  sync_both(c, 10);
  fill(c, 1, kKey, 500);
  c.read_started(2, twopc::number_key(254700000001));
  CHECK(c.sync(kCoreA, CacheSync{0, 0, 0, 5}) == 0);  // an older answer changes nothing
  CHECK(c.size() == 1);
  CHECK(c.sync(kCoreA, CacheSync{1, 0, 0, 20}) == 1);  // core A restarted
  CHECK(c.size() == 0);
  CHECK_FALSE(c.read_answered(2, 4, true));  // was on its way across the flush
  fill(c, 3, kKey, 500);
  CHECK(c.sync(kCoreA, CacheSync{0, 0, 0, 30}) == 0);  // a late answer of the old epoch
  CHECK(c.size() == 1);
  CHECK(c.sync(kCoreB, CacheSync{0, 0, 1, 30}) == 1);  // core B's msgq refused one
  CHECK(c.size() == 0);
  CHECK(c.counters().flushed == 2);
}

TEST_CASE("billing cache: bounded, the oldest fill evicted first", "[billing_cache]") {
  BillingCache c(2, kBound, {kCoreA}, 2);
  FakeReceiver rx;
  c.sync(kCoreA, CacheSync{0, 0, 0, 10});
  fill(c, 1, 1, 10);
  fill(c, 2, 2, 20);
  fill(c, 3, 3, 30);
  CHECK(c.size() == 2);
  CHECK(c.counters().evicted == 1);
  CHECK_FALSE(c.lookup(1, 20, rx.delivered()));
  CHECK(c.lookup(3, 20, rx.delivered()) == 30u);
  c.read_started(4, 1);
  c.read_started(5, 2);
  c.read_started(6, 3);  // beyond reads_max: untracked, fills nothing
  CHECK_FALSE(c.read_answered(6, 31, true));
  CHECK(c.counters().untracked == 1);
}

// ---------------------------------------------------------------- checker

namespace {
constexpr uint32_t kEdge = 0, kCloud1 = 1, kCloud2 = 2;
constexpr uint64_t kC1 = 11;

Record rec(int64_t t_ns, sim::RecordType type, uint16_t code, uint32_t node, uint64_t a, uint64_t b,
           uint32_t peer = 0, uint32_t kind = 0) {
  return Record{t_ns, type, code, node, peer, kind, a, b};
}
uint16_t committed() { return static_cast<uint16_t>(twopc::ParticipantEvent::kCommitted); }
Record served(int64_t t_ns, uint64_t subscriber, uint64_t value) {
  return rec(t_ns, tiers::kRecordBillingCache, static_cast<uint16_t>(tiers::CacheEvent::kServed), kEdge, subscriber,
             value, 0, 1);
}

// Subscriber 1 holds 1000 and pays 300 (client kC1); cloud-1 commits it at
// 100, cloud-2 at `second_ns`.
std::vector<Record> history(int64_t second_ns) {
  std::vector<Record> h;
  h.push_back(rec(0, tiers::kRecordBillingAccount, 0, 0, 1, 1000));
  h.push_back(rec(0, tiers::kRecordBillingNumber, 0, 0, 254700000000, 1));
  h.push_back(rec(1, tiers::kRecordBillingOp, 0 /* debit */, kEdge, kC1, 300, 1, 0));
  h.push_back(rec(100, twopc::kRecordParticipant, committed(), kCloud1, 0x100, kC1));
  h.push_back(rec(second_ns, twopc::kRecordParticipant, committed(), kCloud2, 0x100, kC1));
  h.push_back(rec(second_ns, twopc::kRecordParticipant, committed(), kEdge, 0x100, kC1));  // not a replica
  return h;
}

// The checker's verdict (the checker itself holds accounted memory and is not copied).
struct Verdict {
  uint64_t violations_ = 0;
  uint64_t checked_ = 0;
  std::string detail_;
  uint64_t violations() const { return violations_; }
  uint64_t checked() const { return checked_; }
  const std::string& detail() const { return detail_; }
};

Verdict judge(std::vector<Record> h) {
  check::BillingCacheChecker c({"edge-1", "cloud-1", "cloud-2"}, {false, true, true}, kBound);
  std::sort(h.begin(), h.end(), [](const Record& x, const Record& y) { return x.time_ns < y.time_ns; });
  for (const Record& r : h) c.offer(r);
  c.finish();
  return {c.violations(), c.checked(), c.detail()};
}
}  // namespace

TEST_CASE("billing cache checker: fresh values pass, a value superseded beyond the bound fails", "[billing_cache]") {
  std::vector<Record> h = history(200);
  h.push_back(served(150, 1, 1000));          // cloud-2 still holds 1000
  h.push_back(served(200 + kBound, 1, 1000));  // held until 200: exactly the bound
  h.push_back(served(300, 1, 700));            // the new value
  const Verdict ok = judge(h);
  CHECK(ok.violations() == 0);
  CHECK(ok.checked() == 3);
  INFO(ok.detail());
  CHECK(ok.detail().find("3 reads") != std::string::npos);

  std::vector<Record> stale = history(200);
  stale.push_back(served(201 + kBound, 1, 1000));  // every replica moved on more than the bound before
  const Verdict bad = judge(stale);
  CHECK(bad.violations() == 1);
  INFO(bad.detail());
  CHECK(bad.detail().find("edge-1 served subscriber 1's balance as 1000") != std::string::npos);

  std::vector<Record> never = history(200);
  never.push_back(served(150, 1, 4242));  // no replica ever held it
  CHECK(judge(never).violations() == 1);
  CHECK(judge(never).detail().find("no cloud replica ever had it") != std::string::npos);
}

TEST_CASE("billing cache checker: a replayed commit moves nothing, nothing served is vacuous", "[billing_cache]") {
  std::vector<Record> h = history(200);
  h.push_back(rec(500, twopc::kRecordParticipant, committed(), kCloud1, 0x100, kC1));  // replay after a restart
  h.push_back(served(600, 1, 700));
  CHECK(judge(h).violations() == 0);
  const Verdict none = judge(history(200));
  CHECK(none.checked() == 0);
  CHECK(none.violations() == 0);
}

}  // namespace test_billing_cache
