#include "ecsim/workload/billing.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "ecsim/sim/assert.hpp"

namespace ecsim::workload {

std::string_view to_string(BillingKind k) {
  switch (k) {
    case BillingKind::kDebit:
      return "debit";
    case BillingKind::kTransfer:
      return "transfer";
    case BillingKind::kTopUp:
      return "top_up";
    case BillingKind::kPort:
      return "port";
    case BillingKind::kBalance:
      return "balance";
    case BillingKind::kNumberOwner:
      return "number_owner";
  }
  return "?";
}

std::string BillingConfig::validate() const {
  if (rate_per_s < 1 || rate_per_s > kRateMax) {
    return fmt::format("rate is {}/s, expected 1/s to {}/s", rate_per_s, kRateMax);
  }
  if (subscribers < 2 || subscribers > kSubscribersMax) {
    return fmt::format("subscribers is {}, expected 2 to {} (a transfer needs two)", subscribers,
                       kSubscribersMax);
  }
  if (numbers_per_subscriber < 1 || numbers_per_subscriber > kNumbersPerSubscriberMax) {
    return fmt::format("numbers is {}, expected 1 to {}", numbers_per_subscriber,
                       kNumbersPerSubscriberMax);
  }
  if (subscribers * numbers_per_subscriber > kNumbersMax) {
    return fmt::format("subscribers times numbers is {}, expected at most {}",
                       subscribers * numbers_per_subscriber, kNumbersMax);
  }
  if (initial_balance < 0 || initial_balance > kBalanceMax) {
    return fmt::format("balance is {}, expected 0 to {}", initial_balance, kBalanceMax);
  }
  if (amount_min < 1 || amount_max < amount_min || amount_max > kBalanceMax) {
    return fmt::format("amount is [{}, {}], expected 1 <= lo <= hi <= {}", amount_min, amount_max,
                       kBalanceMax);
  }
  for (uint32_t w : {mix.debit, mix.transfer, mix.top_up, mix.port, mix.balance, mix.number_owner}) {
    if (w > kWeightMax) {
      return fmt::format("a billing mix weight is {}, expected at most {}", w, kWeightMax);
    }
  }
  if (mix.total() == 0) return "the billing mix has no positive weight";
  return "";
}

std::vector<BillingAccount> initial_accounts(const BillingConfig& config) {
  ECSIM_ASSERT(config.validate().empty());
  std::vector<BillingAccount> out;
  out.reserve(config.subscribers);
  for (uint64_t s = 1; s <= config.subscribers; ++s) out.push_back({s, config.initial_balance});
  return out;
}

std::vector<BillingNumber> initial_numbers(const BillingConfig& config) {
  ECSIM_ASSERT(config.validate().empty());
  std::vector<BillingNumber> out;
  out.reserve(config.subscribers * config.numbers_per_subscriber);
  for (uint64_t s = 1; s <= config.subscribers; ++s) {
    for (uint32_t j = 0; j < config.numbers_per_subscriber; ++j) {
      out.push_back({initial_number(s, j, config.numbers_per_subscriber), s});
    }
  }
  ECSIM_ASSERT(std::is_sorted(out.begin(), out.end(),
                              [](const BillingNumber& a, const BillingNumber& b) { return a.number < b.number; }));
  return out;
}

namespace {
const BillingConfig& checked_billing(const BillingConfig& c) {
  ECSIM_ASSERT(c.validate().empty());
  return c;
}
}  // namespace

BillingGenerator::BillingGenerator(const BillingConfig& config, sim::Rng rng)
    : config_(checked_billing(config)), rng_(rng), mean_gap_ns_(1e9 / static_cast<double>(config.rate_per_s)) {}

sim::Duration BillingGenerator::next_gap() {
  // Rounded at once (DESIGN rule 6); at least 1 ns so arrivals stay ordered.
  const int64_t gap_ns = std::llround(rng_.exponential(mean_gap_ns_));
  ECSIM_ASSERT(gap_ns >= 0);
  return sim::nanoseconds(std::max<int64_t>(1, gap_ns));
}

BillingKind BillingGenerator::draw_kind() {
  const BillingMix& m = config_.mix;
  uint64_t pick = rng_.below(m.total());
  const uint32_t weights[kBillingKinds] = {m.debit, m.transfer, m.top_up, m.port, m.balance, m.number_owner};
  for (int k = 0; k < kBillingKinds; ++k) {
    if (pick < weights[k]) return static_cast<BillingKind>(k);
    pick -= weights[k];
  }
  ECSIM_ASSERT(false && "pick below the total weight always lands on a kind");
  return BillingKind::kDebit;
}

uint64_t BillingGenerator::draw_other(uint64_t subscriber) {
  // An offset in [1, N) around the circle: uniform over the others.
  const uint64_t n = config_.subscribers;
  const uint64_t other = (subscriber - 1 + 1 + rng_.below(n - 1)) % n + 1;
  ECSIM_ASSERT(other != subscriber && other >= 1 && other <= n);
  return other;
}

uint64_t BillingGenerator::believed_owner(uint64_t number) const {
  const uint64_t index = number - kNumberBase;
  ECSIM_ASSERT(index < config_.subscribers * config_.numbers_per_subscriber);
  if (index < ported_to_.size() && ported_to_[index] != 0) return ported_to_[index];
  return index / config_.numbers_per_subscriber + 1;
}

BillingOp BillingGenerator::next_op() {
  BillingOp op;
  op.id = next_id_++;
  op.kind = draw_kind();
  const uint64_t numbers = config_.subscribers * config_.numbers_per_subscriber;
  if (op.kind == BillingKind::kPort || op.kind == BillingKind::kNumberOwner) {
    op.number = kNumberBase + rng_.below(numbers);
    op.subscriber = believed_owner(op.number);
  } else {
    op.subscriber = rng_.below(config_.subscribers) + 1;
  }
  switch (op.kind) {
    case BillingKind::kDebit:
      op.from = op.subscriber;
      break;
    case BillingKind::kTransfer:
      op.from = op.subscriber;
      op.to = draw_other(op.subscriber);
      break;
    case BillingKind::kTopUp:
      op.to = op.subscriber;
      break;
    case BillingKind::kPort: {
      op.from = op.subscriber;
      op.to = draw_other(op.subscriber);
      if (ported_to_.empty()) ported_to_.assign(numbers, 0);
      ported_to_[op.number - kNumberBase] = op.to;
      break;
    }
    case BillingKind::kBalance:
      op.from = op.subscriber;
      break;
    case BillingKind::kNumberOwner:
      break;
  }
  if (op.kind == BillingKind::kDebit || op.kind == BillingKind::kTransfer || op.kind == BillingKind::kTopUp) {
    op.amount = rng_.uniform_int(config_.amount_min, config_.amount_max);
  }
  ECSIM_ASSERT(op.subscriber >= 1 && op.subscriber <= config_.subscribers);
  ECSIM_ASSERT(op.kind != BillingKind::kTransfer || op.from != op.to);
  return op;
}

}  // namespace ecsim::workload
