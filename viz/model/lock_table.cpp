#include "model/lock_table.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "ecsim/proto/twopc_participant.hpp"
#include "ecsim/sim/assert.hpp"
#include "model/follow.hpp"
#include "model/timeline.hpp"

namespace ecsim::viz {

LockRows lock_rows(const tiers::NodeSnapshot& s, uint64_t followed) {
  LockRows out;
  out.rows.reserve(s.locks.size());
  for (const tiers::LockSnapshot& l : s.locks) {
    if (lock_involves(l, followed)) out.rows.push_back(&l);
  }
  out.followed = out.rows.size();
  // The snapshot lists its rows by key: the rest keep that order.
  for (const tiers::LockSnapshot& l : s.locks) {
    if (!lock_involves(l, followed)) out.rows.push_back(&l);
  }
  for (const tiers::LockSnapshot& l : s.locks) out.held += l.holder != 0 ? 1 : 0;
  ECSIM_ASSERT(out.rows.size() == s.locks.size() && s.lock_rows >= s.locks.size());
  out.missing = s.lock_rows - s.locks.size();
  return out;
}

TxnLocksAt txn_locks_at(const tiers::NodeSnapshot& s, uint64_t txn) {
  TxnLocksAt out;
  if (txn == 0) return out;
  for (const tiers::LockSnapshot& l : s.locks) {
    if (l.holder == txn) {
      out.held.push_back({l.key, l.holder_state});
    } else if (std::find(l.waiters.begin(), l.waiters.end(), txn) != l.waiters.end()) {
      out.waiting.push_back({l.key, l.holder});
    }
  }
  return out;
}

std::string txn_locks_text(const TxnLocksAt& l) {
  if (l.held.empty() && l.waiting.empty()) return "holds no lock";
  std::string out;
  for (size_t i = 0; i < l.held.size(); ++i) {
    out += fmt::format("{}{} ({})", i == 0 ? "holds " : ", ", lock_key_text(l.held[i].key),
                       txn_state_name(l.held[i].state));
  }
  for (size_t i = 0; i < l.waiting.size(); ++i) {
    const TxnLocksAt::Waiting& w = l.waiting[i];
    out += i == 0 ? (out.empty() ? "waits for " : "; waits for ") : ", ";
    out += w.holder != 0 ? fmt::format("{} (held by txn {})", lock_key_text(w.key), w.holder)
                         : fmt::format("{} (free, behind older waiters)", lock_key_text(w.key));
  }
  return out;
}

std::string lock_key_text(uint64_t key) {
  if ((key & proto::twopc::kNumberKeyBit) != 0)
    return fmt::format("number {}", key & ~proto::twopc::kNumberKeyBit);
  return fmt::format("account {}", key);
}

const char* txn_state_name(uint8_t state) {
  using S = proto::twopc::TxnState;
  switch (static_cast<S>(state)) {
    case S::kWaiting:
      return "waiting";
    case S::kPreparing:
      return "preparing";
    case S::kPrepared:
      return "prepared";
    case S::kDeciding:
      return "deciding";
  }
  return "?";
}

std::vector<uint32_t> lock_nodes(const Timeline& t, const TxnFollow& f) {
  std::vector<uint32_t> out;
  for (const uint64_t i : f.records()) {
    const sim::Record& r = t.record(i);
    if (r.type == proto::twopc::kRecordLock) out.push_back(r.node);
  }
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

}  // namespace ecsim::viz
