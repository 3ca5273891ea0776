#!/usr/bin/env bash
# `make test`: go vet, then unit, integration and end-to-end tests against a
# real PostgreSQL. The database comes from SEMINARHUB_TEST_POSTGRES_URL when
# set, else from testcontainers when a Docker engine answers, else from a
# private instance under .run/test that this script starts and stops. Redis
# comes from SEMINARHUB_TEST_REDIS_URL or, by default, a private redis-server
# process per test (installed with apt when missing).
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
MODULES=(./platform/... ./testkit/... ./services/user/... ./services/content/... ./services/gateway/... ./tests/e2e/... ./deploy/validate/...)

started=""
cleanup() { [ -n "$started" ] && scripts/stack.sh pg-stop test; }
trap cleanup EXIT

if [ -z "${SEMINARHUB_TEST_POSTGRES_URL:-}" ]; then
  if timeout 10 docker info >/dev/null 2>&1; then
    echo "[test] Docker answers: tests use testcontainers"
  else
    echo "[test] no Docker engine: starting the private PostgreSQL under .run/test"
    SEMINARHUB_TEST_POSTGRES_URL=$(scripts/stack.sh test-postgres)
    export SEMINARHUB_TEST_POSTGRES_URL
    started=1
  fi
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

# `make bench` passes its own go test arguments (and packages).
if [ "${1:-}" = "-run" ]; then
  go test -count=1 "$@"
  exit
fi

echo "[test] go vet"
go vet "${MODULES[@]}"
echo "[test] each module builds on its own (GOWORK=off), as container builds see it"
for mod in platform testkit services/user services/content services/gateway tests/e2e deploy/validate; do
  (cd "$mod" && GOWORK=off go build ./...)
done
echo "[test] go test"
go test -race -count=1 -timeout 15m "${MODULES[@]}"
