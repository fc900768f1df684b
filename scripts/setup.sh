#!/usr/bin/env bash
# Installs what dockgate needs on a fresh Debian machine with Node 20, then builds it.
# Idempotent: skips what is already there.
set -euo pipefail
cd "$(dirname "$0")/.."

need_apt=()
command -v dockerd >/dev/null 2>&1 || need_apt+=(docker.io)
dpkg -s busybox-static >/dev/null 2>&1 || need_apt+=(busybox-static)
command -v docker-compose >/dev/null 2>&1 || need_apt+=(docker-compose)
# Docker's Python SDK, for the SDK tests (docker-compose depends on it too).
/usr/bin/python3 -c 'import docker' >/dev/null 2>&1 || need_apt+=(python3-docker)
command -v setpriv >/dev/null 2>&1 || need_apt+=(util-linux)
command -v curl >/dev/null 2>&1 || need_apt+=(curl)
command -v openssl >/dev/null 2>&1 || need_apt+=(openssl)
if [ "${DOCKGATE_WITH_BENCH:-0}" = 1 ]; then command -v haproxy >/dev/null 2>&1 || need_apt+=(haproxy); fi
if [ ${#need_apt[@]} -gt 0 ]; then
  echo "setup: installing ${need_apt[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq "${need_apt[@]}" >/dev/null
fi

# A node_modules that is a symlink belongs to another checkout (a worktree sharing it): npm ci
# through it would wipe that checkout's modules, so it is left alone.
if [ ! -L node_modules ] && { [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; }; then
  npm ci --no-audit --no-fund
fi
npm run build --silent
