#!/bin/sh
# Writes the edge's flood guard for signup and login — per client address,
# EDGE_AUTH_RATE (Nginx's rate syntax: 20r/s as shipped, or N r/m) — where
# nginx.conf includes it. One setting wherever the edge runs: the image
# (compose, Kubernetes: an environment variable) runs this at start;
# scripts/edge.sh render (make run, the tests) runs it with its own path.
# A load or conformance test from one address raises it.
set -eu
out=${1:-/tmp/seminarhub-limits.conf}
rate=${EDGE_AUTH_RATE:-20r/s}
if ! expr "$rate" : '[1-9][0-9]*r/[sm]$' >/dev/null; then
  echo "seminarhub: EDGE_AUTH_RATE must be a rate such as 20r/s or 600r/m, not \"$rate\"" >&2
  exit 1
fi
cat > "$out" <<CONF
# Written at start from EDGE_AUTH_RATE (docker-entrypoint.d/30-seminarhub-limits.sh).
limit_req_zone \$binary_remote_addr zone=auth:10m rate=$rate;
CONF
