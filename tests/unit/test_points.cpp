#include <catch2/catch.hpp>

#include <set>
#include <string>

#include "ecsim/proto/points.hpp"
#include "ecsim/run/runner.hpp"
#include "ecsim/scenario/loader.hpp"

using namespace ecsim;
using proto::Point;

namespace {

uint64_t count(const run::RunResult& r, Point p) { return r.points[static_cast<size_t>(p)]; }

const char* const kThreeTier =
    "name: points\nseed: 5\nduration: 3s\ntopology: { edge: 2, core: 2, cloud: 3 }\n"
    "workload:\n  - { kind: requests, at: edge, rate: 300/s, subscribers: 500,\n"
    "      mix: { session_check: 40, read: 20, write: 30, dsm_set: 10 } }\n";

}  // namespace

TEST_CASE("points: one list, unique dotted names, found by name", "[points]") {
  std::set<std::string> names;
  size_t index = 0;
  for (const proto::PointInfo& p : proto::points()) {
    CHECK(static_cast<size_t>(p.point) == index++);
    CHECK(names.insert(std::string(p.name)).second);
    CHECK(p.name.find('.') != std::string_view::npos);
    CHECK(p.tiers != 0);
    CHECK_FALSE(p.what.empty());
    CHECK(proto::point_by_name(p.name) == p.point);
    CHECK(&proto::point_info(p.point) == &p);
  }
  CHECK(index == proto::kPointCount);
  CHECK(proto::kPointCount >= 8);
  CHECK_FALSE(proto::point_by_name("storage.replica.after_wal_apend"));
}

TEST_CASE("points: a three-tier run counts its reaches, a ping run reaches none", "[points]") {
  const run::RunResult r = run::run_scenario(scenario::load_scenario_text(kThreeTier, "points.yaml"), {});
  CHECK(count(r, Point::kStorageReplicaAfterWalAppend) > 0);
  CHECK(count(r, Point::kStorageReplicaAfterSync) > 0);
  CHECK(count(r, Point::kStorageReplicaBeforeAck) > 0);
  CHECK(count(r, Point::kStorageWriterAfterQuorum) > 0);
  CHECK(count(r, Point::kRpcServerBeforeExecute) > 0);
  CHECK(count(r, Point::kRpcServerAfterExecute) > 0);
  // Every answer of an executed call goes out; retries answered from the
  // cache go out too.
  CHECK(count(r, Point::kRpcServerBeforeRespond) >= count(r, Point::kRpcServerAfterExecute));
  CHECK(count(r, Point::kDsmAfterSet) > 0);
  CHECK(count(r, Point::kMsgqReceiverBeforeAck) == count(r, Point::kMsgqReceiverAfterDeliver));
  CHECK(count(r, Point::kDsmAfterApply) > 0);
  // The counters start again at 0 for each run: the same run counts the same.
  const run::RunResult again = run::run_scenario(scenario::load_scenario_text(kThreeTier, "points.yaml"), {});
  CHECK(again.points == r.points);
  CHECK(again.trace_hash == r.trace_hash);

  const run::RunResult ping = run::run_scenario(
      scenario::load_scenario_text("name: ping\nduration: 1s\nworkload:\n  - { kind: ping, from: edge, to: core, "
                                   "rate: 100/s }\n",
                                   "ping.yaml"),
      {});
  for (const proto::PointInfo& p : proto::points()) {
    INFO(p.name);
    CHECK(count(ping, p.point) == 0);
  }
}
