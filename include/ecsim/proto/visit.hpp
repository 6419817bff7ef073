// Small helpers every protocol uses: an overload set for std::visit over a
// protocol's message variant, and the decimal width of a number (for wire
// sizes under the JSON-RPC encoding, counted without building text).
#pragma once
#include <cstdint>

namespace ecsim::proto {

template <class... Fs>
struct Overloaded : Fs... {
  using Fs::operator()...;
};
template <class... Fs>
Overloaded(Fs...) -> Overloaded<Fs...>;

constexpr uint32_t decimal_digits(uint64_t v) {
  uint32_t n = 1;
  while (v >= 10) {
    v /= 10;
    ++n;
  }
  return n;
}

}  // namespace ecsim::proto
