#include "ecsim/scenario/loader.hpp"
#include "model/follow.hpp"

#include <algorithm>
#include <charconv>
#include <optional>
#include <system_error>

#include <fmt/format.h>

#include "ecsim/proto/twopc.hpp"
#include "ecsim/sim/assert.hpp"
#include "ecsim/sim/time.hpp"
#include "ecsim/tiers/messages.hpp"
#include "model/timeline.hpp"

namespace ecsim::viz {

namespace twopc = proto::twopc;

bool is_twopc_record(const sim::Record& r) {
  const auto t = static_cast<int>(r.type);
  return t >= 70 && t <= 79;
}

bool names_txn(const sim::Record& r, uint64_t txn) {
  // A WAL record's `a` is a log index, an ignored message's may be a timer tag.
  if (!is_twopc_record(r) || r.type == twopc::kRecordWal || r.type == twopc::kRecordIgnored) return false;
  return txn != 0 && r.a == txn;
}

bool is_log_entry(const sim::Record& r) {
  using CE = twopc::CoordinatorEvent;
  using PE = twopc::ParticipantEvent;
  if (r.type == twopc::kRecordWal) return true;
  if (r.type == twopc::kRecordVote) return r.code == 2;  // a NO is logged (unforced)
  if (r.type == twopc::kRecordCoordinator) {
    const auto e = static_cast<CE>(r.code);
    return e == CE::kStartLogged || e == CE::kDecidedCommit || e == CE::kDecidedAbort || e == CE::kEndLogged;
  }
  if (r.type == twopc::kRecordParticipant) {
    const auto e = static_cast<PE>(r.code);
    return e == PE::kPreparedLogged || e == PE::kCommitted || e == PE::kAborted;
  }
  return false;
}

bool lock_involves(const tiers::LockSnapshot& l, uint64_t txn) {
  if (txn == 0) return false;
  return l.holder == txn || std::find(l.waiters.begin(), l.waiters.end(), txn) != l.waiters.end();
}

uint64_t latest_txn(const Timeline& t, uint64_t scan_max) {
  const uint64_t from = t.cursor() > scan_max ? t.cursor() - scan_max : 0;
  for (uint64_t i = t.cursor(); i-- > from;) {
    const sim::Record& r = t.record(i);
    if (names_txn(r, r.a)) return r.a;
  }
  return 0;
}

const char* follow_names() { return "first, latest, first-commit, first-abort"; }

std::optional<FollowTarget> resolve_follow(Timeline& t, const std::string& value, std::string& why) {
  using CE = twopc::CoordinatorEvent;
  const auto coordinator = [](CE e) {
    return [e](const sim::Record& r) { return r.type == twopc::kRecordCoordinator && r.code == static_cast<uint16_t>(e); };
  };
  uint64_t txn = 0;
  std::optional<uint64_t> named;  // the record that named it, for a name
  const char* none = "no such transaction";
  if (value == "first") {
    named = t.find_first(coordinator(CE::kStartLogged));
    none = "no 2PC transaction started";
  } else if (value == "first-commit") {
    named = t.find_first(coordinator(CE::kDecidedCommit));
    none = "no 2PC transaction committed";
  } else if (value == "first-abort") {
    named = t.find_first(coordinator(CE::kDecidedAbort));
    none = "no 2PC transaction aborted";
  } else if (value == "latest") {
    txn = latest_txn(t, TxnFollow::kScanMax);
    if (txn == 0) {
      why = fmt::format("--follow latest: no 2PC transaction before the cursor ({}); give --at TIME",
                        sim::format_duration(sim::Duration{t.cursor_ns()}));
      return std::nullopt;
    }
  } else {
    const char* end = value.data() + value.size();
    const auto [at, ec] = std::from_chars(value.data(), end, txn);
    if (value.empty() || ec != std::errc() || at != end || txn == 0) {
      why = fmt::format("--follow {}: expected a transaction id or one of {}",
                        scenario::quoted(value), follow_names());
      return std::nullopt;
    }
  }
  if (named) txn = t.record(*named).a;
  if (txn == 0) {
    why = fmt::format("--follow {}: {} in this run", value, none);
    return std::nullopt;
  }
  const std::optional<uint64_t> first = t.find_first([txn](const sim::Record& r) { return names_txn(r, txn); });
  if (!first) {
    why = fmt::format("--follow {}: no 2PC transaction {} in this run", value, txn);
    return std::nullopt;
  }
  ECSIM_ASSERT(names_txn(t.record(*first), txn) && (!named || *first <= *named));
  return FollowTarget{txn, *first};
}

void TxnFollow::update(const Timeline& t, uint64_t txn) {
  const uint64_t lo = t.cursor() > kScanMax ? t.cursor() - kScanMax : 0;
  const uint64_t hi = std::min<uint64_t>(t.collected(), t.cursor() + kScanMax);
  // The same transaction and records, and the cursor still inside the scanned window.
  if (txn == txn_ && t.collected() == collected_ && lo >= lo_ && hi <= hi_) return;
  compute(t, txn, lo, hi);
}

void TxnFollow::compute(const Timeline& t, uint64_t txn, uint64_t lo, uint64_t hi) {
  ECSIM_ASSERT(lo <= hi && hi <= t.collected());
  txn_ = txn;
  collected_ = t.collected();
  lo_ = lo;
  hi_ = hi;
  records_.clear();
  messages_.clear();
  inferred_.clear();
  locks_ = wal_ = inferred_wal_ = 0;
  if (txn == 0) return;
  // Where the transaction's own records were made: (event, node).
  std::set<std::pair<uint64_t, uint32_t>> places;
  uint64_t first = UINT64_MAX, last = 0;
  for (uint64_t i = lo; i < hi; ++i) {
    const sim::Record& r = t.record(i);
    if (!names_txn(r, txn)) continue;
    places.emplace(t.event_of(i), r.node);
    first = std::min(first, i);
    last = i;
  }
  std::vector<uint64_t> ends;
  // A message of the transaction, with its deliver or drop record.
  const auto add_message = [&](uint64_t i, bool inferred) {
    records_.push_back(i);
    messages_.insert(t.record(i).a);
    if (inferred) inferred_.insert(t.record(i).a);
    if (const auto end = t.message_end(i)) ends.push_back(*end);
  };
  if (first != UINT64_MAX) {
    // The events of its first and last records, whole: a send may come
    // before the record that names the transaction in the same handler.
    while (first > lo && t.event_of(first - 1) == t.event_of(first)) --first;
    while (last + 1 < hi && t.event_of(last + 1) == t.event_of(last)) ++last;
  } else {
    first = hi;  // none of its records in the window: no span, only exact attributions
    last = hi;
  }
  for (uint64_t i = first; i <= last && i < hi; ++i) {
    const sim::Record& r = t.record(i);
    if (names_txn(r, txn)) {
      records_.push_back(i);
      if (r.type == twopc::kRecordLock) ++locks_;
      if (is_log_entry(r)) ++wal_;
      continue;
    }
    const bool here = places.count({t.event_of(i), r.node}) != 0;
    if (r.type == twopc::kRecordWal) {
      const auto txns = t.wal_txns(i);
      if (txns ? !std::binary_search(txns->begin(), txns->end(), txn) : !here) continue;
      records_.push_back(i);
      ++wal_;
      if (!txns) ++inferred_wal_;
    } else if (r.type == sim::RecordType::kSend && r.kind == tiers::kKindTwopc) {
      const std::optional<uint64_t> carried = t.message_txn(r.a);
      if (carried ? *carried != txn : !here) continue;
      add_message(i, !carried);
    }
  }
  // Outside the events of its records, only what is attributed exactly:
  // a WAL record may name its entries after its last record or before its
  // first (a truncation that drops them, a replay that reads them), and a
  // message may carry it from an event that names no transaction (a
  // decision resent on a timer, an answer to a status query).
  for (uint64_t i = lo; i < hi; ++i) {
    if (i == first) i = last + 1;  // past the span (none: first == hi)
    if (i >= hi) break;
    const sim::Record& r = t.record(i);
    if (r.type == twopc::kRecordWal) {
      const auto txns = t.wal_txns(i);
      if (!txns || !std::binary_search(txns->begin(), txns->end(), txn)) continue;
      records_.push_back(i);
      ++wal_;
    } else if (r.type == sim::RecordType::kSend && r.kind == tiers::kKindTwopc &&
               t.message_txn(r.a) == txn) {
      add_message(i, false);
    }
  }
  records_.insert(records_.end(), ends.begin(), ends.end());
  std::sort(records_.begin(), records_.end());
  records_.erase(std::unique(records_.begin(), records_.end()), records_.end());
  ECSIM_ASSERT(records_.size() >= messages_.size() && messages_.size() >= inferred_.size());
}

bool TxnFollow::record(uint64_t index) const {
  return std::binary_search(records_.begin(), records_.end(), index);
}

}  // namespace ecsim::viz
