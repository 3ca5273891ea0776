#!/usr/bin/env bash
# `make test`: go vet, then unit, integration and end-to-end tests against
# real servers, the monitoring rules (scripts/monitoring.sh check), the
# restore drill (tests/restore), then — whenever a Docker
# engine answers — the compose suite
# (tests/compose: the product as `docker compose up` runs it).
#
# PostgreSQL comes from SEMINARHUB_TEST_POSTGRES_URL when set, else from
# testcontainers when a Docker engine answers, else from a private instance
# under .run/test that this script starts and stops. Redis comes from
# SEMINARHUB_TEST_REDIS_URL or, by default, a private redis-server process per
# test. As root, a missing Docker engine is installed and started
# (scripts/docker.sh) and stopped again at the end; SEMINARHUB_NO_DOCKER=1
# skips Docker altogether (then the compose suite does not run).
#
# `make test-fast` (scripts/test.sh fast) is the inner loop: the unit, store,
# component and architecture tests, on the private PostgreSQL and Redis
# processes — no Docker, no browser, no end-to-end stack.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
FAST=(./api/... ./platform/... ./testkit/... ./services/user/... ./services/content/... ./services/gateway/... ./tests/architecture/...)
MODULES=("${FAST[@]}" ./tests/e2e/... ./tests/load/... ./tests/blackbox/... ./deploy/validate/...)

started_pg="" started_docker="" docker="" started_cluster=""
cleanup() {
  trap - EXIT INT TERM
  [ -z "$started_cluster" ] || scripts/cluster.sh down || true
  if [ -n "$docker" ]; then
    # Testcontainers' reaper (Ryuk) is an image no registry here serves:
    # the containers the tests started are removed by their label.
    ids=$(docker ps --all --quiet --filter label=org.seminarhub.test 2>/dev/null || true)
    [ -z "$ids" ] || docker rm --force --volumes $ids >/dev/null 2>&1 || true
  fi
  [ -z "$started_pg" ] || scripts/stack.sh pg-stop test
  [ -z "$started_docker" ] || scripts/docker.sh stop
}
trap cleanup EXIT
trap 'exit 143' TERM
trap 'exit 130' INT

[ "${1:-}" != fast ] || SEMINARHUB_NO_DOCKER=1

# `make bench` (go test arguments given) measures the local stack with wrk:
# no Docker needed.
if [ "${1:-}" = "-run" ]; then
  SEMINARHUB_NO_DOCKER=1
  command -v wrk >/dev/null 2>&1 || scripts/stack.sh apt-install wrk
fi

if [ "${SEMINARHUB_NO_DOCKER:-}" != 1 ]; then
  if [ "$(id -u)" -eq 0 ]; then
    out=$(scripts/docker.sh ready) || { echo "[test] the Docker engine could not be started (see .run/logs/dockerd.log)"; exit 1; }
    [ "$out" != started ] || started_docker=1
  fi
  if scripts/docker.sh answers; then
    docker=1
    echo "[test] Docker answers: third-party images (pulled, or stand-ins where no registry answers)"
    scripts/images.sh
    export TESTCONTAINERS_RYUK_DISABLED=true
  fi
fi

if [ -z "${SEMINARHUB_TEST_POSTGRES_URL:-}" ] && [ -z "$docker" ]; then
  echo "[test] no Docker engine: starting the private PostgreSQL under .run/test"
  SEMINARHUB_TEST_POSTGRES_URL=$(scripts/stack.sh test-postgres)
  export SEMINARHUB_TEST_POSTGRES_URL
  started_pg=1
elif [ -z "${SEMINARHUB_TEST_POSTGRES_URL:-}" ]; then
  echo "[test] PostgreSQL from testcontainers"
  # pgtest falls back to the private instance when the image cannot be had.
  started_pg=1
fi

if [ "${1:-}" = fast ]; then
  scripts/stack.sh redis-bin >/dev/null
  echo "[test] fast: unit, store, component and architecture tests"
  go test -count=1 -timeout 5m "${FAST[@]}"
  exit
fi

# The tests start their own Redis and Nginx processes; make sure the
# binaries are here. The browser tests use Debian's Chromium (browser
# downloads cannot work on our machines).
scripts/stack.sh redis-bin >/dev/null
scripts/edge.sh bin >/dev/null
[ -x /usr/bin/chromium ] || scripts/stack.sh apt-install chromium

echo "[test] web: npm ci, type check and build, unit tests (vitest)"
scripts/web.sh build
(cd web && npm test --silent)

# The cluster suite (tests/k8s): a real single-node Kubernetes started for
# it (make cluster), the product applied and tested through its edge, then
# the cluster stopped and the machine checked for anything it left.
k8s_suite() {
  local before=.run/k8s-host-before.json started="" code=0
  if ! scripts/cluster.sh status 2>/dev/null; then
    # What a killed run left is not this machine's state to compare with.
    scripts/cluster.sh tidy
    # On a new machine building Kubernetes takes longer than a go test may.
    echo "[test] k8s: the cluster's binaries (built once per version, then cached)"
    scripts/cluster.sh binaries >/dev/null
    rm -f "$before"
    if ! out=$(SEMINARHUB_K8S_HOST="before:$ROOT/$before" go test -count=1 -run TestTheClusterLeavesNothingBehind ./tests/k8s/ 2>&1); then
      echo "$out"
      echo "[test] k8s: could not record this machine before the cluster"
      return 1
    fi
    echo "[test] k8s: make cluster (images built once per version, then cached)"
    started=1 started_cluster=1
    scripts/cluster.sh up || return 1
  fi
  echo "[test] k8s: the product on Kubernetes (tests/k8s)"
  if ! go test -count=1 -v -timeout 75m -run TestTheProductOnKubernetes ./tests/k8s/ 2>&1 | grep -v '^=== \(RUN\|PAUSE\|CONT\)'; then
    code=1
  fi
  if [ -n "$started" ]; then
    echo "[test] k8s: make cluster-down, and nothing of it left on this machine"
    scripts/cluster.sh down || code=1
    started_cluster=""
    if ! SEMINARHUB_K8S_HOST="after:$ROOT/$before" go test -count=1 -v -run TestTheClusterLeavesNothingBehind ./tests/k8s/ | grep -v '^=== RUN'; then
      code=1
    fi
  fi
  return "$code"
}

compose_suite() {
  echo "[test] compose: build every image, docker compose up, the e2e suite and browser flows through its edge"
  go test -count=1 -v -timeout 40m ./tests/compose/ 2>&1 | grep -v '^=== \(RUN\|PAUSE\|CONT\)'
  return "${PIPESTATUS[0]}"
}

# `make test-k8s`: only the cluster suite.
if [ "${1:-}" = "k8s" ]; then
  [ "$(id -u)" -eq 0 ] || { echo "[test] the cluster suite needs root"; exit 1; }
  [ -n "$docker" ] || { echo "[test] no Docker engine answers: the cluster suite builds its images with it"; exit 1; }
  k8s_suite
  exit
fi

# `make test-compose`: only the compose suite.
if [ "${1:-}" = "compose" ]; then
  [ -n "$docker" ] || { echo "[test] no Docker engine answers: the compose suite cannot run"; exit 1; }
  compose_suite
  exit
fi

# `make bench` passes its own go test arguments (and packages).
if [ "${1:-}" = "-run" ]; then
  go test -count=1 "$@"
  exit
fi

echo "[test] go vet"
go vet "${MODULES[@]}" ./tests/restore/... ./tests/compose/... ./tests/k8s/...
echo "[test] each module builds on its own (GOWORK=off), as container builds see it"
for mod in $(scripts/modules.sh); do
  (cd "$mod" && GOWORK=off go build ./...)
done
echo "[test] go test"
go test -race -count=1 -timeout 15m "${MODULES[@]}"

echo "[test] monitoring: the SLO rules are the spec's, promtool checks and unit-tests the rules, amtool the routing"
scripts/monitoring.sh check

# The restore drill (tests/restore, docs/backups.md): a make run of its
# own, its data directory destroyed under load and restored, a mistaken
# DELETE undone, the e2e suite on the restored stack.
echo "[test] restore drill: make run archived with pgBackRest, make restore after a lost volume and after a mistake"
go test -count=1 -v -timeout 25m ./tests/restore/ 2>&1 | grep -v '^=== \(RUN\|PAUSE\|CONT\)'

if [ -n "$docker" ]; then
  compose_suite
else
  echo "[test] no Docker engine: the compose suite (tests/compose) did not run"
fi

if [ "${SEMINARHUB_NO_K8S:-}" = 1 ]; then
  echo "[test] SEMINARHUB_NO_K8S=1: the cluster suite (tests/k8s) did not run"
elif [ "$(id -u)" -ne 0 ] || [ -z "$docker" ]; then
  echo "[test] not root, or no Docker engine: the cluster suite (tests/k8s) did not run"
else
  k8s_suite
fi
