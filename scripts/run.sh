#!/usr/bin/env bash
# `make run`: everything seminarhub needs, on this machine, in the foreground.
# Installs what is missing (apt, as root), starts a private PostgreSQL (two
# databases, two roles) and Redis under .run/, builds and migrates the
# services, builds the web front end, starts everything behind Nginx and
# prints the URL. Ctrl-C stops everything; data stays in .run/dev for the
# next run.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
RUN="$ROOT/.run"
LOGS="$RUN/logs"
BIN="$RUN/bin"
mkdir -p "$LOGS" "$BIN"

PG_PORT="${SEMINARHUB_PG_PORT:-55432}"
REDIS_PORT="${SEMINARHUB_REDIS_PORT:-56379}"
EDGE_HTTP_PORT="${EDGE_HTTP_PORT:-58080}"
EDGE_HTTPS_PORT="${EDGE_HTTPS_PORT:-58443}"
# Nginx reaches the gateway over a unix socket, as in compose.
GATEWAY_SOCKET="$RUN/gateway.sock"
USER_ADDR="${USER_ADDR:-127.0.0.1:58081}"
CONTENT_ADDR="${CONTENT_ADDR:-127.0.0.1:58082}"

# Local development secrets only (see README: production refuses them).
export INTERNAL_SECRET="${INTERNAL_SECRET:-dev-only-internal-secret}"
USER_DB="postgres://seminarhub_user:dev-only-user-db-password@127.0.0.1:$PG_PORT/seminarhub_user?sslmode=disable"
CONTENT_DB="postgres://seminarhub_content:dev-only-content-db-password@127.0.0.1:$PG_PORT/seminarhub_content?sslmode=disable"

pids=()
cleanup() {
  trap - INT TERM EXIT
  echo
  echo "[run] stopping services"
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  scripts/stack.sh pg-stop dev
  scripts/stack.sh redis-stop dev-redis
  echo "[run] stopped; data kept in .run/dev (make clean removes it)"
}
trap cleanup EXIT
trap 'exit 0' INT TERM

scripts/stack.sh pg-start dev "$PG_PORT"
scripts/stack.sh pg-provision "$PG_PORT"
scripts/stack.sh redis-start dev-redis "$REDIS_PORT"
export REDIS_URL="redis://127.0.0.1:$REDIS_PORT/0"

echo "[run] building services"
scripts/build.sh "$BIN"

DATABASE_URL="$USER_DB" "$BIN/user" migrate >>"$LOGS/user.log" 2>&1 || { tail -n 20 "$LOGS/user.log"; exit 1; }
DATABASE_URL="$CONTENT_DB" "$BIN/content" migrate >>"$LOGS/content.log" 2>&1 || { tail -n 20 "$LOGS/content.log"; exit 1; }

start() {
  local name=$1; shift
  env "$@" "$BIN/$name" >>"$LOGS/$name.log" 2>&1 &
  pids+=($!)
}
start user HTTP_ADDR="$USER_ADDR" DATABASE_URL="$USER_DB"
start content HTTP_ADDR="$CONTENT_ADDR" DATABASE_URL="$CONTENT_DB"
start gateway HTTP_ADDR="unix:$GATEWAY_SOCKET" USER_SERVICE_URL="http://$USER_ADDR" CONTENT_SERVICE_URL="http://$CONTENT_ADDR"

# The front end, built when its sources changed.
WEB_ROOT="$ROOT/web/dist"
if [ -f "$ROOT/web/package.json" ]; then
  scripts/web.sh build
fi
if [ ! -f "$WEB_ROOT/index.html" ]; then
  echo "[run] web/dist is missing; the edge serves the API only"
  mkdir -p "$WEB_ROOT"
fi

# The edge: Nginx rendered from deploy/nginx (plain HTTP serves the site
# locally; HTTPS with a generated localhost certificate beside it).
EDGE_DIR="$RUN/edge"
EDGE_MODE=local EDGE_HTTP_PORT="$EDGE_HTTP_PORT" EDGE_HTTPS_PORT="$EDGE_HTTPS_PORT" \
  EDGE_UPSTREAM="unix:$GATEWAY_SOCKET" EDGE_WEB_ROOT="$WEB_ROOT" EDGE_TLS_DIR="$RUN/tls" \
  EDGE_AUTH_RATE="${EDGE_AUTH_RATE:-20r/s}" EDGE_LOG_DIR="$LOGS" scripts/edge.sh render "$EDGE_DIR"
"$(scripts/edge.sh bin)" -p "$EDGE_DIR" -c "$EDGE_DIR/nginx.conf" -g "daemon off;" >>"$LOGS/edge.log" 2>&1 &
pids+=($!)

for addr in "$USER_ADDR" "$CONTENT_ADDR"; do
  for _ in $(seq 1 100); do
    curl -fsS "http://$addr/readyz" >/dev/null 2>&1 && break
    sleep 0.1
  done
  curl -fsS "http://$addr/readyz" >/dev/null || { echo "[run] $addr did not become ready; see $LOGS"; exit 1; }
done
for _ in $(seq 1 100); do
  curl -fsS "http://127.0.0.1:$EDGE_HTTP_PORT/ping" >/dev/null 2>&1 && break
  sleep 0.1
done
curl -fsS "http://127.0.0.1:$EDGE_HTTP_PORT/ping" >/dev/null || { echo "[run] the edge did not answer; see $LOGS"; exit 1; }

cat <<MSG

  seminarhub is running:  http://localhost:$EDGE_HTTP_PORT
  (also https://localhost:$EDGE_HTTPS_PORT with a self-signed certificate in .run/tls)
  try:   curl http://localhost:$EDGE_HTTP_PORT/ping
  logs:  $LOGS/   (JSON: edge-access.log, user.log, content.log, gateway.log)
  stop:  Ctrl-C

MSG
wait -n "${pids[@]}" || true
echo "[run] a service exited; see $LOGS"
exit 1
