#!/usr/bin/env bash
# `make deploy`: this commit, onto the cluster the kubeconfig names — built,
# delivered, rolled out, and rolled back by itself if it never becomes
# ready.
#
#   1. builds the four images from the Dockerfiles, tagged with the commit
#      (…-dirty when the tree has uncommitted changes);
#   2. gets them to the cluster: pushed to SEMINARHUB_REGISTRY when set,
#      imported into `make cluster`'s containerd when the kubeconfig is its;
#   3. applies the overlay with those images (a kustomization of its own in
#      .run/deploy that names the overlay and sets the images — the
#      overlay's files are not touched);
#   4. waits for every Deployment to roll out; when one does not within
#      ROLLOUT_TIMEOUT, rolls back every Deployment this changed, waits for
#      them, and exits 1. The version that was serving keeps serving:
#      rollouts replace pods only when new ones are ready.
#
# Settings (environment):
#   OVERLAY              deploy/k8s/overlays/<OVERLAY>   (dev)
#   KUBECONFIG           the cluster                      (.run/cluster/kubeconfig)
#   SEMINARHUB_REGISTRY  push the images here (registry.example.com/team)
#   TAG                  the image tag                    (the commit)
#   BUILD=0              use images already tagged TAG instead of building
#   ROLLOUT_TIMEOUT      how long a rollout may take      (180s)
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
OVERLAY=${OVERLAY:-dev}
export KUBECONFIG=${KUBECONFIG:-$ROOT/.run/cluster/kubeconfig}
REGISTRY=${SEMINARHUB_REGISTRY:-}
ROLLOUT_TIMEOUT=${ROLLOUT_TIMEOUT:-180s}
DEPLOYMENTS="user content gateway edge"
log() { echo "[deploy] $*" >&2; }

KUBECTL=$(command -v kubectl || true)
[ -n "$KUBECTL" ] || KUBECTL="$(scripts/cluster.sh binaries)/kubectl"
commit=$(git rev-parse HEAD)
if [ -z "${TAG:-}" ]; then
  TAG=$(git rev-parse --short=12 HEAD)
  git diff --quiet HEAD -- || TAG="$TAG-dirty"
fi
ns=$(awk '$1 == "namespace:" { print $2; exit }' "deploy/k8s/overlays/$OVERLAY/kustomization.yaml")
image() { echo "${REGISTRY:+$REGISTRY/}seminarhub/$1"; }

if [ "${BUILD:-1}" != 0 ]; then
  log "building the images of $commit as $TAG"
  SEMINARHUB_VERSION=$TAG SEMINARHUB_COMMIT=$commit docker compose build --quiet
  for d in $DEPLOYMENTS; do docker tag "seminarhub/$d:dev" "$(image "$d"):$TAG"; done
fi
refs=()
for d in $DEPLOYMENTS; do refs+=("$(image "$d"):$TAG"); done
if [ -n "$REGISTRY" ]; then
  for ref in "${refs[@]}"; do log "pushing $ref"; docker push --quiet "$ref" >/dev/null; done
elif [ "$(realpath "$KUBECONFIG")" = "$ROOT/.run/cluster/kubeconfig" ]; then
  log "importing the images into the local cluster"
  scripts/cluster.sh import "${refs[@]}"
else
  log "$KUBECONFIG is not make cluster's: set SEMINARHUB_REGISTRY to a registry the cluster pulls from"
  exit 2
fi

# The revision each Deployment is at, to roll back to.
declare -A before
for d in $DEPLOYMENTS; do
  before[$d]=$("$KUBECTL" -n "$ns" get deployment "$d" -o 'jsonpath={.metadata.annotations.deployment\.kubernetes\.io/revision}' 2>/dev/null || true)
done

dir="$ROOT/.run/deploy/$OVERLAY"
mkdir -p "$dir"
{
  echo "# Written by scripts/deploy.sh: the $OVERLAY overlay at $TAG."
  echo "apiVersion: kustomize.config.k8s.io/v1beta1"
  echo "kind: Kustomization"
  echo "resources: [../../../deploy/k8s/overlays/$OVERLAY]"
  echo "images:"
  for d in $DEPLOYMENTS; do printf '  - {name: seminarhub/%s, newName: %s, newTag: "%s"}\n' "$d" "$(image "$d")" "$TAG"; done
} > "$dir/kustomization.yaml"
log "applying the $OVERLAY overlay at $TAG to namespace $ns"
"$KUBECTL" apply -k "$dir" >/dev/null

failed=""
for d in $DEPLOYMENTS; do
  if ! "$KUBECTL" -n "$ns" rollout status "deployment/$d" --timeout="$ROLLOUT_TIMEOUT" >/dev/null 2>&1; then
    failed="$failed $d"
  fi
done
if [ -z "$failed" ]; then
  log "$TAG is serving"
  exit 0
fi

log "did not become ready within $ROLLOUT_TIMEOUT:$failed — rolling back"
for d in $DEPLOYMENTS; do
  now=$("$KUBECTL" -n "$ns" get deployment "$d" -o 'jsonpath={.metadata.annotations.deployment\.kubernetes\.io/revision}')
  if [ -n "${before[$d]}" ] && [ "$now" != "${before[$d]}" ]; then
    "$KUBECTL" -n "$ns" rollout undo "deployment/$d" --to-revision="${before[$d]}" >/dev/null
  fi
done
for d in $DEPLOYMENTS; do
  "$KUBECTL" -n "$ns" rollout status "deployment/$d" --timeout="$ROLLOUT_TIMEOUT" >/dev/null
done
log "rolled back: the version that was serving still is"
exit 1
