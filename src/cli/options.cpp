#include "options.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <filesystem>
#include <system_error>

#include "ecsim/proto/points.hpp"
#include "ecsim/scenario/invariants.hpp"
#include "ecsim/sim/assert.hpp"
#include "ecsim/sim/trace_file.hpp"  // read_once_kind

namespace ecsim::cli {

std::optional<uint64_t> parse_decimal_u64(std::string_view text) {
  if (text.empty()) return std::nullopt;
  // Leading zeros do not count against the 20 digits of 2^64 - 1.
  while (text.size() > 1 && text.front() == '0') text.remove_prefix(1);
  if (text.size() > 20) return std::nullopt;
  unsigned __int128 value = 0;
  for (const char c : text) {
    if (c < '0' || c > '9') return std::nullopt;
    value = value * 10 + static_cast<unsigned>(c - '0');
  }
  if (value > UINT64_MAX) return std::nullopt;
  return static_cast<uint64_t>(value);
}

CLI::Validator whole_number(uint64_t lo, uint64_t hi) {
  return CLI::Validator(
      [lo, hi](std::string& text) -> std::string {
        const std::optional<uint64_t> v = parse_decimal_u64(text);
        if (v && *v >= lo && *v <= hi) {
          // Handed on without leading zeros: CLI11 reads "010" as octal 8.
          text = std::to_string(*v);
          return {};
        }
        return fmt::format("'{}': expected a whole number {}..{}", text, lo, hi);
      },
      fmt::format("INT in {}..{}", lo, hi));
}

namespace {

// Where writing `path` would land: absolute (a relative path with no
// existing prefix stays relative under weakly_canonical), through symlinks
// whose targets do not exist yet (weakly_canonical leaves those as they are).
std::filesystem::path landing(const std::string& path, std::error_code& e) {
  namespace fs = std::filesystem;
  fs::path p = fs::absolute(path, e);
  if (e) return p;
  for (int hops = 0; hops < 40; ++hops) {
    std::error_code link;  // set for a path not there: then it is no link
    if (!fs::is_symlink(p, link)) break;
    const fs::path target = fs::read_symlink(p, link);
    if (link) break;
    p = target.is_absolute() ? target : p.parent_path() / target;
  }
  return fs::weakly_canonical(p, e);
}

bool same_file(const std::string& a, const std::string& b) {
  namespace fs = std::filesystem;
  std::error_code ea;
  std::error_code eb;
  if (fs::exists(a, ea) && fs::exists(b, eb)) {
    std::error_code e;
    const bool same = fs::equivalent(a, b, e);
    if (!e) return same;
  }
  const fs::path ca = landing(a, ea);
  const fs::path cb = landing(b, eb);
  return !ea && !eb ? ca == cb : fs::path(a).lexically_normal() == fs::path(b).lexically_normal();
}

}  // namespace

void refuse_shared_outputs(const std::vector<NamedPath>& inputs, const std::vector<NamedPath>& outputs) {
  for (size_t i = 0; i < outputs.size(); ++i) {
    const NamedPath& out = outputs[i];
    if (out.path.empty()) continue;
    if (out.path == "-") {
      throw CLI::ValidationError(out.what,
                                 "'-' would be a file named '-' here, not standard output; expected a file name");
    }
    const auto clash = [&](const NamedPath& other) {
      if (other.path.empty() || !same_file(out.path, other.path)) return;
      throw CLI::ValidationError(out.what, fmt::format("'{}' is the file of {} too ('{}'), and writing it would "
                                                       "destroy that; expected another file",
                                                       out.path, other.what, other.path));
    };
    for (const NamedPath& in : inputs) clash(in);
    for (size_t j = 0; j < i; ++j) clash(outputs[j]);
  }
}

proto::Plant checked_plant(const std::string& name, const scenario::Scenario* sc) {
  if (name.empty()) return proto::Plant::kNone;
  const std::optional<proto::Plant> plant = proto::plant_by_name(name);
  if (!plant) {
    std::string known;
    for (const proto::PlantInfo& i : proto::plants()) known += (known.empty() ? "" : ", ") + std::string(i.name);
    throw CLI::ValidationError("--plant", fmt::format("unknown plant '{}', expected one of {}", name, known));
  }
  if (sc == nullptr) return *plant;
  // The three tiers run every protocol but 2PC, which runs beside a billing
  // workload (as run::Result::points_in_scope counts them).
  const std::string_view protocol = proto::point_protocol(name);
  const bool twopc = protocol == "twopc";
  if (sc->requests.empty() || (twopc && sc->billing.empty())) {
    throw CLI::ValidationError(
        "--plant", fmt::format("'{}' is a bug in {}, which this scenario does not run (no {} workload), so it could "
                               "not act; expected a scenario with a {} workload",
                               name, protocol, sc->requests.empty() ? "requests" : "billing",
                               twopc ? "billing" : "requests"));
  }
  const std::string unjudged = plant_verdict_unjudged(proto::plant_info(*plant), *sc);
  if (!unjudged.empty()) {
    const std::string_view verdict = proto::plant_info(*plant).verdict;
    throw CLI::ValidationError("--plant", fmt::format("'{}' is a bug the {} verdict finds, but this scenario {}, so "
                                                      "every run would pass whatever the bug did; expected a scenario "
                                                      "that judges {}",
                                                      name, verdict, unjudged, verdict));
  }
  return *plant;
}

std::string plant_verdict_unjudged(const proto::PlantInfo& plant, const scenario::Scenario& sc) {
  const std::string_view verdict = plant.verdict;
  if (scenario::invariant_by_name(verdict)) {
    const auto& listed = sc.expect.invariants;
    if (std::find(listed.begin(), listed.end(), verdict) != listed.end()) return {};
    // A cloud_direct_write attack has edge_isolation judged, listed or not
    // (run/judge.cpp).
    const bool forged = std::any_of(sc.faults.begin(), sc.faults.end(), [](const scenario::Fault& f) {
      return f.kind == scenario::Fault::Kind::kByzantine && f.strategy == scenario::Fault::Strategy::kCloudDirectWrite;
    });
    if (verdict == "edge_isolation" && forged) return {};
    return "does not list it in expect.invariants";
  }
  if (verdict == "billing.served_ratio_min") {
    return sc.expect.billing.served_ratio_min ? std::string() : "sets no expect.billing.served_ratio_min";
  }
  if (verdict == "billing_cache_freshness") {
    // One billing domain, configured by the first billing workload (run/runner.cpp).
    return !sc.billing.empty() && sc.billing[0].cache_entries > 0 ? std::string()
                                                                   : "has no edge billing cache (the billing workload's cache: { entries })";
  }
  // The other billing_* verdicts are judged in every run with a billing workload.
  ECSIM_ASSERT(verdict.starts_with("billing_") && !sc.billing.empty());
  return {};
}

void refuse_pipe_scenario(const std::string& path, const char* command) {
  const std::string_view kind = sim::read_once_kind(path);
  if (kind.empty()) return;
  throw CLI::ValidationError("scenario", fmt::format("'{}' is {}, and {} reads the scenario again in each child "
                                                     "process; expected a file",
                                                     path, kind, command));
}

CLI::Validator non_empty() {
  return CLI::Validator(
      [](std::string& text) -> std::string {
        return text.empty() ? "an empty value, expected one" : std::string();
      },
      "TEXT");
}

CLI::Validator comma_list() {
  return CLI::Validator(
      [](std::string& text) -> std::string {
        if (text.empty()) return "an empty value, expected one";
        if (text.front() == ',' || text.back() == ',' || text.find(",,") != std::string::npos) {
          return fmt::format("'{}' has an empty entry, expected entries separated by single commas", text);
        }
        return std::string();
      },
      "TEXT[,TEXT...]");
}

std::vector<std::string> split_commas(const std::vector<std::string>& values) {
  std::vector<std::string> out;
  for (const std::string& v : values) {
    size_t from = 0;
    for (size_t comma = v.find(','); comma != std::string::npos; comma = v.find(',', from)) {
      out.push_back(v.substr(from, comma - from));
      from = comma + 1;
    }
    out.push_back(v.substr(from));
  }
  return out;
}

CLI::Validator duration_up_to(sim::Duration hi) {
  return CLI::Validator(
      [hi](std::string& text) -> std::string {
        std::string why;
        const std::optional<sim::Duration> d = sim::parse_duration(text, &why);
        if (!d) return fmt::format("'{}': {}, expected a duration like 5s", text, why);
        if (d->ns <= 0 || *d > hi) {
          return fmt::format("'{}': expected a duration above 0 and at most {}", text, sim::format_duration(hi));
        }
        return {};
      },
      fmt::format("DURATION in (0, {}]", sim::format_duration(hi)));
}

sim::Duration checked_duration(const std::string& text) {
  const std::optional<sim::Duration> d = sim::parse_duration(text);
  ECSIM_ASSERT(d.has_value());
  return *d;
}

}  // namespace ecsim::cli
