// `ecsim trace hash|dump|replay FILE`: verify a trace file, print its
// records as JSON lines (all, or those of chosen types and nodes), or re-run
// the scenario stored in its header and check that the run reproduces the
// file's hash. `ecsim trace latency FILE
// --from A --to B`: the one-way latency of the messages from A to B, from
// each send record to the deliver record of the same message id.
#include <algorithm>
#include <cstdio>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include <CLI/CLI.hpp>
#include <fmt/format.h>
#include <fmt/ranges.h>
#include <nlohmann/json.hpp>

#include "commands.hpp"
#include "ecsim/proto/auth.hpp"
#include "ecsim/proto/plant.hpp"
#include "ecsim/run/trace_header.hpp"
#include "ecsim/tiers/actions.hpp"
#include "ecsim/tiers/billing.hpp"
#include "ecsim/tiers/end_state.hpp"
#include "ecsim/tiers/world.hpp"
#include "ecsim/proto/dsm.hpp"
#include "ecsim/proto/msgq.hpp"
#include "ecsim/proto/rpc.hpp"
#include "ecsim/proto/storage.hpp"
#include "ecsim/proto/twopc.hpp"
#include "ecsim/proto/vclock.hpp"
#include "ecsim/run/runner.hpp"
#include "ecsim/scenario/loader.hpp"
#include "ecsim/sim/time.hpp"
#include "ecsim/sim/trace_file.hpp"
#include "json_out.hpp"
#include "options.hpp"

namespace ecsim::cli {

namespace {

// The kernel's record types by their own names; the protocols' (their
// numbers live in proto/ headers) by "protocol.event".
std::string record_name(sim::RecordType t) {
  namespace p = proto;
  struct Named {
    sim::RecordType type;
    const char* name;
  };
  static const Named kProtocol[] = {
      {p::vclock::kRecordClockSend, "vclock.send"},  {p::vclock::kRecordClockRecv, "vclock.recv"},
      {p::vclock::kRecordClockLocal, "vclock.local"}, {p::dsm::kRecordDsm, "dsm.event"},
      {p::rpc::kRecordCall, "rpc.call"},             {p::rpc::kRecordDone, "rpc.done"},
      {p::rpc::kRecordServe, "rpc.serve"},           {p::rpc::kRecordConn, "rpc.conn"},
      {p::rpc::kRecordIgnored, "rpc.ignored"},       {p::msgq::kRecordSend, "msgq.send"},
      {p::msgq::kRecordAcked, "msgq.acked"},         {p::msgq::kRecordDeliver, "msgq.deliver"},
      {p::msgq::kRecordIgnored, "msgq.ignored"},     {p::auth::kRecordAuthRefused, "auth.refused"},
      {p::storage::kRecordWrite, "storage.write"},   {p::storage::kRecordRefused, "storage.refused"},
      {p::storage::kRecordAck, "storage.ack"},       {p::storage::kRecordWal, "storage.wal"},
      {p::storage::kRecordCatchUp, "storage.catch_up"}, {p::storage::kRecordQuorum, "storage.quorum"},
      {p::storage::kRecordIgnored, "storage.ignored"}, {p::storage::kRecordRecovered, "storage.recovered"},
      {tiers::kRecordClientBadToken, "client.bad_token"}, {p::rpc::kRecordAttempt, "rpc.attempt"},
      {p::msgq::kRecordAccepted, "msgq.accepted"},     {tiers::kRecordCoreSuspected, "edge.suspect"},
      {tiers::kRecordEndReplica, "end.replica"},       {tiers::kRecordEndWriter, "end.writer"},
      {tiers::kRecordEndVersion, "end.version"},       {tiers::kRecordEndAcked, "end.acked"},
      {tiers::kRecordEndDsm, "end.dsm"},               {tiers::kRecordEndDsmKey, "end.dsm_key"},
      {tiers::kRecordClientStart, "client.start"},     {tiers::kRecordClientEnd, "client.end"},
      {tiers::kRecordEdgeLookup, "edge.lookup"},       {tiers::kRecordStaleRead, "edge.stale_read"},
      {tiers::kRecordRehydration, "edge.rehydration"}, {p::storage::kRecordWriteStarted, "storage.write_started"},
      {tiers::kRecordCloudOp, "cloud.op"},             {p::storage::kRecordCatchUpEntry, "storage.catch_up_entry"},
      {p::twopc::kRecordCoordinator, "twopc.coordinator"}, {p::twopc::kRecordVote, "twopc.vote"},
      {p::twopc::kRecordParticipant, "twopc.participant"}, {p::twopc::kRecordLock, "twopc.lock"},
      {p::twopc::kRecordQuery, "twopc.query"},         {p::twopc::kRecordIgnored, "twopc.ignored"},
      {p::twopc::kRecordRefused, "twopc.refused"},     {p::twopc::kRecordWal, "twopc.wal"},
      {p::twopc::kRecordOutcome, "twopc.outcome"},     {p::twopc::kRecordApplied, "twopc.applied"},
      {tiers::kRecordBillingAccount, "billing.account"}, {tiers::kRecordBillingNumber, "billing.number"},
      {tiers::kRecordBillingStart, "billing.start"},   {tiers::kRecordBillingEnd, "billing.end"},
      {tiers::kRecordBillingRead, "billing.read"},     {tiers::kRecordBillingOp, "billing.op"},
      {tiers::kRecordBillingEndNode, "billing.end_node"}, {tiers::kRecordBillingEndBalance, "billing.end_balance"},
      {tiers::kRecordBillingEndOwner, "billing.end_owner"}, {tiers::kRecordBillingEndLog, "billing.end_log"},
      {tiers::kRecordBillingCache, "billing.cache"}, {tiers::kRecordBillingInval, "billing.inval"},
      {tiers::kRecordAction, "action"},
  };
  for (const Named& n : kProtocol) {
    if (n.type == t) return n.name;
  }
  return sim::record_type_name(t);
}

// Reads and verifies the whole file: the records (their hash, count and
// order in time, sim::read_trace_file) and, against its header, their
// nodes and times (none after the run's end). Nothing of a file is shown before this has passed: zstd checks its
// checksum only at the end of the stream.
sim::TraceFileInfo verified_trace(const std::string& path) {
  const run::TraceHeader h = run::parse_trace_header(path, sim::read_trace_header(path));
  const uint64_t nodes = h.nodes ? h.nodes->size() : UINT32_MAX + uint64_t{1};
  uint64_t n = 0;
  return sim::read_trace_file(path, [&](const sim::Record& r) {
    ++n;
    if (r.node >= nodes) {
      throw sim::TraceFileError(fmt::format("{}: corrupted: record #{} names node {}, but the header has {} nodes",
                                            path, n, r.node, nodes));
    }
    if (r.time_ns > *h.until_ns) {
      throw sim::TraceFileError(fmt::format("{}: corrupted: record #{} is at {}, after the run's end at {} (until_ns)",
                                            path, n, sim::format_time(sim::Time{r.time_ns}),
                                            sim::format_time(sim::Time{*h.until_ns})));
    }
  });
}

int trace_hash(const std::string& path) {
  const sim::TraceFileInfo info = verified_trace(path);
  const run::TraceHeader h = run::parse_trace_header(path, info.header_json);
  std::printf("%s: %llu records, scenario %s, seed %llu\ntrace hash: %s\n", path.c_str(),
              static_cast<unsigned long long>(info.record_count),
              ("'" + scenario::escaped(h.scenario_name) + "'").c_str(),
              static_cast<unsigned long long>(h.seed), format_hash(info.hash).c_str());
  return kExitOk;
}

// Every record type that has a name (record_name's "unknown" is none), by number.
std::vector<std::pair<uint16_t, std::string>> named_record_types() {
  std::vector<std::pair<uint16_t, std::string>> types;
  for (uint32_t t = 0; t <= 0xffff; ++t) {
    std::string name = record_name(static_cast<sim::RecordType>(t));
    if (name != "unknown") types.emplace_back(static_cast<uint16_t>(t), std::move(name));
  }
  return types;
}

// Which records `trace dump` prints: all, or those of the named types (a
// name, or "PREFIX.*" for every type of a protocol) and nodes.
struct DumpFilter {
  std::vector<std::string> types;
  std::vector<std::string> nodes;
};

// The record types a --type list selects, as a table by type number.
// THROWS TraceFileError for a name no record type has.
std::vector<bool> selected_types(const std::string& path, const std::vector<std::string>& wanted) {
  std::vector<bool> on(0x10000, wanted.empty());
  if (wanted.empty()) return on;
  const std::vector<std::pair<uint16_t, std::string>> types = named_record_types();
  for (const std::string& w : wanted) {
    const bool prefix = w.size() > 2 && w.compare(w.size() - 2, 2, ".*") == 0;
    const std::string stem = prefix ? w.substr(0, w.size() - 1) : w;  // "twopc." for "twopc.*"
    bool any = false;
    for (const auto& [t, name] : types) {
      if (prefix ? name.compare(0, stem.size(), stem) == 0 : name == w) on[t] = any = true;
    }
    if (!any) {
      // The kernel's names and the protocols' prefixes: the whole list, short.
      std::vector<std::string> choices;
      for (const auto& [t, name] : types) {
        const size_t dot = name.find('.');
        std::string choice = dot == std::string::npos ? name : name.substr(0, dot) + ".*";
        if (std::find(choices.begin(), choices.end(), choice) == choices.end())
          choices.push_back(std::move(choice));
      }
      throw sim::TraceFileError(
          fmt::format("{}: --type '{}' names no record type, expected a type as dumped or one "
                      "of: {}",
                      path, w, fmt::join(choices, ", ")));
    }
  }
  return on;
}

// One JSON line per record that passes the filter, with `n`, the record's
// number in the file (1-based: "record #N" of the verdicts and the viewer).
int trace_dump(const std::string& path, const DumpFilter& filter) {
  const std::vector<bool> type_on = selected_types(path, filter.types);
  std::vector<bool> node_on;
  if (!filter.nodes.empty()) {
    const run::TraceHeader h = run::parse_trace_header(path, sim::read_trace_header(path));
    for (const std::string& name : filter.nodes) {
      const uint32_t id = run::trace_node(path, h, name);
      if (node_on.size() <= id) node_on.resize(id + 1, false);
      node_on[id] = true;
    }
  }
  verified_trace(path);  // first: a corrupted file prints nothing
  std::string out;
  uint64_t n = 0;
  sim::read_trace_file(path, [&](const sim::Record& r) {
    ++n;
    if (!type_on[static_cast<uint16_t>(r.type)]) return;
    if (!node_on.empty() && (r.node >= node_on.size() || !node_on[r.node])) return;
    nlohmann::json j = {{"t_ns", r.time_ns},
                        {"type", record_name(r.type)},
                        {"type_id", static_cast<int>(r.type)},
                        {"code", r.code},
                        {"node", r.node},
                        {"peer", r.peer},
                        {"kind", r.kind},
                        {"a", r.a},
                        {"b", r.b},
                        {"n", n}};
    out += json_text(j);
    out += '\n';
    if (out.size() > (1 << 20)) {
      std::fputs(out.c_str(), stdout);
      out.clear();
    }
  });
  std::fputs(out.c_str(), stdout);
  return kExitOk;
}

int trace_replay(const std::string& path) {
  const sim::TraceFileInfo info = verified_trace(path);
  const run::TraceReplay setup =
      run::trace_replay_setup(path, run::parse_trace_header(path, info.header_json));
  const scenario::Scenario& sc = setup.scenario;
  const run::RunResult r = run::run_scenario(sc, setup.options);
  const bool same = r.trace_hash == info.hash && r.records == info.record_count;
  std::printf("replayed '%s' seed %llu: %llu records, trace hash %s; file: %s -> %s\n", sc.name.c_str(),
              static_cast<unsigned long long>(r.seed), static_cast<unsigned long long>(r.records),
              format_hash(r.trace_hash).c_str(), format_hash(info.hash).c_str(),
              same ? "identical" : "DIFFERENT");
  return same ? kExitOk : kExitFailed;
}

// Memory follows the messages in flight: a send is forgotten at its
// delivery or drop (a duplicate's second delivery finds it gone).
int trace_latency(const std::string& path, const std::string& from, const std::string& to) {
  const run::TraceHeader h = run::parse_trace_header(path, sim::read_trace_header(path));
  const uint32_t src = run::trace_node(path, h, from);
  const uint32_t dst = run::trace_node(path, h, to);
  verified_trace(path);
  std::map<uint64_t, int64_t> sent_ns;
  std::vector<int64_t> latency_ns;
  uint64_t dropped = 0;
  sim::read_trace_file(path, [&](const sim::Record& r) {
    if (r.type == sim::RecordType::kSend && r.node == src && r.peer == dst) {
      sent_ns.emplace(r.a, r.time_ns);
      return;
    }
    if ((r.type != sim::RecordType::kDeliver && r.type != sim::RecordType::kDrop) || r.node != dst || r.peer != src) return;
    auto it = sent_ns.find(r.a);
    if (it == sent_ns.end()) return;
    if (r.type == sim::RecordType::kDeliver) latency_ns.push_back(r.time_ns - it->second);
    dropped += r.type == sim::RecordType::kDrop ? 1 : 0;
    sent_ns.erase(it);
  });
  std::sort(latency_ns.begin(), latency_ns.end());
  auto q = [&latency_ns](double p) {
    if (latency_ns.empty()) return std::string("-");
    const int64_t ns = latency_ns[static_cast<size_t>(p * static_cast<double>(latency_ns.size() - 1))];
    return fmt::format("{:.3f}ms", static_cast<double>(ns) / 1e6);
  };
  std::printf("%s -> %s: %zu delivered, %llu dropped, %zu in flight at the end; one-way latency p50 %s  p90 %s  "
              "p99 %s  max %s\n",
              from.c_str(), to.c_str(), latency_ns.size(), static_cast<unsigned long long>(dropped), sent_ns.size(),
              q(0.5).c_str(), q(0.9).c_str(), q(0.99).c_str(), q(1.0).c_str());
  return kExitOk;
}

}  // namespace

// Runs a trace subcommand: bad input (a damaged file, a bad header or
// option value) is one line on stderr and exit code 2.
template <class F>
void run_guarded(const std::string& path, int& exit_code, F&& fn) {
  try {
    exit_code = fn();
  } catch (const sim::TraceFileError& e) {
    std::fprintf(stderr, "%s\n", e.what());
    exit_code = kExitBadInput;
  } catch (const scenario::LoadError& e) {
    std::fprintf(stderr, "%s\n", e.what());
    exit_code = kExitBadInput;
  } catch (const nlohmann::json::exception& e) {
    std::fprintf(stderr, "%s: corrupted header: %s\n", path.c_str(), e.what());
    exit_code = kExitBadInput;
  }
}

void add_trace_command(CLI::App& app, int& exit_code) {
  CLI::App* trace = app.add_subcommand("trace", "Inspect, verify and replay trace files");
  trace->require_subcommand(1);
  auto path = std::make_shared<std::string>();
  struct Sub {
    const char* name;
    const char* help;
    int (*fn)(const std::string&);
  };
  static const Sub subs[] = {
      {"hash", "Verify a trace file and print its trace hash", &trace_hash},
      {"replay", "Re-run the scenario in a trace file's header and compare hashes", &trace_replay},
  };
  {
    CLI::App* sub = trace->add_subcommand(
        "latency", "One-way latency of the messages from one node to another (send to deliver record)");
    auto from = std::make_shared<std::string>();
    auto to = std::make_shared<std::string>();
    sub->add_option("file", *path, "Trace file written by ecsim run --trace")
        ->required()
        ->check(non_empty());
    sub->add_option("--from", *from, "Sending node, e.g. core-1")->required()->check(non_empty());
    sub->add_option("--to", *to, "Receiving node, e.g. cloud-1")->required()->check(non_empty());
    sub->callback([path, from, to, &exit_code] {
      // A node sends nothing to itself over the network: no link to time.
      if (*from == *to) throw CLI::ValidationError("--to", fmt::format("'{}' is --from too: a link has two ends", *to));
      run_guarded(*path, exit_code, [&] { return trace_latency(*path, *from, *to); });
    });
  }
  {
    CLI::App* sub = trace->add_subcommand("dump", "Print a trace file's records as JSON lines");
    auto filter = std::make_shared<DumpFilter>();
    sub->add_option("file", *path, "Trace file written by ecsim run --trace")
        ->required()
        ->check(non_empty());
    sub->add_option("--type", filter->types,
                    "Only records of these types (as dumped, or PREFIX.* e.g. twopc.*; repeat or "
                    "comma-separate)")
        ->check(comma_list());
    sub->add_option(
           "--node", filter->nodes,
           "Only records whose node is one of these, e.g. core-1 (repeat or comma-separate)")
        ->check(comma_list());
    sub->callback([path, filter, &exit_code] {
      filter->types = split_commas(filter->types);
      filter->nodes = split_commas(filter->nodes);
      run_guarded(*path, exit_code, [&] { return trace_dump(*path, *filter); });
    });
  }
  for (const Sub& s : subs) {
    CLI::App* sub = trace->add_subcommand(s.name, s.help);
    sub->add_option("file", *path, "Trace file written by ecsim run --trace")
        ->required()
        ->check(non_empty());
    sub->callback([path, fn = s.fn, &exit_code] {
      run_guarded(*path, exit_code, [&] { return fn(*path); });
    });
  }
}

}  // namespace ecsim::cli
