// Range checks for the command line (CLI11 validators). They read the text
// as written, before CLI11 converts it: "--seed -1" must be refused, not
// wrapped to 2^64-1, and a duration must be in range before it is used.
// docs/scenarios.md tabulates the ranges.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <CLI/CLI.hpp>

#include "ecsim/proto/plant.hpp"
#include "ecsim/scenario/scenario.hpp"
#include "ecsim/sim/time.hpp"

namespace ecsim::cli {

// The longest wall-clock limit (`--wall-timeout`, `sweep --timeout`): a week.
inline constexpr sim::Duration kWallTimeoutMax = sim::seconds(7 * 24 * 3600);

// A whole number written in decimal digits only; nullopt when it is not one
// or does not fit in 64 bits.
std::optional<uint64_t> parse_decimal_u64(std::string_view text);

// A file a command reads or writes, named by the flag that gives it ("the
// scenario" for a positional): an empty path is none.
struct NamedPath {
  const char* what;
  std::string path;
};
// Throws CLI::ValidationError when an output names an input or an earlier
// output, by any spelling (a link, ./x, a/../x): writing it would destroy
// the other (`run x.yaml --trace x.yaml` overwrote the scenario), and when
// an output is '-', which would be a file named '-', not standard output.
void refuse_shared_outputs(const std::vector<NamedPath>& inputs, const std::vector<NamedPath>& outputs);
// `--plant NAME` (empty: none) for runs of `sc` (nullptr: random scenarios,
// each drawing its own workloads). Throws CLI::ValidationError for a name
// that is no plant, and for a plant in a protocol `sc` does not run: its
// bug could not act, and every run would pass without a word.
// A plant is refused too when `sc` does not judge the verdict that finds it
// (plant_verdict_unjudged).
proto::Plant checked_plant(const std::string& name, const scenario::Scenario* sc);
// Empty when `sc` judges `plant`'s verdict (an invariant listed in
// expect.invariants, edge_isolation beside a cloud_direct_write attack,
// expect.billing.served_ratio_min set, billing_cache_freshness with an edge
// billing cache, the other billing_* verdicts with a billing workload);
// otherwise what the scenario lacks, as the tail of a sentence ("does not
// list it in expect.invariants"). REQUIRES: `sc` runs the plant's protocol.
std::string plant_verdict_unjudged(const proto::PlantInfo& plant, const scenario::Scenario& sc);

// Throws CLI::ValidationError when the scenario at `path` is a pipe, a
// socket or a character device (`<(...)`, /dev/stdin from a pipe or a
// terminal; sim::read_once_kind): `command` reads the scenario again in
// every child process, and a pipe is empty the second time.
void refuse_pipe_scenario(const std::string& path, const char* command);

// A whole number lo..hi, in decimal digits only; it hands the number on
// without leading zeros (CLI11 would read "010" as octal 8), so give it to
// Option::transform, not Option::check (which hides the change).
CLI::Validator whole_number(uint64_t lo, uint64_t hi);

// Any text but the empty one: `--trace ""` or `--plant ""` must not mean
// "no trace" or "no plant" without a word.
CLI::Validator non_empty();
// A value of one or more comma-separated entries, none of them empty
// ("a,,b", "a," and "," are refused); split_commas splits such values.
CLI::Validator comma_list();
std::vector<std::string> split_commas(const std::vector<std::string>& values);

// A duration literal above 0 and at most `hi`.
CLI::Validator duration_up_to(sim::Duration hi);

// Parses a duration that a duration_up_to check has passed.
sim::Duration checked_duration(const std::string& text);

}  // namespace ecsim::cli
