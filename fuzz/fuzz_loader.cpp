// libFuzzer target: the scenario loader, from bytes. Whatever the input, the
// loader must either return a Scenario or throw LoadError (one line, which
// the CLI prints with exit 2); a crash, an ASan or UBSan report, an
// ECSIM_ASSERT abort, a hang or any other exception is a bug.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "ecsim/scenario/loader.hpp"
#include "ecsim/sim/assert.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  try {
    const ecsim::scenario::Scenario sc = ecsim::scenario::load_scenario_text(text, "fuzz.yaml");
    // What the loader promises about every Scenario it returns.
    ECSIM_ASSERT(!sc.name.empty());
    ECSIM_ASSERT(sc.duration.ns > 0);
    for (const ecsim::scenario::Fault& f : sc.faults) {
      ECSIM_ASSERT(f.at.ns >= 0);
      ECSIM_ASSERT(!f.for_duration || f.for_duration->ns > 0);
    }
  } catch (const ecsim::scenario::LoadError& e) {
    // The CLI prints this as the one line of its error: it must be one line.
    const std::string_view line = e.what();
    ECSIM_ASSERT(!line.empty());
    ECSIM_ASSERT(line.find('\n') == std::string_view::npos);
    ECSIM_ASSERT(line.rfind("fuzz.yaml:", 0) == 0);
  }
  return 0;
}
