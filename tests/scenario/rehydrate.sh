#!/usr/bin/env bash
# Edge rehydration and cloud catch-up, from the --json summary:
# edge-crash-rehydrate.yaml records a rehydration of edge-1 that took more
# than 0 and less than 5 s, and edge-1's hit ratio after the restart
# recovers to more than half its ratio before the crash; cloud-replica-loss
# .yaml reports the restarted replica caught up and no acknowledged write
# missing from a quorum.
set -u
ecsim=$1; src=$2; fail=0
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
check() { if [[ $1 != "$2" ]]; then echo "FAIL: $3: got '$1', expected '$2'"; fail=1; else echo "ok: $3"; fi; }
py() { python3 -c "import json,sys; r=json.load(open('$1')); $2"; }
. "$src/tests/examples/lib.sh"
example_json edge-crash-rehydrate "$tmp/edge.json"; check $? 0 "edge-crash-rehydrate passes"
py "$tmp/edge.json" "
e=[x for x in r['tiers']['rehydrations'] if x['node']=='edge-1']
print(len(e), 'rehydrations of edge-1'); sys.exit(0 if len(e)==1 else 1)"; check $? 0 "one rehydration recorded for edge-1"
py "$tmp/edge.json" "
e=[x for x in r['tiers']['rehydrations'] if x['node']=='edge-1'][0]
print('finished', e['finished'], 'in', e['duration_ns'], 'ns,', e['fetched'], 'of', e['keys'])
sys.exit(0 if e['finished'] and 0 < e['duration_ns'] < 5e9 and e['keys'] > 0 else 1)"; check $? 0 "rehydration took > 0 and < 5 s"
py "$tmp/edge.json" "
e=[x for x in r['tiers']['rehydrations'] if x['node']=='edge-1'][0]
print('hit ratio before', e['hit_ratio_before'], 'after', e['hit_ratio_after'])
sys.exit(0 if e['hit_ratio_before'] > 0 and e['hit_ratio_after'] > 0.5 * e['hit_ratio_before'] else 1)"
check $? 0 "the hit ratio after the restart recovers"
example_json cloud-replica-loss "$tmp/cloud.json"; check $? 0 "cloud-replica-loss passes"
verdict() { py "$tmp/cloud.json" "
v=[x for x in r['expectations'] if x['name']=='$1']
print('$1:', v[0]['detail'] if v else 'missing'); sys.exit(0 if len(v)==1 and v[0]['ok'] else 1)"; }
verdict catch_up; check $? 0 "catch_up ok"
verdict acknowledged_writes; check $? 0 "acknowledged_writes ok"
py "$tmp/cloud.json" "
c=r['tiers']['catch_ups']; print(c)
sys.exit(0 if len(c)==1 and c[0]['node']=='cloud-1' and c[0]['caught_up'] and c[0]['catch_up_ns'] > 0 else 1)"
check $? 0 "cloud-1's restart caught up"
exit $fail
