#!/bin/sh
# Writes where Nginx sends one line per answer for the monitoring collector
# beside the edge (deploy/collector/nginx.yaml counts them by status):
# EDGE_METRICS_LOG, an address:port for syslog over UDP (127.0.0.1:5140
# in compose and on Kubernetes, where the collector shares the edge's
# network), or unset for none (make run runs no collector). As with
# 30-seminarhub-limits.sh, scripts/edge.sh render runs this with its own path.
set -eu
out=${1:-/tmp/seminarhub-metrics-log.conf}
addr=${EDGE_METRICS_LOG:-}
if [ -z "$addr" ]; then
  echo "# Written at start: EDGE_METRICS_LOG is unset, no answers are sent to a collector." > "$out"
  exit 0
fi
if ! expr "$addr" : '[A-Za-z0-9.-][A-Za-z0-9.-]*:[1-9][0-9]*$' >/dev/null; then
  echo "seminarhub: EDGE_METRICS_LOG must be an address and port such as 127.0.0.1:5140, not \"$addr\"" >&2
  exit 1
fi
cat > "$out" <<CONF
# Written at start from EDGE_METRICS_LOG (docker-entrypoint.d/35-seminarhub-metrics-log.sh).
access_log syslog:server=$addr,tag=edge edge_metrics;
CONF
