// One validation for every way a scenario is made: the YAML loader calls it
// on what it built, and so does run::Run for scenarios built in C++ (tests,
// generators), so whatever passes here, the model can run to a verdict.
// docs/scenarios.md tabulates the ranges below.
#pragma once
#include <cstdint>
#include <string>

#include "ecsim/scenario/scenario.hpp"
#include "ecsim/sim/time.hpp"

namespace ecsim::scenario {

// The documented ranges of a scenario's values (docs/scenarios.md, "Ranges").
// Simulated time never exceeds kScenarioDurationMax: `duration`, `--until`,
// fault times and windows all stay inside it, so no sum of them can wrap.
inline constexpr sim::Duration kScenarioDurationMax = sim::seconds(24 * 3600);
inline constexpr sim::Duration kLatencyMax = sim::seconds(3600);
inline constexpr sim::Duration kTimeoutMax = sim::seconds(3600);
inline constexpr sim::Duration kQuiescenceMax = sim::seconds(3600);
inline constexpr uint64_t kRatePerSecondMax = 1000000;
inline constexpr uint64_t kSizeBytesMax = 1u << 20;
inline constexpr int64_t kSubscribersMax = 10000000;
inline constexpr int64_t kRecordsPerSubscriberMax = 1000;
inline constexpr int64_t kMixWeightMax = 1000000;
inline constexpr int64_t kDsmKeysMax = 65536;
// model.storage.wal_slack: the disk holds 2^24 entries; 2 x keys (2^21) plus
// the slack plus a checkpoint's copy (2^20) stays below it.
inline constexpr int64_t kWalSlackMax = int64_t{1} << 23;
// model.messaging.resend_timeout with `recovery: false` (no backoff).
inline constexpr sim::Duration kResendTimeoutWithoutBackoffMin = sim::milliseconds(1);
// A billing workload (workload/billing.hpp, BillingConfig's limits).
inline constexpr int64_t kBillingSubscribersMax = int64_t{1} << 20;
inline constexpr int64_t kBillingNumbersPerSubscriberMax = 8;
inline constexpr int64_t kBillingNumbersMax = int64_t{1} << 20;
inline constexpr int64_t kBillingBalanceMax = int64_t{1} << 48;
// The edge billing cache (`cache: {entries, staleness_max}` of a billing workload).
inline constexpr int64_t kBillingCacheEntriesMax = int64_t{1} << 20;
inline constexpr int64_t kNthMax = 1000000000000;
inline constexpr size_t kNameBytesMax = 200;
// `memory_max` (and --memory-max): the bytes the model may account for itself.
inline constexpr uint64_t kMemoryMaxMin = uint64_t{1} << 20;
inline constexpr uint64_t kMemoryMaxMax = uint64_t{1} << 40;
// The three-tier model replicates every record on three cloud nodes (2-of-3
// write quorum); a larger cloud tier is groups of three (docs/model.md,
// "Scale"), so a `requests` workload needs a positive multiple of this.
inline constexpr int kCloudNodesForRequests = 3;

// THROWS LoadError, one line: "FILE:LINE:COL: what was wrong, what was
// expected" where the value has a position (it came from YAML), "FILE: ..."
// otherwise (FILE is sc.file, or "<scenario>" when that is empty). Refuses
// every value out of its range and everything the model cannot run: a
// requests workload without exactly three cloud nodes or placed at a core or
// cloud node, a link, ping or fault between a node and itself only, a fault
// on a node that is already down (or up), an expectation with nothing to
// judge.
void validate(const Scenario& sc);

// What is wrong with the topology's size as a whole (more nodes than the
// network holds, or more than kNodesWithClocksMax with vector clocks on and
// a requests workload), or empty. validate() refuses it; the loader asks
// first, to point at the topology's line.
std::string topology_size_problem(const Scenario& sc);

}  // namespace ecsim::scenario
