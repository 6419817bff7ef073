// The billing domain as the three tiers carry it (issue 11, item 1): its
// initial state, traced at t = 0 so that checkers judge balances, money and
// number ownership from the trace alone (DESIGN: check/ reads trace records
// only), never from the generator's or the participants' memory.
#pragma once
#include <cstdint>

#include "ecsim/sim/trace.hpp"
#include "ecsim/workload/billing.hpp"

namespace ecsim::tiers {

// kRecordBillingAccount: a subscriber's account at t = 0: a = subscriber,
// b = balance in minor units.
inline constexpr auto kRecordBillingAccount = static_cast<sim::RecordType>(80);
// kRecordBillingNumber: a phone number at t = 0: a = number, b = its owner.
inline constexpr auto kRecordBillingNumber = static_cast<sim::RecordType>(81);

// Records the initial state of `config`'s domain at time 0: every account
// in subscriber order, then every number in number order.
// REQUIRES: config.validate() is "".
void trace_billing_state(sim::Trace& trace, const workload::BillingConfig& config);

}  // namespace ecsim::tiers
