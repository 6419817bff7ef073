// Simulated time. `Time` is a point and `Duration` a span, both int64
// nanoseconds of simulated time: integer arithmetic only, so every compiler
// and platform computes the same instants (DESIGN rule 2 and 6).
#pragma once
#include <compare>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace ecsim::sim {

struct Duration {
  int64_t ns = 0;
  constexpr auto operator<=>(const Duration&) const = default;
  constexpr Duration operator+(Duration o) const { return {ns + o.ns}; }
  constexpr Duration operator-(Duration o) const { return {ns - o.ns}; }
  constexpr Duration operator*(int64_t k) const { return {ns * k}; }
  constexpr Duration operator/(int64_t k) const { return {ns / k}; }
  constexpr Duration& operator+=(Duration o) { ns += o.ns; return *this; }
};

struct Time {
  int64_t ns = 0;
  constexpr auto operator<=>(const Time&) const = default;
  constexpr Time operator+(Duration d) const { return {ns + d.ns}; }
  constexpr Time operator-(Duration d) const { return {ns - d.ns}; }
  constexpr Duration operator-(Time o) const { return {ns - o.ns}; }
  constexpr Time& operator+=(Duration d) { ns += d.ns; return *this; }
  static constexpr Time max() { return {INT64_MAX}; }
};

// A span of simulated time [from, to).
struct TimeWindow {
  Time from{0};
  Time to{0};
  constexpr bool contains(Time t) const { return from <= t && t < to; }
};

constexpr Duration nanoseconds(int64_t v) { return {v}; }
constexpr Duration microseconds(int64_t v) { return {v * 1000}; }
constexpr Duration milliseconds(int64_t v) { return {v * 1000000}; }
constexpr Duration seconds(int64_t v) { return {v * 1000000000}; }

namespace literals {
constexpr Duration operator""_ns(unsigned long long v) { return {static_cast<int64_t>(v)}; }
constexpr Duration operator""_us(unsigned long long v) { return microseconds(static_cast<int64_t>(v)); }
constexpr Duration operator""_ms(unsigned long long v) { return milliseconds(static_cast<int64_t>(v)); }
constexpr Duration operator""_s(unsigned long long v) { return seconds(static_cast<int64_t>(v)); }
}  // namespace literals

// The longest duration a literal may give: a million hours (about 114
// years). Two such durations add up without wrapping int64 nanoseconds; the
// scenario language and the CLI hold simulated time to far less (24h,
// scenario/validate.hpp).
inline constexpr Duration kDurationLiteralMax = seconds(int64_t{3600} * 1000000);

// Parses a duration literal: a non-negative decimal number followed by a unit
// `ns`, `us` (or `µs`), `ms`, `s`, `m` or `h`, e.g. "250us", "5ms", "1.5s",
// "2m". The value is computed exactly in integers (decimal fractions below
// 1 ns are refused) and is at most kDurationLiteralMax. Returns nullopt and
// sets *why on malformed input.
std::optional<Duration> parse_duration(std::string_view text, std::string* why = nullptr);

// Prints the shortest exact form: "5ms", "1.5s", "250us", "0s", "17ns".
std::string format_duration(Duration d);
inline std::string format_time(Time t) { return format_duration({t.ns}); }

}  // namespace ecsim::sim
