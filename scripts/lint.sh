#!/usr/bin/env bash
# `make lint`: go vet plus golangci-lint with the committed .golangci.yml,
# on every module of the workspace.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
VERSION=v2.15.0
TOOLS="$ROOT/.run/tools"
if [ ! -x "$TOOLS/golangci-lint" ] || ! "$TOOLS/golangci-lint" version 2>/dev/null | grep -q "${VERSION#v}"; then
  echo "[lint] installing golangci-lint $VERSION into .run/tools"
  GOBIN="$TOOLS" go install "github.com/golangci/golangci-lint/v2/cmd/golangci-lint@$VERSION"
fi
for mod in $(scripts/modules.sh); do
  echo "[lint] $mod"
  (cd "$mod" && go vet ./... && "$TOOLS/golangci-lint" run --config "$ROOT/.golangci.yml" ./...)
done
