#!/usr/bin/env bash
# The monitoring's rules as code (deploy/monitoring; docs/monitoring.md):
#
#   scripts/monitoring.sh slos    regenerate rules/slos.yaml from the SLO spec
#                                 slos.yaml with sloth (make slos)
#   scripts/monitoring.sh check   what make test runs: the generated rules are
#                                 those of the spec, promtool checks the rules
#                                 and Prometheus's configuration and runs the
#                                 rules' unit tests (tests/*.test.yaml), amtool
#                                 checks Alertmanager's configuration
#
# The tools are built once per version from their Go modules (tools/) and
# cached, like the stand-in images: no Docker needed.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
DIR=deploy/monitoring

generate() {
  # The rules' labels carry no generator command line: what is generated
  # depends on the spec alone.
  local out
  out=$("$(scripts/images.sh bin sloth)" generate --input "$DIR/slos.yaml" --out "$1" 2>&1) || { echo "$out" >&2; return 1; }
}

case "${1:-}" in
  slos)
    generate "$DIR/rules/slos.yaml"
    echo "[monitoring] $DIR/rules/slos.yaml regenerated from $DIR/slos.yaml"
    ;;
  check)
    tmp=$(mktemp -d)
    trap 'rm -rf "$tmp"' EXIT
    generate "$tmp/slos.yaml"
    if ! diff -u "$DIR/rules/slos.yaml" "$tmp/slos.yaml" >"$tmp/diff"; then
      cat "$tmp/diff"
      echo "[monitoring] $DIR/rules/slos.yaml is not what $DIR/slos.yaml generates: run make slos" >&2
      exit 1
    fi
    promtool=$(scripts/images.sh bin promtool)
    "$promtool" check rules "$DIR"/rules/*.yaml
    # Prometheus's files (compose's, Kubernetes') name their rules by their
    # path in the container.
    "$promtool" check config --syntax-only "$DIR/prometheus.yml" "$DIR/k8s/prometheus.yml"
    (cd "$DIR/tests" && "$promtool" test rules *.test.yaml)
    "$(scripts/images.sh bin amtool)" check-config "$DIR/alertmanager.yml"
    ;;
  *) sed -n '2,13p' "$0" >&2; exit 2 ;;
esac
