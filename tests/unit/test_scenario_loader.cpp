// The scenario loader: every bad input gives exactly one line naming the file,
// the position, what was wrong and what was expected; good inputs give the
// values the reference (docs/scenarios.md) promises.
#include <catch2/catch.hpp>
#include <fstream>
#include <string>
#include <vector>

#include "ecsim/scenario/loader.hpp"
#include "ecsim/scenario/selector.hpp"
#include "ecsim/scenario/validate.hpp"

namespace test_scenario_loader {

using namespace ecsim;
using namespace ecsim::scenario;
using namespace ecsim::sim::literals;

namespace {

// The error line for a text that must not load; fails the test when it loads.
std::string error_of(std::string_view text) {
  try {
    load_scenario_text(text, "t.yaml");
  } catch (const LoadError& e) {
    return e.what();
  }
  FAIL("loaded, but an error was expected");
  return "";
}

// The error line for a text, or "no error" when it loads.
std::string error_or_none(const std::string& text) {
  try {
    (void)load_scenario_text(text, "t.yaml");
  } catch (const LoadError& e) {
    return e.what();
  }
  return "no error";
}

std::string file_error_of(const std::string& path) {
  try {
    load_scenario_file(path);
  } catch (const LoadError& e) {
    return e.what();
  }
  FAIL("loaded, but an error was expected");
  return "";
}

// A valid header for the cases that are about something further down.
const std::string kHead = "name: t\nduration: 60s\n";
// The same with clients at every edge node (the three-tier model), lines 1-4.
const std::string kTiers = kHead + "workload:\n  - { kind: requests, rate: 1000/s }\n";
// Clients that never write (storage or DSM), lines 1-4.
const std::string kReadOnly =
    kHead + "workload:\n  - { kind: requests, rate: 1000/s, mix: { session_check: 1, read: 1, write: 0 } }\n";
const std::string kCloudRestart =
    "a crash of a cloud node that restarts before the end of the run (its restart is what it judges)";

struct BadCase {
  const char* what;
  std::string text;
  std::string error;
};

// Alias expansion: 30 levels of ten aliases each, about 10^30 nodes to walk,
// a few kilobytes of text.
std::string billion_laughs() {
  std::string text = kHead + "description: &a0 [x, x, x, x, x, x, x, x, x, x]\n";
  for (int i = 1; i < 30; ++i) {
    // Appended piece by piece: g++ 12 warns (-Wrestrict, a false positive)
    // on `"literal" + std::to_string(...)` here.
    const std::string n = std::to_string(i);
    const std::string prev = std::to_string(i - 1);
    text.append("l").append(n).append(": &a").append(n).append(" [");
    for (int k = 0; k < 10; ++k) text.append(k ? ", *a" : "*a").append(prev);
    text += "]\n";
  }
  return text;
}

const std::vector<BadCase>& bad_cases() {
  static const std::vector<BadCase> cases = {
      // Empty, not a map, more than one document.
      {"empty file", "",
       "t.yaml:1:1: empty scenario, expected a map with at least 'name' and 'duration'"},
      {"only a comment", "# nothing here\n\n",
       "t.yaml:1:1: empty scenario, expected a map with at least 'name' and 'duration'"},
      {"top is a list", "- name: t\n- duration: 60s\n",
       "t.yaml:1:1: scenario is a list, expected a map with at least 'name' and 'duration'"},
      {"top is a string", "just words\n",
       "t.yaml:1:1: scenario is 'just words', expected a map with at least 'name' and 'duration'"},
      {"two documents", kHead + "---\nname: u\n",
       "t.yaml:3:1: a second YAML document, expected one scenario per file"},
      // Required keys: reported at the enclosing map.
      {"missing duration", "name: t\nseed: 3\n",
       "t.yaml:1:1: missing key 'duration' in scenario, expected a duration like 60s"},
      {"missing name", "duration: 60s\n",
       "t.yaml:1:1: missing key 'name' in scenario, expected a string"},
      {"missing fault time", kHead + "faults:\n  - { crash: core-1 }\n",
       "t.yaml:4:5: missing key 'at' in faults[0], expected a time like 10s"},
      // Unknown, misspelt and repeated keys: reported at the key.
      {"misspelt top key", "name: t\ndurration: 60s\n",
       "t.yaml:2:1: unknown key 'durration' in scenario, did you mean 'duration'?"},
      {"unknown top key", kHead + "colour: blue\n",
       "t.yaml:3:1: unknown key 'colour' in scenario, expected name, description, seed, duration, "
       "topology, network, workload, faults, expect, model or memory_max"},
      {"misspelt nested key", kHead + "topology: { edge: 3, croe: 2 }\n",
       "t.yaml:3:22: unknown key 'croe' in topology, did you mean 'core'?"},
      {"misspelt expect key", kHead + "expect:\n  latency_p99: { pong: 5ms }\n",
       "t.yaml:4:18: unknown key 'pong' in expect.latency_p99, did you mean 'ping'?"},
      {"duplicate key", "name: t\nname: u\nduration: 60s\n",
       "t.yaml:2:1: duplicate key 'name' in scenario, expected each key once"},
      // Wrong types.
      {"name is a list", "name: [a, b]\nduration: 60s\n",
       "t.yaml:1:7: name is a list, expected a string"},
      {"topology is a list", kHead + "topology: [3, 2, 3]\n",
       "t.yaml:3:11: topology is a list, expected a map"},
      {"count not an integer", kHead + "topology: { core: two }\n",
       "t.yaml:3:19: topology.core is 'two', expected an integer 1..1000"},
      {"workload not a list", kHead + "workload: { kind: ping }\n",
       "t.yaml:3:11: workload is a map, expected a list of workloads"},
      {"empty value", "name: t\nduration:\nseed: 2\n",
       "t.yaml:2:1: duration is empty, expected a duration with a unit like 5ms"},
      {"reorder not a bool", kHead + "network:\n  default: { reorder: yes }\n",
       "t.yaml:4:23: network.default.reorder is 'yes', expected true or false"},
      // Durations.
      {"bare number duration", "name: t\nduration: 60\n",
       "t.yaml:2:11: duration is '60' (missing unit), expected a duration with a unit like 5ms"},
      {"negative duration", "name: t\nduration: -5s\n",
       "t.yaml:2:11: duration is '-5s' (durations cannot be negative), expected a duration with a "
       "unit like 5ms"},
      {"unknown unit", "name: t\nduration: 5parsecs\n",
       "t.yaml:2:11: duration is '5parsecs' (unknown unit 'parsecs'), expected a duration with a "
       "unit like 5ms"},
      {"zero duration", "name: t\nduration: 0s\n",
       "t.yaml:2:11: duration is '0s', expected a duration above 0s and at most 24h"},
      {"duration over a day", "name: t\nduration: 25h\n",
       "t.yaml:2:11: duration is '25h', expected a duration above 0s and at most 24h"},
      // Out-of-range values.
      {"no edge nodes", kHead + "topology: { edge: 0 }\n",
       "t.yaml:3:19: topology.edge is '0', expected an integer 1..1000"},
      {"too many cloud nodes", kHead + "topology: { cloud: 1001 }\n",
       "t.yaml:3:20: topology.cloud is '1001', expected an integer 1..1000"},
      {"negative seed", kHead + "seed: -1\n",
       "t.yaml:3:7: seed is '-1', expected an integer 0..18446744073709551615"},
      {"probability above one", kHead + "network:\n  default: { drop: 1.5 }\n",
       "t.yaml:4:20: network.default.drop is '1.5', expected a probability 0..1 like 0.001 or "
       "'30%'"},
      // Above 0 but rounding to 0 in millionths: not the 0 that was not written.
      {"probability rounding to 0", kHead + "network:\n  default: { drop: 1e-400 }\n",
       "t.yaml:4:20: network.default.drop is '1e-400', expected a probability 0..1 like 0.001 or '30%', in "
       "millionths: above 0, at least 0.0000005 (which rounds to one in a million)"},
      {"percentage rounding to 0", kHead + "network:\n  default: { duplicate: 0.00001% }\n",
       "t.yaml:4:25: network.default.duplicate is '0.00001%', expected a probability 0..1 like 0.001 or '30%', in "
       "millionths: above 0, at least 0.0000005 (which rounds to one in a million)"},
      {"probability rounding to 1 from above", kHead + "network:\n  default: { drop: 1.0000004 }\n",
       "t.yaml:4:20: network.default.drop is '1.0000004', expected a probability 0..1 like 0.001 or '30%'"},
      {"percentage above 100", kHead + "network:\n  default: { duplicate: 130% }\n",
       "t.yaml:4:25: network.default.duplicate is '130%', expected a probability 0..1 like 0.001 "
       "or '30%'"},
      {"rate without unit",
       kHead + "workload:\n  - { kind: ping, from: edge, to: core, rate: 3000 }\n",
       "t.yaml:4:47: workload[0].rate is '3000', expected a rate like 3000/s or 120/m, a whole number from 1/s to "
       "1000000/s"},
      {"fractional rate",
       kHead + "workload:\n  - { kind: ping, from: edge, to: core, rate: 90/m }\n",
       "t.yaml:4:47: workload[0].rate is '90/m' (1.5 per second), expected a whole number per "
       "second like 3000/s"},
      {"size too large",
       kHead + "workload:\n  - { kind: ping, from: edge, to: core, rate: 1/s, size: 2MiB }\n",
       "t.yaml:4:58: workload[0].size is '2MiB', expected a size 1B..1MiB like 256B, 4KiB or 1MiB"},
      {"unknown workload kind",
       kHead + "workload:\n  - { kind: pong, from: edge, to: core, rate: 1/s }\n",
       "t.yaml:4:13: workload[0].kind is 'pong', expected a workload kind: ping, requests or billing"},
      {"workload without kind", kHead + "workload:\n  - { at: edge, rate: 1/s }\n",
       "t.yaml:4:5: missing key 'kind' in workload[0], expected a workload kind: ping, requests "
       "or billing"},
      // Workload kind requests.
      {"ping and requests mixed",
       kHead + "workload:\n  - { kind: ping, from: edge, to: core, rate: 1/s }\n  - { kind: requests, rate: 1/s }\n",
       "t.yaml:5:5: a 'requests' workload after a 'ping' one, expected workloads of one kind per scenario (ping, or requests and billing)"},
      {"ping key on requests", kHead + "workload:\n  - { kind: requests, from: edge, rate: 1/s }\n",
       "t.yaml:4:23: unknown key 'from' in workload[0] (kind requests), expected kind, at, rate, "
       "subscribers, zipf, records, mix, bad_tokens, timeout, dsm_keys, until or local_subscribers"},
      {"size on requests", kHead + "workload:\n  - { kind: requests, rate: 1/s, size: 1KiB }\n",
       "t.yaml:4:34: unknown key 'size' in workload[0] (kind requests), expected kind, at, rate, "
       "subscribers, zipf, records, mix, bad_tokens, timeout, dsm_keys, until or local_subscribers"},
      {"requests key on ping",
       kHead + "workload:\n  - { kind: ping, from: edge, to: core, rate: 1/s, at: edge }\n",
       "t.yaml:4:52: unknown key 'at' in workload[0] (kind ping), expected kind, from, to, rate, "
       "size or timeout"},
      {"misspelt requests key",
       kHead + "workload:\n  - { kind: requests, rate: 1/s, subscriber: 10 }\n",
       "t.yaml:4:34: unknown key 'subscriber' in workload[0] (kind requests), did you mean "
       "'subscribers'?"},
      {"requests without rate", kHead + "workload:\n  - { kind: requests, at: edge }\n",
       "t.yaml:4:5: missing key 'rate' in workload[0], expected a rate like 3000/s"},
      {"requests at unknown node",
       kHead + "workload:\n  - { kind: requests, at: edge-7, rate: 1/s }\n",
       "t.yaml:4:27: unknown node 'edge-7' (topology has edge-1..edge-3), expected a node name, "
       "tier, glob or '*'"},
      {"zero subscribers", kHead + "workload:\n  - { kind: requests, rate: 1/s, subscribers: 0 }\n",
       "t.yaml:4:47: workload[0].subscribers is '0', expected an integer 1..10000000"},
      {"too many subscribers",
       kHead + "workload:\n  - { kind: requests, rate: 1/s, subscribers: 10000001 }\n",
       "t.yaml:4:47: workload[0].subscribers is '10000001', expected an integer 1..10000000"},
      {"zipf between 0 and 0.01",
       kHead + "workload:\n  - { kind: requests, rate: 1/s, zipf: 0.005 }\n",
       "t.yaml:4:40: workload[0].zipf is '0.005', expected a number 0 (uniform) or 0.01..5 like "
       "1.1"},
      {"zipf above 5", kHead + "workload:\n  - { kind: requests, rate: 1/s, zipf: 5.01 }\n",
       "t.yaml:4:40: workload[0].zipf is '5.01', expected a number 0 (uniform) or 0.01..5 like "
       "1.1"},
      // Beyond a bound by less than the 10^-12 the value is kept to was
      // rounded onto it and accepted (found by an adversarial pass).
      {"zipf above 5 by less than 10^-12",
       kHead + "workload:\n  - { kind: requests, rate: 1/s, zipf: 5.0000000000001 }\n",
       "t.yaml:4:40: workload[0].zipf is '5.0000000000001', expected a number 0 (uniform) or 0.01..5 like 1.1"},
      {"zipf below 0.01 by less than 10^-12",
       kHead + "workload:\n  - { kind: requests, rate: 1/s, zipf: 0.0099999999999 }\n",
       "t.yaml:4:40: workload[0].zipf is '0.0099999999999', expected a number 0 (uniform) or 0.01..5 like 1.1"},
      {"zipf that rounds to 0", kHead + "workload:\n  - { kind: requests, rate: 1/s, zipf: 1e-13 }\n",
       "t.yaml:4:40: workload[0].zipf is '1e-13', expected a number 0 (uniform) or 0.01..5 like 1.1"},
      {"served ratio above one by less than 10^-12", kHead + "expect: { served_ratio_min: 1.0000000000001 }\n",
       "t.yaml:3:29: expect.served_ratio_min is '1.0000000000001', expected a ratio above 0, at most 1, like 0.999 or "
       "'99.9%' (a minimum of 0 could never fail)"},
      {"a YAML tag", kHead + "seed: !!int 5\n", "t.yaml:3:7: YAML tag '!!int', expected untagged values (a scenario "
                                                "reads no tags)"},
      {"negative zipf", kHead + "workload:\n  - { kind: requests, rate: 1/s, zipf: -1 }\n",
       "t.yaml:4:40: workload[0].zipf is '-1', expected a number 0 (uniform) or 0.01..5 like 1.1"},
      {"too many records", kHead + "workload:\n  - { kind: requests, rate: 1/s, records: 1001 }\n",
       "t.yaml:4:43: workload[0].records is '1001', expected an integer 1..1000"},
      {"mix not a map", kHead + "workload:\n  - { kind: requests, rate: 1/s, mix: read }\n",
       "t.yaml:4:39: workload[0].mix is 'read', expected a map of weights like { session_check: "
       "70, read: 30 }"},
      {"misspelt mix key",
       kHead + "workload:\n  - { kind: requests, rate: 1/s, mix: { reed: 1 } }\n",
       "t.yaml:4:41: unknown key 'reed' in workload[0].mix, did you mean 'read'?"},
      {"unknown mix key",
       kHead + "workload:\n  - { kind: requests, rate: 1/s, mix: { delete: 1 } }\n",
       "t.yaml:4:41: unknown key 'delete' in workload[0].mix, expected session_check, read, "
       "write, dsm_set or dsm_get"},
      {"mix weights all zero",
       kHead + "workload:\n  - { kind: requests, rate: 1/s, mix: { read: 0, write: 0 } }\n",
       "t.yaml:4:39: workload[0].mix is a map (all weights 0), expected at least one weight "
       "above 0"},
      {"empty mix", kHead + "workload:\n  - { kind: requests, rate: 1/s, mix: {} }\n",
       "t.yaml:4:39: workload[0].mix is an empty map, expected at least one weight above 0"},
      {"mix weight too large",
       kHead + "workload:\n  - { kind: requests, rate: 1/s, mix: { write: 1000001 } }\n",
       "t.yaml:4:48: workload[0].mix.write is '1000001', expected an integer 0..1000000"},
      {"fractional mix weight",
       kHead + "workload:\n  - { kind: requests, rate: 1/s, mix: { read: 0.5 } }\n",
       "t.yaml:4:47: workload[0].mix.read is '0.5', expected an integer 0..1000000"},
      {"bad tokens above 100%",
       kHead + "workload:\n  - { kind: requests, rate: 1/s, bad_tokens: 110% }\n",
       "t.yaml:4:46: workload[0].bad_tokens is '110%', expected a probability 0..1 like 0.001 or "
       "'30%'"},
      {"requests timeout zero",
       kHead + "workload:\n  - { kind: requests, rate: 1/s, timeout: 0s }\n",
       "t.yaml:4:43: workload[0].timeout is '0s', expected a duration above 0s and at most 1h"},
      {"requests timeout over an hour",
       kHead + "workload:\n  - { kind: requests, rate: 1/s, timeout: 61m }\n",
       "t.yaml:4:43: workload[0].timeout is '61m', expected a duration above 0s and at most 1h"},
      {"requests rate over the limit",
       kHead + "workload:\n  - { kind: requests, rate: 1000001/s }\n",
       "t.yaml:4:29: workload[0].rate is '1000001/s', expected a rate like 3000/s or 120/m, a whole number from "
       "1/s to 1000000/s"},
      {"served ratio above one", kHead + "expect: { served_ratio_min: 1.5 }\n",
       "t.yaml:3:29: expect.served_ratio_min is '1.5', expected a ratio above 0, at most 1, like 0.999 or '99.9%' (a "
       "minimum of 0 could never fail)"},
      {"fault after the end", kHead + "faults:\n  - { at: 60s, crash: core-1 }\n",
       "t.yaml:4:11: faults[0].at is '60s', expected a time before the end of the scenario (1m)"},
      // Latency models.
      {"two latency models",
       kHead + "network:\n  default: { latency: { constant: 1ms, uniform: [1ms, 2ms] } }\n",
       "t.yaml:4:40: network.default.latency has two models 'constant' and 'uniform', expected "
       "exactly one"},
      {"misspelt latency model", kHead + "network:\n  default: { latency: { lognormel: 1ms } }\n",
       "t.yaml:4:25: unknown key 'lognormel' in network.default.latency, did you mean "
       "'lognormal'?"},
      {"latency not a map", kHead + "network:\n  default: { latency: 5ms }\n",
       "t.yaml:4:23: network.default.latency is '5ms', expected a map with one of constant, "
       "uniform, normal, lognormal or pareto"},
      {"p99 below median",
       kHead + "network:\n  default: { latency: { lognormal: { median: 8ms, p99: 2ms } } }\n",
       "t.yaml:4:56: network.default.latency.lognormal.p99 is '2ms', expected a duration above "
       "8ms and at most 1h"},
      {"pareto alpha zero",
       kHead + "network:\n  default: { latency: { pareto: { scale: 1ms, alpha: 0 } } }\n",
       "t.yaml:4:54: network.default.latency.pareto.alpha is '0', expected a number above 0 and "
       "at most 100"},
      {"uniform with one bound", kHead + "network:\n  default: { latency: { uniform: [4ms] } }\n",
       "t.yaml:4:34: network.default.latency.uniform is a list (1 item), expected a list [lo, hi] "
       "like "
       "[4ms, 12ms]"},
      {"link override that sets nothing",
       kHead + "network:\n  links:\n    - { between: [edge, core] }\n",
       "t.yaml:5:7: network.links[0] sets nothing, expected at least one of latency, drop, "
       "duplicate, reorder or tls"},
      // Node selectors.
      {"unknown node", kHead + "faults:\n  - { at: 10s, crash: core-9 }\n",
       "t.yaml:4:23: unknown node 'core-9' (topology has core-1..core-2), expected a node name, "
       "tier, glob or '*'"},
      {"glob that matches nothing",
       kHead + "network:\n  links:\n    - { between: [clod-*, core], drop: 0.1 }\n",
       "t.yaml:5:19: no node matches 'clod-*' (topology has edge-1..edge-3, core-1..core-2, "
       "cloud-1..cloud-3), expected a node name, tier, glob or '*'"},
      {"between with three selectors",
       kHead + "faults:\n  - { at: 1s, drop: { between: [edge, core, cloud], rate: 0.1 } }\n",
       "t.yaml:4:32: faults[0].drop.between is a list (3 items), expected a list of two node "
       "selectors like [edge, core]"},
      // Faults.
      {"fault without action", kHead + "faults:\n  - { at: 10s, for: 5s }\n",
       "t.yaml:4:5: faults[0] has no action, expected one of crash, restart, partition, heal, "
       "drop, delay, duplicate, reorder, byzantine, at_point, dsm_set, dsm_get, billing or twopc_vote_no"},
      {"fault with two actions",
       kHead + "faults:\n  - { at: 10s, crash: core-1, restart: core-2 }\n",
       "t.yaml:4:31: faults[0] has two actions 'crash' and 'restart', expected exactly one"},
      {"crash of a node already down",
       kHead + "faults:\n  - { at: 10s, crash: core-1 }\n  - { at: 12s, crash: core }\n",
       "t.yaml:5:5: crash of core-1 at 12s, but core-1 is already down (crashed at 10s), "
       "expected a node that is up"},
      {"restart of a node that is up", kHead + "faults:\n  - { at: 10s, restart: edge-2 }\n",
       "t.yaml:4:5: restart of edge-2 at 10s, but edge-2 is already up, expected a node that is "
       "down"},
      {"restart during a crash with for",
       kHead +
           "faults:\n  - { at: 12s, restart: core-1 }\n  - { at: 10s, crash: core-1, for: 5s }\n",
       "t.yaml:4:5: restart of core-1 at 12s, but core-1 restarts by itself at 15s (crashed at "
       "10s with 'for'), expected no restart before it is up again"},
      {"for on restart",
       kHead +
           "faults:\n  - { at: 10s, crash: core-1 }\n  - { at: 20s, restart: core-1, for: 1s }\n",
       "t.yaml:5:33: 'for' on a restart fault, expected 'for' only with crash, partition, drop, "
       "duplicate, delay, reorder, byzantine or at_point"},
      {"node in two partition groups",
       kHead + "faults:\n  - { at: 1s, partition: [[edge-1, edge-2], [core, edge-2]] }\n",
       "t.yaml:4:52: node edge-2 is in partition groups 0 and 1, expected each node in one "
       "group"},
      {"partition with one group", kHead + "faults:\n  - { at: 1s, partition: [[edge-1]] }\n",
       "t.yaml:4:26: faults[0].partition is a list (1 group), expected a list of two or more "
       "groups like "
       "[[edge-1], \"*\"]"},
      {"heal false", kHead + "faults:\n  - { at: 1s, heal: false }\n",
       "t.yaml:4:21: faults[0].heal is 'false', expected true or all"},
      {"misspelt invariant", kHead + "expect:\n  invariants: [durabilty]\n",
       "t.yaml:4:16: unknown invariant 'durabilty' in expect.invariants, did you mean "
       "'durability'?"},
      {"misspelt invariant causality", kHead + "expect:\n  invariants: [casuality]\n",
       "t.yaml:4:16: unknown invariant 'casuality' in expect.invariants, did you mean "
       "'causality'?"},
      {"misspelt invariant convergence", kHead + "expect:\n  invariants: [convergance]\n",
       "t.yaml:4:16: unknown invariant 'convergance' in expect.invariants, did you mean "
       "'convergence'?"},
      {"unknown invariant", kHead + "expect:\n  invariants: [liveness]\n",
       "t.yaml:4:16: unknown invariant 'liveness' in expect.invariants, expected durability, "
       "causality, convergence, edge_isolation, exactly_once, acknowledged_writes, catch_up, at_most_once or "
       "tokens"},
      {"misspelt invariant edge_isolation", kHead + "expect:\n  invariants: [edge_isolaton]\n",
       "t.yaml:4:16: unknown invariant 'edge_isolaton' in expect.invariants, did you mean "
       "'edge_isolation'?"},
      // model.
      // Expectations that cannot apply to the scenario as written.
      {"tier latency without the three tiers", kHead + "expect:\n  latency_p99: { core: 50ms }\n",
       "t.yaml:4:18: expect.latency_p99.core in a scenario without a requests workload, expected tier latencies "
       "only with the three-tier model"},
      {"ping latency without pings", kTiers + "expect:\n  latency_p99: { ping: 5ms, edge: 10ms }\n",
       "t.yaml:6:18: expect.latency_p99.ping in a scenario without a ping workload, expected it only with kind: "
       "ping workloads"},
      {"outside_faults alone", kTiers + "expect:\n  latency_p99: { outside_faults: 2s }\n",
       "t.yaml:6:18: expect.latency_p99.outside_faults without a tier latency (edge, core or cloud) beside it, "
       "expected it to qualify one"},
      {"model key misspelt", kTiers + "model:\n  rpc: { pool_sise: 4 }\n",
       "t.yaml:6:10: unknown key 'pool_sise' in model.rpc, did you mean 'pool_size'?"},
      {"model warm pool above the pool", kTiers + "model:\n  rpc: { pool_size: 4, pool_warm: 8 }\n",
       "t.yaml:6:35: model.rpc.pool_warm is '8', expected an integer 0..4"},
      {"model tries more cores than there are", kTiers + "model:\n  rpc: { cores_tried: 3 }\n",
       "t.yaml:6:23: model.rpc.cores_tried is '3', expected an integer 1..2"},
      {"model resend timeout zero", kTiers + "model:\n  messaging: { resend_timeout: 0s }\n",
       "t.yaml:6:32: model.messaging.resend_timeout is '0s', expected a duration above 0s and at most 1h"},
      {"model resend timeout under 1ms without backoff",
       kTiers + "model:\n  messaging: { resend_timeout: 1ns }\n  recovery: false\n",
       "t.yaml:6:32: model.messaging.resend_timeout is '1ns', expected at least 1ms with recovery: false "
       "(no backoff: each un-ACKed message is resent every timeout)"},
      {"model without a requests workload", kHead + "model:\n  rpc: { pool_size: 4 }\n",
       "t.yaml:3:1: model sets the three tiers' parameters, but this scenario has no requests workload, "
       "expected a workload of kind requests or no model"},
      // throughput_min.
      {"throughput rate without unit", kTiers + "expect:\n  throughput_min: { edge: 1000 }\n",
       "t.yaml:6:27: expect.throughput_min.edge is '1000', expected a rate like 3000/s or "
       "120/m, a whole number from 1/s to 1000000/s"},
      {"throughput rate zero", kTiers + "expect:\n  throughput_min: { edge-1: 0/s }\n",
       "t.yaml:6:29: expect.throughput_min.edge-1 is '0/s', expected a rate like 3000/s or "
       "120/m, a whole number from 1/s to 1000000/s"},
      {"throughput of an unknown node", kTiers + "expect:\n  throughput_min: { edge-9: 1000/s }\n",
       "t.yaml:6:21: unknown node 'edge-9' (topology has edge-1..edge-3), expected a node "
       "name, tier, glob or '*'"},
      {"throughput of nodes without clients", kTiers + "expect:\n  throughput_min: { core: 10/s }\n",
       "t.yaml:6:21: expect.throughput_min selects core-1, which has no clients, expected "
       "nodes with clients (in a requests workload's 'at')"},
      {"throughput without a requests workload", kHead + "expect:\n  throughput_min: { edge: 1/s }\n",
       "t.yaml:4:3: expect.throughput_min in a scenario without a requests workload, "
       "expected it only with the three-tier model (clients at edge nodes)"},
      {"throughput not a map", kTiers + "expect:\n  throughput_min: 1000/s\n",
       "t.yaml:6:19: expect.throughput_min is '1000/s', expected a map of node selectors to "
       "rates like { edge: 1000/s }"},
      {"throughput empty map", kTiers + "expect:\n  throughput_min: {}\n",
       "t.yaml:6:19: expect.throughput_min is an empty map, expected a map of node "
       "selectors to rates like { edge: 1000/s }"},
      {"throughput key twice", kTiers + "expect:\n  throughput_min: { edge: 1/s, edge: 2/s }\n",
       "t.yaml:6:32: duplicate key 'edge' in expect.throughput_min, expected each key once"},
      // Maps of optional settings that set nothing, and bounds that could
      // never fail, were taken in silence (an adversarial pass).
      {"latency_p99 empty map", kTiers + "expect:\n  latency_p99: {}\n",
       "t.yaml:6:16: expect.latency_p99 is an empty map, expected at least one of ping, edge, core, cloud or "
       "outside_faults"},
      {"utilisation_max empty map", kTiers + "expect:\n  utilisation_max: {}\n",
       "t.yaml:6:20: expect.utilisation_max is an empty map, expected at least one of edge, core or cloud"},
      {"model.rpc empty map", kTiers + "model:\n  rpc: {}\n",
       "t.yaml:6:8: model.rpc is an empty map, expected at least one of timeout, retries, cores_tried, "
       "pool_size, pool_warm, handshake_timeout or retry_budget"},
      {"network.default empty map", kTiers + "network:\n  default: {}\n",
       "t.yaml:6:12: network.default is an empty map, expected at least one of latency, drop, duplicate, "
       "reorder or tls"},
      {"utilisation_max of 100%", kTiers + "expect:\n  utilisation_max: { core: 100% }\n",
       "t.yaml:6:28: expect.utilisation_max.core is '100%', expected a ratio below 1, like 0.7 or '70%' "
       "(utilisation never passes 100 %, so a maximum of 1 could never fail)"},
      {"min_delivered 0", kTiers + "expect:\n  min_delivered: 0\n",
       "t.yaml:6:18: expect.min_delivered is '0', expected a whole number above 0 (a minimum of 0 could never "
       "fail)"},
      {"a quoted boolean", kTiers + "model:\n  recovery: \"false\"\n",
       "t.yaml:6:13: model.recovery is 'false', expected true or false, unquoted (in quotes it is a string)"},
      {"a quoted integer", kTiers + "model:\n  rpc: { retries: '2' }\n",
       "t.yaml:6:19: model.rpc.retries is '2', expected an integer 0..10, unquoted (in quotes it is a string)"},
      // Byzantine faults.
      {"byzantine core node",
       kTiers + "faults:\n  - { at: 1s, byzantine: core-1, strategy: cloud_direct_write }\n",
       "t.yaml:6:26: byzantine strategy 'cloud_direct_write' on core-1 (a core node), "
       "expected edge nodes only"},
      {"byzantine glob with core and cloud nodes",
       kTiers + "faults:\n  - { at: 1s, byzantine: '*-1', strategy: cloud_direct_write }\n",
       "t.yaml:6:26: byzantine strategy 'cloud_direct_write' on core-1 (a core node), "
       "expected edge nodes only"},
      {"byzantine without strategy", kTiers + "faults:\n  - { at: 1s, byzantine: edge-1 }\n",
       "t.yaml:6:5: missing key 'strategy' in faults[0], expected a strategy: "
       "cloud_direct_write"},
      {"misspelt byzantine strategy",
       kTiers + "faults:\n  - { at: 1s, byzantine: edge-1, strategy: cloud_direct_writes }\n",
       "t.yaml:6:44: unknown byzantine strategy 'cloud_direct_writes' in "
       "faults[0].strategy, did you mean 'cloud_direct_write'?"},
      {"unknown byzantine strategy",
       kTiers + "faults:\n  - { at: 1s, byzantine: edge-1, strategy: lie }\n",
       "t.yaml:6:44: faults[0].strategy is 'lie', expected a strategy: cloud_direct_write"},
      {"byzantine rate zero",
       kTiers + "faults:\n  - { at: 1s, byzantine: edge-1, strategy: cloud_direct_write, rate: 0/s }\n",
       "t.yaml:6:70: faults[0].rate is '0/s', expected a rate like 3000/s or 120/m, a whole number from 1/s to "
       "1000000/s"},
      {"strategy on a crash fault",
       kTiers + "faults:\n  - { at: 1s, crash: edge-1, strategy: cloud_direct_write }\n",
       "t.yaml:6:30: 'strategy' on a crash fault, expected 'strategy' and 'rate' only with "
       "byzantine"},
      {"byzantine without a requests workload",
       kHead + "faults:\n  - { at: 1s, byzantine: edge-1, strategy: cloud_direct_write }\n",
       "t.yaml:4:44: byzantine strategy 'cloud_direct_write' in a scenario without a "
       "requests workload, expected it only with the three-tier model (a requests workload)"},
      {"byzantine on a node that is down",
       kTiers +
           "faults:\n  - { at: 1s, crash: edge-1, for: 5s }\n"
           "  - { at: 3s, byzantine: edge, strategy: cloud_direct_write }\n",
       "t.yaml:7:5: byzantine edge-1 at 3s, but edge-1 is down (crashed at 1s), expected a "
       "node that is up"},
      // Faults at protocol points.
      {"misspelt protocol point",
       kTiers + "faults:\n  - { at_point: storage.replica.after_wal_apend, node: cloud-1, do: crash }\n",
       "t.yaml:6:17: unknown protocol point 'storage.replica.after_wal_apend' in faults[0].at_point, did you "
       "mean 'storage.replica.after_wal_append'?"},
      {"unknown protocol point", kTiers + "faults:\n  - { at_point: nowhere, node: cloud-1, do: crash }\n",
       "t.yaml:6:17: faults[0].at_point is 'nowhere', expected a protocol point like "
       "storage.replica.after_wal_append (docs/scenarios.md)"},
      {"at_point without the three tiers",
       kHead + "faults:\n  - { at_point: rpc.server.after_execute, node: core-1, do: crash }\n",
       "t.yaml:4:17: at_point 'rpc.server.after_execute' in a scenario without a requests workload, expected it "
       "only with the three-tier model (a requests workload), whose protocols have the points"},
      {"at_point with a time",
       kTiers + "faults:\n  - { at: 1s, at_point: rpc.server.after_execute, node: core-1, do: crash }\n",
       "t.yaml:6:7: 'at' on an at_point fault, expected either 'at' (a time) or 'at_point' (a protocol point)"},
      {"at_point without a node", kTiers + "faults:\n  - { at_point: rpc.server.after_execute, do: crash }\n",
       "t.yaml:6:5: missing key 'node' in faults[0], expected the node that acts at the point, like cloud-2"},
      {"at_point on several nodes",
       kTiers + "faults:\n  - { at_point: rpc.server.after_execute, node: core, do: crash }\n",
       "t.yaml:6:49: faults[0].node selects 2 nodes (core-1, ...), expected exactly one node"},
      {"at_point on a node that never runs the code",
       kTiers + "faults:\n  - { at_point: storage.replica.after_wal_append, node: core-1, do: crash }\n",
       "t.yaml:6:57: storage.replica.after_wal_append on core-1 (a core node), which never runs that code, "
       "expected a cloud node"},
      {"at_point nth 0",
       kTiers + "faults:\n  - { at_point: rpc.server.after_execute, node: core-1, nth: 0, do: crash }\n",
       "t.yaml:6:62: faults[0].nth is '0', expected an integer 1..1000000000000"},
      {"at_point without an action",
       kTiers + "faults:\n  - { at_point: rpc.server.after_execute, node: core-1 }\n",
       "t.yaml:6:5: missing key 'do' in faults[0], expected an action at the point: crash or cut"},
      {"at_point with an unknown action",
       kTiers + "faults:\n  - { at_point: rpc.server.after_execute, node: core-1, do: restart }\n",
       "t.yaml:6:61: faults[0].do is 'restart', expected an action at the point: crash or cut"},
      {"at_point and crash in one fault",
       kTiers + "faults:\n  - { at_point: rpc.server.after_execute, crash: core-1 }\n",
       "t.yaml:6:43: faults[0] has two actions 'at_point' and 'crash', expected exactly one"},
      {"nth on a crash fault", kTiers + "faults:\n  - { at: 1s, crash: edge-1, nth: 2 }\n",
       "t.yaml:6:30: 'nth' on a crash fault, expected 'node', 'nth' and 'do' only with at_point"},
      {"a three-tier invariant without the three tiers", kHead + "expect:\n  invariants: [tokens]\n",
       "t.yaml:4:16: invariant 'tokens' in a scenario without a requests workload, expected it only with the "
       "three-tier model"},
      {"durability without a crash", kHead + "expect:\n  invariants: [durability]\n",
       "t.yaml:4:16: invariant 'durability' has nothing to judge in this scenario, expected a crash in the "
       "schedule (what survives one is what it judges)"},
      {"catch_up without a cloud crash", kTiers + "faults:\n  - { at: 1s, crash: core-1 }\nexpect:\n  invariants: [catch_up]\n",
       "t.yaml:8:16: invariant 'catch_up' has nothing to judge in this scenario, expected " + kCloudRestart},
      {"catch_up whose cloud crash restarts after the end",
       kTiers + "faults:\n  - { at: 50s, crash: cloud-1, for: 10001ms }\nexpect:\n  invariants: [catch_up]\n",
       "t.yaml:8:16: invariant 'catch_up' has nothing to judge in this scenario, expected " + kCloudRestart},
      {"durability on the tiers with a cloud crash never restarted",
       kTiers + "faults:\n  - { at: 50s, crash: cloud-1 }\n  - { at: 40s, restart: cloud-1 }\nexpect:\n"
                "  invariants: [durability]\n",
       "t.yaml:9:16: invariant 'durability' has nothing to judge in this scenario, expected " + kCloudRestart},
      {"tokens without a bad token", kTiers + "expect:\n  invariants: [tokens]\n",
       "t.yaml:6:16: invariant 'tokens' has nothing to judge in this scenario, expected requests with a bad token "
       "(bad_tokens above 0 in a requests workload): the ones it judges"},
      {"convergence without a DSM write", kTiers + "expect:\n  invariants: [convergence]\n",
       "t.yaml:6:16: invariant 'convergence' has nothing to judge in this scenario, expected DSM writes (dsm_set in "
       "the mix of a requests workload with bad_tokens below 100%, or a dsm_set action): the entries it compares"},
      {"exactly_once without msgq traffic", kTiers + "expect:\n  invariants: [exactly_once]\n",
       "t.yaml:6:16: invariant 'exactly_once' has nothing to judge in this scenario, expected messages through msgq "
       "(DSM writes, as for convergence, or a billing workload with its edge cache and operations that write): the "
       "deliveries it counts"},
      {"acknowledged_writes without a write", kReadOnly + "expect:\n  invariants: [acknowledged_writes]\n",
       "t.yaml:6:16: invariant 'acknowledged_writes' has nothing to judge in this scenario, expected writes (write in "
       "the mix of a requests workload with bad_tokens below 100%): the acknowledged versions it looks for"},
      {"edge_isolation without a write or a Byzantine node", kReadOnly + "expect:\n  invariants: [edge_isolation]\n",
       "t.yaml:6:16: invariant 'edge_isolation' has nothing to judge in this scenario, expected writes (write in the "
       "mix of a requests workload with bad_tokens below 100%) or a Byzantine edge node: the writers of cloud "
       "versions it checks"},
      {"at_most_once without a call to core",
       kHead + "workload:\n  - { kind: requests, rate: 10/s, mix: { dsm_get: 1 } }\nexpect:\n" +
           "  invariants: [at_most_once]\n",
       "t.yaml:6:16: invariant 'at_most_once' has nothing to judge in this scenario, expected calls to core "
       "(session_check, read or write in the mix of a requests workload with bad_tokens below 100%, or a billing "
       "workload): the executions it counts"},
      {"served_ratio_min over clients all refused",
       kHead + "workload:\n  - { kind: requests, rate: 10/s, bad_tokens: 100% }\nexpect:\n  served_ratio_min: 0.5\n",
       "t.yaml:6:3: expect.served_ratio_min in a scenario whose every client request carries a bad token (refused "
       "requests are left out of the ratio, so none would count), expected clients with good tokens or no "
       "expect.served_ratio_min"},
      {"core latency over clients that stay at the edge",
       kHead + "workload:\n  - { kind: requests, rate: 10/s, mix: { dsm_set: 1, dsm_get: 1 } }\nexpect:\n"
               "  latency_p99: { core: 1s }\n",
       "t.yaml:6:18: expect.latency_p99.core in a scenario whose clients send nothing past the edge (session_check, "
       "read and write all 0 in the mix, or bad_tokens: 100%), expected clients that reach the core tier or no "
       "expect.latency_p99.core"},
      {"causality listed twice", kTiers + "expect:\n  invariants: [causality, causality]\n",
       "t.yaml:6:27: invariant 'causality' listed twice in expect.invariants, expected each once"},
      {"zero quiescence", kHead + "expect:\n  quiescence: 0s\n",
       "t.yaml:4:15: expect.quiescence is '0s', expected a duration above 0s and at most 1h"},
      {"quiescence above 1h", kHead + "expect:\n  quiescence: 61m\n",
       "t.yaml:4:15: expect.quiescence is '61m', expected a duration above 0s and at most 1h"},
      {"quiescence without unit", kHead + "expect:\n  quiescence: 2\n",
       "t.yaml:4:15: expect.quiescence is '2' (missing unit), expected a duration with a unit "
       "like 5ms"},
      {"zero dsm_keys", kHead + "workload:\n  - { kind: requests, rate: 1/s, dsm_keys: 0 }\n",
       "t.yaml:4:44: workload[0].dsm_keys is '0', expected an integer 1..65536"},
      {"too many dsm_keys", kHead + "workload:\n  - { kind: requests, rate: 1/s, dsm_keys: 65537 }\n",
       "t.yaml:4:44: workload[0].dsm_keys is '65537', expected an integer 1..65536"},
      {"zero until", kHead + "workload:\n  - { kind: requests, rate: 1/s, until: 0s }\n",
       "t.yaml:4:41: workload[0].until is '0s', expected a duration above 0s and at most 24h"},
      {"until on ping",
       kHead + "workload:\n  - { kind: ping, from: edge, to: core, rate: 1/s, until: 5s }\n",
       "t.yaml:4:52: unknown key 'until' in workload[0] (kind ping), expected kind, from, to, "
       "rate, size or timeout"},
      // YAML syntax errors, converted to one line.
      {"unclosed flow map", "name: t\nduration: 60s\ntopology: { edge: 3\n",
       "t.yaml:4:1: YAML syntax error: end of map flow not found, expected valid YAML"},
      {"bad indentation", "name: t\nworkload:\n  - a\n - b\n",
       "t.yaml:4:2: YAML syntax error: end of map not found, expected valid YAML"},
      {"junk yaml-cpp reads as an empty document", "\n, a: 1\n",
       "t.yaml:2:1: YAML syntax error: unexpected ', a: 1', expected valid YAML"},
      {"junk after a document", kHead + "--- ,\n",
       "t.yaml:3:1: a second YAML document, expected one scenario per file"},
      {"undefined alias", kHead + "description: *nothing\n",
       "t.yaml:3:14: YAML syntax error: the referenced anchor is not defined, expected valid "
       "YAML"},
      // Hostile documents.
      {"alias cycle", kHead + "description: &a [x, *a]\n",
       "t.yaml:3:14: an alias refers to a node that contains it (anchor/alias cycle), expected "
       "no cycles"},
      {"billion laughs", billion_laughs(),
       "t.yaml:3:19: document too large (more than 100000 nodes, alias expansion?), expected a "
       "smaller scenario"},
      {"absurd flow nesting", "name: " + std::string(10000, '['),
       "t.yaml:1:71: nesting deeper than 64 levels, expected a flatter document"},
      {"block nesting",
       kHead + "description:\n" +
           [] {
             std::string s;
             for (int i = 1; i <= 70; ++i) s += std::string(static_cast<size_t>(i), ' ') + "- \n";
             return s;
           }(),
       "t.yaml:67:65: nesting deeper than 64 levels, expected a flatter document"},
      {"NUL byte", std::string("name: t\0\n", 9),
       "t.yaml:1:8: not a text file (byte 0x00 at offset 7), expected YAML"},
      {"NUL byte on a later line", std::string("name: t\nduration: 1s\0\n", 22),
       "t.yaml:2:13: not a text file (byte 0x00 at offset 20), expected YAML"},
      {"invalid UTF-8", "name: caf\xc3\x28\nduration: 60s\n",
       "t.yaml:1:10: not a text file (byte 0xc3 at offset 9), expected YAML"},
      {"too large", kHead + "# " + std::string(4u << 20, 'x') + "\n",
       "t.yaml:1:1: file too large (4194329 bytes), expected at most 4194304 bytes (4 MiB)"},
  };
  return cases;
}

}  // namespace

TEST_CASE("loader: every bad input gives its exact one-line error", "[scenario]") {
  REQUIRE(bad_cases().size() >= 25);
  for (const BadCase& c : bad_cases()) {
    INFO("case: " << c.what);
    CHECK(error_of(c.text) == c.error);
  }
}

TEST_CASE("loader: a file that cannot be read names the reason", "[scenario]") {
  CHECK(file_error_of("/nonexistent/dir/s.yaml") ==
        "/nonexistent/dir/s.yaml: cannot read: No such file or directory");
  CHECK(file_error_of(ECSIM_SOURCE_DIR "/scenarios") == ECSIM_SOURCE_DIR
        "/scenarios: cannot read: Is a directory");
}

TEST_CASE("loader: the quickstart loads with its values", "[scenario]") {
  const Scenario from_file = load_scenario_file(ECSIM_SOURCE_DIR "/scenarios/quickstart.yaml");
  const Scenario s = load_quickstart();
  CHECK(s.file == "<quickstart>");
  CHECK(from_file.text == s.text);
  CHECK(s.name == "quickstart");
  CHECK(s.seed == 1);
  CHECK(s.duration == 60_s);
  CHECK(s.description.find("cloud-2 crashes") != std::string::npos);
  CHECK(s.topology.edge == 3);
  CHECK(s.topology.core == 2);
  CHECK(s.topology.cloud == 3);
  // What the description promises is pinned; calibrated figures (rates,
  // latencies, SLA thresholds) may move, so only their presence and range are.
  REQUIRE(s.network.overrides.size() == 1);
  CHECK(s.network.overrides[0].between[0].text == "core");
  CHECK(s.network.overrides[0].between[1].text == "cloud");
  REQUIRE(s.network.overrides[0].patch.latency);
  CHECK(s.network.overrides[0].patch.latency->validate().empty());
  CHECK(s.workload.empty());
  REQUIRE(s.requests.size() == 1);
  CHECK(s.requests[0].at.text == "edge");
  CHECK(s.requests[0].rate_per_s >= 1000);  // the reference design: > 1,000 req/s per edge
  CHECK(s.requests[0].mix_dsm_set > 0);
  CHECK(s.requests[0].mix_write > 0);
  REQUIRE(s.faults.size() == 2);
  CHECK(s.faults[0].kind == Fault::Kind::kCrash);
  CHECK(s.faults[0].target.text == "cloud-2");
  CHECK(s.faults[0].for_duration == std::optional<sim::Duration>(5_s));
  CHECK(s.faults[1].kind == Fault::Kind::kPartition);
  REQUIRE(s.faults[1].groups.size() == 2);
  CHECK(s.faults[1].groups[0][0].text == "edge-1");
  CHECK(s.faults[1].groups[1][0].text == "*");
  CHECK(s.expect.invariants == std::vector<std::string>{"durability", "causality", "exactly_once", "acknowledged_writes",
                                                       "catch_up", "at_most_once"});
  REQUIRE(s.expect.served_ratio_min);
  CHECK(*s.expect.served_ratio_min > 0.5);
  CHECK(*s.expect.served_ratio_min <= 1.0);
  CHECK(s.expect.tier_latency_p99[0] == std::optional<sim::Duration>(10_ms));
  CHECK(s.expect.tier_latency_p99[1] == std::optional<sim::Duration>(50_ms));
  // The reference design: each edge node above 1,000 req/s offered and served.
  REQUIRE(s.expect.throughput_min.size() == 1);
  CHECK(s.expect.throughput_min[0].nodes.text == "edge");
  CHECK(s.expect.throughput_min[0].per_s == 1000);
  CHECK(s.requests[0].rate_per_s > s.expect.throughput_min[0].per_s);
  CHECK(s.expect.mark.line > s.faults[1].mark.line);
}

TEST_CASE("loader: model patches the tier parameters it names", "[scenario]") {
  const Scenario s = load_scenario_text(
      kTiers + "model:\n  edge_cache: { capacity: 500, ttl: 2s }\n"
               "  rpc: { timeout: 150ms, retries: 0, cores_tried: 1, pool_size: 4, pool_warm: 4,"
               " handshake_timeout: 1s }\n"
               "  messaging: { resend_timeout: 1s, window: 32 }\n  cores: { core: 8 }\n",
      "t.yaml");
  const ModelPatch& m = s.model;
  CHECK(m.cache_capacity == 500u);
  CHECK(m.cache_ttl == 2_s);
  CHECK(m.rpc_timeout == 150_ms);
  CHECK(m.rpc_retries == 0u);
  CHECK(m.rpc_cores_tried == 1u);
  CHECK(m.rpc_pool_size == 4u);
  CHECK(m.rpc_pool_warm == 4u);
  CHECK(m.rpc_handshake_timeout == 1_s);
  CHECK(m.resend_timeout == 1_s);
  CHECK(m.window == 32u);
  CHECK_FALSE(m.cores[0].has_value());
  CHECK(m.cores[1] == 8u);
  // Nothing set: every default stays.
  const Scenario d = load_scenario_text(kTiers, "t.yaml");
  CHECK_FALSE(d.model.rpc_pool_size.has_value());
  CHECK_FALSE(d.model.resend_timeout.has_value());
}

TEST_CASE("loader: throughput_min maps node selectors to rates", "[scenario]") {
  const Scenario s = load_scenario_text(
      "name: t\nduration: 10s\ntopology: { edge: 2 }\nworkload:\n"
      "  - { kind: requests, at: edge-1, rate: 10/s }\n  - { kind: requests, at: edge-2, rate: 10/s }\n"
      "expect:\n  throughput_min: { edge: 1000/s, 'edge-?': 120/m, edge-2: 5/s }\n",
      "t.yaml");
  REQUIRE(s.expect.throughput_min.size() == 3);
  CHECK(s.expect.throughput_min[0].nodes.text == "edge");
  CHECK(s.expect.throughput_min[0].per_s == 1000);
  CHECK(s.expect.throughput_min[1].nodes.text == "edge-?");
  CHECK(s.expect.throughput_min[1].per_s == 2);  // 120/m
  CHECK(s.expect.throughput_min[2].nodes.text == "edge-2");
  CHECK(s.expect.throughput_min[2].nodes.mark.line == 8);
  CHECK(s.expect.throughput_min[2].nodes.mark.column == 52);
  CHECK(s.expect.throughput_min[2].per_s == 5);
  CHECK(load_scenario_text("name: t\nduration: 10s\nworkload:\n  - { kind: requests, rate: 1/s }\n",
                           "t.yaml")
            .expect.throughput_min.empty());
}

TEST_CASE("loader: at_point faults, with their node, nth and action, before the timed ones", "[scenario]") {
  const Scenario s = load_scenario_text(
      "name: t\nduration: 20s\nworkload:\n  - { kind: requests, rate: 10/s }\nfaults:\n"
      "  - { at: 2s, crash: edge-1, for: 1s }\n"
      "  - { at_point: storage.replica.after_wal_append, node: cloud-2, nth: 3, do: crash }\n"
      "  - { do: crash, node: 'cor?-1', at_point: rpc.server.before_respond, for: 500ms }\n"
      "expect: { recovers_within: 5s }\n",
      "t.yaml");
  REQUIRE(s.faults.size() == 3);
  const Fault& wal = s.faults[0];  // no time: sorted first, in the order written
  CHECK(wal.kind == Fault::Kind::kAtPoint);
  CHECK(wal.point == proto::Point::kStorageReplicaAfterWalAppend);
  CHECK(wal.target.text == "cloud-2");
  CHECK(wal.nth == 3);
  CHECK(wal.action == Fault::PointAction::kCrash);
  CHECK_FALSE(wal.for_duration.has_value());
  const Fault& respond = s.faults[1];
  CHECK(respond.kind == Fault::Kind::kAtPoint);
  CHECK(respond.point == proto::Point::kRpcServerBeforeRespond);
  CHECK(respond.target.text == "cor?-1");
  CHECK(respond.nth == 1);  // the default
  CHECK(respond.for_duration == std::optional<sim::Duration>(500_ms));
  CHECK(s.faults[2].kind == Fault::Kind::kCrash);
}

TEST_CASE("loader: a byzantine fault with its strategy and rate", "[scenario]") {
  const Scenario s = load_scenario_text(
      "name: t\nduration: 20s\nworkload:\n  - { kind: requests, rate: 10/s }\nfaults:\n"
      "  - { at: 5s, byzantine: edge-1, strategy: cloud_direct_write, rate: 50/s, for: 2s }\n"
      "  - { at: 1s, strategy: cloud_direct_write, byzantine: 'edge-*' }\n"
      "expect:\n  invariants: [edge_isolation]\n",
      "t.yaml");
  REQUIRE(s.faults.size() == 2);
  const Fault& later = s.faults[1];  // sorted by `at`
  CHECK(later.kind == Fault::Kind::kByzantine);
  CHECK(later.target.text == "edge-1");
  CHECK(later.strategy == Fault::Strategy::kCloudDirectWrite);
  CHECK(later.rate_per_s == 50);
  CHECK(later.for_duration == std::optional<sim::Duration>(2_s));
  const Fault& first = s.faults[0];
  CHECK(first.kind == Fault::Kind::kByzantine);
  CHECK(resolve(s.topology, first.target.text) == std::vector<uint32_t>{0, 1, 2});
  CHECK(first.rate_per_s == Fault::kByzantineRatePerSDefault);
  CHECK(!first.for_duration);
  CHECK(s.expect.invariants == std::vector<std::string>{"edge_isolation"});
  // A byzantine node may crash during its fault, and be byzantine again once
  // it is back up.
  CHECK_NOTHROW(load_scenario_text(
      "name: t\nduration: 20s\nworkload:\n  - { kind: requests, rate: 100/s }\nfaults:\n"
      "  - { at: 1s, byzantine: edge-1, strategy: cloud_direct_write, for: 10s }\n"
      "  - { at: 2s, crash: edge-1, for: 1s }\n"
      "  - { at: 4s, byzantine: edge-1, strategy: cloud_direct_write }\n"
      "expect: { recovers_within: 5s }\n",
      "t.yaml"));
}

TEST_CASE("loader: defaults when keys are absent", "[scenario]") {
  const Scenario s = load_scenario_text(
      "name: t\nduration: 1.5s\nworkload:\n  - { kind: ping, from: '*', to: 'cloud-?', rate: 120/m "
      "}\n",
      "t.yaml");
  CHECK(s.file == "t.yaml");
  CHECK(s.duration == 1500_ms);
  CHECK(s.seed == 1);
  CHECK(s.topology.edge == 3);
  CHECK(s.topology.core == 2);
  CHECK(s.topology.cloud == 3);
  CHECK(s.faults.empty());
  CHECK(s.expect.invariants.empty());
  CHECK(s.expect.quiescence == 2_s);
  CHECK(!s.expect.served_ratio_min);
  REQUIRE(s.workload.size() == 1);
  CHECK(s.workload[0].rate_per_s == 2);
  CHECK(s.workload[0].size_bytes == 128);
  CHECK(s.workload[0].timeout == 1_s);
  CHECK(s.workload[0].mark.line == 4);
  CHECK(s.workload[0].mark.column == 5);
}

TEST_CASE("loader: probabilities become parts per million, rounded to nearest", "[scenario]") {
  const auto drop_ppm = [](const std::string& p) {
    const Scenario s = load_scenario_text(
        "name: t\nduration: 1s\nnetwork: { default: { drop: " + p + " } }\n", "t.yaml");
    return *s.network.defaults.drop_ppm;
  };
  CHECK(drop_ppm("0") == 0);
  CHECK(drop_ppm("1") == net::kPpmOne);
  CHECK(drop_ppm("0.001") == 1000);
  CHECK(drop_ppm("0.0005") == 500);
  CHECK(drop_ppm("1e-3") == 1000);
  CHECK(drop_ppm("'30%'") == 300000);
  CHECK(drop_ppm("0.5%") == 5000);
  CHECK(drop_ppm("100%") == net::kPpmOne);
  CHECK(drop_ppm("0.0000005") == 1);   // half a ppm rounds up
  CHECK(drop_ppm("0.0000015") == 2);   // half away from zero
  CHECK(drop_ppm("0.00000149") == 1);  // below half a ppm rounds down (to 0 it is refused)
  CHECK(drop_ppm("0.1234567") == 123457);
}

TEST_CASE("loader: sizes and rates", "[scenario]") {
  const auto workload = [](const std::string& fields) {
    const Scenario s = load_scenario_text(
        "name: t\nduration: 1s\nworkload:\n  - { kind: ping, from: edge, to: core, " + fields +
            " }\n",
        "t.yaml");
    return s.workload.at(0);
  };
  CHECK(workload("rate: 1/s, size: 1").size_bytes == 1);
  CHECK(workload("rate: 1/s, size: 4KB").size_bytes == 4000);
  CHECK(workload("rate: 1/s, size: 4KiB").size_bytes == 4096);
  CHECK(workload("rate: 1/s, size: 1MiB").size_bytes == 1048576);
  CHECK(workload("rate: 3000/s").rate_per_s == 3000);
  CHECK(workload("rate: 60/m").rate_per_s == 1);
  CHECK(workload("rate: 1/s, timeout: 250us").timeout == 250_us);
}

TEST_CASE("loader: a requests workload with every field", "[scenario]") {
  const Scenario s = load_scenario_text(R"(name: t
duration: 10s
topology: { edge: 4 }
workload:
  - { kind: requests, at: "edge-?", rate: 3000/s, subscribers: 250000, zipf: 0.99,
      records: 16, mix: { session_check: 60, read: 25, write: 10, dsm_set: 3, dsm_get: 2 },
      bad_tokens: 10%, timeout: 250ms }
  - { kind: requests, at: edge-2, rate: 120/m, zipf: 0, mix: { write: 1 }, bad_tokens: 0.0005 }
)",
                                        "t.yaml");
  // Entries keep their written order.
  CHECK(s.workload.empty());
  REQUIRE(s.requests.size() == 2);
  const RequestWorkload& r = s.requests[0];
  CHECK(r.at.text == "edge-?");
  CHECK(r.at.mark.line == 5);
  CHECK(r.at.mark.column == 27);
  CHECK(resolve(s.topology, r.at.text).size() == 4);
  CHECK(r.rate_per_s == 3000);
  CHECK(r.subscribers == 250000);
  CHECK(r.zipf == 0.99);
  CHECK(r.records_per_subscriber == 16);
  CHECK(r.mix_session_check == 60);
  CHECK(r.mix_read == 25);
  CHECK(r.mix_write == 10);
  CHECK(r.mix_dsm_set == 3);
  CHECK(r.mix_dsm_get == 2);
  CHECK(r.bad_token_ppm == 100000);
  CHECK(r.timeout == 250_ms);
  CHECK(r.mark.line == 5);
  CHECK(r.mark.column == 5);
  // A given mix weighs the keys it leaves out 0; the others keep their defaults.
  const RequestWorkload& r2 = s.requests[1];
  CHECK(r2.at.text == "edge-2");
  CHECK(r2.rate_per_s == 2);
  CHECK(r2.subscribers == 100000);
  CHECK(r2.zipf == 0.0);
  CHECK(r2.records_per_subscriber == 4);
  CHECK(r2.mix_session_check == 0);
  CHECK(r2.mix_read == 0);
  CHECK(r2.mix_write == 1);
  CHECK(r2.mix_dsm_set == 0);
  CHECK(r2.mix_dsm_get == 0);
  CHECK(r2.bad_token_ppm == 500);
  CHECK(r2.timeout == 1_s);
  CHECK(r2.mark.line == 8);
}

TEST_CASE("loader: requests defaults when keys are absent", "[scenario]") {
  const Scenario s = load_scenario_text(
      "name: t\nduration: 1s\nworkload:\n  - { kind: requests, rate: 10/s }\n", "t.yaml");
  CHECK(s.workload.empty());
  REQUIRE(s.requests.size() == 1);
  const RequestWorkload& r = s.requests[0];
  CHECK(r.at.text == "edge");
  CHECK(r.at.mark.line == 4);
  CHECK(r.at.mark.column == 5);
  CHECK(r.rate_per_s == 10);
  CHECK(r.subscribers == 100000);
  CHECK(r.zipf == 1.1);
  CHECK(r.records_per_subscriber == 4);
  CHECK(r.mix_session_check == 70);
  CHECK(r.mix_read == 20);
  CHECK(r.mix_write == 10);
  CHECK(r.mix_dsm_set == 0);
  CHECK(r.mix_dsm_get == 0);
  CHECK(r.bad_token_ppm == 0);
  CHECK(r.timeout == 1_s);
  CHECK(r.mark.line == 4);
  CHECK(r.mark.column == 5);
}

TEST_CASE("loader: requests range limits are inclusive", "[scenario]") {
  const auto requests = [](const std::string& fields) {
    const Scenario s = load_scenario_text(
        "name: t\nduration: 1s\nworkload:\n  - { kind: requests, rate: 1/s, " + fields + " }\n",
        "t.yaml");
    return s.requests.at(0);
  };
  CHECK(requests("zipf: 0.01").zipf == 0.01);
  CHECK(requests("zipf: 5").zipf == 5.0);
  CHECK(requests("zipf: 1.1").zipf == 1.1);
  CHECK(requests("subscribers: 1").subscribers == 1);
  CHECK(requests("subscribers: 10000000").subscribers == 10000000);
  CHECK(requests("records: 1").records_per_subscriber == 1);
  CHECK(requests("records: 1000").records_per_subscriber == 1000);
  CHECK(requests("mix: { dsm_get: 1000000 }").mix_dsm_get == 1000000);
  CHECK(requests("bad_tokens: 1").bad_token_ppm == net::kPpmOne);
  CHECK(requests("timeout: 1h").timeout == sim::seconds(3600));
  CHECK(load_scenario_text("name: t\nduration: 1s\nworkload:\n  - { kind: requests, rate: "
                           "1000000/s }\n",
                           "t.yaml")
            .requests.at(0)
            .rate_per_s == 1000000);
}

TEST_CASE("loader: every latency model kind", "[scenario]") {
  const auto latency = [](const std::string& model) {
    const Scenario s = load_scenario_text(
        "name: t\nduration: 1s\nnetwork: { default: { latency: " + model + " } }\n", "t.yaml");
    return *s.network.defaults.latency;
  };
  using net::LatencyModel;
  CHECK(latency("{ constant: 2ms }") == LatencyModel::constant(2_ms));
  CHECK(latency("{ uniform: [4ms, 12ms] }") == LatencyModel::uniform(4_ms, 12_ms));
  CHECK(latency("{ uniform: [0s, 1ns] }") == LatencyModel::uniform({0}, {1}));
  CHECK(latency("{ normal: { mean: 5ms, stddev: 1ms } }") == LatencyModel::normal(5_ms, 1_ms));
  CHECK(latency("{ lognormal: { median: 2ms, p99: 8ms } }") == LatencyModel::lognormal(2_ms, 8_ms));
  CHECK(latency("{ pareto: { scale: 1ms, alpha: 1.5 } }") == LatencyModel::pareto(1_ms, 1.5));
  CHECK(latency("{ pareto: { scale: 1ms, alpha: 1.5, cap: 1s } }") ==
        LatencyModel::pareto(1_ms, 1.5, 1_s));
}

TEST_CASE("loader: faults are sorted by time, stable, with their arguments", "[scenario]") {
  const Scenario s = load_scenario_text(R"(name: t
duration: 60s
topology: { edge: 2, core: 2, cloud: 1 }
faults:
  - { at: 30s, heal: all }
  - { at: 10s, crash: core-1, for: 5s }
  - { at: 20s, partition: [[edge-1, edge-2], [core], "*"], for: 2s }
  - { at: 10s, delay: { between: [edge-*, core], latency: { constant: 50ms } } }
  - { at: 16s, crash: core-1 }
  - { at: 17s, restart: core-1 }
  - { at: 5s, reorder: {} }
  - { at: 6s, duplicate: { rate: 10% } }
)",
                                        "t.yaml");
  REQUIRE(s.faults.size() == 8);
  std::vector<Fault::Kind> kinds;
  for (const Fault& f : s.faults) kinds.push_back(f.kind);
  using K = Fault::Kind;
  CHECK(kinds == std::vector<K>{K::kReorder, K::kDuplicate, K::kCrash, K::kDelay, K::kCrash,
                                K::kRestart, K::kPartition, K::kHeal});
  CHECK(s.faults[0].at == sim::Time{5'000'000'000});
  CHECK(s.faults[0].between[0].text == "*");
  CHECK(s.faults[0].between[1].text == "*");
  CHECK(s.faults[1].ppm == 100000);
  CHECK(s.faults[2].mark.line == 6);  // the crash listed before the delay at the same time
  CHECK(s.faults[2].for_duration == std::optional<sim::Duration>(5_s));
  CHECK(s.faults[3].latency == net::LatencyModel::constant(50_ms));
  CHECK(s.faults[3].between[0].text == "edge-*");
  CHECK(!s.faults[4].for_duration);
  const Fault& partition = s.faults[6];
  REQUIRE(partition.groups.size() == 3);
  CHECK(partition.groups[0].size() == 2);
  CHECK(partition.groups[1][0].text == "core");
  CHECK(partition.groups[2][0].text == "*");
  CHECK(partition.for_duration == std::optional<sim::Duration>(2_s));
  CHECK(partition.mark.line == 7);
  CHECK(partition.mark.column == 5);
}

TEST_CASE("loader: selectors as written, with their position", "[scenario]") {
  const Scenario s = load_scenario_text(R"(name: t
duration: 10s
network:
  links:
    - { between: [cloud, "cloud-*"], reorder: true, duplicate: 0.01 }
    - { between: ['*', edge-1], latency: { constant: 1ms } }
)",
                                        "t.yaml");
  REQUIRE(s.network.overrides.size() == 2);
  const LinkOverride& first = s.network.overrides[0];
  CHECK(first.between[0].text == "cloud");
  CHECK(first.between[1].text == "cloud-*");
  CHECK(first.between[1].mark.line == 5);
  CHECK(first.between[1].mark.column == 26);
  CHECK(first.patch.reorder == std::optional<bool>(true));
  CHECK(first.patch.duplicate_ppm == std::optional<uint32_t>(10000));
  CHECK(!first.patch.drop_ppm);
  CHECK(s.network.overrides[1].between[0].text == "*");
  CHECK(resolve(s.topology, s.network.overrides[1].between[1].text) == std::vector<uint32_t>{0});
}

TEST_CASE("loader: a crash with 'for' frees the node afterwards", "[scenario]") {
  // core-1 is up again from 15s (auto restart), so crashing it at 16s is fine,
  // and a restart after a crash without `for` is fine.
  CHECK_NOTHROW(load_scenario_text(
      "name: t\nduration: 60s\nfaults:\n  - { at: 10s, crash: core-1, for: 5s }\n"
      "  - { at: 16s, crash: core-1 }\n  - { at: 20s, restart: core-1 }\n",
      "t.yaml"));
  // At exactly the automatic restart the order would be ambiguous: refused.
  CHECK(error_of("name: t\nduration: 60s\nfaults:\n  - { at: 10s, crash: core-1, for: 5s }\n"
                 "  - { at: 15s, crash: core-1 }\n") ==
        "t.yaml:5:5: crash of core-1 at 15s, but core-1 restarts by itself at 15s (crashed at 10s "
        "with 'for'), expected no crash before it is up again");
}

TEST_CASE("builtin_link_config and apply_patch", "[scenario]") {
  using net::LatencyModel;
  CHECK(builtin_link_config(Tier::kEdge, Tier::kCore).latency ==
        LatencyModel::lognormal(2_ms, 8_ms));
  CHECK(builtin_link_config(Tier::kCloud, Tier::kEdge) ==
        builtin_link_config(Tier::kEdge, Tier::kCloud));
  CHECK(builtin_link_config(Tier::kEdge, Tier::kCloud).latency ==
        LatencyModel::lognormal(10_ms, 40_ms));
  CHECK(builtin_link_config(Tier::kCore, Tier::kCore).latency ==
        LatencyModel::lognormal(500_us, 2_ms));
  CHECK(builtin_link_config(Tier::kCloud, Tier::kCore).latency ==
        LatencyModel::lognormal(5_ms, 20_ms));
  for (Tier a : {Tier::kEdge, Tier::kCore, Tier::kCloud}) {
    for (Tier b : {Tier::kEdge, Tier::kCore, Tier::kCloud}) {
      const net::LinkConfig c = builtin_link_config(a, b);
      CHECK(c.latency.validate().empty());
      CHECK(c.drop_ppm == 0);
      CHECK(c.duplicate_ppm == 0);
      CHECK(!c.reorder);
    }
  }
  net::LinkConfig c = builtin_link_config(Tier::kEdge, Tier::kEdge);
  LinkPatch patch;
  patch.drop_ppm = 7;
  apply_patch(c, patch);
  CHECK(c.drop_ppm == 7);
  CHECK(c.latency == LatencyModel::lognormal(500_us, 2_ms));  // untouched
  patch.latency = LatencyModel::constant(3_ms);
  patch.reorder = true;
  apply_patch(c, patch);
  CHECK(c.latency == LatencyModel::constant(3_ms));
  CHECK(c.reorder);
  CHECK(c.duplicate_ppm == 0);
}

// Issue 9: a three-tier scenario with a fault window must say how soon it
// recovers; the expectation needs the tiers, a fault window and whole seconds.
TEST_CASE("loader: recovers_within is required with a fault window on the tiers, and checked", "[scenario]") {
  const std::string head = "name: t\nduration: 20s\nworkload:\n  - { kind: requests, rate: 100/s }\n";
  const std::string crash = "faults:\n  - { at: 2s, crash: edge-1, for: 1s }\n";
  const auto error = error_or_none;
  CHECK(error(head + crash) ==
        "t.yaml:6:5: a fault window in a scenario with a requests workload, but no expect.recovers_within, expected "
        "one like 'recovers_within: 5s' (how soon the served ratio must be back after the last fault)");
  // Where 5 s would put the deadline past the last second to judge (at 8s
  // and 9s, in a 10 s run), the example is one that fits.
  CHECK(error(std::string(head).replace(head.find("20s"), 3, "10s") +
              "faults:\n  - { at: 2s, crash: edge-1, for: 2s }\n") ==
        "t.yaml:6:5: a fault window in a scenario with a requests workload, but no expect.recovers_within, expected "
        "one like 'recovers_within: 1s' (how soon the served ratio must be back after the last fault)");
  CHECK(error(head + crash + "expect: { recovers_within: 500ms }\n") ==
        "t.yaml:7:28: expect.recovers_within is '500ms', expected a duration from 1s and at most 1h");
  CHECK(error(head + "expect: { recovers_within: 5s }\n") ==
        "t.yaml:5:11: expect.recovers_within in a scenario without a fault window, expected a timed fault or an "
        "at_point crash to recover from");
  CHECK(error("name: t\nduration: 20s\nworkload:\n  - { kind: ping, from: edge, to: core, rate: 10/s }\n" + crash +
              "expect: { recovers_within: 5s }\n") ==
        "t.yaml:7:11: expect.recovers_within in a scenario without a requests workload, expected it only with the "
        "three-tier model (client requests to measure)");
  // A restart, a heal or a fault at a protocol point has no window: not required.
  CHECK(error(head + "faults:\n  - { at_point: rpc.server.after_execute, node: core-1, do: crash }\n") ==
        "no error");
  // ... but an at_point crash may be judged: its window is known once it fired.
  CHECK(error(head + "faults:\n  - { at_point: rpc.server.after_execute, node: core-1, do: crash }\n" +
              "expect: { recovers_within: 5s }\n") == "no error");
  const Scenario s = load_scenario_text(head + crash + "expect: { recovers_within: 5s }\n", "t.yaml");
  CHECK(s.expect.recovers_within == std::optional<sim::Duration>(sim::seconds(5)));
}

// An invariant is refused only where its checker could count nothing; these
// schedules give it something (or may: an at_point crash may fire).
TEST_CASE("loader: an invariant with something to judge in the schedule loads", "[scenario]") {
  const auto error = error_or_none;
  const std::string cloud_crash = "faults:\n  - { at: 50s, crash: cloud-1";
  const std::string both = "expect:\n  invariants: [catch_up, durability]\n";
  CHECK(error(kTiers + cloud_crash + ", for: 9999ms }\n" + both) == "no error");
  CHECK(error(kTiers + cloud_crash + " }\n  - { at: 59500ms, restart: cloud-1 }\n" + both) == "no error");
  CHECK(error(kTiers + "faults:\n  - { at_point: storage.replica.after_sync, node: cloud-2, do: crash, for: 1s }\n" +
              both) == "no error");
  // Back at the very end, or never (an at_point crash restarts only by its
  // own for): no restart to judge (found by an adversarial pass).
  CHECK(error(kTiers + cloud_crash + ", for: 10s }\n" + both) != "no error");
  CHECK(error(kTiers + "faults:\n  - { at_point: storage.replica.after_sync, node: cloud-2, do: crash }\n" + both) !=
        "no error");
  CHECK(error(kTiers + "faults:\n  - { at: 1s, dsm_set: { node: edge-1, key: 1, value: 2 } }\n" +
              "expect:\n  invariants: [convergence, exactly_once]\n") == "no error");
  CHECK(error(kHead + "workload:\n  - { kind: requests, rate: 10/s, mix: { dsm_set: 1 }, bad_tokens: 1% }\n" +
              "expect:\n  invariants: [convergence, exactly_once, tokens]\n") == "no error");
  CHECK(error(kReadOnly + "  - { kind: billing, rate: 5/s, cache: { entries: 10 } }\nexpect:\n" +
              "  invariants: [exactly_once]\n") == "no error");
  CHECK(error(kReadOnly + "faults:\n  - { at: 5s, byzantine: edge-1, strategy: cloud_direct_write, rate: 10/s }\n" +
              "expect:\n  invariants: [edge_isolation]\n") == "no error");
  // Clients whose every request is refused write nothing.
  CHECK(error(kHead + "workload:\n  - { kind: requests, rate: 10/s, mix: { dsm_set: 1, write: 1 }, " +
              "bad_tokens: 100% }\nexpect:\n  invariants: [convergence]\n") != "no error");
  // Without the edge cache, billing sends nothing through msgq; with it, a
  // billing mix that only reads invalidates nothing.
  CHECK(error(kReadOnly + "  - { kind: billing, rate: 5/s }\nexpect:\n  invariants: [exactly_once]\n") != "no error");
  CHECK(error(kReadOnly + "  - { kind: billing, rate: 5/s, mix: { balance: 1 }, cache: { entries: 10 } }\nexpect:\n" +
              "  invariants: [exactly_once]\n") != "no error");
  // Calls to core: billing operations count too.
  CHECK(error(kHead + "workload:\n  - { kind: requests, rate: 10/s, mix: { dsm_get: 1 } }\n" +
              "  - { kind: billing, rate: 5/s }\nexpect:\n  invariants: [at_most_once]\n") == "no error");
}

// A recovers_within that no run could judge is refused; where none could be
// judged it is not required either (the run still judges the invariants).
TEST_CASE("loader: recovers_within with no second left to judge is refused and not required", "[scenario]") {
  const auto error = error_or_none;
  const std::string refused = "t.yaml:7:11: expect.recovers_within can never be judged: ";
  const std::string advice = ", expected requests for a whole second after the last fault window and its deadline (a "
                             "shorter recovers_within, a later until or a longer duration), or no "
                             "expect.recovers_within";
  const std::string head = "name: t\nduration: 10s\nworkload:\n  - { kind: requests, rate: 10/s, until: 4s }\n";
  const std::string crash = "faults:\n  - { at: 5s, crash: cloud-2, for: 1s }\n";
  const std::string expect = "expect: { recovers_within: 5s }\n";
  CHECK(error(head + crash + expect) ==
        refused + "the last fault window ends at 6s, and the clients stop at 4s (the requests workload's until), "
                  "before the first whole second after it, from 6s" + advice);
  CHECK(error(head + crash) == "no error");
  // A partition never healed lasts to the end of the run.
  const std::string open = "faults:\n  - { at: 3s, partition: [[edge-1], \"*\"] }\n";
  const std::string all = "name: t\nduration: 10s\nworkload:\n  - { kind: requests, rate: 10/s }\n";
  CHECK(error(all + open + expect) ==
        refused + "the last fault window ends at 10s, and no whole second follows it before 9s (the end of the run at "
                  "10s less the clients' timeout of 1s, by when all that began in it has settled)" + advice);
  CHECK(error(all + open) == "no error");
  // One whole second at or after the deadline is enough: with 1 s to
  // recover in, clients sending until 8s cover [7s, 8s); at 4 a second on
  // each of 3 edge nodes until 7.5s, 6 expected from the deadline at 7s are
  // too few (the 18 from 6s, before it, cannot show a late recovery).
  const std::string expect1 = "expect: { recovers_within: 1s }\n";
  CHECK(error("name: t\nduration: 10s\nworkload:\n  - { kind: requests, rate: 10/s, until: 8s }\n" + crash +
              expect1) == "no error");
  CHECK(error("name: t\nduration: 10s\nworkload:\n  - { kind: requests, rate: 4/s, until: 7500ms }\n" + crash +
              expect1) ==
        refused + "the last fault window ends at 6s, and the clients are expected to send 6.0 requests with good "
                  "tokens in the whole seconds from 7s to 8s (at or after the deadline 1s later), fewer than 20 (a "
                  "count that small may be 0)" + advice);
  // Not back in the seconds before the deadline is not known to be late:
  // with 5 s to recover in, until 8s leaves no second at or after 11s.
  CHECK(error("name: t\nduration: 10s\nworkload:\n  - { kind: requests, rate: 10/s, until: 8s }\n" + crash +
              expect) ==
        refused + "the last fault window ends at 6s, and the deadline 5s later, at 11s, leaves no whole second to "
                  "judge before the clients stop at 8s (the requests workload's until)" + advice);
  CHECK(error("name: t\nduration: 11s\nworkload:\n  - { kind: requests, rate: 10/s }\n" + crash + expect) ==
        refused + "the last fault window ends at 6s, and the deadline 5s later, at 11s, leaves no whole second to "
                  "judge before 10s (the end of the run at 11s less the clients' timeout of 1s)" + advice);
  CHECK(error("name: t\nduration: 20s\nworkload:\n  - { kind: requests, rate: 10/s, until: 9s }\n" + crash +
              expect) ==
        refused + "the last fault window ends at 6s, and the deadline 5s later, at 11s, leaves no whole second to "
                  "judge before the clients stop at 9s (the requests workload's until)" + advice);
  // Exactly 20 is enough, counted in integers (in doubles 100 x 0.2 x 1 s
  // came to 19.999999999999996 and was refused).
  // The level's 100 too: 10 a second over the 10 s from 0s to 10s (the
  // crash at 11s less the 1 s timeout); 20 over the judged [13s, 15s), at
  // or after the deadline.
  const std::string exact = "name: t\nduration: 16s\ntopology: { edge: 2, core: 2, cloud: 3 }\nworkload:\n"
                            "  - { kind: requests, at: edge-2, rate: 100/s, bad_tokens: 90% }\n"
                            "faults:\n  - { at: 11s, crash: edge-1, for: 1s }\n";
  CHECK(error(exact + "expect: { recovers_within: 1s }\n") == "no error");
  CHECK_THAT(error(exact), Catch::StartsWith("t.yaml:7:5: a fault window in a scenario with a requests workload"));
  CHECK_THAT(error(std::string(exact).replace(exact.find("90%"), 3, "91%") + "expect: { recovers_within: 1s }\n"),
             Catch::Contains("expected to send 18.0 requests with good tokens"));
  // An at_point cut never healed would leave nothing to judge once it
  // fires: recovers_within is not required then, and not refused (the
  // point may never be reached).
  const std::string point_cut = all + "faults:\n  - { at: 1s, crash: edge-1, for: 1s }\n"
                                      "  - { at_point: rpc.server.before_execute, node: core-1, do: cut }\n";
  CHECK(error(point_cut) == "no error");
  CHECK(error(point_cut + "expect: { recovers_within: 3s }\n") == "no error");
  // Without a timed window, the fault at a point is the only one: refused
  // when even its earliest end leaves no second in which the clients send
  // (found by an adversarial pass: until 1s, a crash for 10ms).
  const std::string point_only =
      "name: t\nduration: 10s\nworkload:\n  - { kind: requests, rate: 200/s, until: 1s }\n"
      "faults:\n  - { at_point: rpc.server.after_execute, node: core-1, do: crash, for: 10ms }\n";
  CHECK_THAT(error(point_only + "expect: { recovers_within: 5s }\n"),
             Catch::StartsWith("t.yaml:7:11: expect.recovers_within can never be judged: the last fault window ends at "
                               "1.01s, and the clients stop at 1s"));
  // Its earliest end is taken with the point firing at 1 s: earlier, no
  // whole second before it measures the level, and the run has nothing to
  // judge (an adversarial pass: taken as firing at 0, a deadline one second
  // too late was accepted, and the verdict could not fail on a late
  // recovery).
  const auto later = [](const std::string& until) {
    return "name: t\nduration: 10s\nworkload:\n  - { kind: requests, rate: 200/s, until: " + until +
           " }\nfaults:\n  - { at_point: rpc.server.after_execute, node: core-1, do: crash, for: 10ms }\n";
  };
  CHECK(error(later("4s") + "expect: { recovers_within: 1s }\n") == "no error");
  CHECK_THAT(error(later("3s") + "expect: { recovers_within: 1s }\n"),
             Catch::Contains("the last fault window ends at 1.01s, and the deadline 1s later, at 2.01s, leaves no "
                             "whole second to judge (from 3s) before the clients stop at 3s"));
  // Requests that all carry a bad token are refused, and the served ratio
  // leaves refused requests out: nothing to judge, nothing required.
  const std::string bad = "name: t\nduration: 10s\nworkload:\n  - { kind: requests, rate: 10/s, bad_tokens: 100% }\n";
  CHECK(error(bad + crash + expect) ==
        refused + "every request carries a bad token (bad_tokens: 100%), and refused requests are left out of the "
                  "served ratio" + advice);
  CHECK(error(bad + crash) == "no error");
  // A heal ends a partition with a long `for`: judged from the heal.
  CHECK(error(all + "faults:\n  - { at: 5s, partition: [[core], \"*\"], for: 1h }\n  - { at: 6s, heal: true }\n" +
              "expect: { recovers_within: 2s }\n") == "no error");
  // validate() says the same for a Scenario not read from text.
  Scenario sc = load_scenario_text(head + crash, "t.yaml");
  sc.expect.recovers_within = sim::seconds(5);
  try {
    validate(sc);
    FAIL("validate accepted it");
  } catch (const LoadError& e) {
    CHECK_THAT(std::string(e.what()),
               Catch::Contains("expect.recovers_within can never be judged: the last fault window ends at 6s"));
  }
}

// convergence compares the replicas once the network has been whole for
// `quiescence` before the end: a partition or link fault in force then makes
// it unjudgeable whatever the run does (an adversarial pass: a 0% drop with
// no `for` failed every run "not quiescent").
TEST_CASE("loader: convergence is refused when the network cannot be whole before the end", "[scenario]") {
  const std::string dsm = "name: t\nduration: 10s\nworkload:\n"
                          "  - { kind: requests, rate: 100/s, mix: { dsm_set: 1 }, until: 3s }\n"
                          "  - { kind: requests, rate: 100/s, mix: { read: 1 } }\n";
  const std::string expect = "expect:\n  invariants: [convergence]\n  recovers_within: 2s\n";
  CHECK(error_of(dsm + "faults:\n  - { at: 1s, drop: { between: [edge-1, edge-2], rate: 0% } }\n" + expect) ==
        "t.yaml:9:16: invariant 'convergence' can never be judged in this scenario: the drop at 1s (line 7) never "
        "ends (no for), and the network must be whole for the quiescence of 2s before the end at 10s");
  CHECK(error_of(dsm + "faults:\n  - { at: 1s, partition: [[edge-1], \"*\"] }\n" + expect) ==
        "t.yaml:9:16: invariant 'convergence' can never be judged in this scenario: the partition at 1s (line 7) "
        "never ends (no for, and no heal after it), and the network must be whole for the quiescence of 2s "
        "before the end at 10s");
  CHECK_THAT(error_of(dsm + "faults:\n  - { at: 5s, delay: { latency: { constant: 1ms } }, for: 3500ms }\n" + expect),
             Catch::Contains("the delay at 5s (line 7) lasts until 8.5s, and the network must be whole"));
  // Ending in time: by its `for`, or by a heal.
  // (Its deadline leaves no second to judge: recovers_within is not required.)
  CHECK(error_or_none(dsm + "faults:\n  - { at: 5s, delay: { latency: { constant: 1ms } }, for: 3s }\n" +
                      "expect:\n  invariants: [convergence]\n") == "no error");
  CHECK(error_or_none(dsm + "faults:\n  - { at: 1s, partition: [[edge-1], \"*\"] }\n  - { at: 4s, heal: true }\n" +
                      expect) == "no error");
  // A quiescence as long as the run can never pass.
  CHECK_THAT(error_of(dsm + "expect:\n  invariants: [convergence]\n  quiescence: 10s\n"),
             Catch::Contains("invariant 'convergence' can never be judged in this scenario: the quiescence of 10s is "
                             "not shorter than the run (10s)"));
  // A longer quiescence asks for more.
  CHECK_THAT(error_of(dsm + "faults:\n  - { at: 5s, delay: { latency: { constant: 1ms } }, for: 3s }\n" +
                      "expect:\n  invariants: [convergence]\n  recovers_within: 1s\n  quiescence: 2500ms\n"),
             Catch::Contains("the delay at 5s (line 7) lasts until 8s, and the network must be whole for the "
                             "quiescence of 2.5s"));
}

}  // namespace test_scenario_loader
