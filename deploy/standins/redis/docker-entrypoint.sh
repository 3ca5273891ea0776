#!/bin/sh
set -eu
# `docker run redis --port 7000` means the server with those options.
if [ $# -gt 0 ] && [ "${1#-}" != "$1" ]; then
  set -- redis-server "$@"
fi
if [ "${1:-}" = "redis-server" ]; then
  case " $* " in
    *" --protected-mode "*) ;;
    *) set -- "$@" --protected-mode no ;;
  esac
  if [ "$(id -u)" = 0 ]; then
    exec setpriv --reuid=redis --regid=redis --init-groups "$@"
  fi
fi
exec "$@"
