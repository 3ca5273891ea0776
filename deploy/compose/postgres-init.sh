#!/bin/sh
# First start of the compose PostgreSQL: one database and one role per
# service, so neither service can read the other's tables. The passwords come
# from the environment (compose.yaml holds local development values only).
set -eu
for svc in user content; do
  pw_var=$(echo "${svc}_DB_PASSWORD" | tr a-z A-Z)
  eval pw=\$$pw_var
  psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname postgres <<SQL
CREATE ROLE seminarhub_$svc LOGIN PASSWORD '$pw';
CREATE DATABASE seminarhub_$svc OWNER seminarhub_$svc;
REVOKE ALL ON DATABASE seminarhub_$svc FROM PUBLIC;
SQL
done
# The monitoring collector's role (deploy/collector): pg_monitor reads the
# statistics views, CONNECT lets it see each service's database; it reads
# no table. Made only where a password for it is given.
if [ -n "${MONITOR_DB_PASSWORD:-}" ]; then
  psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname postgres <<SQL
CREATE ROLE seminarhub_monitor LOGIN PASSWORD '$MONITOR_DB_PASSWORD' IN ROLE pg_monitor;
GRANT CONNECT ON DATABASE seminarhub_user, seminarhub_content TO seminarhub_monitor;
SQL
fi
