#!/usr/bin/env bash
# Golden trace hashes: each line of tests/golden/hashes.txt is
# "SCENARIO SEED HASH"; the run must reproduce HASH exactly. A change in a
# hash is a change in behaviour: update the file in a commit that says why.
set -u
ecsim=$1; src=$2; fail=0
while read -r scn seed want; do
  [[ -z $scn || $scn == \#* ]] && continue
  if [[ $scn == quickstart ]]; then path=(); else path=("$src/$scn"); fi
  got=$("$ecsim" run "${path[@]}" --seed "$seed" --quiet | sed -n 's/^trace hash: //p')
  if [[ $got == "$want" ]]; then echo "ok: $scn seed $seed $got"; else echo "FAIL: $scn seed $seed: got $got, want $want"; fail=1; fi
done < "$src/tests/golden/hashes.txt"
exit $fail
