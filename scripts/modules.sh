#!/usr/bin/env bash
# Prints the directory of every module go.work uses, one per line (the
# tools/ modules only pin others' code and are not among them).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
go work edit -json | awk -F'"' '$2 == "DiskPath" { sub(/^\.\//, "", $4); print $4 }'
