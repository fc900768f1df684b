#!/usr/bin/env bash
# Sets up and runs the whole test suite (unit, end-to-end against a private dockerd, Rego conformance).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh

# One private dockerd serves the whole run; test files find it through DOCKGATE_TEST_DOCKER_SOCK.
# It is stopped by PID on any exit, failures included.
daemon_pid=""
daemon_dir=""
cleanup() {
  # Resident hook judges started by the tests (enforce/cli/resident.ts) from this checkout.
  pkill -f "$PWD/dist/src/enforce/cli/resident-judge.js" 2>/dev/null || true
  if [ -n "$daemon_pid" ]; then
    node dist/test/harness/daemon-main.js stop "$daemon_pid" "$daemon_dir" || kill -9 "$daemon_pid" 2>/dev/null || true
  fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

if [ "$(id -u)" = 0 ] && command -v dockerd >/dev/null 2>&1; then
  read -r DOCKGATE_TEST_DOCKER_SOCK daemon_pid daemon_dir < <(node dist/test/harness/daemon-main.js start)
  export DOCKGATE_TEST_DOCKER_SOCK
  echo "test: private dockerd pid $daemon_pid at $DOCKGATE_TEST_DOCKER_SOCK" >&2
  node dist/test/harness/daemon-main.js image "$DOCKGATE_TEST_DOCKER_SOCK" >/dev/null
else
  echo "test: not root or no dockerd: end-to-end tests will be skipped" >&2
fi

# Rego engine: OPA conformance cases must not drop below the recorded floor (a few seconds).
node dist/test/rego/conformance-gate.js

# Last, so that the test runner's summary closes the output.
node --test --test-concurrency=1 $(find dist/test -name '*.test.js' | sort)
