#!/usr/bin/env bash
# Builds the three service binaries into $1 with the version and commit
# stamped in: the same flags as the Dockerfile (deploy/validate checks that).
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
OUT=${1:?usage: build.sh OUTDIR}
cd "$ROOT"
VERSION=${VERSION:-$(git describe --tags --always --dirty 2>/dev/null || echo dev)}
COMMIT=${COMMIT:-$(git rev-parse HEAD 2>/dev/null || echo unknown)}
PKG=github.com/seminarhub/seminarhub/platform/buildinfo
for svc in user content gateway; do
  CGO_ENABLED=0 go build -trimpath -ldflags "-s -w -X $PKG.Version=$VERSION -X $PKG.Commit=$COMMIT" \
    -o "$OUT/$svc" "./services/$svc/cmd/$svc"
done
