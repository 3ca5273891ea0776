#!/usr/bin/env bash
# Restores the dev overlay's in-cluster PostgreSQL (docs/backups.md): the
# Kubernetes counterpart of `make restore`.
#
#   scripts/k8s-restore.sh                 the latest archived moment
#   scripts/k8s-restore.sh "2026-12-05 10:00:00+00"   that moment
#
# 1. what the server has written is archived (seminarhub-backup check in
#    its pod), when it runs;
# 2. the server stops (StatefulSet postgres scaled to 0);
# 3. a Job of the same image restores onto its volume — the old data moved
#    aside on it, never deleted — and empties Redis, which must not serve
#    answers from after the restored moment;
# 4. the server starts again, replays the archive up to the moment and
#    serves. If the restore fails, it stays stopped: the old data is aside
#    on the volume, and the Job's log says what happened.
#
# NAMESPACE (default seminarhub-dev); KUBECONFIG (default make cluster's).
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
NS=${NAMESPACE:-seminarhub-dev}
export KUBECONFIG=${KUBECONFIG:-$ROOT/.run/cluster/kubeconfig}
TARGET=${1:-}
log() { echo "[k8s-restore] $*" >&2; }
KUBECTL=$(command -v kubectl || true)
[ -n "$KUBECTL" ] || KUBECTL="$(scripts/cluster.sh binaries)/kubectl"
k() { "$KUBECTL" -n "$NS" "$@"; }

image=$(k get statefulset postgres -o 'jsonpath={.spec.template.spec.containers[0].image}')
if k get pod postgres-0 >/dev/null 2>&1; then
  log "archiving what PostgreSQL has written"
  k exec postgres-0 -c postgres -- seminarhub-backup check ||
    log "could not archive the last writes (is the server down?): restoring what the archive holds"
fi
log "stopping PostgreSQL"
k scale statefulset postgres --replicas=0 >/dev/null
k wait --for=delete pod/postgres-0 --timeout=180s >/dev/null 2>&1 || true

job=postgres-restore-$(date -u +%Y%m%d%H%M%S)
log "restoring ${TARGET:-the latest archived moment} with Job $job"
k apply -f - >/dev/null <<YAML
apiVersion: batch/v1
kind: Job
metadata:
  name: $job
  labels: {app.kubernetes.io/name: postgres-restore}
spec:
  backoffLimit: 0
  ttlSecondsAfterFinished: 86400
  template:
    metadata:
      labels: {app.kubernetes.io/name: postgres-restore, seminarhub/redis-client: "true"}
    spec:
      restartPolicy: Never
      automountServiceAccountToken: false
      enableServiceLinks: false
      securityContext:
        runAsNonRoot: true
        runAsUser: 999
        fsGroup: 999
        seccompProfile: {type: RuntimeDefault}
      containers:
        - name: restore
          image: $image
          args: ["seminarhub-backup", "restore", "$TARGET"]
          env:
            - {name: REDIS_ADDR, value: "redis:6379"}
          securityContext:
            allowPrivilegeEscalation: false
            readOnlyRootFilesystem: true
            capabilities: {drop: [ALL]}
          volumeMounts:
            - {name: data, mountPath: /var/lib/postgresql/data}
            - {name: backups, mountPath: /var/lib/pgbackrest}
            - {name: run, mountPath: /var/run/postgresql}
            - {name: tmp, mountPath: /tmp}
      volumes:
        - name: data
          persistentVolumeClaim: {claimName: data-postgres-0}
        - name: backups
          persistentVolumeClaim: {claimName: postgres-backups}
        - {name: run, emptyDir: {}}
        - {name: tmp, emptyDir: {}}
YAML
for _ in $(seq 1 600); do
  done_=$(k get job "$job" -o 'jsonpath={.status.succeeded}/{.status.failed}')
  case "$done_" in
    1/*) break ;;
    */1) k logs "job/$job" >&2 || true
         log "the restore failed; PostgreSQL stays stopped (its old data is aside on its volume)"
         exit 1 ;;
  esac
  sleep 1
done
if [ "$(k get job "$job" -o 'jsonpath={.status.succeeded}')" != 1 ]; then
  log "the restore did not finish within 10 minutes; PostgreSQL stays stopped (see kubectl -n $NS logs job/$job)"
  exit 1
fi
k logs "job/$job" >&2
log "starting PostgreSQL: it replays the archive up to there"
k scale statefulset postgres --replicas=1 >/dev/null
k rollout status statefulset/postgres --timeout=600s >/dev/null
for _ in $(seq 1 600); do
  [ "$(k exec postgres-0 -c postgres -- psql -U postgres -qAtX -c 'SELECT pg_is_in_recovery()' 2>/dev/null)" = f ] && break
  sleep 1
done
log "restored; PostgreSQL serves"
