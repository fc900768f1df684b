#!/usr/bin/env bash
# Sets up and runs the whole test suite (unit, end-to-end against a private dockerd, Rego conformance).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
# One private dockerd serves the whole run; test files find it through DOCKGATE_TEST_DOCKER_SOCK.
node --test --test-concurrency=1 $(find dist/test -name '*.test.js' | sort)
