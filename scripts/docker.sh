#!/usr/bin/env bash
# A Docker engine and the CLI plugins the project needs, on this machine.
# Installs what is missing (apt, as root), exactly as stack.sh does for
# PostgreSQL and Redis. Every command is idempotent.
#
#   scripts/docker.sh engine      make `docker info` answer: install docker.io
#                                 and start dockerd when nothing answers
#                                 (prints "started" when this call started it)
#   scripts/docker.sh plugins     make `docker compose` and `docker buildx`
#                                 work: build them from tools/ when missing
#   scripts/docker.sh ready       both of the above
#   scripts/docker.sh stop        stop the dockerd this script started
#   scripts/docker.sh answers     exit 0 when an engine answers (no side effects)
#
# The engine keeps its images and build cache in Docker's own data root
# (/var/lib/docker), not in .run/: they outlive a clone, which is what makes
# a second `make test` (or CI on the same machine) fast.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
RUN="$ROOT/.run"
LOGS="$RUN/logs"
# Built plugins are kept outside the clone too, keyed by their pinned versions.
CACHE="${SEMINARHUB_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/seminarhub}"
# The dockerd this script started, for `stop`; outside the clone, because
# the engine is the machine's, shared by every clone that asks for it.
STARTED_MARK="/run/seminarhub-dockerd.started"

log() { echo "[docker] $*" >&2; }

answers() { timeout 10 docker info >/dev/null 2>&1; }

plugin_dir() {
  if [ "$(id -u)" -eq 0 ]; then echo /usr/local/lib/docker/cli-plugins; else echo "$HOME/.docker/cli-plugins"; fi
}

engine() {
  command -v docker >/dev/null 2>&1 && answers && return 0
  if ! command -v dockerd >/dev/null 2>&1 || ! command -v docker >/dev/null 2>&1; then
    "$ROOT/scripts/stack.sh" apt-install docker.io
  fi
  if [ "$(id -u)" -ne 0 ]; then
    log "no Docker engine answers and starting dockerd needs root"
    return 1
  fi
  mkdir -p "$LOGS"
  log "starting dockerd (log: $LOGS/dockerd.log)"
  # setsid: the engine is not part of this shell's process group, so a
  # Ctrl-C in the terminal does not kill it under running containers.
  # --userland-proxy=false: published ports are forwarded by the kernel
  # (iptables) instead of a proxy process per port, which under a loaded
  # 2-core machine made 40 simultaneous PostgreSQL logins time out.
  setsid dockerd --storage-driver overlay2 --userland-proxy=false --pidfile /run/seminarhub-dockerd.pid \
    </dev/null >>"$LOGS/dockerd.log" 2>&1 9>&- &
  for _ in $(seq 1 150); do
    if answers; then
      touch "$STARTED_MARK"
      echo started
      return 0
    fi
    sleep 0.2
  done
  tail -n 30 "$LOGS/dockerd.log" >&2
  log "dockerd did not answer within 30 s"
  return 1
}

stop() {
  [ -f "$STARTED_MARK" ] || return 0
  local pid
  pid=$(cat /run/seminarhub-dockerd.pid 2>/dev/null || true)
  if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
    log "stopping dockerd"
    kill -TERM "$pid"
    for _ in $(seq 1 150); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
  fi
  rm -f "$STARTED_MARK"
}

# tool_version DIR MODULE prints the version tools/DIR/go.mod pins for MODULE.
tool_version() {
  awk -v m="$2" '$1 == m { print $2 }' "$ROOT/tools/$1/go.mod"
}

# build_plugin NAME PACKAGE [LDFLAGS]: builds tools/NAME's pinned PACKAGE into
# the cache (once per version) and installs it as docker-NAME.
build_plugin() {
  local name=$1 pkg=$2 ldflags=${3:-} version out dest
  version=$(tool_version "$name" "$(sed -n 's/^tool //p' "$ROOT/tools/$name/go.mod" | sed 's#/cmd.*##')")
  out="$CACHE/cli-plugins/docker-$name-$version"
  dest="$(plugin_dir)/docker-$name"
  # Already installed at this version (by another clone, or another $HOME).
  if [ -x "$dest" ] && "$dest" version 2>/dev/null | grep -qF "$version"; then
    return 0
  fi
  if [ ! -x "$out" ]; then
    log "building docker-$name $version from its Go module (once per version; about 2 minutes)"
    mkdir -p "$(dirname "$out")"
    (cd "$ROOT/tools/$name" && GOWORK=off CGO_ENABLED=0 go build -trimpath -ldflags "-s -w $ldflags" -o "$out.tmp" "$pkg")
    mv "$out.tmp" "$out"
  fi
  if ! cmp -s "$out" "$dest" 2>/dev/null; then
    mkdir -p "$(dirname "$dest")"
    cp "$out" "$dest.tmp" && mv "$dest.tmp" "$dest"
    log "installed $dest ($version)"
  fi
}

plugins() {
  local v
  v=$(tool_version compose github.com/docker/compose/v5)
  build_plugin compose github.com/docker/compose/v5/cmd \
    "-X github.com/docker/compose/v5/internal.Version=$v"
  v=$(tool_version buildx github.com/docker/buildx)
  # Compose refuses a Buildx that does not know its own version.
  build_plugin buildx github.com/docker/buildx/cmd/buildx \
    "-X github.com/docker/buildx/version.Version=$v -X github.com/docker/buildx/version.Package=github.com/docker/buildx"
}

case "${1:-}" in
  engine) engine ;;
  plugins) plugins ;;
  ready) engine; plugins ;;
  stop) stop ;;
  answers) command -v docker >/dev/null 2>&1 && answers ;;
  *) sed -n '2,17p' "$0" >&2; exit 2 ;;
esac
