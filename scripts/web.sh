#!/usr/bin/env bash
# The web front end (web/): install npm packages and build web/dist when the
# sources are newer than the last build. Installs Node.js with apt when
# missing (as root).
#
#   scripts/web.sh build     npm ci (when needed) + npm run build (when needed)
#   scripts/web.sh deps      npm ci (when needed)
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
WEB="$ROOT/web"

ensure_node() {
  if ! command -v npm >/dev/null 2>&1; then
    "$ROOT/scripts/stack.sh" apt-install nodejs npm
  fi
}

deps() {
  ensure_node
  if [ ! -d "$WEB/node_modules" ] || [ "$WEB/package-lock.json" -nt "$WEB/node_modules/.package-lock.json" ]; then
    echo "[web] npm ci" >&2
    (cd "$WEB" && npm ci --no-audit --no-fund --loglevel=error >&2)
  fi
}

build() {
  deps
  local stamp="$WEB/dist/index.html"
  if [ -f "$stamp" ] && [ -z "$(find "$WEB/src" "$WEB/index.html" "$WEB/package.json" "$WEB/vite.config.ts" -newer "$stamp" -print -quit 2>/dev/null)" ]; then
    return 0
  fi
  echo "[web] npm run build" >&2
  (cd "$WEB" && npm run build --silent >&2)
}

case "${1:-}" in
  build) build ;;
  deps) deps ;;
  *) sed -n '2,8p' "$0" >&2; exit 2 ;;
esac
