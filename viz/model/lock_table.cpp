#include "model/lock_table.hpp"

#include "ecsim/sim/assert.hpp"
#include "model/follow.hpp"

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

}  // namespace ecsim::viz
