// The swarm fault generator (FoundationDB's and VOPR's swarm testing): each
// seed gets its own random mix of faults, drawn from the scenario's nodes
// and a fault vocabulary -- crashes (each restarted after a while), one node
// or one tier cut off, drop, delay, duplicate and reorder bursts between
// tiers, and on three-tier runs a byzantine edge node -- at random times.
// Every fault ends before the last part of the run, so quiescence-judged
// invariants (convergence) have a quiet end to judge. When the scenario asks
// for an invariant that judges a cloud replica's restart (durability,
// catch_up), two seeds in three also crash a cloud node, so the sweep's
// "judged on at least half the seeds" rule can hold. Every other seed of a
// three-tier run also crashes one node at a protocol point its tier reaches
// (a small nth, usually restarted after a while). The mix is returned
// as YAML flow maps, exactly as a scenario's `faults` list would hold them,
// so a failing seed's mix replays through the loader like any scenario.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "ecsim/scenario/scenario.hpp"

namespace ecsim::fault {

struct SwarmLimits {
  uint32_t faults_max = 6;  // 1..faults_max faults per seed
  // Faults begin after this share of the run and end before the last
  // `quiet` of it (at least the scenario's quiescence plus the messaging
  // resend timeout plus 3 s).
  uint32_t start_permille = 100;
  uint32_t quiet_permille = 200;
};

// The fault mix of `seed` for `sc` (its topology, duration and workloads),
// sorted by time; the same seed gives the same mix. May be empty when the
// run is too short to hold a fault (under about 5 s).
std::vector<std::string> swarm_faults(const scenario::Scenario& sc, uint64_t seed, const SwarmLimits& limits = {});

// "" when swarm_faults can draw a fault into `sc`; else why not (`run
// --swarm` and `sweep --swarm` refuse such a scenario: every seed would
// inject nothing and pass, 200 of 200 for a 12 s run before 2026-12-07).
std::string swarm_no_room(const scenario::Scenario& sc, const SwarmLimits& limits = {});

}  // namespace ecsim::fault
