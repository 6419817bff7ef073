# Sourced by the scenario tests that check an example of scenarios/ beyond its
# verdict lines (counters, a detail line's text): they read the one run the
# examples test made instead of running the example again. Needs $ecsim and
# $src set. Under CTest the run is the fixture "examples: run NAME", whose
# output directory CMake passes as ECSIM_EXAMPLES_OUT; a script run by hand
# without it runs the example itself.

# example_json NAME DEST: copies the example's `ecsim run --json` summary to
# DEST and returns the run's exit code. NAME is a file stem of scenarios/
# ("quickstart" is `ecsim run` with no file, the built-in compiled from
# scenarios/quickstart.yaml).
example_json() {
  local name=$1 dest=$2 dir=${ECSIM_EXAMPLES_OUT:-}
  if [[ -n $dir ]]; then
    if [[ ! -f $dir/$name.json || ! -f $dir/$name.exit ]]; then
      echo "FAIL: no saved run of example $name in $dir (the fixture 'examples: run $name' did not run)"
      return 99
    fi
    cp "$dir/$name.json" "$dest"
    return "$(cat "$dir/$name.exit")"
  fi
  if [[ $name == quickstart ]]; then
    "$ecsim" run --json > "$dest"
  else
    "$ecsim" run "$src/scenarios/$name.yaml" --json > "$dest"
  fi
}

# example_lines JSON EXIT: the verdict lines of that summary, as the readable
# summary prints them (tests/examples/render.py).
example_lines() { python3 "$src/tests/examples/render.py" "$1" "$2"; }
