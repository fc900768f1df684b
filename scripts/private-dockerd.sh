#!/usr/bin/env bash
# A private Docker daemon for scripts/up.sh, without the test harness:
#   private-dockerd.sh ping SOCKET [SECONDS]   exit 0 when a daemon answers GET /_ping there
#   private-dockerd.sh start                   prints "SOCKET PID DIR"; the daemon keeps running
#   private-dockerd.sh stop PID DIR            stops it and removes what it left under DIR
# The daemon gets its own data and exec roots under a new /tmp/dgd-* and no bridge network or
# iptables rules, so it never touches a system daemon's state or the host's firewall.
set -euo pipefail

ping_daemon() { # SOCKET SECONDS
  local socket=$1 deadline=$((SECONDS + ${2:-2}))
  while :; do
    if [ -S "$socket" ] && curl -sf --max-time 2 --unix-socket "$socket" http://docker/_ping >/dev/null 2>&1; then return 0; fi
    [ "$SECONDS" -ge "$deadline" ] && return 1
    sleep 0.2
  done
}

stop_daemon() { # PID DIR
  local pid=$1 dir=$2
  if kill -0 "$pid" 2>/dev/null; then
    kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
    kill -KILL "$pid" 2>/dev/null || true
  fi
  case "$dir" in
    /tmp/dgd-*)
      # Deepest first: the daemon may leave overlay and shm mounts below its roots.
      awk -v d="$dir" '$2 == d || index($2, d "/") == 1 { print $2 }' /proc/self/mounts | sort -r |
        while read -r m; do umount -l "$m" 2>/dev/null || true; done
      rm -rf "$dir"
      ;;
  esac
}

case "${1:-}" in
  ping) ping_daemon "$2" "${3:-2}" ;;
  start)
    dir=$(mktemp -d /tmp/dgd-XXXXXX)
    socket="$dir/d.sock"
    setsid dockerd --data-root "$dir/data" --exec-root "$dir/x" --pidfile "$dir/dockerd.pid" \
      --host "unix://$socket" --bridge=none --iptables=false --ip-forward=false --ip-masq=false \
      --shutdown-timeout=2 --log-level=warn </dev/null >>"$dir/dockerd.log" 2>&1 &
    pid=$!
    if ! ping_daemon "$socket" 60; then
      tail -20 "$dir/dockerd.log" >&2 || true
      stop_daemon "$pid" "$dir"
      echo "private-dockerd: no daemon answered on $socket within 60 s" >&2
      exit 1
    fi
    echo "$socket $pid $dir"
    ;;
  stop) stop_daemon "$2" "$3" ;;
  *)
    echo "usage: private-dockerd.sh ping SOCKET [SECONDS] | start | stop PID DIR" >&2
    exit 2
    ;;
esac
