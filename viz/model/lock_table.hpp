// The Node tab's 2PC lock table in the order it is drawn: the followed
// transaction's rows (it holds the key or waits for it) first, then every
// other row by key -- the whole table, however long (the panel draws only
// the rows in view). No ImGui.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "ecsim/tiers/snapshot.hpp"

namespace ecsim::viz {

struct LockRows {
  std::vector<const tiers::LockSnapshot*> rows;  // into the snapshot
  size_t followed = 0;   // the first `followed` rows are the followed transaction's
  uint64_t held = 0;     // rows with a holder
  uint64_t missing = 0;  // rows of the node's table the snapshot did not list (its locks_max)
};

// REQUIRES: `s` outlives the result. followed = 0: none.
LockRows lock_rows(const tiers::NodeSnapshot& s, uint64_t followed);

// What one node's lock table says about one transaction (the 2PC tab's
// "locks at the cursor"): the keys it holds there, in its state there, and
// the keys it waits for, behind which holder (0: the key is free and it
// waits among other waiters), each by key.
struct TxnLocksAt {
  struct Held {
    uint64_t key = 0;
    uint8_t state = 0;  // proto::twopc::TxnState
  };
  struct Waiting {
    uint64_t key = 0;
    uint64_t holder = 0;
  };
  std::vector<Held> held;
  std::vector<Waiting> waiting;
};
TxnLocksAt txn_locks_at(const tiers::NodeSnapshot& s, uint64_t txn);
// "holds account 5 (prepared); waits for number 7 (held by txn 12)", or
// "holds no lock".
std::string txn_locks_text(const TxnLocksAt& l);
// "account 5", "number 254700000001" (a number key carries kNumberKeyBit).
std::string lock_key_text(uint64_t key);
// "waiting", "preparing", "prepared", "deciding".
const char* txn_state_name(uint8_t state);

class Timeline;
class TxnFollow;
// The nodes where the followed transaction has lock records among the
// records the follow found (its participants that locked), ascending.
std::vector<uint32_t> lock_nodes(const Timeline& t, const TxnFollow& f);

}  // namespace ecsim::viz
