#!/usr/bin/env bash
# `ecsim viz --screenshot` under Xvfb: the quickstart, and
# edge-crash-rehydrate at 11 s while edge-1 is down, with a layout file
# giving every node's centre; the PNGs must show each edge centre blue, each
# core red, each cloud green, the crashed node dimmed to 50 %, and be far
# from blank. Exit 77 (CTest SKIP_RETURN_CODE) without xvfb-run.
# Usage: screenshots.sh ECSIM SOURCE_DIR [OUT_DIR]
set -euo pipefail
ecsim=$1 src=$2 out=${3:-$(mktemp -d)}
command -v xvfb-run >/dev/null || { echo "SKIP: xvfb-run is not installed (tools/setup.sh installs xvfb)"; exit 77; }
mkdir -p "$out"
probe() { python3 "$src/tests/viz/png_probe.py" "$@"; }
viz() { xvfb-run -a -s '-screen 0 1280x800x24' "$ecsim" viz "$@"; }

cat > "$out/layout.json" <<'JSON'
{"nodes": {"cloud-1": [150, 140], "cloud-2": [380, 140], "cloud-3": [610, 140],
           "core-1": [250, 270], "core-2": [510, 270],
           "edge-1": [150, 400], "edge-2": [380, 400], "edge-3": [610, 400]}}
JSON
# Colours (viz/app/topology.cpp): at 100 % and at 50 % over the background.
blue="40 110 235" red="225 45 45" green="40 175 70" dim_blue="32 68 133"

viz --screenshot "$out/quickstart.png" --at 3s --layout "$out/layout.json" --tab metrics
probe "$out/quickstart.png" distinct 40
for xy in "150 400" "380 400" "610 400"; do probe "$out/quickstart.png" at $xy $blue; done
for xy in "250 270" "510 270"; do probe "$out/quickstart.png" at $xy $red; done
for xy in "150 140" "380 140" "610 140"; do probe "$out/quickstart.png" at $xy $green; done

viz "$src/scenarios/edge-crash-rehydrate.yaml" --screenshot "$out/edge-down.png" --at 11s \
  --layout "$out/layout.json" --select edge-1 --tab spacetime --frames 4
probe "$out/edge-down.png" distinct 40
probe "$out/edge-down.png" at 150 400 $dim_blue
for xy in "380 400" "610 400"; do probe "$out/edge-down.png" at $xy $blue; done
for xy in "250 270" "510 270"; do probe "$out/edge-down.png" at $xy $red; done

# And up again after its restart at 12 s.
viz "$src/scenarios/edge-crash-rehydrate.yaml" --screenshot "$out/edge-up.png" --at 13s --layout "$out/layout.json"
probe "$out/edge-up.png" at 150 400 $blue

# A selected node's internals (the probe, model/probe.hpp): cloud-1's WAL
# tail, durable entries in grey-blue (191, 191, 204), in the side panel;
# none without a selection.
viz "$src/scenarios/edge-crash-rehydrate.yaml" --screenshot "$out/internals.png" --at 9.5s --select cloud-1
probe "$out/internals.png" count 370 450 191 191 204 500
viz "$src/scenarios/edge-crash-rehydrate.yaml" --screenshot "$out/no-internals.png" --at 9.5s
! python3 "$src/tests/viz/png_probe.py" "$out/no-internals.png" count 370 450 191 191 204 50 >/dev/null ||
  { echo "internals drawn without a selected node"; exit 1; }

# A hover in the space-time tab shows the hovered message's vector clocks
# with no node selected (the hover drives the probe itself): --mouse holds
# the pointer on edge-2's send at 10.97 s of edge-crash-rehydrate, whose
# two clocks fill the tooltip's rows 636..716 with white text; without the
# hover those rows hold no white at all.
viz "$src/scenarios/edge-crash-rehydrate.yaml" --screenshot "$out/hover.png" --at 11s --tab spacetime \
  --mouse 340,610 --frames 6
probe "$out/hover.png" count 636 716 255 255 255 1500
# Past the cursor: edge-2's send at 11.0026 s (the cursor at 11 s) gets
# both clocks too, the probe moving on to the receiver taking it (white in
# the tooltip's columns); with the Node tab open on edge-2 (its lane first,
# at y 582) the probe stays at the cursor and the tooltip says why, in grey.
viz "$src/scenarios/edge-crash-rehydrate.yaml" --screenshot "$out/hover-ahead.png" --at 11s --tab spacetime \
  --mouse 1035,610 --frames 6
probe "$out/hover-ahead.png" count 636 716 255 255 255 1500 580 1015
viz "$src/scenarios/edge-crash-rehydrate.yaml" --screenshot "$out/hover-held.png" --at 11s --tab node,spacetime \
  --select edge-2 --mouse 1035,582 --frames 6
probe "$out/hover-held.png" count 630 645 128 128 128 300 400 960
! python3 "$src/tests/viz/png_probe.py" "$out/hover-held.png" count 630 716 255 255 255 200 400 960 >/dev/null ||
  { echo "clocks past the cursor while the Node tab holds the probe"; exit 1; }
# A partition drawn across every lane (partition-heal-dsm at 4 s) is
# hovered on its label: the tooltip names it and says, in grey, why it has
# no vector clock (a fault of the network, not an event at a node).
viz "$src/scenarios/partition-heal-dsm.yaml" --screenshot "$out/hover-partition.png" --at 4.01s --tab spacetime \
  --mouse 800,783 --frames 4
probe "$out/hover-partition.png" count 720 770 128 128 128 400 755 1270
viz "$src/scenarios/edge-crash-rehydrate.yaml" --screenshot "$out/no-hover.png" --at 11s --tab spacetime
! python3 "$src/tests/viz/png_probe.py" "$out/no-hover.png" count 636 716 255 255 255 200 >/dev/null ||
  { echo "white text in the space-time rows without a hover"; exit 1; }

# cloud-1's 2PC lock table at 0.51 s of demo-base: four accounts locked by
# two transactions, the followed one's two rows magenta (255, 110, 230);
# not magenta without --follow.
viz "$src/tests/data/scenarios/demo-base.yaml" --screenshot "$out/locks.png" --at 0.51s --select cloud-1 \
  --follow 844424930131972 --tab node,spacetime
probe "$out/locks.png" count 316 350 255 110 230 300
viz "$src/tests/data/scenarios/demo-base.yaml" --screenshot "$out/locks-unfollowed.png" --at 0.51s --select cloud-1 \
  --tab node,spacetime
! python3 "$src/tests/viz/png_probe.py" "$out/locks-unfollowed.png" count 316 350 255 110 230 30 >/dev/null ||
  { echo "lock rows highlighted without a followed transaction"; exit 1; }
# The 2PC tab lists the followed transaction's locks at each node where it
# locked, after the cursor's event, in magenta (the probe drives itself:
# no node selected): edge-2 and two replicas hold accounts 23 and 36.
viz "$src/tests/data/scenarios/demo-base.yaml" --screenshot "$out/twopc-locks.png" --at 0.51s \
  --follow 844424930131972 --tab twopc,spacetime
probe "$out/twopc-locks.png" count 345 415 255 110 230 1500 770 1280

# --follow by name: the first transaction that aborted in 2pc-abort, the
# cursor at its START (no --at): its arrows magenta in the space-time tab.
viz "$src/tests/data/scenarios/2pc-abort.yaml" --screenshot "$out/follow-abort.png" --follow first-abort \
  --tab twopc,spacetime
probe "$out/follow-abort.png" count 570 790 255 110 230 200

# The largest topology (300 nodes): aggregated, drawn at once, core-7 down.
start=$SECONDS
viz "$src/tests/viz/large-300.yaml" --screenshot "$out/large.png" --at 1.5s --select core-7 --tab spacetime
probe "$out/large.png" distinct 20
(( SECONDS - start < 120 )) || { echo "large topology: $((SECONDS - start)) s for one screenshot"; exit 1; }

# The Faults tab with the demo actions of actions.json taken: edge-2,
# which the scenario never crashes, is down at 9.6 s (crashed at 9.5 s).
viz "$src/scenarios/edge-crash-rehydrate.yaml" --actions "$src/tests/viz/actions.json" --screenshot "$out/faults.png" \
  --at 9.6s --layout "$out/layout.json" --tab faults
probe "$out/faults.png" distinct 40
probe "$out/faults.png" at 380 400 $dim_blue
for xy in "150 400" "610 400"; do probe "$out/faults.png" at $xy $blue; done

# The 2PC tab follows the latest transaction at 2 s of 2pc-abort.
viz "$src/tests/data/scenarios/2pc-abort.yaml" --screenshot "$out/twopc.png" --at 2s --tab twopc
probe "$out/twopc.png" distinct 40

# The DSM tab after the actions of actions_dsm_billing.json: edge-1 and
# cloud-3 set key 5000 at 1 s (concurrent writes); at 1.1 s every replica
# holds the winner and the tab lists them with the key's DSM records.
viz "$src/tests/data/scenarios/demo-base.yaml" --actions "$src/tests/viz/actions_dsm_billing.json" \
  --screenshot "$out/dsm.png" --at 1.1s --layout "$out/layout.json" --tab dsm
probe "$out/dsm.png" distinct 40
for xy in "150 400" "380 400" "610 400"; do probe "$out/dsm.png" at $xy $blue; done
# The 2PC tab at 2.52 s follows the debit beyond the balance sent at 2.5 s:
# the cloud replicas vote NO, ABORT, edge-2 rolls back.
viz "$src/tests/data/scenarios/demo-base.yaml" --actions "$src/tests/viz/actions_dsm_billing.json" \
  --screenshot "$out/twopc-actions.png" --at 2.52s --layout "$out/layout.json" --tab twopc
probe "$out/twopc-actions.png" distinct 40
for xy in "250 270" "510 270"; do probe "$out/twopc-actions.png" at $xy $red; done
# Following a transaction that cloud-2 was made to vote NO on
# (actions_vote_no.json, at 2.5 s): its messages in flight (topology) and
# its arrows (space-time) are drawn in the follow colour, magenta.
viz "$src/tests/data/scenarios/demo-base.yaml" --actions "$src/tests/viz/actions_vote_no.json" \
  --screenshot "$out/twopc-follow.png" --at 2.507s --layout "$out/layout.json" --tab twopc,spacetime
probe "$out/twopc-follow.png" distinct 40
probe "$out/twopc-follow.png" count 500 800 255 110 230 300   # space-time arrows
probe "$out/twopc-follow.png" count 80 480 255 110 230 20 0 760  # messages in flight (topology)

# A trace file re-simulates; one whose header names another seed is refused.
"$ecsim" run --quiet --until 2s --trace "$out/q.trc" >/dev/null || true
viz --trace "$out/q.trc" --screenshot "$out/trace.png" --at first-failure
LC_ALL=C sed 's/"seed":1,/"seed":2,/' "$out/q.trc" > "$out/other-seed.trc"
set +e
msg=$(viz --trace "$out/other-seed.trc" --screenshot "$out/bad.png" 2>&1 >/dev/null); code=$?
set -e
[[ $code -eq 2 && $msg == *"not this build's run"* ]] || { echo "other seed: exit $code, '$msg'"; exit 1; }

# Without a display: one line, exit code 2.
set +e
msg=$(env -u DISPLAY -u WAYLAND_DISPLAY "$ecsim" viz --until-nothing 2>&1); code=$?
[[ $code -eq 2 ]] || { echo "bad flag: exit $code"; exit 1; }
msg=$(env -u DISPLAY -u WAYLAND_DISPLAY "$ecsim" viz 2>&1); code=$?
set -e
[[ $code -eq 2 && $msg == *"no display"* ]] || { echo "no display: exit $code, '$msg'"; exit 1; }

# Bad input: one line, exit code 2.
for bad in "--tab nope" "--actions /nonexistent.json" "--at 99h" "--select nobody" "--layout /nonexistent.json" "--at soon" \
  "--follow nope" "--follow latest" "--follow 0" "--mouse 1280,10" "--mouse 10" "--mouse -1,10" "--mouse 1,2,3"; do
  set +e
  msg=$(viz --screenshot "$out/bad.png" $bad 2>&1 >/dev/null); code=$?
  set -e
  [[ $code -eq 2 && $(wc -l <<<"$msg") -eq 1 ]] || { echo "viz $bad: exit $code, '$msg'"; exit 1; }
done
set +e
msg=$(viz --mouse 10,10 2>&1 >/dev/null); code=$?
set -e
[[ $code -eq 2 && $msg == *"only with --screenshot"* ]] || { echo "viz --mouse without --screenshot: exit $code, '$msg'"; exit 1; }
# A screenshot that cannot be written is an error (stb's file writer
# ignored a failed write: /dev/full exited 0 with no image).
if [[ -w /dev/full ]]; then
  set +e
  msg=$(viz --screenshot /dev/full 2>&1 >/dev/null); code=$?
  set -e
  [[ $code -eq 2 && $msg == *"/dev/full: cannot write the PNG"* ]] ||
    { echo "viz --screenshot /dev/full: exit $code, '$msg'"; exit 1; }
fi
echo "screenshots ok: $out"
