#!/usr/bin/env bash
# `npm run bench`: prints benchmark figures (not a test). Each section is one script;
# add new sections (e.g. the Rego engine) to the list below.
set -euo pipefail
cd "$(dirname "$0")/.."
DOCKGATE_WITH_BENCH=1 bash scripts/setup.sh
# 1,000 idle connections through a proxy need a few thousand descriptors.
ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)" || true

sections=(dist/bench/proxy.js dist/bench/policy-proxy.js dist/bench/tenancy.js dist/bench/policy.js dist/bench/plugin.js dist/bench/rego.js dist/bench/rego-test-scale.js dist/bench/hook.js)
for section in "${sections[@]}"; do
  if [ -f "$section" ]; then
    node "$section"
  fi
done
