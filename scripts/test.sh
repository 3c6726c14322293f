#!/usr/bin/env bash
# Set up and run the whole test suite, browser and Ray tests included.
#
# With no arguments it runs in three phases. The tests that need neither a browser nor a Ray
# cluster are CPU-bound, one torch thread each (tests/conftest.py), so they run in one worker
# per core (pytest-xdist, whole files to a worker so a module's trained fixture is built once).
# The browser and Ray tests then run in one worker per core too: each starts its own server
# and browser (one at a time, a browser test and its server kept 0.8 of 2 cores busy), and
# the Ray tests share one cluster on one worker. Last, the tests marked `alone` run one at a
# time, and in neither phase before: they measure the server under a class's load or race a
# browser against it, which another test beside them would skew.
# Extra arguments go straight to one pytest run instead (a file, -k, -m ...).
set -uo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh --dev || exit 1

check() {  # pytest's exit code 5 means no tests were collected: a failure, not a pass
  local status=$1
  if [[ $status == 5 ]]; then
    echo "pytest collected no tests: that is a failure, not a pass" >&2
    return 1
  fi
  return "$status"
}

if [[ $# -gt 0 ]]; then
  python3 -m pytest "$@"
  check $?
  exit $?
fi

workers=$(python3 -c "import os; print(max(1, min(4, len(os.sched_getaffinity(0)))))")
python3 -m pytest -m "not browser and not ray and not alone" -n "$workers" --dist loadfile
check $?; first=$?
python3 -m pytest -m "(browser or ray) and not alone" -n "$workers" --dist loadgroup
check $?; second=$?
python3 -m pytest -m "alone"
check $?; third=$?
if [[ $first != 0 || $second != 0 || $third != 0 ]]; then
  echo "tests failed: without a browser or Ray exit $first; browser and Ray exit $second;" \
    "alone exit $third" >&2
  exit 1
fi
