#!/usr/bin/env bash
# sweep, explore and bench scenario hand the scenario's path to child
# processes, and sweep and explore print a command that reproduces each
# failing run. A path that begins with '-' reached the child as an option
# (every seed a "crash", exit 2 in the child), and one with a space was
# printed as two words (an adversarial pass, 2026-12-07): the children get
# ./-x.yaml, and the reproduce line is a command the shell reads back.
set -u
ecsim=$(realpath "$1"); src=$(realpath "$2"); fail=0
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
check() { if [[ $1 != "$2" ]]; then echo "FAIL: $3: got '$1', expected '$2'"; fail=1; else echo "ok: $3"; fi; }
cd "$tmp" || exit 1

# small.yaml with a served ratio its faults keep it below: every seed fails.
sed 's/served_ratio_min: 0.8/served_ratio_min: 0.9999/' "$src/tests/data/scenarios/small.yaml" > "-f ail.yaml"
"$ecsim" sweep --seeds 1..2 --jobs 1 -- "-f ail.yaml" > sweep.txt 2> sweep.err
check $? 1 "a sweep of '-f ail.yaml' exits 1"
grep -q "^  fail     2$" sweep.txt; check $? 0 "... its two seeds fail (not crash): $(grep -E '^  (fail|crash) ' sweep.txt | tr '\n' ' ')"
line=$(sed -n 's/^    reproduce: //p' sweep.txt | head -1)
check "$line" "ecsim run './-f ail.yaml' --seed 1" "... the reproduce line quotes the path"
# The line as the shell reads it, with this ecsim: the seed fails again.
eval "\"$ecsim\" ${line#ecsim } --quiet" > /dev/null 2>&1; check $? 1 "... and reproduces the failure"
# A newline in the path kept the reproduce line whole ($'...' quoting).
nl=$'new\nline.yaml'
cp -- "-f ail.yaml" "$nl"
"$ecsim" sweep --seeds 1 --jobs 1 "$nl" > sweep-nl.txt 2> /dev/null
line=$(sed -n 's/^    reproduce: //p' sweep-nl.txt | head -1)
check "$line" "ecsim run \$'new\\nline.yaml' --seed 1" "a newline in the path is escaped on the reproduce line"
eval "\"$ecsim\" ${line#ecsim } --quiet" > /dev/null 2>&1; check $? 1 "... and the line reproduces the failure"

"$ecsim" bench scenario --runs 1 --until 1s --kernel-events 100000 -- "-f ail.yaml" > bench.txt 2> bench.err
check $? 0 "bench scenario of '-f ail.yaml' runs: $(head -c 300 bench.err)"

# explore writes its runs' files under --out-dir, here one beginning with
# '-': with a plant that breaks tokens, the unfaulted run fails, and its
# file stays with the command that reproduces it.
printf 'name: x\nduration: 3s\ntopology: { edge: 2, core: 2, cloud: 3 }\nworkload:\n  - { kind: requests, rate: 50/s, bad_tokens: 0.1 }\nexpect: { invariants: [tokens] }\n' > x.yaml
mkdir -- "-out dir"
"$ecsim" explore x.yaml --crash-points --jobs 1 --out-dir "-out dir" --plant auth.skip_verify > explore.txt 2>&1
check $? 1 "explore into '-out dir' finds the plant"
line=$(sed -n 's/^ *reproduce: //p' explore.txt | head -1)
check "$line" "ecsim run './-out dir/x-explore-0.yaml' --seed 1 --plant auth.skip_verify" "... its reproduce line quotes the file"
eval "\"$ecsim\" ${line#ecsim } --quiet" > /dev/null 2>&1; check $? 1 "... and reproduces the failure"
head -1 -- "-out dir/x-explore-0.yaml" | grep -q "^# A run of ecsim explore --crash-points on x.yaml"
check $? 0 "the run's file says explore wrote it, not sweep --swarm"
exit $fail
