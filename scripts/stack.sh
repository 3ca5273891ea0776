#!/usr/bin/env bash
# Private PostgreSQL instances for `make run` and `make test`, under .run/,
# on ports that do not clash with a system PostgreSQL. Installs what is
# missing with apt when running as root. Every command is idempotent.
#
#   scripts/stack.sh pg-start NAME PORT   start (initialise on first use)
#   scripts/stack.sh pg-stop NAME         stop
#   scripts/stack.sh pg-provision PORT    create the services' roles and databases
#   scripts/stack.sh pg-dir NAME          where instance NAME keeps its data (data/ below it)
#   scripts/stack.sh test-postgres        start the test instance, print its admin URL
#   scripts/stack.sh redis-start NAME PORT   start a private Redis
#   scripts/stack.sh redis-stop NAME
#   scripts/stack.sh redis-bin            install Redis if missing, print redis-server's path
#   scripts/stack.sh test-redis           start the test Redis, print its URL
#   scripts/stack.sh stop-all             stop every instance under .run/
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
RUN="$ROOT/.run"
# Local development credentials only; never used outside this machine.
PG_SUPERPASS="dev-only-postgres"
TEST_PG_PORT="${SEMINARHUB_TEST_PG_PORT:-55433}"
PG_EXTRA_OPTS="${PG_EXTRA_OPTS:-}"

log() { echo "[stack] $*" >&2; }

have_root() { [ "$(id -u)" -eq 0 ]; }

apt_install() {
  if ! have_root; then
    log "missing $*; install it (apt-get install $*) or run as root"
    exit 1
  fi
  log "installing $* with apt-get"
  if [ ! -f "$RUN/.apt-updated" ]; then
    apt-get update -qq >&2
    mkdir -p "$RUN" && touch "$RUN/.apt-updated"
  fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >&2
}

pg_bindir() {
  local bin
  bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)
  if [ -z "$bin" ] || [ ! -x "$bin/postgres" ]; then
    apt_install postgresql
    bin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
  fi
  echo "$bin"
}

# PostgreSQL refuses to run as root: as root we run it as the "postgres" user,
# which must be able to reach the data directory.
as_pg() {
  if have_root; then runuser -u postgres -- "$@"; else "$@"; fi
}

pg_dir() {
  local name=$1 dir="$RUN/$1"
  if have_root && ! runuser -u postgres -- test -x "$ROOT" 2>/dev/null; then
    # The checkout is not reachable by the postgres user (e.g. under /root).
    dir="/var/tmp/seminarhub-$(echo "$ROOT" | md5sum | cut -c1-8)/$name"
  fi
  echo "$dir"
}

pg_start() {
  local name=$1 port=$2 bin dir
  bin=$(pg_bindir)
  dir=$(pg_dir "$name")
  mkdir -p "$dir"
  have_root && chown postgres: "$dir" "$(dirname "$dir")" 2>/dev/null || true
  if [ ! -f "$dir/data/PG_VERSION" ]; then
    log "initialising PostgreSQL '$name' in $dir/data"
    as_pg bash -c "umask 077; echo '$PG_SUPERPASS' > '$dir/pwfile'"
    as_pg "$bin/initdb" -D "$dir/data" -U postgres --pwfile="$dir/pwfile" \
      --auth-local=trust --auth-host=scram-sha-256 -E UTF8 --locale=C.UTF-8 >"$dir/initdb.log" 2>&1 \
      || { cat "$dir/initdb.log" >&2; exit 1; }
  fi
  if as_pg "$bin/pg_ctl" -D "$dir/data" status >/dev/null 2>&1; then
    return 0
  fi
  log "starting PostgreSQL '$name' on 127.0.0.1:$port"
  as_pg "$bin/pg_ctl" -D "$dir/data" -l "$dir/postgres.log" -w -t 60 start \
    -o "-p $port -c listen_addresses=127.0.0.1 -c unix_socket_directories='$dir' -c max_connections=300 $PG_EXTRA_OPTS" </dev/null >/dev/null 9>&- \
    || { tail -n 30 "$dir/postgres.log" >&2; exit 1; }
  # After a restore (make restore) the server first replays archived WAL,
  # answering read-only meanwhile; it is ours once it has promoted.
  local waited=0
  while [ "$(as_pg "$bin/psql" -h "$dir" -p "$port" -U postgres -d postgres -qAtX -c 'SELECT pg_is_in_recovery()' 2>/dev/null)" != f ]; do
    [ "$waited" -eq 0 ] && log "PostgreSQL '$name' is replaying archived WAL (after a restore); waiting until it is done"
    waited=$((waited + 1))
    [ "$waited" -lt 3000 ] || { log "PostgreSQL '$name' still recovers after 10 minutes; see $dir/postgres.log"; exit 1; }
    sleep 0.2
  done
}

pg_stop() {
  local name=$1 bin dir
  dir=$(pg_dir "$name")
  [ -f "$dir/data/PG_VERSION" ] || return 0
  bin=$(pg_bindir)
  if as_pg "$bin/pg_ctl" -D "$dir/data" status >/dev/null 2>&1; then
    log "stopping PostgreSQL '$name'"
    as_pg "$bin/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null
  fi
}

psql_admin() {
  local port=$1; shift
  PGPASSWORD="$PG_SUPERPASS" "$(pg_bindir)/psql" -h 127.0.0.1 -p "$port" -U postgres -v ON_ERROR_STOP=1 -qAt "$@"
}

# One database and one role per service: neither service can read the
# other's tables. Passwords are local development values only.
pg_provision() {
  local port=$1 svc
  for svc in user content; do
    psql_admin "$port" -d postgres <<SQL
SELECT 'CREATE ROLE seminarhub_$svc LOGIN PASSWORD ''dev-only-$svc-db-password'''
WHERE NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'seminarhub_$svc')\gexec
SELECT 'CREATE DATABASE seminarhub_$svc OWNER seminarhub_$svc'
WHERE NOT EXISTS (SELECT 1 FROM pg_database WHERE datname = 'seminarhub_$svc')\gexec
REVOKE ALL ON DATABASE seminarhub_$svc FROM PUBLIC;
SQL
  done
}

redis_bin() {
  if ! command -v redis-server >/dev/null 2>&1; then
    apt_install redis-server
  fi
  command -v redis-server
}

# A cache holds nothing worth keeping: no persistence.
redis_start() {
  local name=$1 port=$2 dir="$RUN/$1" bin
  bin=$(redis_bin)
  mkdir -p "$dir"
  if [ -f "$dir/redis.pid" ] && kill -0 "$(cat "$dir/redis.pid")" 2>/dev/null; then
    return 0
  fi
  log "starting Redis '$name' on 127.0.0.1:$port"
  "$bin" --port "$port" --bind 127.0.0.1 --daemonize yes --dir "$dir" \
    --pidfile "$dir/redis.pid" --logfile "$dir/redis.log" --save "" --appendonly no \
    --maxmemory 256mb --maxmemory-policy allkeys-lru </dev/null >/dev/null 9>&-
  for _ in $(seq 1 50); do
    [ -f "$dir/redis.pid" ] && return 0
    sleep 0.1
  done
  log "Redis '$name' did not start; see $dir/redis.log"
  exit 1
}

# running PID: alive and not a zombie (an exited daemon nobody has reaped
# yet holds no port, but kill -0 still finds it).
running() {
  local state
  state=$(ps -o stat= -p "$1" 2>/dev/null) || return 1
  [ -n "$state" ] && [ "${state#Z}" = "$state" ]
}

redis_stop() {
  local dir="$RUN/$1" pid
  [ -f "$dir/redis.pid" ] || return 0
  pid=$(cat "$dir/redis.pid")
  if running "$pid"; then
    log "stopping Redis '$1'"
    kill "$pid" 2>/dev/null || true
    # Waits for the process, not the pid file: Redis removes that before
    # it closes its port.
    for _ in $(seq 1 100); do
      running "$pid" || break
      sleep 0.1
    done
  fi
  rm -f "$dir/redis.pid"
}

case "${1:-}" in
  pg-start) pg_start "$2" "$3" ;;
  pg-stop) pg_stop "$2" ;;
  pg-provision) pg_provision "$2" ;;
  pg-dir) pg_dir "$2" ;;
  test-postgres)
    mkdir -p "$RUN"
    exec 9>"$RUN/.test-postgres.lock"
    flock 9
    # Throwaway test data: durability buys nothing, speed does.
    PG_EXTRA_OPTS="-c fsync=off -c synchronous_commit=off -c full_page_writes=off" pg_start test "$TEST_PG_PORT"
    echo "postgres://postgres:$PG_SUPERPASS@127.0.0.1:$TEST_PG_PORT/postgres?sslmode=disable"
    ;;
  redis-start) redis_start "$2" "$3" ;;
  redis-stop) redis_stop "$2" ;;
  redis-bin) redis_bin ;;
  apt-install) shift; apt_install "$@" ;;
  test-redis)
    mkdir -p "$RUN"
    exec 9>"$RUN/.test-redis.lock"
    flock 9
    redis_start test-redis "${SEMINARHUB_TEST_REDIS_PORT:-56380}"
    echo "redis://127.0.0.1:${SEMINARHUB_TEST_REDIS_PORT:-56380}/0"
    ;;
  stop-all)
    pg_stop dev
    pg_stop test
    redis_stop dev-redis
    redis_stop test-redis
    ;;
  *) sed -n '2,16p' "$0" >&2; exit 2 ;;
esac
