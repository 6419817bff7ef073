#include "ecsim/tiers/billing.hpp"

#include "ecsim/sim/assert.hpp"

namespace ecsim::tiers {

void trace_billing_state(sim::Trace& trace, const workload::BillingConfig& config) {
  ECSIM_ASSERT(config.validate().empty());
  for (const workload::BillingAccount& a : workload::initial_accounts(config)) {
    ECSIM_ASSERT(a.balance >= 0);
    trace.record(sim::Record{0, kRecordBillingAccount, 0, 0, 0, 0, a.subscriber, static_cast<uint64_t>(a.balance)});
  }
  for (const workload::BillingNumber& n : workload::initial_numbers(config)) {
    trace.record(sim::Record{0, kRecordBillingNumber, 0, 0, 0, 0, n.number, n.owner});
  }
}

}  // namespace ecsim::tiers
