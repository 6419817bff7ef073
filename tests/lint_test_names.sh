#!/usr/bin/env bash
# Every Catch2 test case must run under CTest. catch_discover_tests makes
# one CTest entry per test case and hands its name back as a filter; a ';'
# in a name splits it into two CTest entries whose filters match nothing,
# and Catch2 then reports "No test cases matched" and passes: the case
# never runs. A name that begins with '-' is read back as an option
# ("Unrecognised token"). Usage: lint_test_names.sh BINARY...
set -euo pipefail
status=0
for bin in "$@"; do
  while IFS= read -r name; do
    case "$name" in
      *';'*)
        echo "$(basename "$bin"): test case name with ';' never runs under CTest: $name"
        status=1
        ;;
      -*)
        echo "$(basename "$bin"): test case name beginning with '-' is taken for an option: $name"
        status=1
        ;;
    esac
  done < <("$bin" --list-test-names-only)
done
exit "$status"
