#include "model/follow.hpp"

#include <algorithm>
#include <optional>

#include "ecsim/proto/twopc.hpp"
#include "ecsim/sim/assert.hpp"
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
  if (first == UINT64_MAX) return;
  // The events of its first and last records, whole: a send may come
  // before the record that names the transaction in the same handler.
  while (first > lo && t.event_of(first - 1) == t.event_of(first)) --first;
  while (last + 1 < hi && t.event_of(last + 1) == t.event_of(last)) ++last;
  std::vector<uint64_t> ends;
  for (uint64_t i = first; i <= last; ++i) {
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
      records_.push_back(i);
      messages_.insert(r.a);
      if (!carried) inferred_.insert(r.a);
      if (const auto end = t.message_end(i)) ends.push_back(*end);
    }
  }
  // A WAL record may name its entries after its last record or before its
  // first: a truncation that drops them, a replay that reads them.
  for (uint64_t i = lo; i < hi; ++i) {
    if (i == first) i = last + 1;
    if (i >= hi) break;
    if (t.record(i).type != twopc::kRecordWal) continue;
    const auto txns = t.wal_txns(i);
    if (!txns || !std::binary_search(txns->begin(), txns->end(), txn)) continue;
    records_.push_back(i);
    ++wal_;
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
