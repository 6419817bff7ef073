// A billing run with few subscribers and many transactions, so that
// transactions meet at the participants' locks (waits, wait-die NOs) and a
// group commit's sync completes votes of several at once. Shared by the
// viewer's lock-table and follow tests.
#pragma once

namespace ecsim::viz_test {

inline constexpr const char* kContendedBilling = R"(
name: contended-billing
seed: 11
duration: 3s
topology: { edge: 3, core: 2, cloud: 3 }
workload:
  - { kind: requests, rate: 10/s, until: 2500ms }
  - { kind: billing, rate: 150/s, subscribers: 6, balance: 100000, amount: [100, 500], mix: { transfer: 1 }, until: 2500ms }
)";

}  // namespace ecsim::viz_test
