// The billing workload (issue 11, item 1): subscribers with an account
// balance in integer minor units (Ksh cents) and phone numbers, and an
// open-loop generator of billing operations on them. It promises, for one
// BillingConfig and one sim::Rng stream, the same gaps and operations on
// every platform and compiler, drawing only from its own stream.
//
// - The domain is its own key space, apart from the request workload's:
//   billing subscribers are numbered 1..N like request subscribers, but
//   their accounts are placed (cloud group, trace keys) by
//   `billing_key(subscriber)`, which sets a bit no request key has (request
//   keys are below 2^56).
// - Initial state (`initial_accounts`, `initial_numbers`): every subscriber
//   holds `initial_balance` and `numbers_per_subscriber` phone numbers;
//   subscriber s owns the numbers kNumberBase + (s-1)*K + j for j < K.
// - Operations (drawn with the integer weights of `mix`): debit (the
//   subscriber pays an amount), transfer (to another subscriber), top-up (of
//   their own account), port (a number drawn uniformly moves from the owner
//   the generator believes it has, who asks, to another subscriber), and the
//   reads balance and number_owner (of a number drawn uniformly). The subscriber who asks is the one whose token the request
//   carries (RBAC: a subscriber moves only their own money and numbers).
//   Amounts are uniform in [amount_min, amount_max].
// - Port beliefs: the generator remembers the owner it last gave each number
//   to, so its ports follow its own earlier ones; other generators (other
//   edge nodes) do not share that memory, so some ports name a number the
//   subscriber no longer owns, and the participants refuse them (not owner),
//   as a real billing system would.
#pragma once
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "ecsim/sim/rng.hpp"
#include "ecsim/sim/time.hpp"

namespace ecsim::workload {

enum class BillingKind : uint8_t { kDebit, kTransfer, kTopUp, kPort, kBalance, kNumberOwner };
inline constexpr int kBillingKinds = 6;
std::string_view to_string(BillingKind k);
// The operations that change state (run as a transaction); the others are reads.
inline constexpr bool is_billing_write(BillingKind k) {
  return k == BillingKind::kDebit || k == BillingKind::kTransfer || k == BillingKind::kTopUp ||
         k == BillingKind::kPort;
}

// Phone numbers: Kenyan mobile numbers 2547XXXXXXXX.
inline constexpr uint64_t kNumberBase = 254'700'000'000;
// The billing key space: bit 60 set (request keys are subscriber << 16 |
// record, below 2^56).
inline constexpr uint64_t kBillingKeyBit = uint64_t{1} << 60;
inline constexpr uint64_t billing_key(uint64_t subscriber) { return kBillingKeyBit | subscriber; }

// Integer weights of the operations; only their ratios matter.
struct BillingMix {
  uint32_t debit = 0;
  uint32_t transfer = 0;
  uint32_t top_up = 0;
  uint32_t port = 0;
  uint32_t balance = 0;
  uint32_t number_owner = 0;
  uint64_t total() const { return uint64_t{debit} + transfer + top_up + port + balance + number_owner; }
};

struct BillingConfig {
  static constexpr uint64_t kRateMax = 1'000'000;      // per second
  static constexpr uint64_t kSubscribersMax = 1 << 20;  // the participants' account limit
  static constexpr uint32_t kNumbersPerSubscriberMax = 8;
  static constexpr uint64_t kNumbersMax = 1 << 20;      // subscribers * numbers
  static constexpr int64_t kBalanceMax = int64_t{1} << 48;
  static constexpr uint32_t kWeightMax = 1'000'000;

  uint64_t rate_per_s = 100;
  uint64_t subscribers = 1000;
  uint32_t numbers_per_subscriber = 1;
  int64_t initial_balance = 100'000;  // Ksh 1,000.00
  int64_t amount_min = 100;           // Ksh 1.00
  int64_t amount_max = 50'000;        // Ksh 500.00
  BillingMix mix{.debit = 40, .transfer = 30, .top_up = 10, .port = 5, .balance = 10, .number_owner = 5};

  // "" when valid, otherwise the first problem found, in words.
  std::string validate() const;
};

struct BillingAccount {
  uint64_t subscriber = 0;
  int64_t balance = 0;
};
struct BillingNumber {
  uint64_t number = 0;
  uint64_t owner = 0;
};
// The initial state, in subscriber (and number) order. REQUIRES: config valid.
std::vector<BillingAccount> initial_accounts(const BillingConfig& config);
std::vector<BillingNumber> initial_numbers(const BillingConfig& config);
// The j-th number subscriber s starts with. REQUIRES: 1 <= s, j < K.
inline uint64_t initial_number(uint64_t subscriber, uint32_t j, uint32_t per_subscriber) {
  return kNumberBase + (subscriber - 1) * per_subscriber + j;
}

struct BillingOp {
  uint64_t id = 0;  // 1, 2, ... per generator
  BillingKind kind = BillingKind::kDebit;
  uint64_t subscriber = 0;  // who asks (whose token it carries), 1..N
  uint64_t from = 0;        // debit, transfer: pays; port: gives the number away
  uint64_t to = 0;          // transfer: receives; top-up: the subscriber; port: gets the number
  int64_t amount = 0;       // debit, transfer, top-up
  uint64_t number = 0;      // port, number_owner
};

class BillingGenerator {
 public:
  // REQUIRES: config.validate() is "".
  BillingGenerator(const BillingConfig& config, sim::Rng rng);

  sim::Duration next_gap();
  // The next operation; draws, in order: kind, then the subscriber (port and
  // number_owner: the number instead, whose believed owner asks), then the
  // other subscriber (transfer, port), then the amount (debit, transfer, top-up).
  BillingOp next_op();

  const BillingConfig& config() const { return config_; }
  uint64_t generated() const { return next_id_ - 1; }

 private:
  BillingKind draw_kind();
  uint64_t draw_other(uint64_t subscriber);  // uniform over the others
  uint64_t believed_owner(uint64_t number) const;

  BillingConfig config_;
  sim::Rng rng_;
  double mean_gap_ns_;
  uint64_t next_id_ = 1;
  // Per number (index number - kNumberBase), the owner this generator last
  // ported it to; 0: its initial owner. Sized at the first port (at most
  // kNumbersMax entries).
  std::vector<uint64_t> ported_to_;
};

}  // namespace ecsim::workload
