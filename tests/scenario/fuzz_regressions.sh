#!/usr/bin/env bash
# Every input a fuzz target once crashed on (fuzz/regressions/TARGET/), run
# through the normal binary: each is refused with exit 2 and exactly one
# line naming the file -- never a crash, never an "internal error".
#   loader/   scenario files:    ecsim validate FILE
#   trace/    trace files:       ecsim trace hash FILE, ecsim trace replay FILE
#   numbers/  literals: as a fault's `at`, the scenario's `duration` and
#             `ecsim run --until`; each is accepted or refused, exit 0..2.
set -u
ecsim=$1; src=$2; fail=0
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
check() { if [[ $1 != "$2" ]]; then echo "FAIL: $3: got '$1', expected '$2'"; fail=1; else echo "ok: $3"; fi; }
# refused NAME PREFIX CMD...: exit 2 and one stderr line starting with PREFIX.
refused() {
  local name=$1 prefix=$2; shift 2
  "$@" > "$tmp/out" 2> "$tmp/err"
  local code=$?
  check "$code" 2 "$name: exit code"
  check "$(wc -l < "$tmp/err")" 1 "$name: one line on stderr"
  [[ $(head -c ${#prefix} "$tmp/err") == "$prefix" ]]; check $? 0 "$name: the line starts with '$prefix'"
  grep -q "internal error" "$tmp/err" && { echo "FAIL: $name: $(cat "$tmp/err")"; fail=1; }
  echo "   $(head -c 300 "$tmp/err")"
}
n=0
for f in "$src"/fuzz/regressions/loader/*; do
  [[ -e $f ]] || continue
  refused "loader/$(basename "$f")" "$f:" "$ecsim" validate "$f"; n=$((n + 1))
done
for f in "$src"/fuzz/regressions/trace/*; do
  [[ -e $f ]] || continue
  refused "trace/$(basename "$f") (hash)" "$f" "$ecsim" trace hash "$f"
  refused "trace/$(basename "$f") (replay)" "$f" "$ecsim" trace replay "$f"; n=$((n + 1))
done
for f in "$src"/fuzz/regressions/numbers/*; do
  [[ -e $f ]] || continue
  lit=$(cat "$f")
  printf 'name: n\nduration: 2s\nfaults:\n  - { at: "%s", crash: core-1 }\n' "$lit" > "$tmp/at.yaml"
  printf 'name: n\nduration: "%s"\n' "$lit" > "$tmp/duration.yaml"
  for y in at duration; do
    "$ecsim" validate "$tmp/$y.yaml" > /dev/null 2> "$tmp/err"; code=$?
    [[ $code == 0 || ($code == 2 && $(wc -l < "$tmp/err") == 1) ]]
    check $? 0 "numbers/$(basename "$f") as $y: exit $code, $(head -c 200 "$tmp/err")"
  done
  "$ecsim" run "$src/tests/data/scenarios/small.yaml" --until "$lit" --max-events 1000 --quiet > /dev/null 2> "$tmp/err"
  code=$?
  [[ $code == 0 || $code == 1 || ($code == 2 && $(wc -l < "$tmp/err") == 1) ]]
  check $? 0 "numbers/$(basename "$f") as --until: exit $code, $(head -c 200 "$tmp/err")"
  n=$((n + 1))
done
echo "$n regression inputs"
exit $fail
