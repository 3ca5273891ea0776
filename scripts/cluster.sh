#!/usr/bin/env bash
# A real single-node Kubernetes on this machine, under .run/cluster — the
# control plane (etcd, kube-apiserver, kube-controller-manager,
# kube-scheduler) as plain processes, containerd, the kubelet and kube-proxy
# on this node; CoreDNS, metrics-server, kube-network-policies and
# local-path-provisioner (the default StorageClass) as pods.
# Every binary and image is built from the pinned Go modules (tools/) and
# Debian's packages (runc, the CNI plugins), cached by version in
# ~/.cache/seminarhub/cluster: a second start takes minutes.
#
#   scripts/cluster.sh up       bring it up (as root) and leave it running;
#                               its kubeconfig is .run/cluster/kubeconfig
#   scripts/cluster.sh down     stop it and remove every trace: processes,
#                               mounts, network namespaces, interfaces, the
#                               iptables/nftables rules it added, the sysctls
#                               it changed (restored), .run/cluster itself
#   scripts/cluster.sh import IMAGE…   copy images from Docker into its containerd
#   scripts/cluster.sh binaries        build (or find) the binaries, print their folder
#   scripts/cluster.sh status   exit 0 when it answers
#   scripts/cluster.sh tidy     take down what a killed earlier run left
#
# Ports (none of the usual ones, so as not to meet a real cluster or system
# service here): apiserver 56443, etcd 52379/52380, controller-manager and
# scheduler 60257/60259 on 127.0.0.1, kubelet 10250, kube-proxy
# 60249/60256 on 127.0.0.1; NodePorts 30000–32767 on the node's address.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
DIR="$ROOT/.run/cluster"
CACHE="${SEMINARHUB_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/seminarhub}/cluster"
NODE=seminarhub-node
API_PORT=56443
ETCD_PORT=52379
ETCD_PEER_PORT=52380
CLUSTER_CIDR=10.244.0.0/16
POD_CIDR=10.244.0.0/24
SERVICE_CIDR=10.96.0.0/16
DNS_IP=10.96.0.10
BRIDGE=shub0
# Which clone's cluster runs on this machine: there is room for one (the
# ports, the bridge, the kubelet's cgroups), and a run that was killed
# before its `down` (a CI job cut off, a machine's session ended) leaves
# one behind that the next `up`, from any clone, stops first. /run is
# emptied when the machine restarts, as are the processes it names.
MARK=/run/seminarhub-cluster
# What the kubelet and kube-proxy may change, and `down` puts back.
SYSCTLS="kernel.panic kernel.panic_on_oops vm.overcommit_memory vm.panic_on_oom kernel.keys.root_maxkeys kernel.keys.root_maxbytes
net.bridge.bridge-nf-call-iptables net.bridge.bridge-nf-call-ip6tables net.ipv4.ip_forward net.ipv4.conf.all.route_localnet
net.netfilter.nf_conntrack_max net.netfilter.nf_conntrack_tcp_timeout_established net.netfilter.nf_conntrack_tcp_timeout_close_wait
net.ipv6.conf.default.disable_ipv6"
PROCS="kube-proxy kubelet kube-scheduler kube-controller-manager kube-apiserver etcd containerd"

log() { echo "[cluster] $*" >&2; }
die() { log "$*"; exit 1; }

version() { awk -v m="$2" '$1 == m { print $2 }' "$ROOT/tools/$1/go.mod"; }

# build DIR OUT PACKAGE… [-- go build flags]: builds the packages of
# tools/DIR into OUT once.
build() {
  local tool=$1 out=$2; shift 2
  local pkgs=() flags=()
  while [ $# -gt 0 ] && [ "$1" != -- ]; do pkgs+=("$1"); shift; done
  [ $# -gt 0 ] && shift && flags=("$@")
  [ -f "$out/.built" ] && return 0
  log "building ${pkgs[*]} from tools/$tool (once per version)"
  rm -rf "$out.tmp" && mkdir -p "$out.tmp"
  (cd "$ROOT/tools/$tool" && GOWORK=off CGO_ENABLED=0 go build -trimpath "${flags[@]}" -o "$out.tmp/" "${pkgs[@]}")
  touch "$out.tmp/.built"
  rm -rf "$out" && mv "$out.tmp" "$out"
}

# binaries builds (or finds) every binary of the cluster in one folder.
binaries() {
  local k8s etcd ctrd bin
  k8s=$(version kubernetes k8s.io/kubernetes)
  etcd=$(version etcd go.etcd.io/etcd/server/v3)
  ctrd=$(version containerd github.com/containerd/containerd/v2)
  local v="k8s.io/component-base/version" c="k8s.io/client-go/pkg/version" minor=${k8s#v1.}
  minor=${minor%%.*}
  # Kubernetes reads its own version from these (the apiserver's
  # compatibility version, kubectl's skew check).
  local ldflags="-s -w -X $v.gitVersion=$k8s -X $v.gitMajor=1 -X $v.gitMinor=$minor -X $v.gitTreeState=clean \
-X $c.gitVersion=$k8s -X $c.gitMajor=1 -X $c.gitMinor=$minor -X $c.gitTreeState=clean"
  build kubernetes "$CACHE/kubernetes-$k8s" \
    k8s.io/kubernetes/cmd/kube-apiserver k8s.io/kubernetes/cmd/kube-controller-manager k8s.io/kubernetes/cmd/kube-scheduler \
    k8s.io/kubernetes/cmd/kubelet k8s.io/kubernetes/cmd/kube-proxy k8s.io/kubernetes/cmd/kubectl k8s.io/kubernetes/cmd/kubeadm \
    -- -ldflags "$ldflags"
  build etcd "$CACHE/etcd-$etcd" go.etcd.io/etcd/server/v3 -- -ldflags "-s -w"
  # Without cgo the btrfs, devmapper and zfs snapshotters drop out; we use
  # overlayfs.
  build containerd "$CACHE/containerd-$ctrd" \
    github.com/containerd/containerd/v2/cmd/containerd github.com/containerd/containerd/v2/cmd/containerd-shim-runc-v2 \
    github.com/containerd/containerd/v2/cmd/ctr -- -tags "no_btrfs no_devmapper no_zfs" \
    -ldflags "-s -w -X github.com/containerd/containerd/v2/version.Version=$ctrd"
  bin="$CACHE/bin-$k8s-$etcd-$ctrd"
  if [ ! -x "$bin/etcd" ] || [ ! -x "$bin/kubelet" ]; then
    mkdir -p "$bin"
    ln -sf "$CACHE/kubernetes-$k8s"/* "$CACHE/containerd-$ctrd"/* "$bin/"
    # go names the binary of a module's root package after the module.
    ln -sf "$CACHE/etcd-$etcd/server" "$bin/etcd"
  fi
  echo "$bin"
}

deps() {
  [ "$(id -u)" -eq 0 ] || die "a cluster needs root (it runs containers and changes the network)"
  [ -x /usr/sbin/runc ] || scripts/stack.sh apt-install runc
  [ -x /usr/lib/cni/bridge ] || scripts/stack.sh apt-install containernetworking-plugins
  command -v conntrack >/dev/null || scripts/stack.sh apt-install conntrack
  command -v iptables >/dev/null || scripts/stack.sh apt-install iptables
}

node_ip() { ip -4 route get 1.1.1.1 | awk '{ for (i = 1; i < NF; i++) if ($i == "src") print $(i + 1) }'; }

# render FILE: a deploy/cluster template with this cluster's values.
render() {
  sed -e "s|@DIR@|$DIR|g" -e "s|@NODE@|$NODE|g" -e "s|@NODE_IP@|$IP|g" -e "s|@API_PORT@|$API_PORT|g" \
    -e "s|@CLUSTER_CIDR@|$CLUSTER_CIDR|g" -e "s|@POD_CIDR@|$POD_CIDR|g" -e "s|@SERVICE_CIDR@|$SERVICE_CIDR|g" \
    -e "s|@DNS_IP@|$DNS_IP|g" -e "s|@KUBERNETES_VERSION@|$(version kubernetes k8s.io/kubernetes)|g" "$ROOT/deploy/cluster/$1"
}

# start NAME BINARY ARGS…: in a session of its own, logging to logs/NAME.log.
start() {
  local name=$1; shift
  setsid "$@" >>"$DIR/logs/$name.log" 2>&1 < /dev/null &
  echo $! > "$DIR/pids/$name"
}

# wait_for WHAT SECONDS COMMAND…
wait_for() {
  local what=$1 seconds=$2; shift 2
  for _ in $(seq 1 $((seconds * 2))); do
    "$@" >/dev/null 2>&1 && return 0
    sleep 0.5
  done
  die "$what did not come up within ${seconds}s; see $DIR/logs"
}

kctl() { "$BIN/kubectl" --kubeconfig "$DIR/kubeconfig" "$@"; }

# tidy takes down what an earlier run left behind and never took down (it
# was killed): a cluster here that no longer answers, or the one another
# clone's run marked — so none of its changes (sysctls, rules) is taken
# for this machine's own state.
tidy() {
  [ ! -d "$DIR" ] || down
  local stale
  stale=$(cat "$MARK" 2>/dev/null || true)
  if [ -n "$stale" ] && [ "$stale" != "$DIR" ] && [ -d "$stale" ]; then
    log "a cluster an earlier run left under $stale: stopping it first"
    (DIR=$stale; down)
  fi
}

up() {
  deps
  if status 2>/dev/null; then
    log "already running; kubeconfig: $DIR/kubeconfig"
    return 0
  fi
  tidy
  BIN=$(binaries)
  scripts/docker.sh ready >/dev/null
  log "the cluster's own images (pause, CoreDNS, metrics-server, kube-network-policies)"
  scripts/images.sh cluster
  IP=$(node_ip)
  [ -n "$IP" ] || die "this machine has no IPv4 address with a default route"
  mkdir -p "$DIR"/{logs,pids,pki,etcd,cni/net.d,cni/ipam,kubelet,pod-logs,containerd}
  echo "$IP" > "$DIR/node-ip"
  echo "$DIR" > "$MARK"
  for s in $SYSCTLS; do
    v=$(sysctl -n "$s" 2>/dev/null) && echo "$s=$v" >> "$DIR/sysctl.saved"
  done
  [ -d /var/run/netns ] && touch "$DIR/netns-dir-existed"
  # The cluster is IPv4 only. Without this, every pod's host-side veth gets
  # an IPv6 link-local address as it comes up, and a browser on this node
  # (the suites' Chromium) takes each one for a network change and aborts
  # its page loads (ERR_NETWORK_CHANGED). Put back by `down`.
  sysctl -qw net.ipv6.conf.default.disable_ipv6=1 2>/dev/null || true
  # iptables (nft backend) makes a table the first time a rule needs it:
  # the ones that appear for the cluster's rules go with it.
  nft list tables 2>/dev/null > "$DIR/nft-tables.before" || true

  log "certificates and kubeconfigs (kubeadm's phases)"
  render kubeadm.yaml > "$DIR/kubeadm.yaml"
  "$BIN/kubeadm" init phase certs all --config "$DIR/kubeadm.yaml" >/dev/null
  "$BIN/kubeadm" init phase kubeconfig all --config "$DIR/kubeadm.yaml" --kubeconfig-dir "$DIR" >/dev/null
  "$BIN/kubeadm" kubeconfig user --config "$DIR/kubeadm.yaml" --client-name system:kube-proxy > "$DIR/kube-proxy.conf"
  cp "$DIR/admin.conf" "$DIR/kubeconfig"
  chmod 600 "$DIR"/*.conf "$DIR/kubeconfig"

  local pki="$DIR/pki"
  log "etcd and the control plane on $IP:$API_PORT"
  start etcd "$BIN/etcd" --name "$NODE" --data-dir "$DIR/etcd" \
    --listen-client-urls "https://127.0.0.1:$ETCD_PORT" --advertise-client-urls "https://127.0.0.1:$ETCD_PORT" \
    --listen-peer-urls "https://127.0.0.1:$ETCD_PEER_PORT" --initial-advertise-peer-urls "https://127.0.0.1:$ETCD_PEER_PORT" \
    --initial-cluster "$NODE=https://127.0.0.1:$ETCD_PEER_PORT" --listen-metrics-urls "http://127.0.0.1:52381" \
    --cert-file "$pki/etcd/server.crt" --key-file "$pki/etcd/server.key" --trusted-ca-file "$pki/etcd/ca.crt" --client-cert-auth \
    --peer-cert-file "$pki/etcd/peer.crt" --peer-key-file "$pki/etcd/peer.key" --peer-trusted-ca-file "$pki/etcd/ca.crt" --peer-client-cert-auth
  start kube-apiserver "$BIN/kube-apiserver" --advertise-address "$IP" --secure-port "$API_PORT" \
    --etcd-servers "https://127.0.0.1:$ETCD_PORT" --etcd-cafile "$pki/etcd/ca.crt" \
    --etcd-certfile "$pki/apiserver-etcd-client.crt" --etcd-keyfile "$pki/apiserver-etcd-client.key" \
    --client-ca-file "$pki/ca.crt" --tls-cert-file "$pki/apiserver.crt" --tls-private-key-file "$pki/apiserver.key" \
    --kubelet-client-certificate "$pki/apiserver-kubelet-client.crt" --kubelet-client-key "$pki/apiserver-kubelet-client.key" \
    --kubelet-preferred-address-types InternalIP \
    --service-account-issuer https://kubernetes.default.svc.cluster.local \
    --service-account-key-file "$pki/sa.pub" --service-account-signing-key-file "$pki/sa.key" \
    --service-cluster-ip-range "$SERVICE_CIDR" --authorization-mode Node,RBAC --enable-admission-plugins NodeRestriction \
    --allow-privileged=true \
    --requestheader-client-ca-file "$pki/front-proxy-ca.crt" --requestheader-allowed-names front-proxy-client \
    --requestheader-extra-headers-prefix X-Remote-Extra- --requestheader-group-headers X-Remote-Group \
    --requestheader-username-headers X-Remote-User \
    --proxy-client-cert-file "$pki/front-proxy-client.crt" --proxy-client-key-file "$pki/front-proxy-client.key" \
    --enable-aggregator-routing=true
  wait_for "the apiserver" 120 "$BIN/kubectl" --kubeconfig "$DIR/super-admin.conf" get --raw /readyz
  # What kubeadm init would also do: its admin kubeconfig's group may
  # administer the cluster (the super-admin one, which bypasses RBAC, is
  # not used again).
  "$BIN/kubectl" --kubeconfig "$DIR/super-admin.conf" create clusterrolebinding kubeadm:cluster-admins \
    --clusterrole=cluster-admin --group=kubeadm:cluster-admins >/dev/null
  # …and the apiserver may ask the kubelet for logs, exec and port-forward.
  kctl create clusterrolebinding kubeadm:kube-apiserver-kubelet-client \
    --clusterrole=system:kubelet-api-admin --user=kube-apiserver-kubelet-client >/dev/null
  start kube-controller-manager "$BIN/kube-controller-manager" --kubeconfig "$DIR/controller-manager.conf" \
    --authentication-kubeconfig "$DIR/controller-manager.conf" --authorization-kubeconfig "$DIR/controller-manager.conf" \
    --bind-address 127.0.0.1 --secure-port 60257 --leader-elect=false \
    --cluster-signing-cert-file "$pki/ca.crt" --cluster-signing-key-file "$pki/ca.key" --root-ca-file "$pki/ca.crt" \
    --service-account-private-key-file "$pki/sa.key" --use-service-account-credentials=true \
    --cluster-cidr "$CLUSTER_CIDR" --service-cluster-ip-range "$SERVICE_CIDR" --allocate-node-cidrs=false
  start kube-scheduler "$BIN/kube-scheduler" --kubeconfig "$DIR/scheduler.conf" \
    --authentication-kubeconfig "$DIR/scheduler.conf" --authorization-kubeconfig "$DIR/scheduler.conf" \
    --bind-address 127.0.0.1 --secure-port 60259 --leader-elect=false

  log "containerd, the kubelet and kube-proxy"
  # Docker sets the FORWARD policy to DROP, which would drop traffic to and
  # from pods. CNI's "firewall" plugin would accept it — but from the top
  # of FORWARD, before kube-proxy's rules, so a Service without endpoints
  # would not be refused: the connection would leave the node instead (here
  # into this machine's egress proxy, which answers, and a client keeps
  # that connection). So the pods' traffic is accepted at the end of
  # FORWARD, after kube-proxy and Docker have had their say.
  iptables -N CNI-SEMINARHUB-FORWARD 2>/dev/null || iptables -F CNI-SEMINARHUB-FORWARD
  while iptables -D FORWARD -m comment --comment "seminarhub cluster pods" -j CNI-SEMINARHUB-FORWARD 2>/dev/null; do :; done
  iptables -A CNI-SEMINARHUB-FORWARD -s "$CLUSTER_CIDR" -j ACCEPT
  iptables -A CNI-SEMINARHUB-FORWARD -d "$CLUSTER_CIDR" -j ACCEPT
  iptables -A FORWARD -m comment --comment "seminarhub cluster pods" -j CNI-SEMINARHUB-FORWARD
  render containerd.toml > "$DIR/containerd/config.toml"
  render cni.conflist > "$DIR/cni/net.d/10-seminarhub.conflist"
  render kubelet.yaml > "$DIR/kubelet.yaml"
  render kube-proxy.yaml > "$DIR/kube-proxy.yaml"
  # The shims containerd starts must find themselves on PATH.
  PATH="$BIN:$PATH" start containerd "$BIN/containerd" --config "$DIR/containerd/config.toml"
  wait_for containerd 30 "$BIN/ctr" --address "$DIR/containerd/containerd.sock" version
  import $(scripts/images.sh cluster-refs)
  start kubelet "$BIN/kubelet" --config "$DIR/kubelet.yaml" --kubeconfig "$DIR/kubelet.conf" \
    --root-dir "$DIR/kubelet" --cert-dir "$DIR/kubelet/pki" --node-ip "$IP" --hostname-override "$NODE"
  start kube-proxy "$BIN/kube-proxy" --config "$DIR/kube-proxy.yaml"
  wait_for "the node" 120 kctl wait --for=condition=Ready "node/$NODE" --timeout=1s

  log "add-ons: CoreDNS, metrics-server, kube-network-policies, local-path-provisioner"
  mkdir -p "$DIR/local-path"
  for f in coredns.yaml metrics-server.yaml kube-network-policies.yaml local-path-storage.yaml; do
    render "$f" | kctl apply -f - >/dev/null
  done
  kctl -n kube-system rollout status deployment/coredns --timeout=180s >/dev/null
  kctl -n kube-system rollout status deployment/metrics-server --timeout=180s >/dev/null
  kctl -n kube-system rollout status daemonset/kube-network-policies --timeout=180s >/dev/null
  kctl -n local-path-storage rollout status deployment/local-path-provisioner --timeout=180s >/dev/null
  log "up: $("$BIN/kubectl" version --kubeconfig "$DIR/kubeconfig" 2>/dev/null | tail -1), node $NODE at $IP"
  log "kubeconfig: $DIR/kubeconfig   (export KUBECONFIG=$DIR/kubeconfig)"
}

# import IMAGE…: from Docker into the cluster's containerd (namespace k8s.io,
# the one the kubelet's images live in).
import() {
  BIN=${BIN:-$(binaries)}
  local ref
  for ref in "$@"; do
    # (ctr warns on every call that cgroup v1 is deprecated; only that is dropped.)
    docker save "$ref" | "$BIN/ctr" --address "$DIR/containerd/containerd.sock" -n k8s.io images import --no-unpack - \
      2> >(grep -v 'support for cgroup v1 is deprecated' >&2) >/dev/null || die "could not import $ref"
  done
}

status() {
  [ -f "$DIR/kubeconfig" ] || return 1
  BIN=${BIN:-$(binaries 2>/dev/null)}
  kctl get --raw /readyz >/dev/null 2>&1
}

down() {
  [ "$(id -u)" -eq 0 ] || die "stopping the cluster needs root"
  [ -d "$DIR" ] || { log "no cluster under $DIR"; return 0; }
  BIN=${BIN:-$(binaries)}
  log "stopping the cluster"
  local name pid
  for name in $PROCS; do
    pid=$(cat "$DIR/pids/$name" 2>/dev/null || true)
    if [ -n "$pid" ]; then kill -TERM "$pid" 2>/dev/null || true; fi
    if [ "$name" = kubelet ]; then sleep 1; fi
  done
  sleep 2
  # Containers outlive containerd: their shims run on their own.
  pkill -KILL -f "containerd-shim-runc-v2 .*$DIR/" 2>/dev/null || true
  for name in $PROCS; do
    pid=$(cat "$DIR/pids/$name" 2>/dev/null || true)
    if [ -n "$pid" ]; then kill -KILL "$pid" 2>/dev/null || true; fi
  done
  # Whatever runs in the pods' cgroups (the shims' children).
  for cg in /sys/fs/cgroup/*/kubepods; do
    [ -d "$cg" ] || continue
    find "$cg" -name cgroup.procs -exec cat {} + 2>/dev/null | xargs -r kill -KILL 2>/dev/null || true
  done
  sleep 1
  # Mounts: volumes, container root file systems, network namespaces.
  { grep -F " $DIR/" /proc/mounts || true; } | awk '{ print $2 }' | sort -r | while read -r m; do
    umount -l "$(printf '%b' "$m")" 2>/dev/null || true
  done
  # The kubelet's cgroups (cgroup v1: one tree per controller).
  for cg in /sys/fs/cgroup/*/kubepods; do
    if [ -d "$cg" ]; then find "$cg" -depth -type d -exec rmdir {} + 2>/dev/null || true; fi
  done
  # Network: the bridge (a pod's veth ends with its namespace), the rules.
  ip link delete "$BRIDGE" 2>/dev/null || true
  if [ -x "$BIN/kube-proxy" ]; then "$BIN/kube-proxy" --cleanup >/dev/null 2>&1 || true; fi
  local ipt t
  for ipt in iptables ip6tables; do
    for t in filter nat mangle raw; do
      { "$ipt" -t "$t" -S 2>/dev/null | grep -E -- '-j (KUBE|CNI)-' || true; } | sed 's/^-A/-D/' | while read -r rule; do
        eval "$ipt -t $t $rule" 2>/dev/null || true
      done
      for chain in $("$ipt" -t "$t" -S 2>/dev/null | awk '$1 == "-N" && $2 ~ /^(KUBE|CNI)-/ { print $2 }'); do
        "$ipt" -t "$t" -F "$chain" 2>/dev/null || true
      done
      for chain in $("$ipt" -t "$t" -S 2>/dev/null | awk '$1 == "-N" && $2 ~ /^(KUBE|CNI)-/ { print $2 }'); do
        "$ipt" -t "$t" -X "$chain" 2>/dev/null || true
      done
    done
  done
  # Tables of their own: kube-network-policies, kube-proxy's nftables
  # probes.
  { nft list tables 2>/dev/null || true; } | awk '$3 ~ /^kube-/ { print $2, $3 }' | while read -r family table; do
    nft delete table "$family" "$table" 2>/dev/null || true
  done
  # Tables iptables made for the cluster's rules, now empty (a table with a
  # rule of someone else's in it stays).
  if [ -f "$DIR/nft-tables.before" ]; then
    { nft list tables 2>/dev/null || true; } | while read -r _ family table; do
      grep -qx "table $family $table" "$DIR/nft-tables.before" && continue
      case "$family" in ip) ipt=iptables ;; ip6) ipt=ip6tables ;; *) continue ;; esac
      if [ "$("$ipt" -t "$table" -S 2>/dev/null | grep -c '^-A')" = 0 ]; then
        nft delete table "$family" "$table" 2>/dev/null || true
      fi
    done
  fi
  if [ -f "$DIR/sysctl.saved" ]; then
    while IFS='=' read -r key value; do
      sysctl -q -w "$key=$value" >/dev/null 2>&1 || true
    done < "$DIR/sysctl.saved"
  fi
  [ -f "$DIR/netns-dir-existed" ] || rmdir /var/run/netns 2>/dev/null || true
  rm -rf "$DIR"
  if [ "$(cat "$MARK" 2>/dev/null)" = "$DIR" ]; then rm -f "$MARK"; fi
  log "stopped; nothing of it is left"
}

case "${1:-}" in
  up) up ;;
  down) down ;;
  import) shift; import "$@" ;;
  binaries) binaries ;;
  status) status ;;
  tidy) tidy ;;
  *) sed -n '2,25p' "$0" >&2; exit 2 ;;
esac
