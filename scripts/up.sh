#!/usr/bin/env bash
# One command to run dockgate: installs what is missing, makes sure a Docker daemon is
# running (a private one when nothing answers at /var/run/docker.sock), starts
# `dockgate serve` in front of it in the background, and prints the DOCKER_HOST line.
#   bash scripts/up.sh          start (or reuse what is already running)
#   bash scripts/up.sh down     stop what up.sh started
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$(pwd)

if [ "$(id -u)" = 0 ]; then state=${DOCKGATE_STATE_DIR:-/run/dockgate}; else state=${DOCKGATE_STATE_DIR:-/tmp/dockgate-$(id -u)}; fi
mkdir -p "$state"
listen="$state/dockgate.sock"
default_upstream=/var/run/docker.sock

alive() { [ -f "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null; }
daemon() { bash "$repo/scripts/private-dockerd.sh" "$@"; }

if [ "${1:-}" = down ]; then
  if alive "$state/serve.pid"; then kill "$(cat "$state/serve.pid")"; echo "up: stopped dockgate serve" >&2; fi
  if alive "$state/dockerd.pid"; then
    daemon stop "$(cat "$state/dockerd.pid")" "$(cat "$state/dockerd.dir")"
    echo "up: stopped the private dockerd" >&2
  fi
  rm -f "$state/serve.pid" "$state/dockerd.pid" "$state/dockerd.dir" "$state/upstream"
  exit 0
fi

bash scripts/setup.sh

# 1. A daemon to stand in front of.
if daemon ping "$default_upstream" 2 2>/dev/null; then
  upstream=$default_upstream
elif alive "$state/dockerd.pid" && daemon ping "$(cat "$state/upstream")" 2 2>/dev/null; then
  upstream=$(cat "$state/upstream")
else
  echo "up: no daemon at $default_upstream; starting a private dockerd" >&2
  read -r upstream dockerd_pid dockerd_dir < <(daemon start)
  echo "$dockerd_pid" > "$state/dockerd.pid"
  echo "$dockerd_dir" > "$state/dockerd.dir"
  echo "$upstream" > "$state/upstream"
  echo "up: private dockerd pid $dockerd_pid, socket $upstream, log $dockerd_dir/dockerd.log" >&2
fi

# 2. dockgate serve in front of it.
if alive "$state/serve.pid"; then
  echo "up: dockgate serve already running (pid $(cat "$state/serve.pid"))" >&2
else
  nohup "$repo/bin/dockgate" serve --listen "unix://$listen" --upstream "unix://$upstream" \
    --socket-mode 660 --decision-log "$state/requests.log" >/dev/null 2>>"$state/serve.log" &
  echo $! > "$state/serve.pid"
  for _ in $(seq 1 100); do [ -S "$listen" ] && break; sleep 0.1; done
  if ! daemon ping "$listen" 5 2>/dev/null; then
    echo "up: dockgate serve did not come up; see $state/serve.log" >&2
    tail -5 "$state/serve.log" >&2 || true
    exit 1
  fi
  echo "up: dockgate serve pid $(cat "$state/serve.pid") -> $upstream; request log $state/requests.log" >&2
fi

echo "export DOCKER_HOST=unix://$listen"
