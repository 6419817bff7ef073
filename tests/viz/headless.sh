#!/usr/bin/env bash
# The viewer's headless paths (no window, no display needed):
# - `ecsim viz --trace FILE --bench N` opens a recorded run, jumps to N
#   seeded times and steps back and forth, and prints each latency line
#   (figures are not judged: no timing bound in a test);
# - without a display, the refusal comes before anything is opened: a
#   trace file that does not exist is not even looked at; --save-scenario
#   alone needs none.
set -u
ecsim=$1; src=$2; out=$3
mkdir -p "$out"
fail=0
check() { if [[ $1 != "$2" ]]; then echo "FAIL: $3: got '$1', expected '$2'"; fail=1; else echo "ok: $3"; fi; }

"$ecsim" run --quiet --until 2s --trace "$out/q.trc" >/dev/null
"$ecsim" viz --trace "$out/q.trc" --bench 12 > "$out/bench.txt"; check $? 0 "viz --bench exits 0"
python3 - "$out/bench.txt" <<'PY' || fail=1
import re, sys
text = open(sys.argv[1]).read()
ok = re.search(r"quickstart seed 1 \(from .*q\.trc\): (\d+) records kept of (\d+)", text) is not None
for what in ("jump to a seeded time \(12\)", "step forwards", "step backwards",
             "node internals at a seeded time behind it", "node internals one event back"):
    m = re.search(what + r": p50 ([0-9.]+) ms  p99 ([0-9.]+) ms  max ([0-9.]+) ms", text)
    ok = ok and m is not None and float(m.group(1)) <= float(m.group(2)) <= float(m.group(3))
print(("ok" if ok else "FAIL") + ": the bench prints the opening and each latency line\n" + text)
sys.exit(0 if ok else 1)
PY
# A trace through a pipe: the viewer reads it once, so it takes one (the
# trace commands, which read a file twice, refuse it; 868aae3 had refused
# it here too).
"$ecsim" viz --trace <(cat "$out/q.trc") --bench 1 > "$out/bench-pipe.txt" 2>&1
check $? 0 "viz --trace of a pipe opens it"
grep -q "quickstart seed 1 (from /dev/fd/[0-9]*): [0-9]* records kept" "$out/bench-pipe.txt"
check $? 0 "... and reads the run: $(head -c 200 "$out/bench-pipe.txt")"
# Node internals behind the probe: from the checkpoints of its run (forked
# processes, every 5,000 events here), or from t = 0 without them.
"$ecsim" viz --trace "$out/q.trc" --bench 4 --run-checkpoint-every 5000 > "$out/bench-forks.txt"
check $? 0 "viz --bench --run-checkpoint-every exits 0"
grep -Eq "^node internals: the probe to the end in [0-9]+ ms; ([2-9]|[1-9][0-9]+) checkpoints of its run every [0-9]+ events, [0-9.]+ MiB$" \
  "$out/bench-forks.txt" || { echo "FAIL: checkpoints: $(cat "$out/bench-forks.txt")"; fail=1; }
"$ecsim" viz --trace "$out/q.trc" --bench 2 --run-checkpoint-memory 0 > "$out/bench-none.txt"
check $? 0 "viz --bench --run-checkpoint-memory 0 exits 0"
grep -q "; no checkpoints of its run (--run-checkpoint-memory 0)$" "$out/bench-none.txt" ||
  { echo "FAIL: no checkpoints: $(cat "$out/bench-none.txt")"; fail=1; }
for bad in "--run-checkpoint-memory 0x" "--run-checkpoint-memory -1" "--run-checkpoint-every 0"; do
  # shellcheck disable=SC2086 # the flag and its value, split on purpose
  msg=$("$ecsim" viz --trace "$out/q.trc" --bench 1 $bad 2>&1); code=$?
  check "$code" 2 "$bad: exit code 2"
  check "$(echo "$msg" | wc -l)" 1 "$bad: one line"
done
msg=$(env -u DISPLAY -u WAYLAND_DISPLAY "$ecsim" viz --trace "$out/does-not-exist.trc" 2>&1); code=$?
check "$code" 2 "no display: exit code 2"
check "$(echo "$msg" | wc -l)" 1 "no display: one line"
[[ $msg == *"no display"* ]] || { echo "FAIL: no display, before the file is opened: '$msg'"; fail=1; }
# --save-scenario without --screenshot needs no window, so no display.
env -u DISPLAY -u WAYLAND_DISPLAY "$ecsim" viz "$src/scenarios/edge-crash-rehydrate.yaml" \
  --actions "$src/tests/viz/actions.json" --save-scenario "$out/session.yaml" > "$out/save.txt"
check $? 0 "--save-scenario without a display"
grep -q "^session trace hash: 0x" "$out/save.txt" || { echo "FAIL: no session hash: $(cat "$out/save.txt")"; fail=1; }
exit $fail
