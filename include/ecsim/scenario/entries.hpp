// Adding entries to a scenario's YAML text: the viewer records each action
// as a fault or workload entry and saves the session as a scenario that
// `ecsim run` replays (docs/viewer.md, "Demo tabs").
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "ecsim/sim/time.hpp"

namespace ecsim::scenario {

struct Entry {
  std::string section;  // "faults" or "workload"
  std::string flow;     // the entry as a YAML flow map: "{at: 1s, after_event: 7, crash: edge-1}"
};

// `text` with each entry appended to its section's list (the section made
// when absent) and, when given, `seed` set; comments are not kept. THROWS
// LoadError (one line) when `text` is not a YAML map or an entry is not a
// YAML map.
std::string append_entries(std::string_view text, const std::vector<Entry>& entries, std::optional<uint64_t> seed);

// `text` with its expect.recovers_within fitted to a schedule that appended
// entries changed (docs/scenarios.md, "Recovery"): removed where validate
// would refuse it (recovers_within_refusal), set to `fallback` where it
// would require one (recovers_within_required) and there is none; and
// expect.billing.recovers_within removed where it could not be judged
// (billing_expect_missing); otherwise `text` as it is. THROWS LoadError when a value of `text` does not load
// (`file` labels the message).
std::string fit_recovers_within(std::string_view text, const std::string& file, sim::Duration fallback);

}  // namespace ecsim::scenario
