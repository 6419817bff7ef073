#include "ecsim/check/promises.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "ecsim/proto/rpc.hpp"
#include "ecsim/proto/storage.hpp"
#include "ecsim/sim/time.hpp"
#include "ecsim/tiers/world.hpp"

namespace ecsim::check {

using sim::RecordType;

std::string PromiseChecker::detail(const std::string& summary) const {
  if (violation_count_ == 0) return summary;
  return fmt::format("{} ({} violation{})", violations_.front().what, violation_count_,
                     violation_count_ == 1 ? "" : "s");
}

void PromiseChecker::report(const sim::Record& r, const std::string& what) {
  ++violation_count_;
  if (violations_.size() >= kViolationsMax) return;
  violations_.push_back({r.time_ns, r.node,
                         fmt::format("{} at {}, record #{}: {}", name(r.node), sim::format_time(sim::Time{r.time_ns}),
                                     record_index(), what)});
}

const std::string& PromiseChecker::name(uint32_t n) const {
  static const std::string unknown = "?";
  return n < names_.size() ? names_[n] : unknown;
}

void AckedDurability::on_record(const sim::Record& r) {
  namespace st = proto::storage;
  if (r.type == st::kRecordAck) {
    ++acks_;
    uint64_t& v = promised_[r.node][r.a];
    v = std::max(v, r.b);
  } else if (r.type == RecordType::kRestart) {
    recovering_[r.node].clear();  // its replay follows
  } else if (r.type == st::kRecordRecovered) {
    recovering_[r.node][r.a] = r.b;
  } else if (r.type == st::kRecordWal && r.code == static_cast<uint16_t>(st::WalEvent::kReplayed)) {
    auto rec = recovering_.find(r.node);
    if (rec == recovering_.end()) return;  // a boot, not a restart
    ++recoveries_;
    const auto& promised = promised_[r.node];
    std::vector<std::pair<uint64_t, uint64_t>> in_order;
    in_order.reserve(promised.size());
    promised.for_each([&](uint64_t key, uint64_t counter) { in_order.emplace_back(key, counter); });
    std::sort(in_order.begin(), in_order.end());
    for (const auto& [key, counter] : in_order) {
      ++promises_checked_;
      auto it = rec->second.find(key);
      const uint64_t have = it == rec->second.end() ? 0 : it->second;
      if (have < counter) {
        report(r, fmt::format("acked key {} at version {} before its crash, but its log replay recovered {}",
                              key, counter, have == 0 ? std::string("nothing for it") : fmt::format("version {}", have)));
      }
    }
    recovering_.erase(rec);
  }
}

void AtMostOnce::on_record(const sim::Record& r) {
  namespace rpc = proto::rpc;
  if (r.type == RecordType::kCrash) {
    // Its response cache is gone: a retry may execute again after the restart.
    if (r.node < executed_.size()) {
      executed_count_ -= executed_counts_[r.node];
      executed_counts_[r.node] = 0;
      executed_[r.node].clear();
      account();
    }
    return;
  }
  if (r.type != rpc::kRecordServe) return;
  if (r.code != static_cast<uint16_t>(rpc::ServeOutcome::kExecute)) {
    const bool retry = r.code == static_cast<uint16_t>(rpc::ServeOutcome::kCached) ||
                       r.code == static_cast<uint16_t>(rpc::ServeOutcome::kInProgress);
    retries_ += retry ? 1 : 0;
    return;
  }
  ++executions_;
  if (r.node >= executed_.size()) {
    executed_.resize(size_t{r.node} + 1);
    executed_counts_.resize(size_t{r.node} + 1);
  }
  Calls& executed = executed_[r.node];
  if (executed_count_ >= calls_max_ && !remembered(executed, r.peer, r.a)) {
    ++untracked_;  // not remembered: its second execution could not be seen
    sim::limit_reached(sim::Resource::kAtMostOnceCalls, r.node);
    return;
  }
  const size_t slots_before = executed.slot_count();
  const bool first = remember(executed, r.peer, r.a);
  if (executed.slot_count() != slots_before) account();
  if (first) {
    ++executed_count_;
    ++executed_counts_[r.node];
  } else {
    report(r, fmt::format("executed call {:#x} from {} a second time (a retry must be answered from the response "
                          "cache)",
                          r.a, name(r.peer)));
  }
}

bool AtMostOnce::remember(Calls& calls, uint32_t client, uint64_t id) {
  uint64_t& mask = calls[Chunk{client, id / 64}];
  const uint64_t bit = uint64_t{1} << (id % 64);
  const bool first = (mask & bit) == 0;
  mask |= bit;
  return first;
}

bool AtMostOnce::remembered(const Calls& calls, uint32_t client, uint64_t id) const {
  const uint64_t* mask = calls.find(Chunk{client, id / 64});
  return mask != nullptr && (*mask & (uint64_t{1} << (id % 64))) != 0;
}

void AtMostOnce::account() {
  size_t slots = 0;
  for (const Calls& c : executed_) slots += c.slot_count();
  executed_bytes_.set_bytes(static_cast<int64_t>(slots * Calls::slot_bytes()));
}

void BadTokens::on_record(const sim::Record& r) {
  if (r.type == tiers::kRecordClientEnd) {
    if (!awaiting_end_ || r.a != awaiting_id_) return;
    awaiting_end_ = false;
    // The core row: the edge let the request through to core, whatever
    // came of it (an error, a timeout, a crash on the way).
    if (r.kind == static_cast<uint32_t>(tiers::ServedBy::kCore)) {
      const auto kind = static_cast<workload::BadToken>(awaiting_kind_);
      report(r, fmt::format("request {:#x} for subscriber {} with a {} token was passed on to core (its edge node "
                            "accepted the token)",
                            r.a, awaiting_subscriber_, workload::to_string(kind)));
    }
    return;
  }
  if (r.type != tiers::kRecordClientBadToken) return;
  ++requests_;
  awaiting_end_ = true;
  awaiting_id_ = r.a;
  awaiting_subscriber_ = r.b;
  awaiting_kind_ = r.kind;
  if (r.code == tiers::kBadTokenUnsettled) {
    ++unsettled_;
    return;
  }
  const auto outcome = static_cast<tiers::Outcome>(r.code);
  if (outcome == tiers::Outcome::kRefused) {
    ++refused_;
  } else if (outcome == tiers::Outcome::kFailed) {
    ++failed_;
  } else {
    awaiting_end_ = false;  // one violation is enough for one request
    const auto kind = static_cast<workload::BadToken>(r.kind);
    report(r, fmt::format("request {:#x} for subscriber {} with a {} token was answered ok", r.a, r.b,
                          workload::to_string(kind)));
  }
}


std::span<const sim::RecordType> AckedDurability::record_types() const {
  namespace st = proto::storage;
  static constexpr sim::RecordType kTypes[] = {st::kRecordAck, RecordType::kRestart, st::kRecordRecovered, st::kRecordWal};
  return kTypes;
}

std::span<const sim::RecordType> AtMostOnce::record_types() const {
  static constexpr sim::RecordType kTypes[] = {RecordType::kCrash, proto::rpc::kRecordServe};
  return kTypes;
}

std::span<const sim::RecordType> BadTokens::record_types() const {
  static constexpr sim::RecordType kTypes[] = {tiers::kRecordClientBadToken, tiers::kRecordClientEnd};
  return kTypes;
}

}  // namespace ecsim::check
