// A swarm seed's scenario as YAML text: the scenario a sweep started from,
// with its seed set, its fault schedule replaced by the seed's fault mix
// (fault/generator.hpp) and its `expect` cut to the invariants (and
// `quiescence`), since random faults may legitimately break latency,
// throughput and served-ratio figures. `ecsim run` on this text replays the
// swarm seed to the same trace hash.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "ecsim/scenario/scenario.hpp"

namespace ecsim::scenario {

// Who wrote the file, said in its leading comment.
enum class SeedFileMaker { kSwarm, kExplore };

// `faults`: YAML flow maps, one fault each. `origin`: named in the leading
// comment (the file the sweep or exploration ran). THROWS LoadError if
// `sc.text` does not parse (it always does: `sc` was loaded from it).
std::string swarm_scenario_text(const Scenario& sc, uint64_t seed, const std::vector<std::string>& faults,
                                const std::string& origin, SeedFileMaker maker = SeedFileMaker::kSwarm);

}  // namespace ecsim::scenario
