package e2e

import (
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

// benchShape is the course's data: 20 instructors each in charge of one
// seminar of capacity 50, 200 participants joining 2 or 3 seminars each
// (about 25 participants a seminar).
type benchShape struct {
	participant account
	seminar     int64  // one with ~25 participants
	login       string // a PUT body for the login row
}

func seedCourse(b *testing.B) benchShape {
	var shape benchShape
	seminars := make([]int64, 20)
	for i := range seminars {
		seminars[i] = idOf(newSeminar(b, instructorAccount(b), 50))
	}
	done := make(chan struct{}, 8)
	for p := 0; p < 200; p++ {
		done <- struct{}{}
		go func(p int) {
			defer func() { <-done }()
			a := signupAs(b, "participant", nil)
			if p == 0 {
				shape.participant = a
				shape.login = fmt.Sprintf(`{"username":%q,"password":"pw-participant"}`, a.Username)
			}
			for j := 0; j < 2+p%2; j++ {
				expect(b, call(b, "POST", seminarPath(seminars[(p+j*7)%20], "user/"), a.Token, map[string]any{"role": "participant"}), 201)
			}
		}(p)
	}
	for i := 0; i < cap(done); i++ {
		done <- struct{}{}
	}
	shape.seminar = seminars[0]
	return shape
}

// wrkResult is one row of the table.
type wrkResult struct {
	rps      float64
	p50, p99 string
	cpu      map[string]float64 // CPU seconds per request, by component
	non2xx   string
}

var (
	wrkRPS     = regexp.MustCompile(`Requests/sec:\s+([0-9.]+)`)
	wrkLatency = regexp.MustCompile(`(?m)^\s+(50|99)(?:\.0+)?%\s+(\S+)`)
	wrkNon2xx  = regexp.MustCompile(`Non-2xx or 3xx responses: (\d+)`)
)

// runWrk loads url with conns connections on 2 threads for d, on this
// machine, and accounts the CPU every component used per request.
func runWrk(b *testing.B, url string, headers map[string]string, script string, conns int, d time.Duration) wrkResult {
	args := []string{"-t2", "-c" + strconv.Itoa(conns), "-d" + d.String(), "--latency"}
	for k, v := range headers {
		args = append(args, "-H", k+": "+v)
	}
	if script != "" {
		args = append(args, "-s", script)
	}
	cpu0 := componentCPU()
	cmd := exec.Command("wrk", append(args, url)...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		b.Fatalf("wrk %s: %v\n%s", url, err, out)
	}
	used := componentCPU()
	for k := range used {
		used[k] -= cpu0[k]
	}
	used["wrk"] = (cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()).Seconds()
	// The edge spreads requests over both gateway replicas: together they
	// are "the gateway" of the table.
	used["gateway"] += used["gateway2"]
	r := wrkResult{cpu: map[string]float64{}}
	if m := wrkRPS.FindSubmatch(out); m != nil {
		r.rps, _ = strconv.ParseFloat(string(m[1]), 64)
	}
	for _, m := range wrkLatency.FindAllSubmatch(out, -1) {
		if string(m[1]) == "50" {
			r.p50 = string(m[2])
		} else {
			r.p99 = string(m[2])
		}
	}
	if m := wrkNon2xx.FindSubmatch(out); m != nil {
		r.non2xx = string(m[1])
	}
	requests := r.rps * d.Seconds()
	for k, v := range used {
		if requests > 0 {
			r.cpu[k] = v / requests
		}
	}
	return r
}

// benchEdge is the edge the bench measures through: the suite's own Nginx
// configuration in front of one gateway replica (see BenchmarkHotReads).
var benchEdge *edge

// componentCPU reads the CPU seconds (user+system) used so far by each
// service process, Redis, and the edges' Nginx (masters and workers).
func componentCPU() map[string]float64 {
	out := map[string]float64{}
	for svc, cmd := range sys.procs {
		out[svc] = procCPU(cmd.Process.Pid)
	}
	if pid := sys.redis.Pid(); pid != 0 {
		out["redis"] = procCPU(pid)
	}
	entries, _ := os.ReadDir("/proc")
	for _, e := range []*edge{sys.edge, benchEdge} {
		if e == nil || e.cmd.Process == nil {
			continue
		}
		master := e.cmd.Process.Pid
		out["nginx"] += procCPU(master)
		for _, proc := range entries {
			pid, err := strconv.Atoi(proc.Name())
			if err == nil && parentOf(pid) == master {
				out["nginx"] += procCPU(pid)
			}
		}
	}
	return out
}

// procStat returns the fields of /proc/pid/stat after the command name.
func procStat(pid int) []string {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return nil
	}
	return strings.Fields(string(b[strings.LastIndexByte(string(b), ')')+2:]))
}

func procCPU(pid int) float64 {
	f := procStat(pid)
	if len(f) < 13 {
		return 0
	}
	utime, _ := strconv.ParseFloat(f[11], 64)
	stime, _ := strconv.ParseFloat(f[12], 64)
	return (utime + stime) / 100 // clock ticks at USER_HZ=100
}

func parentOf(pid int) int {
	f := procStat(pid)
	if len(f) < 2 {
		return 0
	}
	ppid, _ := strconv.Atoi(f[1])
	return ppid
}

// profileGateway starts a CPU profile of the gateway for d and returns a
// function that waits for it, keeps it under .run/bench (for
// `go tool pprof -http`) and returns its top functions.
func profileGateway(b *testing.B, name string, d time.Duration) func() string {
	dir := filepath.Join(sys.root, ".run", "bench")
	file := filepath.Join(dir, name+".pprof")
	done := make(chan error, 1)
	go func() {
		resp, err := http.Get(fmt.Sprintf("http://%s/debug/pprof/profile?seconds=%d", sys.profiler, int(d.Seconds())))
		if err != nil {
			done <- err
			return
		}
		defer func() { _ = resp.Body.Close() }()
		data, err := io.ReadAll(resp.Body)
		if err == nil {
			if err = os.MkdirAll(dir, 0o755); err == nil {
				err = os.WriteFile(file, data, 0o644)
			}
		}
		done <- err
	}()
	return func() string {
		if err := <-done; err != nil {
			b.Fatalf("profile the gateway: %v", err)
		}
		top, err := exec.Command("go", "tool", "pprof", "-top", "-cum", "-nodecount=30", file).CombinedOutput()
		if err != nil {
			b.Fatalf("go tool pprof: %v\n%s", err, top)
		}
		return fmt.Sprintf("\nGateway CPU profile during %s (%s; go tool pprof -http=: %s):\n%s", name, file, file, top)
	}
}

// startPlainNginx serves root from an Nginx configured as Debian ships it
// (one server, the default combined access log), so the edge's own
// overhead can be read off beside it. Its CPU is not in the table.
func startPlainNginx(b *testing.B, root string) string {
	dir := b.TempDir()
	addr := freeAddr()
	conf := fmt.Sprintf(`worker_processes auto;
pid %[1]s/nginx.pid;
error_log %[1]s/error.log;
events { worker_connections 4096; }
http {
    include /etc/nginx/mime.types;
    default_type application/octet-stream;
    sendfile on;
    tcp_nopush on;
    keepalive_timeout 65s;
    access_log %[1]s/access.log;
    client_body_temp_path %[1]s/tmp;
    proxy_temp_path %[1]s/tmp;
    fastcgi_temp_path %[1]s/tmp;
    uwsgi_temp_path %[1]s/tmp;
    scgi_temp_path %[1]s/tmp;
    server { listen %[2]s; root %[3]s; }
}
`, dir, addr, root)
	if err := os.WriteFile(filepath.Join(dir, "nginx.conf"), []byte(conf), 0o644); err != nil {
		b.Fatal(err)
	}
	bin, err := exec.Command(filepath.Join(sys.root, "scripts", "edge.sh"), "bin").Output()
	if err != nil {
		b.Fatal(err)
	}
	cmd := exec.Command(strings.TrimSpace(string(bin)), "-p", dir, "-c", filepath.Join(dir, "nginx.conf"), "-g", "daemon off;")
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = terminate(cmd) })
	base := "http://" + addr
	if err := waitOK(base+"/bench-list.json", 10*time.Second); err != nil {
		b.Fatal(err)
	}
	return base
}

// BenchmarkHotReads measures the product's reads through Nginx, side by side
// in one run, on the course's data shape, with the same Nginx serving the
// cached list's exact bytes as a static file as the reference row. Run with
// `make bench`; never asserted in tests (timings here are noisy).
func BenchmarkHotReads(b *testing.B) {
	if _, err := exec.LookPath("wrk"); err != nil {
		b.Skip("wrk is not installed (make bench installs it)")
	}
	shape := seedCourse(b)
	auth := map[string]string{"Authorization": "Token " + shape.participant.Token}
	list := expect(b, call(b, "GET", "/api/v1/seminar/", shape.participant.Token, nil), 200)
	static := filepath.Join(sys.webRoot, "bench-list.json")
	if err := os.WriteFile(static, list.Body, 0o644); err != nil {
		b.Fatal(err)
	}
	login := filepath.Join(b.TempDir(), "login.lua")
	if err := os.WriteFile(login, []byte("wrk.method = \"PUT\"\nwrk.headers[\"Content-Type\"] = \"application/json\"\nwrk.body = '"+shape.login+"'\n"), 0o644); err != nil {
		b.Fatal(err)
	}
	plain := startPlainNginx(b, sys.webRoot)
	// One gateway process on this 2-core machine, as one pod per core
	// would be; the suite's edge (two replicas) gets a row of its own.
	var err error
	if benchEdge, err = sys.startEdge("edge-bench", edgeOptions{mode: "local", rate: "100000r/s", upstream: "unix:" + sys.socket}); err != nil {
		b.Fatal(err)
	}
	// The same edge sending a line per answer to a collector's socket
	// (EDGE_METRICS_LOG): what counting answers by status costs Nginx.
	sink, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	defer sink.Close()
	go func() {
		buf := make([]byte, 4096)
		for {
			if _, _, err := sink.ReadFrom(buf); err != nil {
				return
			}
		}
	}()
	counted, err := sys.startEdge("edge-bench-counted", edgeOptions{mode: "local", rate: "100000r/s",
		upstream: "unix:" + sys.socket, metricsLog: sink.LocalAddr().String()})
	if err != nil {
		b.Fatal(err)
	}
	const d = 5 * time.Second
	rows := []struct {
		name   string
		path   string
		header map[string]string
		script string
		conns  int
		base   string // default: our edge
	}{
		{"static file, same bytes (reference)", "/bench-list.json", nil, "", 64, ""},
		{"  the same file from a plain Nginx", "/bench-list.json", nil, "", 64, plain},
		{"  the same, a line per answer sent", "/bench-list.json", nil, "", 64, counted.http},
		{"GET /api/v1/seminar/ (cached)", "/api/v1/seminar/", auth, "", 64, ""},
		{"  the same, two gateway replicas", "/api/v1/seminar/", auth, "", 64, sys.gateway},
		{"  the same, a line per answer sent", "/api/v1/seminar/", auth, "", 64, counted.http},
		{"GET /api/v1/seminar/{id}/ (25 members)", seminarPath(shape.seminar, ""), auth, "", 64, ""},
		{"GET /api/v1/user/me/", "/api/v1/user/me/", auth, "", 64, ""},
		{"GET /api/v1/seminar/?name= (uncached)", "/api/v1/seminar/?name=Seminar", auth, "", 64, ""},
		// argon2id costs ~140 ms of CPU a login by design: 64 at once would
		// only measure the queue (and wrk's 2 s timeout).
		{"PUT /api/v1/user/login/ (4 connections)", "/api/v1/user/login/", nil, login, 4, ""},
	}
	results := make([]wrkResult, len(rows))
	for i, row := range rows {
		base := row.base
		if base == "" {
			base = benchEdge.http
		}
		// A second of warm-up first: a replica's first requests compose the
		// answers and grow its heap, which is not the steady state measured.
		runWrk(b, base+row.path, row.header, row.script, row.conns, time.Second)
		results[i] = runWrk(b, base+row.path, row.header, row.script, row.conns, d)
	}
	// Profiled in a pass of its own, so the profiler's cost stays out of the
	// table.
	profile := profileGateway(b, "gateway-list", d-time.Second)
	runWrk(b, benchEdge.http+"/api/v1/seminar/", auth, "", 64, d)
	fmt.Fprintln(os.Stderr, profile())
	ref := results[0].rps
	w := os.Stderr
	_, _ = fmt.Fprintf(w, "\nThrough Nginx on this machine, wrk -t2 -c64 (unless said) -d%s, course shape (20 seminars, 200 participants), list body %d bytes:\n", d, len(list.Body))
	_, _ = fmt.Fprintf(w, "  %-40s %9s %7s %9s %9s   %s\n", "", "req/s", "×ref", "p50", "p99", "CPU ms per request: gateway user content redis nginx wrk")
	for i, row := range rows {
		r := results[i]
		note := ""
		if r.non2xx != "" {
			note = "  (" + r.non2xx + " non-2xx)"
		}
		_, _ = fmt.Fprintf(w, "  %-40s %9.0f %6.1f%% %9s %9s   %7.3f %5.3f %7.3f %5.3f %5.3f %5.3f%s\n", row.name, r.rps, 100*r.rps/ref, r.p50, r.p99,
			1000*r.cpu["gateway"], 1000*r.cpu["user"], 1000*r.cpu["content"], 1000*r.cpu["redis"], 1000*r.cpu["nginx"], 1000*r.cpu["wrk"], note)
		b.ReportMetric(r.rps, fmt.Sprintf("row%d-req/s", i+1))
	}
	_, _ = fmt.Fprintln(w)
}
