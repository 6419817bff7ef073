// What several checkers share (internal to src/check): the wording of their
// violation texts, one definition each so that every checker says a node, a
// time and a span alike, and record types as numbers.
#pragma once
#include <fmt/format.h>

#include <cstdint>
#include <string>
#include <vector>

#include "ecsim/sim/time.hpp"
#include "ecsim/sim/trace.hpp"

namespace ecsim::check::internal {

// A node by its scenario name, or "node<N>" for an id past the names given.
inline std::string node_name(const std::vector<std::string>& names, uint32_t n) {
  return n < names.size() ? names[n] : fmt::format("node{}", n);
}

// A span in seconds to the millisecond: "1.250s".
inline std::string seconds(int64_t ns) { return fmt::format("{:.3f}s", static_cast<double>(ns) / 1e9); }

// A simulated time as the trace dump shows it.
inline std::string at(int64_t ns) { return sim::format_time(sim::Time{ns}); }

// A record type as a number: the protocols' types are not enumerators of
// sim::RecordType, so a switch over the enum would warn about them.
constexpr uint16_t type_number(sim::RecordType t) { return static_cast<uint16_t>(t); }

}  // namespace ecsim::check::internal
