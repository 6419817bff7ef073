#!/usr/bin/env python3
"""Where an event's time goes: a per-component budget from a perf profile.

Reads `perf script -F comm,ip,sym,dso --no-inline` of a `perf record -g`
(or `--call-graph dwarf`) profile of `ecsim run` on stdin. Each sample is
charged to the innermost ecsim frame on its stack (a malloc called from the
vector clock code is the vector clock's; a libcrypto frame under the token
check is auth's), and that frame's symbol to a component. A second table
charges the leaf frame to a hot-spot kind (allocator, std::map, HMAC, ...)
and names the component that called it. With --ns-per-event (the run's
wall time / events, measured without the profiler) shares become ns/event.

  tools/cost_budget.py [--ns-per-event NS] [--top N] < perf-script.txt
"""
import argparse
import collections
import re
import sys

# First match wins: (component, prefix of the innermost ecsim symbol).
COMPONENTS = [
    ("trace: hash (XXH3 over record batches)", "ecsim::sim::Trace::flush"),
    ("checkers: records offered to every observer", "ecsim::sim::Trace::notify"),
    ("trace: recording", "ecsim::sim::Trace"),
    ("kernel: event queue, dispatch, RNG and samplers", "ecsim::sim::"),
    ("checkers: causality (clock model)", "ecsim::check::CausalityChecker"),
    ("checkers: causality (clock model)", "ecsim::check::clock_model"),
    ("checkers: the others", "ecsim::check::"),
    ("network (links, latency, FIFO, in-flight pool)", "ecsim::net::"),
    ("node: load model (service queues)", "ecsim::node::LoadModel"),
    ("node: disk", "ecsim::node::Disk"),
    ("node: actor dispatch (Cluster, Context)", "ecsim::node::"),
    ("proto: auth, token minting by the clients", "ecsim::proto::auth::issue"),
    ("proto: auth, token minting by the clients", "ecsim::proto::auth::Signer"),
    ("proto: auth, token minting by the clients", "ecsim::proto::auth::{anon}::issue_with"),
    ("proto: auth, token checks at the edge", "ecsim::proto::auth::"),
    ("proto: vclock", "ecsim::proto::vclock::"),
    ("proto: rpc", "ecsim::proto::rpc::"),
    ("proto: storage (quorum, WAL, catch-up)", "ecsim::proto::storage::"),
    ("proto: dsm", "ecsim::proto::dsm::"),
    ("proto: msgq", "ecsim::proto::msgq::"),
    ("proto: points and plants", "ecsim::proto::p"),
    ("proto: other", "ecsim::proto::"),
    ("workload: clients", "ecsim::tiers::Clients"),
    ("workload: clients", "ecsim::workload::"),
    ("tiers: hot-key list (rehydration)", "ecsim::tiers::HotKeys"),
    ("tiers: edge cache", "ecsim::tiers::EdgeCache"),
    ("tiers: glue (TierNode, ProtoEnv, payload variants)", "ecsim::tiers::"),
    ("fault: nemesis", "ecsim::fault::"),
    ("run: set-up, figures and verdicts", "ecsim::run::"),
    ("cli, scenario loading", "ecsim::"),
]

# Leaf kinds: (kind, regex on the leaf symbol or its dso).
HOT_SPOTS = [
    ("HMAC-SHA256 (libcrypto)", re.compile(r"libcrypto")),
    ("malloc/free/new/delete", re.compile(r"malloc|_int_free|\bfree\b|cfree|operator new|operator delete|tcache")),
    ("std::map/std::set (red-black tree)", re.compile(r"_Rb_tree")),
    ("std::unordered_map (hashtable)", re.compile(r"_Hashtable|_Hash_node|_Prime_rehash")),
    ("vector clock: hash", re.compile(r"vclock::hash|clock_model::traced_hash")),
    ("vector clock: merge, compare, tick", re.compile(r"vclock::|clock_model::")),
    ("XXH3 (trace batches and clock hashes)", re.compile(r"XXH3|xxhash")),
    ("memcpy/memmove/memset", re.compile(r"mem(cpy|move|set|cmp)")),
    ("std::variant copies and visits", re.compile(r"variant|_Copy_ctor|_Move_ctor|__do_visit")),
    ("libm (log, exp)", re.compile(r"libm\.so")),
    ("kernel (OS)", re.compile(r"kernel\.kallsyms")),
]

FRAME = re.compile(r"^\s*([0-9a-f]+)\s+(.*?)\s+\((.*)\)\s*$")
ECSIM = re.compile(r"(?:^|\s)(ecsim::\S+)")


def samples(stream):
    frames = []
    for line in stream:
        if not line.strip():
            if frames:
                yield frames
            frames = []
            continue
        m = FRAME.match(line)
        if m:
            frames.append((m.group(2), m.group(3)))
    if frames:
        yield frames


def innermost_ecsim(frames):
    for sym, _ in frames:
        m = ECSIM.search(sym.replace("(anonymous namespace)", "{anon}"))
        if m:
            return m.group(1)
    return None


def component(sym):
    if sym is None:
        return "outside ecsim (start-up, libraries without an ecsim caller)"
    for name, prefix in COMPONENTS:
        if sym.startswith(prefix):
            return name
    return "other"


def short(sym, width=90):
    sym = sym.replace("(anonymous namespace)", "{anon}")
    sym = re.sub(r"<[^<>]*(<[^<>]*(<[^<>]*>[^<>]*)*>[^<>]*)*>", "<...>", sym)
    sym = re.sub(r"\(.*\)", "", sym)
    return sym[:width]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--ns-per-event", type=float, default=0.0)
    ap.add_argument("--top", type=int, default=10)
    a = ap.parse_args()
    comp = collections.Counter()
    hot = collections.Counter()
    hot_by = collections.defaultdict(collections.Counter)
    leaf = collections.Counter()
    total = 0
    for frames in samples(sys.stdin):
        total += 1
        inner = innermost_ecsim(frames)
        c = component(inner)
        comp[c] += 1
        sym, dso = frames[0]
        leaf[short(sym if sym != "[unknown]" else "[" + dso.rsplit("/", 1)[-1] + "]")] += 1
        for kind, rx in HOT_SPOTS:
            if rx.search(sym) or rx.search(dso):
                hot[kind] += 1
                hot_by[kind][c] += 1
                break
    if total == 0:
        sys.exit("cost_budget: no samples on stdin")
    ns = a.ns_per_event

    def row(label, n):
        cost = f"{n / total * ns:9.1f}" if ns else "        -"
        print(f"| {label} | {n / total * 100:5.1f} % | {cost} |")

    print(f"{total} samples\n")
    print("| component (innermost ecsim frame) | share | ns/event |\n|---|---:|---:|")
    for c, n in comp.most_common():
        row(c, n)
    print("\n| hot spot (leaf frame) | share | ns/event | mostly from |\n|---|---:|---:|---|")
    for k, n in hot.most_common():
        callers = ", ".join(f"{c.split(' (')[0]} {m / total * 100:.1f} %" for c, m in hot_by[k].most_common(5))
        cost = f"{n / total * ns:.1f}" if ns else "-"
        print(f"| {k} | {n / total * 100:.1f} % | {cost} | {callers} |")
    print(f"\n| top {a.top} functions (self) | share |\n|---|---:|")
    for s, n in leaf.most_common(a.top):
        print(f"| `{s}` | {n / total * 100:.1f} % |")


if __name__ == "__main__":
    main()
