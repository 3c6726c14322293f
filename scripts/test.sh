#!/usr/bin/env bash
# Set up and run the whole test suite, browser tests included. Extra arguments go to pytest.
set -uo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh --dev || exit 1
python3 -m pytest "$@"
status=$?
if [[ $status == 5 ]]; then
  echo "pytest collected no tests: that is a failure, not a pass" >&2
  exit 1
fi
exit $status
