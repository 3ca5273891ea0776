#!/usr/bin/env bash
# Renders the shipped Nginx configuration (deploy/nginx) for a local or test
# instance and checks it with `nginx -t`. The shipped files hold the
# container's values; only these differ, and only here:
#
#   EDGE_MODE        local (plain HTTP serves the site) | production (HTTP → 301 HTTPS)
#   EDGE_HTTP_PORT   EDGE_HTTPS_PORT   listen ports on 127.0.0.1
#   EDGE_UPSTREAM    "unix:/abs/gateway.sock" or "host:port"; several separated by spaces
#   EDGE_WEB_ROOT    the built front end (web/dist)
#   EDGE_TLS_DIR     holds tls.crt/tls.key; a localhost certificate is made when absent
#   EDGE_AUTH_RATE   signup/login rate limit per client (default 20r/s, as shipped)
#   EDGE_METRICS_LOG syslog address:port for the monitoring collector's line per answer (default: none)
#   EDGE_LOG_DIR     where access/error logs go (default: stdout/stderr)
#
#   scripts/edge.sh render OUTDIR     write OUTDIR/nginx.conf and friends, then nginx -t
#   scripts/edge.sh cert DIR          make a self-signed localhost certificate in DIR
#   scripts/edge.sh bin               install Nginx if missing, print its path
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
SRC="$ROOT/deploy/nginx"

nginx_bin() {
  if ! command -v nginx >/dev/null 2>&1 && [ ! -x /usr/sbin/nginx ]; then
    "$ROOT/scripts/stack.sh" apt-install nginx-light >&2 || "$ROOT/scripts/stack.sh" apt-install nginx >&2
  fi
  command -v nginx 2>/dev/null || echo /usr/sbin/nginx
}

make_cert() {
  local dir=$1
  mkdir -p "$dir"
  [ -s "$dir/tls.crt" ] && [ -s "$dir/tls.key" ] && return 0
  command -v openssl >/dev/null || "$ROOT/scripts/stack.sh" apt-install openssl >&2
  echo "[edge] generating a self-signed certificate for localhost in $dir" >&2
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 365 \
    -subj "/CN=localhost" -addext "subjectAltName=DNS:localhost,IP:127.0.0.1" \
    -keyout "$dir/tls.key" -out "$dir/tls.crt" >/dev/null 2>&1
  chmod 600 "$dir/tls.key"
}

render() {
  local out=$1
  local mode=${EDGE_MODE:-local} http=${EDGE_HTTP_PORT:?} https=${EDGE_HTTPS_PORT:?}
  local upstream=${EDGE_UPSTREAM:?} web=${EDGE_WEB_ROOT:?} tls=${EDGE_TLS_DIR:-$out/tls}
  rm -rf "$out/sites-available" "$out/sites-enabled" "$out/seminarhub"
  mkdir -p "$out/tmp" "$out/sites-enabled"
  cp -r "$SRC/nginx.conf" "$SRC/sites-available" "$SRC/seminarhub" "$out/"
  make_cert "$tls"

  local access=/dev/stdout error=/dev/stderr
  if [ -n "${EDGE_LOG_DIR:-}" ]; then
    mkdir -p "$EDGE_LOG_DIR"
    access="$EDGE_LOG_DIR/edge-access.log" error="$EDGE_LOG_DIR/edge-error.log"
  fi
  sed -i \
    -e "s|/tmp/|$out/tmp/|g" \
    -e "s|^error_log /dev/stderr|error_log $error|" \
    -e "s|access_log /dev/stdout|access_log $access|" \
    "$out/nginx.conf"
  # As root, workers run as "nobody"; if they cannot reach the checkout
  # (say, under /root), this private instance's workers run as root.
  if [ "$(id -u)" -eq 0 ] && ! runuser -u nobody -- test -x "$ROOT" 2>/dev/null; then
    sed -i "1i user root;" "$out/nginx.conf"
  fi
  # The flood guard's rate, written as the image writes it at start.
  sh "$SRC/docker-entrypoint.d/30-seminarhub-limits.sh" "$out/tmp/seminarhub-limits.conf"
  sh "$SRC/docker-entrypoint.d/35-seminarhub-metrics-log.sh" "$out/tmp/seminarhub-metrics-log.conf"
  chmod 1777 "$out/tmp"
  sed -i \
    -e "s|listen 8080 default_server;|listen 127.0.0.1:$http default_server;|" \
    -e "s|listen 8443 ssl http2 default_server;|listen 127.0.0.1:$https ssl http2 default_server;|" \
    -e "/^# Nginx's own counters/,\$d" \
    -e "s|/etc/nginx/tls/|$tls/|g" \
    "$out/sites-available/seminarhub.conf"
  sed -i -e "s|root /usr/share/seminarhub/web;|root $web;|" "$out/seminarhub/site.conf"
  {
    echo "# Local render."
    for u in $upstream; do echo "server $u;"; done
  } > "$out/seminarhub/upstream.conf"
  if [ "$mode" = local ]; then
    printf '# Local render: plain HTTP serves the site too.\ninclude seminarhub/site.conf;\n' > "$out/seminarhub/http.conf"
  fi
  ln -sfn ../sites-available/seminarhub.conf "$out/sites-enabled/seminarhub.conf"
  "$(nginx_bin)" -t -q -p "$out" -c "$out/nginx.conf"
}

case "${1:-}" in
  render) render "$2" ;;
  cert) make_cert "$2" ;;
  bin) nginx_bin ;;
  *) sed -n '2,20p' "$0" >&2; exit 2 ;;
esac
