// Exact decimals and the loader's scalar readers: durations, probabilities,
// ratios, rates, sizes, integers and node selectors, each range checked.
#include "loader_impl.hpp"

#include <map>

namespace ecsim::scenario::loading {

namespace {

// The range of node names in the topology, for an unknown node: only the tier
// the name seems to aim at when its prefix names one.
std::string topology_summary(const Topology& t, std::string_view selector) {
  std::vector<std::string> parts;
  for (Tier tier : {Tier::kEdge, Tier::kCore, Tier::kCloud}) {
    const std::string prefix = fmt::format("{}-", tier_name(tier));
    if (selector.substr(0, prefix.size()) == prefix) {
      return fmt::format("{}1..{}{}", prefix, prefix, t.count(tier));
    }
    parts.push_back(fmt::format("{}1..{}{}", prefix, prefix, t.count(tier)));
  }
  return fmt::format("{}, {}, {}", parts[0], parts[1], parts[2]);
}

}  // namespace

// ---------------------------------------------------------------------------
// Exact decimal arithmetic: probabilities, ratios and rates are converted
// without binary floating point, so "0.0005" is exactly 500 ppm everywhere.

// round(value * 10^scale) for a non-negative decimal like "12", "0.5", "1e-3",
// half away from zero; nullopt when malformed or above 10^18. `rounded`, when
// given, is set to how the written value compares with the result: -1 below
// (rounded up), 0 exact, 1 above (rounded down), so that a range check at a
// bound can refuse what lies beyond it by less than the scale.
std::optional<uint64_t> parse_scaled_decimal(std::string_view text, int scale, int* rounded) {
  if (rounded != nullptr) *rounded = 0;
  using U128 = unsigned __int128;
  constexpr uint64_t kResultMax = 1000000000000000000ULL;
  U128 mantissa = 0;
  int exponent = 0;
  size_t i = 0;
  int digits = 0;
  bool dot = false;
  for (; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '.' && !dot) {
      dot = true;
      continue;
    }
    if (c < '0' || c > '9') break;
    if (++digits > 30) return std::nullopt;
    mantissa = mantissa * 10 + static_cast<unsigned>(c - '0');
    if (dot) --exponent;
  }
  if (digits == 0) return std::nullopt;
  if (i < text.size() && (text[i] == 'e' || text[i] == 'E')) {
    ++i;
    const bool negative = i < text.size() && text[i] == '-';
    if (i < text.size() && (text[i] == '-' || text[i] == '+')) ++i;
    int e = 0;
    const size_t start = i;
    for (; i < text.size() && text[i] >= '0' && text[i] <= '9' && i - start < 3; ++i) {
      e = e * 10 + (text[i] - '0');
    }
    if (i == start) return std::nullopt;
    exponent += negative ? -e : e;
  }
  if (i != text.size()) return std::nullopt;
  int shift = exponent + scale;
  if (mantissa == 0) return 0;
  for (; shift > 0; --shift) {
    mantissa *= 10;
    if (mantissa > kResultMax) return std::nullopt;
  }
  if (shift < -38) {  // below 10^-38 of a unit: rounds to zero.
    if (rounded != nullptr) *rounded = 1;
    return 0;
  }
  U128 divisor = 1;
  for (; shift < 0; ++shift) divisor *= 10;
  const U128 result = (mantissa + divisor / 2) / divisor;
  if (result > kResultMax) return std::nullopt;
  if (rounded != nullptr && result * divisor != mantissa) *rounded = result * divisor < mantissa ? 1 : -1;
  return static_cast<uint64_t>(result);
}

std::optional<uint64_t> parse_uint(std::string_view text) {
  if (text.empty() || text.size() > 20) return std::nullopt;
  unsigned __int128 value = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return std::nullopt;
    value = value * 10 + static_cast<unsigned>(c - '0');
  }
  if (value > UINT64_MAX) return std::nullopt;
  return static_cast<uint64_t>(value);
}

// ---------------------------------------------------------------------------
// Scalars.

const std::string& Loader::scalar(const Field& f, std::string_view expected) const {
  if (!f.node.IsScalar()) fail_value(f, expected);
  return f.node.Scalar();
}

std::string Loader::string_value(const Field& f) const { return scalar(f, "a string"); }

// A number or a boolean is written plain: "7" and "true" in quotes are
// strings (YAML 1.2), which the loader took for the number and the boolean.
// yaml-cpp tags a quoted scalar "!", a plain one "?".
const std::string& Loader::plain_scalar(const Field& f, std::string_view expected) const {
  const std::string& text = scalar(f, expected);
  if (f.node.Tag() == "!") fail_value(f, fmt::format("{}, unquoted (in quotes it is a string)", expected));
  return text;
}

int64_t Loader::int_in(const Field& f, int64_t lo, int64_t hi) const {
  const std::string expected = fmt::format("an integer {}..{}", lo, hi);
  const std::optional<uint64_t> v = parse_uint(plain_scalar(f, expected));
  if (!v || *v < static_cast<uint64_t>(lo) || *v > static_cast<uint64_t>(hi))
    fail_value(f, expected);
  return static_cast<int64_t>(*v);
}

uint64_t Loader::uint_value(const Field& f) const {
  constexpr const char* kExpected = "an integer 0..18446744073709551615";
  const std::optional<uint64_t> v = parse_uint(plain_scalar(f, kExpected));
  if (!v) fail_value(f, kExpected);
  return *v;
}

// YAML 1.2 core booleans only: "yes"/"on" are YAML 1.1 and read differently
// by different tools, so they are refused rather than guessed.
bool Loader::bool_value(const Field& f) const {
  const std::string& text = plain_scalar(f, "true or false");
  if (text == "true") return true;
  if (text == "false") return false;
  fail_value(f, "true or false");
}

Duration Loader::duration(const Field& f) const {
  const std::string& text = scalar(f, kDurationExpected);
  std::string why;
  const std::optional<Duration> d = sim::parse_duration(text, &why);
  if (d) return *d;
  // The unit list in parse_duration's reason repeats the expectation; keep the
  // message on one short line (the largest duration, though, is news).
  if (const size_t paren = why.find(" (ns,"); paren != std::string::npos) why.resize(paren);
  fail_value(f, kDurationExpected, why);
}

// A bound in a message: whole hours and minutes as such ("24h", not "86400s").
std::string bound(Duration d) {
  constexpr int64_t kMinute = sim::seconds(60).ns;
  if (d.ns > 0 && d.ns % (60 * kMinute) == 0) return fmt::format("{}h", d.ns / (60 * kMinute));
  if (d.ns > 0 && d.ns % kMinute == 0) return fmt::format("{}m", d.ns / kMinute);
  return sim::format_duration(d);
}

Duration Loader::duration_in(const Field& f, Duration lo, bool lo_inclusive, Duration hi) const {
  const Duration d = duration(f);
  if ((lo_inclusive ? d >= lo : d > lo) && d <= hi) return d;
  fail_value(f, fmt::format("a duration {} {} and at most {}", lo_inclusive ? "from" : "above",
                            bound(lo), bound(hi)));
}

// "0.001", "1", "1e-3" or "30%", to parts per million rounded to nearest.
// A value above 0 that rounds to 0 is refused: it would be the 0 that was
// not written (1e-400 or 0.0000001 made a drop window that drops nothing);
// likewise one above 1 that rounds to 1.
uint32_t Loader::probability_ppm(const Field& f) const {
  std::string_view text = scalar(f, kProbabilityExpected);
  const bool percent = !text.empty() && text.back() == '%';
  if (percent) text.remove_suffix(1);
  int rounded = 0;
  const std::optional<uint64_t> ppm = parse_scaled_decimal(text, percent ? 4 : 6, &rounded);
  // Nor one above 1 that rounds to 1 (1.0000004).
  if (!ppm || *ppm > net::kPpmOne || (*ppm == net::kPpmOne && rounded > 0)) fail_value(f, kProbabilityExpected);
  if (*ppm == 0 && rounded > 0) {
    fail_value(f, "a probability 0..1 like 0.001 or '30%', in millionths: above 0, at least 0.0000005 (which rounds "
                  "to one in a million)");
  }
  return static_cast<uint32_t>(*ppm);
}

// A ratio 0..1 such as utilisation_max, or with `positive` above 0 (a
// minimum such as served_ratio_min: 0 could never fail; compared to 10^-12 in
// run/judge.cpp, so what rounds to 0 is 0): computed from an exact integer
// count of 10^-12 so the double is the one nearest to what was written.
double Loader::ratio(const Field& f, bool positive) const {
  const char* expected = positive
                             ? "a ratio above 0, at most 1, like 0.999 or '99.9%' (a minimum of 0 could never fail)"
                             : "a ratio 0..1 like 0.999 or '99.9%'";
  std::string_view text = scalar(f, expected);
  const bool percent = !text.empty() && text.back() == '%';
  if (percent) text.remove_suffix(1);
  constexpr uint64_t kOne = 1000000000000ULL;
  int rounded = 0;
  const std::optional<uint64_t> v = parse_scaled_decimal(text, percent ? 10 : 12, &rounded);
  if (!v || (positive && *v == 0) || *v > kOne || (*v == kOne && rounded > 0)) fail_value(f, expected);
  return static_cast<double>(*v) / static_cast<double>(kOne);
}

double Loader::positive_number(const Field& f, double hi) const {
  const std::string expected = fmt::format("a number above 0 and at most {}", hi);
  const std::optional<uint64_t> micro = parse_scaled_decimal(scalar(f, expected), 6);
  const double v = micro ? static_cast<double>(*micro) / 1e6 : 0.0;
  if (!micro || *micro == 0 || v > hi) fail_value(f, expected);
  return v;
}

// A Zipf exponent: 0 (uniform) or 0.01..5, checked on an exact count of
// 10^-12 so the double is the one nearest to what was written.
double Loader::zipf_exponent(const Field& f) const {
  constexpr const char* kExpected = "a number 0 (uniform) or 0.01..5 like 1.1";
  constexpr uint64_t kOne = 1000000000000ULL;
  int rounded = 0;  // beyond a bound by less than 10^-12 is beyond it
  const std::optional<uint64_t> v = parse_scaled_decimal(scalar(f, kExpected), 12, &rounded);
  if (!v || (*v == 0 && rounded != 0) || (*v != 0 && (*v < kOne / 100 || *v > 5 * kOne)) ||
      (*v == kOne / 100 && rounded < 0) || (*v == 5 * kOne && rounded > 0)) {
    fail_value(f, kExpected);
  }
  return static_cast<double>(*v) / static_cast<double>(kOne);
}

// "3000/s" or "120/m": a whole number of events per second.
uint64_t Loader::rate_per_s(const Field& f) const {
  const std::string expected =
      fmt::format("a rate like 3000/s or 120/m, a whole number from 1/s to {}/s", kRatePerSecondMax);
  std::string_view text = scalar(f, expected);
  const size_t slash = text.find('/');
  if (slash == std::string_view::npos) fail_value(f, expected);
  const std::string_view unit = text.substr(slash + 1);
  const std::optional<uint64_t> count = parse_uint(text.substr(0, slash));
  if (!count || *count == 0 || (unit != "s" && unit != "m")) fail_value(f, expected);
  if (unit == "m" && *count % 60 != 0) {
    fail_value(f, "a whole number per second like 3000/s",
               fmt::format("{:.3g} per second", static_cast<double>(*count) / 60.0));
  }
  const uint64_t per_s = unit == "m" ? *count / 60 : *count;
  if (per_s > kRatePerSecondMax) fail_value(f, expected);
  return per_s;
}

// "256B", "4KB" (4000), "1KiB" (1024), "1MB", "1MiB", or a plain byte count.
uint32_t Loader::size_bytes(const Field& f) const {
  const std::string expected = "a size 1B..1MiB like 256B, 4KiB or 1MiB";
  std::string_view text = scalar(f, expected);
  size_t digits = 0;
  while (digits < text.size() && text[digits] >= '0' && text[digits] <= '9') ++digits;
  const std::string_view unit = text.substr(digits);
  static const std::map<std::string_view, uint64_t> kUnits{
      {"", 1},       {"B", 1},        {"KB", 1000},    {"kB", 1000},
      {"KiB", 1024}, {"MB", 1000000}, {"MiB", 1 << 20}};
  const auto u = kUnits.find(unit);
  const std::optional<uint64_t> count = parse_uint(text.substr(0, digits));
  if (u == kUnits.end() || !count || *count == 0 || *count > kSizeBytesMax ||
      *count * u->second > kSizeBytesMax) {
    fail_value(f, expected);
  }
  return static_cast<uint32_t>(*count * u->second);
}

// `memory_max`: the CLI's sizes (parse_memory_size), with the field's mark.
uint64_t Loader::memory_size(const Field& f) const {
  const std::string expected = "a size 1MiB..1TiB like 512MiB or 4GiB";
  std::string why;
  const std::optional<uint64_t> bytes = parse_memory_size(scalar(f, expected), why);
  if (!bytes) fail_value(f, expected, why);
  ECSIM_ASSERT(*bytes >= kMemoryMaxMin && *bytes <= kMemoryMaxMax);
  return *bytes;
}

Selector Loader::selector(const Field& f) const {
  const std::string& text = scalar(f, kSelectorExpected);
  if (text.empty()) fail_value(f, kSelectorExpected);
  Selector s{text, to_mark(f.node.Mark())};
  if (nodes_of(s).empty()) {
    const bool glob = text.find_first_of("*?") != std::string::npos;
    fail(f, fmt::format("{} {} (topology has {}), expected {}",
                        glob ? "no node matches" : "unknown node", quote(text),
                        topology_summary(topology_, glob ? "" : text), kSelectorExpected));
  }
  return s;
}

std::vector<Field> Loader::list(const Field& f, std::string_view expected) const {
  if (!f.node.IsSequence()) fail_value(f, expected);
  std::vector<Field> items;
  for (size_t i = 0; i < f.node.size(); ++i) items.push_back(item(f, i, f.node[i]));
  return items;
}

void Loader::between(const Field& f, Selector (&out)[2]) const {
  constexpr const char* kExpected = "a list of two node selectors like [edge, core]";
  const std::vector<Field> items = list(f, kExpected);
  if (items.size() != 2) fail_value(f, kExpected, count(items.size(), "item"));
  out[0] = selector(items[0]);
  out[1] = selector(items[1]);
}

}  // namespace ecsim::scenario::loading

namespace ecsim::scenario {

std::optional<uint64_t> parse_memory_size(std::string_view text, std::string& why) {
  size_t digits = 0;
  while (digits < text.size() && text[digits] >= '0' && text[digits] <= '9') ++digits;
  if (digits == 0 || digits > 15) {
    why = "expected a whole number of bytes with an optional unit, like 512MiB or 4GiB";
    return std::nullopt;
  }
  uint64_t n = 0;
  for (size_t i = 0; i < digits; ++i) n = n * 10 + static_cast<uint64_t>(text[i] - '0');  // < 10^15: no wrap
  const std::string_view unit = text.substr(digits);
  static constexpr std::pair<std::string_view, uint64_t> kUnits[] = {
      {"", 1},          {"B", 1},           {"KB", 1000},       {"kB", 1000},       {"MB", 1000000},
      {"GB", 1000000000}, {"TB", 1000000000000}, {"KiB", uint64_t{1} << 10}, {"MiB", uint64_t{1} << 20},
      {"GiB", uint64_t{1} << 30}, {"TiB", uint64_t{1} << 40}};
  for (const auto& [name, scale] : kUnits) {
    if (unit != name) continue;
    if (n > kMemoryMaxMax / scale || n * scale < kMemoryMaxMin) {
      why = "out of range, expected 1MiB..1TiB";
      return std::nullopt;
    }
    return n * scale;
  }
  why = fmt::format("unknown unit '{}', expected B, KB, MB, GB, TB, KiB, MiB, GiB or TiB", unit);
  return std::nullopt;
}

}  // namespace ecsim::scenario
