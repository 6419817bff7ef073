#include "ecsim/sim/time.hpp"

#include <array>
#include <cstdlib>

#include <fmt/format.h>

#include "ecsim/sim/assert.hpp"

namespace ecsim::sim {

namespace {

struct Unit {
  std::string_view name;
  int64_t ns;
};
// Longest names first so "ms" is not read as "m" followed by junk.
constexpr std::array<Unit, 7> kUnits{{{"ns", 1},
                                      {"us", 1000},
                                      {"\xc2\xb5s", 1000},
                                      {"ms", 1000000},
                                      {"s", 1000000000},
                                      {"m", 60LL * 1000000000},
                                      {"h", 3600LL * 1000000000}}};

bool fail(std::string* why, std::string msg) {
  if (why) *why = std::move(msg);
  return false;
}

}  // namespace

std::optional<Duration> parse_duration(std::string_view text, std::string* why) {
  size_t i = 0;
  int64_t whole = 0;
  int digits = 0;
  constexpr int64_t kWholeMax = INT64_MAX / 10;
  while (i < text.size() && text[i] >= '0' && text[i] <= '9') {
    if (whole > kWholeMax / 10) {
      fail(why, "duration too large");
      return std::nullopt;
    }
    whole = whole * 10 + (text[i] - '0');
    ++i;
    ++digits;
  }
  int64_t frac = 0;
  int64_t frac_scale = 1;
  if (i < text.size() && text[i] == '.') {
    ++i;
    int frac_digits = 0;
    while (i < text.size() && text[i] >= '0' && text[i] <= '9') {
      if (frac_digits < 18) {
        frac = frac * 10 + (text[i] - '0');
        frac_scale *= 10;
      } else if (text[i] != '0') {
        fail(why, "too many decimal places");
        return std::nullopt;
      }
      ++i;
      ++frac_digits;
    }
    if (frac_digits == 0) {
      fail(why, "expected digits after '.'");
      return std::nullopt;
    }
    digits += frac_digits;
  }
  if (digits == 0) {
    fail(why, text.size() > 0 && text[0] == '-' ? "durations cannot be negative"
                                                 : "expected a number followed by a unit");
    return std::nullopt;
  }
  std::string_view unit = text.substr(i);
  for (const Unit& u : kUnits) {
    if (unit != u.name) continue;
    // frac / frac_scale of a unit, exactly: refuse what is finer than 1 ns.
    const __int128 frac_ns = static_cast<__int128>(frac) * u.ns;
    if (frac_ns % frac_scale != 0) {
      fail(why, "duration is not a whole number of nanoseconds");
      return std::nullopt;
    }
    // In 128 bits: the whole part may fit in int64 and the sum not
    // ("9223372036.854775808s"), which wrapped negative.
    const __int128 total = static_cast<__int128>(whole) * u.ns + frac_ns / frac_scale;
    if (total > INT64_MAX) {
      fail(why, "duration too large");
      return std::nullopt;
    }
    return Duration{static_cast<int64_t>(total)};
  }
  fail(why, unit.empty() ? "missing unit (ns, us, ms, s, m, h)"
                         : fmt::format("unknown unit '{}' (ns, us, ms, s, m, h)", unit));
  return std::nullopt;
}

std::string format_duration(Duration d) {
  if (d.ns == 0) return "0s";
  std::string sign = d.ns < 0 ? "-" : "";
  // INT64_MIN has no positive twin; durations that large never occur in a run.
  ECSIM_ASSERT(d.ns != INT64_MIN);
  int64_t v = d.ns < 0 ? -d.ns : d.ns;
  struct U {
    const char* name;
    int64_t ns;
    int decimals;  // digits of the unit that are still whole nanoseconds
  };
  constexpr U units[] = {{"s", 1000000000, 9}, {"ms", 1000000, 6}, {"us", 1000, 3}};
  // The largest unit not above the value, with as many decimals as needed
  // and no more: exact, and still readable ("1.363145053s", "20.971519ms").
  for (const U& u : units) {
    if (v < u.ns) continue;
    const int64_t whole = v / u.ns;
    const int64_t rest = v % u.ns;
    if (rest == 0) return fmt::format("{}{}{}", sign, whole, u.name);
    std::string frac = fmt::format("{:0{}d}", rest, u.decimals);
    while (frac.back() == '0') frac.pop_back();
    return fmt::format("{}{}.{}{}", sign, whole, frac, u.name);
  }
  return fmt::format("{}{}ns", sign, v);
}

}  // namespace ecsim::sim
