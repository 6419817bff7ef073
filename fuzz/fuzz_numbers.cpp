// libFuzzer target: the number parsers. The input is one literal, given
//  - to sim::parse_duration (scenario durations, --until, --wall-timeout):
//    a parsed duration is never negative and prints back to itself;
//  - to the loader's exact-decimal fields, as a double-quoted YAML scalar
//    placed in a small valid scenario: probabilities, ratios, rates, sizes,
//    integers, seeds and durations. Each either loads, in range, or is
//    refused with one LoadError line.
// A crash, a sanitizer report (UBSan: signed overflow) or a broken property
// is a bug.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <fmt/format.h>

#include "ecsim/scenario/loader.hpp"
#include "ecsim/sim/assert.hpp"
#include "ecsim/sim/time.hpp"

namespace {

using ecsim::scenario::Scenario;

// A YAML double-quoted scalar holding `text`: control bytes as \xNN escapes,
// so they reach the field's parser instead of the loader's byte check.
std::string quoted(std::string_view text) {
  std::string out = "\"";
  for (const char c : text) {
    const auto b = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (b < 0x20 || b == 0x7F) {
      out += fmt::format("\\x{:02x}", b);
    } else {
      out += c;
    }
  }
  return out + "\"";
}

void check_duration(std::string_view text) {
  std::string why;
  const std::optional<ecsim::sim::Duration> d = ecsim::sim::parse_duration(text, &why);
  if (!d) {
    ECSIM_ASSERT(!why.empty());
    return;
  }
  ECSIM_ASSERT(d->ns >= 0);
  const std::string printed = ecsim::sim::format_duration(*d);
  const std::optional<ecsim::sim::Duration> again = ecsim::sim::parse_duration(printed);
  ECSIM_ASSERT(again && *again == *d);
}

// Loads `yaml`; returns the scenario, or nullopt after checking the error line.
std::optional<Scenario> load(const std::string& yaml) {
  try {
    return ecsim::scenario::load_scenario_text(yaml, "fuzz.yaml");
  } catch (const ecsim::scenario::LoadError& e) {
    const std::string_view line = e.what();
    ECSIM_ASSERT(line.rfind("fuzz.yaml:", 0) == 0);
    ECSIM_ASSERT(line.find('\n') == std::string_view::npos);
    return std::nullopt;
  }
}

void check_fields(std::string_view text) {
  const std::string v = quoted(text);
  const std::string ping = "{ kind: ping, from: edge, to: core, rate: 10/s }";
  // The scenario text with the value in one field; each must load or be refused.
  const std::string head = "name: n\nduration: 1s\n";
  if (auto sc = load(fmt::format("name: n\nduration: {}\n", v))) {
    ECSIM_ASSERT(sc->duration.ns > 0);
  }
  if (auto sc = load(fmt::format("{}seed: {}\n", head, v))) (void)sc->seed;
  if (auto sc = load(fmt::format("{}topology: {{ edge: {} }}\n", head, v))) {
    ECSIM_ASSERT(sc->topology.edge >= 1);
  }
  if (auto sc = load(fmt::format("{}network: {{ default: {{ drop: {} }} }}\n", head, v))) {
    ECSIM_ASSERT(*sc->network.defaults.drop_ppm <= 1000000);
  }
  if (auto sc = load(fmt::format("{}workload:\n  - {{ kind: ping, from: edge, to: core, rate: {} }}\n", head, v))) {
    ECSIM_ASSERT(sc->workload.at(0).rate_per_s > 0);
  }
  if (auto sc = load(fmt::format("{}workload:\n  - {{ kind: ping, from: edge, to: core, rate: 1/s, size: {} }}\n",
                                 head, v))) {
    ECSIM_ASSERT(sc->workload.at(0).size_bytes >= 1);
  }
  if (auto sc = load(fmt::format("{}workload:\n  - {}\nexpect: {{ served_ratio_min: {} }}\n", head, ping, v))) {
    ECSIM_ASSERT(*sc->expect.served_ratio_min >= 0.0 && *sc->expect.served_ratio_min <= 1.0);
  }
  if (auto sc = load(fmt::format("{}workload:\n  - {{ kind: requests, rate: 1/s, zipf: {} }}\n", head, v))) {
    ECSIM_ASSERT(sc->requests.at(0).zipf >= 0.0 && sc->requests.at(0).zipf <= 5.0);
  }
  if (auto sc = load(fmt::format("{}network:\n  default: {{ latency: {{ pareto: {{ scale: 1ms, alpha: {} }} }} }}\n",
                                 head, v))) {
    (void)sc;
  }
  if (auto sc = load(fmt::format("{}faults:\n  - {{ at: {}, crash: core-1 }}\n", head, v))) {
    ECSIM_ASSERT(sc->faults.at(0).at.ns >= 0 && sc->faults.at(0).at < ecsim::sim::Time{0} + sc->duration);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size > 256) return 0;  // a literal; longer inputs only slow the search down
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  check_duration(text);
  check_fields(text);
  return 0;
}
