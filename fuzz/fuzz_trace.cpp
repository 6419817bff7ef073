// libFuzzer target: the trace file reader (header, zstd record stream,
// footer), from bytes. Every input is either a valid trace (its records
// re-hash to the footer's hash) or refused with one TraceFileError line; a
// crash, a sanitizer report or another exception is a bug.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "ecsim/sim/assert.hpp"
#include "ecsim/sim/trace_file.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  try {
    uint64_t visited = 0;
    int64_t last_time_ns = 0;
    const ecsim::sim::TraceFileInfo info =
        ecsim::sim::read_trace_bytes(bytes, "fuzz.trace", [&](const ecsim::sim::Record& r) {
          ++visited;
          last_time_ns = r.time_ns;  // touch the record: it must be readable memory
        });
    ECSIM_ASSERT(info.record_count == visited);
    ECSIM_ASSERT(info.header_json.size() <= bytes.size());
    (void)last_time_ns;
  } catch (const ecsim::sim::TraceFileError& e) {
    const std::string_view line = e.what();
    ECSIM_ASSERT(line.rfind("fuzz.trace: ", 0) == 0);
    ECSIM_ASSERT(line.find('\n') == std::string_view::npos);
  }
  return 0;
}
