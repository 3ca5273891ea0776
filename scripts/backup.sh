#!/usr/bin/env bash
# Backups of `make run`'s PostgreSQL with pgBackRest (Debian's package):
# every WAL segment is archived as it fills — or after archive_timeout (30 s)
# with writes in it — and base backups are taken on demand, so the data can
# be restored to the latest archived moment or to any moment before it.
#
#   scripts/backup.sh settings NAME PORT   the PostgreSQL options that archive
#                                          (scripts/run.sh starts with them)
#   scripts/backup.sh stanza NAME PORT     create the stanza (first start)
#   scripts/backup.sh backup NAME          `make backup`: full the first time,
#                                          then incremental (pgBackRest decides)
#   scripts/backup.sh restore NAME [TARGET]
#                                          `make restore`: with PostgreSQL stopped,
#                                          move the data directory aside (never
#                                          deleted) and restore the latest state,
#                                          or the state at TARGET ("2026-12-05
#                                          10:00:00+00"); the next start replays
#                                          the archive up to there
#   scripts/backup.sh info NAME            what the repository holds
#   scripts/backup.sh check NAME PORT      pgBackRest's own check: archiving works
#
# The repository is SEMINARHUB_BACKUP_REPO (default .run/backup/NAME/repo),
# on this machine, apart from the data directory; nothing is encrypted since
# nothing leaves the machine. Retention: the last two full backups and what
# they need (repo1-retention-full=2).
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
STANZA=seminarhub

log() { echo "[backup] $*" >&2; }
die() { log "$*"; exit 1; }

have_root() { [ "$(id -u)" -eq 0 ]; }
as_pg() { if have_root; then runuser -u postgres -- "$@"; else "$@"; fi; }

pgbackrest_bin() {
  command -v pgbackrest >/dev/null 2>&1 || scripts/stack.sh apt-install pgbackrest
  command -v pgbackrest
}

pg_dir() { scripts/stack.sh pg-dir "$1"; }

home() { echo "${SEMINARHUB_BACKUP_HOME:-$(dirname "$(pg_dir "$1")")/backup/$1}"; }

# config NAME [PORT] writes the instance's pgbackrest.conf; prints its path.
config() {
  local name=$1 port=${2:-} dir home repo conf
  dir=$(pg_dir "$name")
  home=$(home "$name")
  repo=${SEMINARHUB_BACKUP_REPO:-$home/repo}
  conf="$home/pgbackrest.conf"
  mkdir -p "$home"/{spool,lock,log} "$repo"
  if [ -n "$port" ] || [ ! -f "$conf" ]; then
    cat > "$conf.tmp" <<CONF
# Written by scripts/backup.sh for make run's PostgreSQL '$name'.
[global]
repo1-path=$repo
repo1-retention-full=2
start-fast=y
compress-type=zst
# Archiving returns as soon as a segment is queued; a background process
# pushes it (the commit that filled it never waits on the repository).
archive-async=y
spool-path=$home/spool
lock-path=$home/lock
log-path=$home/log
log-level-console=warn
log-level-file=info
process-max=2

[$STANZA]
pg1-path=$dir/data
pg1-port=${port:-$(awk -F= '$1 == "pg1-port" { print $2 }' "$conf" 2>/dev/null)}
pg1-socket-path=$dir
pg1-user=postgres
CONF
    mv "$conf.tmp" "$conf"
  fi
  if have_root; then chown -R postgres: "$home" "$repo"; fi
  echo "$conf"
}

pgbr() {
  local conf=$1; shift
  as_pg "$(pgbackrest_bin)" --config="$conf" --stanza="$STANZA" "$@"
}

settings() {
  local conf
  conf=$(config "$1" "$2")
  # archive_timeout bounds what a lost data directory can cost: a segment
  # with writes in it is closed and archived at the latest after 30 s.
  echo "-c archive_mode=on -c archive_timeout=30 -c archive_command='$(pgbackrest_bin) --config=$conf --stanza=$STANZA archive-push %p'"
}

# stanza creates the repository's stanza on the first start. Only then:
# stanza-create takes the archive lock, which after a restore the
# asynchronous archive-push of the new timeline may hold.
stanza() {
  local conf repo
  conf=$(config "$1" "$2")
  repo=$(awk -F= '$1 == "repo1-path" { print $2 }' "$conf")
  [ -f "$repo/archive/$STANZA/archive.info" ] || pgbr "$conf" stanza-create >/dev/null
}

# first takes a full backup when the repository has none, so that a lost
# data directory can be restored even before anyone ran make backup.
first() {
  local conf
  conf=$(config "$1")
  if ! pgbr "$conf" info --output=json | grep -q '"label"'; then
    log "the first full backup of PostgreSQL '$1' (later ones: make backup)"
    pgbr "$conf" backup --type=full >/dev/null
  fi
}

backup() {
  local conf
  conf=$(config "$1")
  log "backing up PostgreSQL '$1' (pgBackRest: full the first time, then incremental)"
  pgbr "$conf" backup
  pgbr "$conf" info
}

restore() {
  local name=$1 target=${2:-} conf dir
  conf=$(config "$name")
  dir=$(pg_dir "$name")
  if [ -f "$dir/data/postmaster.pid" ] && as_pg "$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)/pg_ctl" -D "$dir/data" status >/dev/null 2>&1; then
    die "PostgreSQL '$name' is running: stop make run first (Ctrl-C, or make stop)"
  fi
  if [ -d "$dir/data" ]; then
    local aside
    aside="$dir/data.before-restore-$(date -u +%Y%m%dT%H%M%SZ)"
    mv "$dir/data" "$aside"
    log "the data directory was moved aside to $aside (delete it when the restore is good)"
  fi
  mkdir -p "$dir/data"
  if have_root; then chown postgres: "$dir/data"; fi
  chmod 700 "$dir/data"
  if [ -n "$target" ]; then
    log "restoring PostgreSQL '$name' to $target"
    pgbr "$conf" restore --type=time --target="$target" --target-action=promote
  else
    log "restoring PostgreSQL '$name' to the latest archived moment"
    pgbr "$conf" restore --type=default
  fi
  log "restored: the next start replays the archive up to there (make run)"
}

case "${1:-}" in
  settings) settings "$2" "$3" ;;
  stanza) stanza "$2" "$3" ;;
  backup) backup "$2" ;;
  first) first "$2" ;;
  restore) restore "$2" "${3:-}" ;;
  info) pgbr "$(config "$2")" info ;;
  check) pgbr "$(config "$2" "$3")" check ;;
  *) sed -n '2,30p' "$0" >&2; exit 2 ;;
esac
