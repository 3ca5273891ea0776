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
