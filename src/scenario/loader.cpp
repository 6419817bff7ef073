// The scenario loader: YAML text in, a validated Scenario out, or one LoadError
// line "FILE:LINE:COL: what was wrong, what was expected". docs/scenarios.md is
// the reference of the language. The work is done in three passes, each of
// which refuses what the next one must not see:
//   1. the raw bytes: size limit, NUL bytes, control characters, bad UTF-8;
//   2. the parsed tree, walked blind: nesting depth, node count after alias
//      expansion (yaml-cpp shares aliased nodes, so a "billion laughs" file is
//      small in memory but huge to walk) and anchor/alias cycles;
//   3. the schema walk: every key known, every value converted and range
//      checked, every selector resolved; then validate(Scenario), shared with
//      scenarios built in C++, replays the fault schedule to find faults on
//      nodes that are already down (or already up) and refuses what the
//      model cannot run.
// Every yaml-cpp and standard exception is caught here and turned into a line.
// The passes live beside this file: yaml_guard.cpp (passes 1 and 2),
// numbers.cpp (exact decimals and scalars), sections.cpp and faults.cpp (the
// schema walk), expect.cpp (expectations), validate.cpp (validate());
// loader_impl.hpp is what they share.
#include "ecsim/scenario/loader.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <system_error>

#include "loader_impl.hpp"

namespace ecsim::scenario {

namespace loading {

// ---------------------------------------------------------------------------
// Messages.

// A value as it appears in a message: quoted, on one line, not too long.
std::string quote(std::string_view text) {
  size_t cut = text.size();
  size_t shown = 1;  // bytes shown so far, the opening quote included
  for (size_t i = 0; i < text.size(); ++i) {
    if (shown > kShownBytesMax && (static_cast<unsigned char>(text[i]) & 0xC0) != 0x80) {
      cut = i;
      break;
    }
    shown += escaped(text.substr(i, 1)).size();
  }
  std::string out = "'";
  out += escaped(text.substr(0, cut));
  out += cut < text.size() ? "...'" : "'";
  return out;
}

std::string shown(const YAML::Node& node) {
  switch (node.Type()) {
    case YAML::NodeType::Null:
      return "empty";
    case YAML::NodeType::Sequence:
      return node.size() == 0 ? "an empty list" : "a list";
    case YAML::NodeType::Map:
      return node.size() == 0 ? "an empty map" : "a map";
    case YAML::NodeType::Scalar:
      return quote(node.Scalar());
    case YAML::NodeType::Undefined:
      break;
  }
  return "missing";
}

// The closest candidate by optimal-string-alignment distance (a swap of two
// letters counts once), when it is close enough to be a plausible typo.
std::optional<std::string_view> closest(std::string_view word,
                                        const std::vector<std::string_view>& candidates) {
  std::optional<std::string_view> best;
  size_t best_distance = SIZE_MAX;
  for (std::string_view c : candidates) {
    const size_t n = word.size();
    const size_t m = c.size();
    std::vector<std::vector<size_t>> d(n + 1, std::vector<size_t>(m + 1, 0));
    for (size_t i = 0; i <= n; ++i) d[i][0] = i;
    for (size_t j = 0; j <= m; ++j) d[0][j] = j;
    for (size_t i = 1; i <= n; ++i) {
      for (size_t j = 1; j <= m; ++j) {
        const size_t cost = word[i - 1] == c[j - 1] ? 0 : 1;
        d[i][j] = std::min({d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost});
        if (i > 1 && j > 1 && word[i - 1] == c[j - 2] && word[i - 2] == c[j - 1]) {
          d[i][j] = std::min(d[i][j], d[i - 2][j - 2] + 1);
        }
      }
    }
    const size_t threshold = std::clamp<size_t>((m + 1) / 3, 1, 3);
    if (d[n][m] <= threshold && d[n][m] < best_distance) {
      best = c;
      best_distance = d[n][m];
    }
  }
  return best;
}

std::string count(size_t n, std::string_view noun) {
  return fmt::format("{} {}{}", n, noun, n == 1 ? "" : "s");
}

std::string join_names(const std::vector<std::string_view>& names) {
  std::string out;
  for (size_t i = 0; i < names.size(); ++i) {
    out += i == 0 ? "" : i + 1 == names.size() ? " or " : ", ";
    out += names[i];
  }
  return out;
}


Scenario Loader::load(std::string_view text) {
  if (text.size() > kFileBytesMax) {
    fail(Mark{1, 1}, fmt::format("file too large ({} bytes), expected at most {} bytes (4 MiB)",
                                 text.size(), kFileBytesMax));
  }
  if (const auto offset = first_binary_byte(text)) {
    // Where the byte is, as an editor counts: lines from 1, bytes within the line from 1.
    const std::string_view before = text.substr(0, *offset);
    const size_t line_start = before.rfind('\n') == std::string_view::npos ? 0 : before.rfind('\n') + 1;
    const Mark at{1 + static_cast<int>(std::count(before.begin(), before.end(), '\n')),
                  1 + static_cast<int>(*offset - line_start)};
    fail(at, fmt::format("not a text file (byte 0x{:02x} at offset {}), expected YAML",
                         static_cast<unsigned char>(text[*offset]), *offset));
  }
  const Field top{parse_document(text), "scenario", YAML::Mark()};
  const MapView m(*this, top,
                  {"name", "description", "seed", "duration", "topology", "network", "workload",
                   "faults", "expect", "model", "memory_max"});
  Scenario sc;
  sc.file = file_;
  sc.text = std::string(text);
  const Field name = m.require("name", "a string");
  sc.name = string_value(name);
  if (sc.name.empty() || sc.name.size() > kNameBytesMax) {
    fail_value(name, fmt::format("a name of 1..{} bytes", kNameBytesMax));
  }
  // The name heads one-line outputs (`run --quiet`: "PASS  NAME"): a line
  // break or a tab in it would split or fake them.
  if (sc.name.find_first_of("\n\r\t") != std::string::npos) {
    fail_value(name, "a name on one line (no line break or tab)");
  }
  sc.duration = duration_in(m.require("duration", "a duration like 60s"), Duration{0}, false,
                            kScenarioDurationMax);
  if (auto v = m.get("description")) sc.description = string_value(*v);
  if (auto v = m.get("seed")) sc.seed = uint_value(*v);
  if (auto v = m.get("memory_max")) sc.memory_max = memory_size(*v);
  if (auto v = m.get("topology")) sc.topology = topology(*v);
  topology_ = sc.topology;
  if (auto v = m.get("network")) sc.network = network(*v);
  if (auto v = m.get("workload")) {
    for (const Field& w : list(*v, "a list of workloads")) workload_item(w, sc);
  }
  if (auto v = m.get("faults")) {
    for (const Field& f : list(*v, "a list of faults")) sc.faults.push_back(fault(f, sc));
    std::stable_sort(sc.faults.begin(), sc.faults.end(),
                     [](const Fault& a, const Fault& b) { return a.at < b.at; });
  }
  if (auto v = m.get("expect")) sc.expect = expect(*v, sc);
  if (auto v = m.get("model")) sc.model = model(*v, sc);
  if (auto v = m.get("topology")) {
    if (const std::string why = topology_size_problem(sc); !why.empty()) fail(v->key_mark, why);
  }
  // What the schema walk cannot see key by key: node states along the
  // schedule, and what the model cannot run (validate.hpp).
  if (validated_) validate(sc);
  return sc;
}

}  // namespace loading

namespace {

using loading::Loader;
using loading::kFileBytesMax;

Scenario load_guarded(std::string_view text, const std::string& file, bool validated = true) {
  try {
    return Loader(file, validated).load(text);
  } catch (const LoadError&) {
    throw;
  } catch (const YAML::Exception& e) {
    Loader(file).fail(e.mark, fmt::format("YAML error: {}, expected valid YAML", e.msg));
  } catch (const std::exception& e) {
    Loader(file).fail(Mark{1, 1}, fmt::format("internal error while loading ({}), expected a "
                                              "loadable scenario",
                                              e.what()));
  }
}

}  // namespace

Scenario load_scenario_text(std::string_view text, const std::string& file) {
  return load_guarded(text, file);
}

Scenario parse_scenario_text_unvalidated(std::string_view text, const std::string& file) {
  return load_guarded(text, file, false);
}

// POSIX open + fstat rather than an ifstream: the error must name the reason
// (strerror text), a directory must be refused, and a huge file must not be
// read whole before it is refused.
Scenario load_scenario_file(const std::string& path) {
  const auto cannot_read = [&](int err) {
    return LoadError(fmt::format("{}: cannot read: {}", path,
                                 std::error_code(err, std::generic_category()).message()));
  };
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) throw cannot_read(errno);
  std::string text;
  struct stat st {};
  int err = 0;
  if (::fstat(fd, &st) != 0) {
    err = errno;
  } else if (S_ISDIR(st.st_mode)) {
    err = EISDIR;
  } else {
    char buf[65536];
    while (text.size() <= kFileBytesMax) {
      const ssize_t n = ::read(fd, buf, sizeof buf);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) err = errno;
      if (n <= 0) break;
      text.append(buf, static_cast<size_t>(n));
    }
  }
  ::close(fd);
  if (err != 0) throw cannot_read(err);
  if (text.size() > kFileBytesMax) {
    // Reading stopped past the limit, so the size to report is the file's.
    const std::string size = S_ISREG(st.st_mode) ? fmt::format("{} bytes", st.st_size)
                                                 : fmt::format("more than {} bytes", kFileBytesMax);
    Loader(path).fail(Mark{1, 1}, fmt::format("file too large ({}), expected at most {} bytes (4 MiB)",
                                              size, kFileBytesMax));
  }
  return load_guarded(text, path);
}

Scenario load_quickstart() { return load_scenario_text(kQuickstartYaml, "<quickstart>"); }

std::string escaped(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (const char c : text) {
    const auto b = static_cast<unsigned char>(c);
    if (c == '\n') {
      out += "\\n";
    } else if (c == '\r') {
      out += "\\r";
    } else if (c == '\t') {
      out += "\\t";
    } else if (b < 0x20 || b == 0x7F) {
      out += fmt::format("\\x{:02x}", b);  // a NUL would end the line
    } else {
      out += c;
    }
  }
  return out;
}

std::string quoted(std::string_view text) { return loading::quote(text); }

}  // namespace ecsim::scenario
