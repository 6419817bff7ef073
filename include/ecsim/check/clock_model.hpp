// The vector-clock rules as the causality checker knows them, written from
// their definition and sharing no code with proto/vclock (the clocks the
// nodes run, which the checker judges). A clock is the sparse
// net::VectorClock value: (node, counter) pairs, counters > 0, nodes strictly
// ascending; a node missing from it counts 0.
//   local event: the node's own entry goes up by one;
//   send:        the own entry goes up by one, then the clock is attached;
//   receive:     entry-wise max with the attached clock, then the own entry
//                goes up by one.
// a happens before b when every entry of a is at most b's and a != b. The
// traced hash is defined in proto/vclock_records.hpp; traced_hash() computes
// it from that definition.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "ecsim/net/vector_clock.hpp"

namespace ecsim::check::clock_model {

using Clock = net::VectorClock;

// Nodes strictly ascending, every counter > 0.
bool well_formed(const Clock& c);

// The node's own entry goes up by one. REQUIRES: well_formed(c).
void tick(Clock& c, net::NodeId node);
// into[n] = max(into[n], other[n]) for every node n. REQUIRES: both well formed.
void take_max(Clock& into, const Clock& other);
// a happens before b. REQUIRES: both well formed.
bool strictly_before(const Clock& a, const Clock& b);

// XXH3-64 of the canonical encoding (proto/vclock_records.hpp).
uint64_t traced_hash(const Clock& c);

// "{edge-1:3, core-2:1}", with names[node] where known, else the number.
std::string describe(const Clock& c, const std::vector<std::string>& names);

}  // namespace ecsim::check::clock_model
