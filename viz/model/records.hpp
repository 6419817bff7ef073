// What the viewer makes of a trace record: whether it keeps it, its
// severity in the log (the reference design's colours), whether it is a
// fault, a protocol phase or a failure (for "step to next ..."), and a line
// of text. Pure functions of the record and the node names.
#pragma once
#include <span>
#include <string>
#include <vector>

#include "ecsim/sim/trace.hpp"

namespace ecsim::viz {

// Log severities, lowest first. kDetail is the bulk (sends, deliveries,
// load samples): hidden from the log unless asked for.
enum class Severity : uint8_t { kDetail = 0, kInfo = 1, kSuccess = 2, kWarning = 3, kCritical = 4 };
inline constexpr size_t kSeverities = 5;
const char* severity_name(Severity s);  // "detail", "info", "success", "warning", "critical"

// A failed expectation of the scenario (a verdict that failed, judged when
// the run ends), made by the Timeline itself after the run's last record:
// viewer-side only, never in a trace or its hash. Record numbers 100-109
// are the viewer's (the protocols' are listed in sim/trace.hpp; 110-119
// are taken elsewhere). time_ns = the run's end, node = UINT32_MAX, a = its
// index in Timeline::failed_expectations(). Severity critical.
inline constexpr auto kExpectationFailed = static_cast<sim::RecordType>(100);

// Protocol record numbers the viewer reads (docs/trace-format.md); the
// owning headers define them, the viewer model only reads them.
namespace rt {
constexpr sim::RecordType type(int n) { return static_cast<sim::RecordType>(n); }
inline constexpr sim::RecordType kDsm = type(20), kRpcDone = type(22), kAuthRefused = type(30),
                                 kSuspect = type(34), kClientStart = type(35), kClientEnd = type(36),
                                 kLookup = type(37), kStaleRead = type(38), kRehydration = type(39),
                                 kStorageCatchUp = type(44), kCloudOp = type(66), kBillingEnd = type(83),
                                 kBillingOp = type(85), kAction = type(89);
inline constexpr int kTwopcFirst = 70, kTwopcLast = 79;
}  // namespace rt

// The record types the collector subscribes to.
std::span<const sim::RecordType> collected_types();
// Whether the collector stores the record (some subscribed types are only
// counted into the per-second figures, e.g. a successful client.end).
bool stored(const sim::Record& r);

Severity severity(const sim::Record& r);
bool is_message(const sim::Record& r);  // send, deliver, drop, duplicate
bool is_fault(const sim::Record& r);    // fault, crash, restart, disk loss
bool is_phase(const sim::Record& r);    // a protocol phase: 2PC, rehydration, suspicion, recovery
bool is_failure(const sim::Record& r);  // severity critical
// Where along its link (0 sender, 1 receiver) a message with this drop
// reason (sim::DropReason) died: near the sender when it never left (a
// random loss, a cut link, the network's bound: recorded at its send), near
// the receiver when it arrived to a node that was down or full or over a
// link reset meanwhile (recorded at its arrival), midway otherwise.
float drop_position(uint16_t reason);
// The node a record is mainly about, and the other end (or UINT32_MAX).
uint32_t record_node(const sim::Record& r);
uint32_t record_peer(const sim::Record& r);

// "edge-1 -> core-1 send rpc #123 (89 B)"; `names` by node id.
std::string describe(const sim::Record& r, const std::vector<std::string>& names);
const char* record_label(sim::RecordType t);  // a short name for any type

}  // namespace ecsim::viz
