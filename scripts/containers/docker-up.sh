#!/usr/bin/env bash
# Makes a Docker engine available for the container suite and `npm start -- --containers`, as root on a
# Debian machine: installs Debian's docker.io and debootstrap when missing, and starts a dockerd of
# Tandem's own (its data, state and socket under TANDEM_DOCKER_ROOT, default /var/lib/tandem-docker) unless
# one already answers there. The data root is kept, so the local base image and the agent image built on it
# survive between runs on one machine. Prints `export DOCKER_HOST=…` for the caller to eval.
#
# dockerd runs with --iptables=false: containers get no NAT to the outside, so their traffic stays on this
# machine (the room reaches each container through a port published on 127.0.0.1 only).
set -euo pipefail
ROOT="${TANDEM_DOCKER_ROOT:-/var/lib/tandem-docker}"
SOCKET="$ROOT/docker.sock"
export DOCKER_HOST="unix://$SOCKET"

say() { echo "[docker-up] $*" >&2; }

if ! command -v dockerd >/dev/null || ! command -v debootstrap >/dev/null; then
  [ "$(id -u)" = 0 ] || { say "docker.io and debootstrap are missing and only root can install them"; exit 1; }
  say "installing docker.io and debootstrap (Debian packages)"
  apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends docker.io debootstrap >&2
fi

if docker version >/dev/null 2>&1; then
  say "dockerd already answers at $SOCKET"
else
  [ "$(id -u)" = 0 ] || { say "dockerd does not answer at $SOCKET and only root can start it"; exit 1; }
  mkdir -p "$ROOT/data" "$ROOT/exec"
  # A pid file or socket left by a dockerd that was killed would stop the new one (a zombie is no dockerd).
  old_pid="$(cat "$ROOT/dockerd.pid" 2>/dev/null || true)"
  if [ -n "$old_pid" ] && ! ps -o stat=,comm= -p "$old_pid" 2>/dev/null | grep -q '^[^Z][^ ]* *dockerd$'; then rm -f "$ROOT/dockerd.pid"; fi
  if [ -f "$ROOT/dockerd.pid" ]; then say "dockerd $old_pid runs but does not answer at $SOCKET"; exit 1; fi
  rm -f "$SOCKET"
  : >"$ROOT/dockerd.log"
  say "starting dockerd (data root $ROOT/data, log $ROOT/dockerd.log)"
  setsid dockerd \
    --data-root "$ROOT/data" --exec-root "$ROOT/exec" --pidfile "$ROOT/dockerd.pid" \
    --host "$DOCKER_HOST" --iptables=false --ip-masq=false \
    >>"$ROOT/dockerd.log" 2>&1 </dev/null &
  dockerd_pid=$!
  for _ in $(seq 1 150); do
    docker version >/dev/null 2>&1 && break
    kill -0 "$dockerd_pid" 2>/dev/null || break
    sleep 0.2
  done
  docker version >/dev/null 2>&1 || { say "dockerd did not answer; the end of its log:"; tail -20 "$ROOT/dockerd.log" >&2; exit 1; }
fi
echo "export DOCKER_HOST=$DOCKER_HOST"
