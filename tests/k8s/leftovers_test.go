package k8s

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// host is what a cluster could leave behind on this machine.
type host struct {
	Processes  []string          // binaries of the cluster still running
	Mounts     []string          // mount points under .run/cluster
	Netns      []string          // named network namespaces
	Interfaces []string          // network interfaces
	Chains     []string          // iptables chains, table/name
	NftTables  []string          // nftables tables
	Sysctls    map[string]string // what the kubelet and kube-proxy change
}

var watchedSysctls = []string{
	"kernel.panic", "kernel.panic_on_oops", "vm.overcommit_memory", "vm.panic_on_oom", "kernel.keys.root_maxkeys",
	"kernel.keys.root_maxbytes", "net.bridge.bridge-nf-call-iptables", "net.bridge.bridge-nf-call-ip6tables",
	"net.ipv4.ip_forward", "net.ipv4.conf.all.route_localnet", "net.netfilter.nf_conntrack_max",
	"net.ipv6.conf.default.disable_ipv6",
}

func lines(name string, args ...string) []string {
	out, _ := exec.Command(name, args...).Output()
	var l []string
	for _, s := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		if s = strings.TrimSpace(s); s != "" {
			l = append(l, s)
		}
	}
	return l
}

func observe(root string) host {
	h := host{Sysctls: map[string]string{}}
	cache := filepath.Join(os.Getenv("HOME"), ".cache", "seminarhub", "cluster")
	procs, _ := filepath.Glob("/proc/[0-9]*/exe")
	for _, p := range procs {
		if exe, err := os.Readlink(p); err == nil && strings.HasPrefix(exe, cache) {
			h.Processes = append(h.Processes, exe)
		}
	}
	mounts, _ := os.ReadFile("/proc/mounts")
	for _, m := range strings.Split(string(mounts), "\n") {
		if f := strings.Fields(m); len(f) > 1 && strings.Contains(f[1], filepath.Join(root, ".run", "cluster")) {
			h.Mounts = append(h.Mounts, f[1])
		}
	}
	h.Netns = lines("ip", "netns", "list")
	for _, l := range lines("ip", "-o", "link", "show") {
		if f := strings.Fields(l); len(f) > 1 {
			h.Interfaces = append(h.Interfaces, strings.TrimSuffix(strings.Split(f[1], "@")[0], ":"))
		}
	}
	for _, ipt := range []string{"iptables", "ip6tables"} {
		for _, table := range []string{"filter", "nat", "mangle", "raw"} {
			for _, l := range lines(ipt, "-t", table, "-S") {
				if f := strings.Fields(l); len(f) > 1 && (f[0] == "-N" || f[0] == "-P") {
					h.Chains = append(h.Chains, ipt+"/"+table+"/"+f[1])
				}
			}
		}
	}
	h.NftTables = lines("nft", "list", "tables")
	for _, s := range watchedSysctls {
		if v := lines("sysctl", "-n", s); len(v) == 1 {
			h.Sysctls[s] = v[0]
		}
	}
	return h
}

// TestTheClusterLeavesNothingBehind is run twice by scripts/test.sh around
// a cluster's life: SEMINARHUB_K8S_HOST=before:FILE records this machine
// before `make cluster`, =after:FILE checks, after `make cluster-down`,
// that every process, mount, network namespace, interface, iptables chain,
// nftables table and sysctl is as it was.
func TestTheClusterLeavesNothingBehind(t *testing.T) {
	mode, file, _ := strings.Cut(os.Getenv("SEMINARHUB_K8S_HOST"), ":")
	if file == "" {
		t.Skip("SEMINARHUB_K8S_HOST=before:FILE or after:FILE (scripts/test.sh sets it)")
	}
	now := observe(env.root)
	if mode == "before" {
		b, _ := json.MarshalIndent(now, "", "  ")
		if err := os.WriteFile(file, b, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	var before host
	b, err := os.ReadFile(file)
	if err != nil || json.Unmarshal(b, &before) != nil {
		t.Fatalf("no record of the machine before the cluster in %s: %v", file, err)
	}
	if len(now.Processes) > 0 {
		t.Errorf("still running: %v", now.Processes)
	}
	if len(now.Mounts) > 0 {
		t.Errorf("still mounted: %v", now.Mounts)
	}
	for _, c := range []struct {
		what         string
		before, then []string
	}{
		{"network namespaces", before.Netns, now.Netns},
		{"interfaces", before.Interfaces, now.Interfaces},
		{"iptables chains", before.Chains, now.Chains},
		{"nftables tables", before.NftTables, now.NftTables},
	} {
		for _, x := range c.then {
			if !slices.Contains(c.before, x) {
				t.Errorf("%s: %s was not there before the cluster", c.what, x)
			}
		}
	}
	for k, v := range before.Sysctls {
		if now.Sysctls[k] != v {
			t.Errorf("sysctl %s is %s; it was %s", k, now.Sysctls[k], v)
		}
	}
	if _, err := os.Stat(filepath.Join(env.root, ".run", "cluster")); err == nil {
		t.Error(".run/cluster is still there")
	}
}
