#include "ecsim/sim/assert.hpp"

#include <cstdio>
#include <cstdlib>

namespace ecsim::sim {

AssertContext& assert_context() {
  static AssertContext context;
  return context;
}

void assert_fail(const char* expr, const char* file, int line) {
  const AssertContext& c = assert_context();
  if (c.active && c.now_ns != nullptr) {
    std::fprintf(stderr, "ecsim: assertion failed: %s at %s:%d (seed %llu, simulated time %lld ns)\n",
                 expr, file, line, static_cast<unsigned long long>(c.seed),
                 static_cast<long long>(*c.now_ns));
  } else {
    std::fprintf(stderr, "ecsim: assertion failed: %s at %s:%d\n", expr, file, line);
  }
  std::fflush(stderr);
  std::abort();
}

}  // namespace ecsim::sim
