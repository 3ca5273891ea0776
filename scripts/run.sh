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
# SEMINARHUB_INSTANCE names a second, separate local system (its own data,
# logs, socket — and ports, which the variables below move): the tests
# start one to check that every signal stops everything.
INSTANCE="${SEMINARHUB_INSTANCE:-dev}"
STATE="$RUN"
[ "$INSTANCE" = dev ] || STATE="$RUN/$INSTANCE-run"
LOGS="$STATE/logs"
BIN="$STATE/bin"
mkdir -p "$LOGS" "$BIN"

PG_PORT="${SEMINARHUB_PG_PORT:-55432}"
REDIS_PORT="${SEMINARHUB_REDIS_PORT:-56379}"
EDGE_HTTP_PORT="${EDGE_HTTP_PORT:-58080}"
EDGE_HTTPS_PORT="${EDGE_HTTPS_PORT:-58443}"
# Nginx reaches the gateway over a unix socket, as in compose.
GATEWAY_SOCKET="$STATE/gateway.sock"
USER_ADDR="${USER_ADDR:-127.0.0.1:58081}"
CONTENT_ADDR="${CONTENT_ADDR:-127.0.0.1:58082}"
# Probes and metrics, apart from the APIs (README: Operations).
GATEWAY_OPS="${GATEWAY_OPS:-127.0.0.1:58090}"
USER_OPS="${USER_OPS:-127.0.0.1:58091}"
CONTENT_OPS="${CONTENT_OPS:-127.0.0.1:58092}"

# Local development secrets only (see README: production refuses them).
export INTERNAL_SECRET="${INTERNAL_SECRET:-dev-only-internal-secret}"
USER_DB="postgres://seminarhub_user:dev-only-user-db-password@127.0.0.1:$PG_PORT/seminarhub_user?sslmode=disable"
CONTENT_DB="postgres://seminarhub_content:dev-only-content-db-password@127.0.0.1:$PG_PORT/seminarhub_content?sslmode=disable"

pids=()
cleanup() {
  # Ignored from here on, by this script and what it runs to stop things:
  # a second Ctrl-C or TERM must not cut the stopping short and leave
  # PostgreSQL and Redis running.
  trap '' INT TERM HUP QUIT
  trap - EXIT
  set +e # stop everything even if one part fails
  echo
  echo "[run] stopping services"
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  # In a session of their own: runuser (inside pg-stop) acts on a repeated
  # TERM to our process group by killing what it runs.
  setsid --wait scripts/stack.sh pg-stop "$INSTANCE" || echo "[run] PostgreSQL did not stop cleanly; make stop retries"
  setsid --wait scripts/stack.sh redis-stop "$INSTANCE-redis" || echo "[run] Redis did not stop cleanly; make stop retries"
  echo "[run] stopped; data kept in .run/$INSTANCE (make clean removes it)"
}
# Ctrl-C (INT), a supervisor or CI (TERM) and a closing terminal (HUP)
# all stop everything this started. PostgreSQL and Redis run in sessions
# of their own (they daemonize), so a signal to this process group does
# not reach them: only this cleanup stops them — and bash skips EXIT
# traps when an untrapped signal kills it, hence every signal is trapped.
trap cleanup EXIT
trap 'exit 0' INT TERM HUP QUIT

# Every WAL segment is archived with pgBackRest from the first start
# (scripts/backup.sh; make backup, make restore).
PG_EXTRA_OPTS="$(scripts/backup.sh settings "$INSTANCE" "$PG_PORT")" scripts/stack.sh pg-start "$INSTANCE" "$PG_PORT"
scripts/stack.sh pg-provision "$PG_PORT"
scripts/backup.sh stanza "$INSTANCE" "$PG_PORT"
scripts/backup.sh first "$INSTANCE"
scripts/stack.sh redis-start "$INSTANCE-redis" "$REDIS_PORT"
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
start user HTTP_ADDR="$USER_ADDR" OPS_ADDR="$USER_OPS" DATABASE_URL="$USER_DB"
start content HTTP_ADDR="$CONTENT_ADDR" OPS_ADDR="$CONTENT_OPS" DATABASE_URL="$CONTENT_DB"
start gateway HTTP_ADDR="unix:$GATEWAY_SOCKET" OPS_ADDR="$GATEWAY_OPS" USER_SERVICE_URL="http://$USER_ADDR" CONTENT_SERVICE_URL="http://$CONTENT_ADDR"

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
EDGE_DIR="$STATE/edge"
EDGE_MODE=local EDGE_HTTP_PORT="$EDGE_HTTP_PORT" EDGE_HTTPS_PORT="$EDGE_HTTPS_PORT" \
  EDGE_UPSTREAM="unix:$GATEWAY_SOCKET" EDGE_WEB_ROOT="$WEB_ROOT" EDGE_TLS_DIR="$RUN/tls" \
  EDGE_AUTH_RATE="${EDGE_AUTH_RATE:-20r/s}" EDGE_LOG_DIR="$LOGS" scripts/edge.sh render "$EDGE_DIR"
"$(scripts/edge.sh bin)" -p "$EDGE_DIR" -c "$EDGE_DIR/nginx.conf" -g "daemon off;" >>"$LOGS/edge.log" 2>&1 &
pids+=($!)

for addr in "$USER_OPS" "$CONTENT_OPS"; do
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
# Ctrl-C reaches the services too (Nginx stops on SIGINT at once): a signal
# this script received is handled by its trap after this pause, before
# anything is called a failure.
sleep 0.5
echo "[run] a service exited; see $LOGS"
exit 1
