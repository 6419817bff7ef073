// ECSIM_ASSERT: an assertion that stays on in every build type. A violation
// prints the expression, the source location, and the seed and simulated
// time of the running simulation (when one is registered), then aborts.
#pragma once
#include <cstdint>

namespace ecsim::sim {

// The context printed when an assertion fails. The Simulator registers itself
// here while it runs; one simulation per thread (DESIGN rule 1) and one per
// process in ecsim, so a plain global is enough.
struct AssertContext {
  bool active = false;
  uint64_t seed = 0;
  const int64_t* now_ns = nullptr;
};
AssertContext& assert_context();

[[noreturn]] void assert_fail(const char* expr, const char* file, int line);

}  // namespace ecsim::sim

#define ECSIM_ASSERT(cond)                                                 \
  do {                                                                     \
    if (__builtin_expect(!(cond), 0))                                      \
      ::ecsim::sim::assert_fail(#cond, __FILE__, __LINE__);                \
  } while (0)
