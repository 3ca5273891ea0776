// Command load puts a class's worth of signing in on a running seminarhub
// (`make run`) through its edge, as people would, and reports what they
// got: how many got in, how fast, what the refused were told, and how much
// memory the user service took meanwhile. `make load` runs every scenario;
// docs/capacity.md has the numbers.
//
//	go run ./tests/load [-base URL] [-user-pid N] [-runs 3] [scenario…]
//
// Scenarios:
//
//	logins   200 accounts log in within one second, from one address (a
//	         class behind one NAT)
//	hog      the same while a CPU hog keeps one core busy; a refused login
//	         is tried again once after its Retry-After, as the web app does
//	signups  200 signups within one second, from one address
//	storm    1 000 logins within five seconds, from 100 addresses — beyond
//	         capacity; the cached list and a seminar are read meanwhile
//
// Each run comes from loopback addresses of its own (Linux routes all of
// 127.0.0.0/8 to lo), so the product's per-address budgets meet each run
// as they would a fresh classroom; no budget needs lifting.
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

var (
	base    = flag.String("base", "http://localhost:58080", "the edge of a running seminarhub")
	userPID = flag.Int("user-pid", 0, "the user service's process id, for its memory (default: the one make run started)")
	runs    = flag.Int("runs", 3, "runs of each scenario")
)

func main() {
	flag.Parse()
	scenarios := flag.Args()
	if len(scenarios) == 0 {
		scenarios = []string{"logins", "hog", "signups", "storm"}
	}
	if *userPID == 0 {
		*userPID = findUserService()
	}
	for _, name := range scenarios {
		run, ok := map[string]func(int) result{"logins": logins, "hog": hog, "signups": signups, "storm": storm}[name]
		if !ok {
			fmt.Fprintln(os.Stderr, "load: no scenario", name)
			os.Exit(2)
		}
		for i := 1; i <= *runs; i++ {
			r := run(i)
			fmt.Printf("%-8s run %d: %s\n", name, i, r)
		}
	}
}

// --- clients, one loopback address each ---------------------------------

var nextAddress atomic.Int64

// newAddress is a loopback address no earlier client of this process used
// (127.2.0.1, 127.2.0.2, …), salted by the process id so that runs of the
// tool minutes apart do not share one either.
func newAddress() net.IP {
	n := int(nextAddress.Add(1)) + (os.Getpid()%200)*250
	return net.IPv4(127, byte(2+n/62500), byte(n/250%250), byte(n%250+1)) //nolint:gosec // each part is below 250 by construction
}

func clientFrom(addr net.IP) *http.Client {
	return &http.Client{Timeout: 60 * time.Second, Transport: &http.Transport{
		DialContext:         (&net.Dialer{LocalAddr: &net.TCPAddr{IP: addr}}).DialContext,
		MaxIdleConnsPerHost: 1000,
	}}
}

// answer is one response as a client saw it.
type answer struct {
	status     int
	retryAfter int
	took       time.Duration
	err        error
}

func send(c *http.Client, method, path, token string, body any) (answer, []byte) {
	raw, _ := json.Marshal(body)
	req, _ := http.NewRequest(method, *base+path, bytes.NewReader(raw))
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Token "+token)
	}
	start := time.Now()
	resp, err := c.Do(req)
	if err != nil {
		return answer{err: err, took: time.Since(start)}, nil
	}
	out, _ := io.ReadAll(resp.Body)
	_ = resp.Body.Close()
	wait, _ := strconv.Atoi(resp.Header.Get("Retry-After"))
	return answer{status: resp.StatusCode, retryAfter: wait, took: time.Since(start)}, out
}

// accounts signs n participants up (password "pw"), a few at a time from
// a few addresses, before a scenario starts; it returns their usernames
// and one token.
func accounts(n int) ([]string, string) {
	names := make([]string, n)
	tag := strconv.FormatInt(time.Now().UnixNano()%1e9, 36)
	var token atomic.Value
	var wg sync.WaitGroup
	work := make(chan int)
	for w := 0; w < 4; w++ {
		c := clientFrom(newAddress())
		wg.Go(func() {
			for i := range work {
				for {
					a, body := send(c, "POST", "/api/v1/user/", "", map[string]any{"username": names[i], "password": "pw", "email": "s@example.com", "role": "participant"})
					if a.status == 201 {
						var u struct{ Token string }
						_ = json.Unmarshal(body, &u)
						token.Store(u.Token)
						break
					}
					if a.retryAfter == 0 {
						fmt.Fprintf(os.Stderr, "load: signup for the scenario: %d %v %s\n", a.status, a.err, body)
						os.Exit(1)
					}
					time.Sleep(time.Duration(a.retryAfter) * time.Second)
				}
			}
		})
	}
	for i := range names {
		names[i] = fmt.Sprintf("load%s_%d", tag, i)
		work <- i
	}
	close(work)
	wg.Wait()
	return names, token.Load().(string)
}

// spread sends one request per item, their starts spread evenly over
// within, and returns every answer.
func spread(n int, within time.Duration, do func(i int) answer) []answer {
	out := make([]answer, n)
	var wg sync.WaitGroup
	start := time.Now()
	for i := range n {
		time.Sleep(time.Until(start.Add(within * time.Duration(i) / time.Duration(n))))
		wg.Go(func() { out[i] = do(i) })
	}
	wg.Wait()
	return out
}

// --- scenarios -----------------------------------------------------------

func logins(int) result { return classLogin(false) }
func hog(int) result    { return classLogin(true) }

// classLogin: 200 accounts log in within a second from one address; with
// hog, while one core is kept busy, and the refused try again once after
// Retry-After (and up to a second of jitter), as the web app does.
func classLogin(withHog bool) result {
	names, _ := accounts(200)
	if withHog {
		stop := cpuHog()
		defer stop()
	}
	class := clientFrom(newAddress())
	mem := watchMemory(*userPID)
	start := time.Now()
	first := spread(len(names), time.Second, func(i int) answer {
		a, _ := send(class, "PUT", "/api/v1/user/login/", "", map[string]any{"username": names[i], "password": "pw"})
		return a
	})
	firstDone := time.Since(start)
	r := result{answers: first, peakRSS: mem(), window: firstDone}
	if withHog {
		var retried []answer
		var mu sync.Mutex
		var wg sync.WaitGroup
		for i, a := range first {
			if a.status == 503 && a.retryAfter > 0 {
				wg.Go(func() {
					time.Sleep(time.Duration(a.retryAfter)*time.Second + time.Duration(rand.IntN(1000))*time.Millisecond) //nolint:gosec // jitter, not a secret
					b, _ := send(class, "PUT", "/api/v1/user/login/", "", map[string]any{"username": names[i], "password": "pw"})
					mu.Lock()
					retried = append(retried, b)
					mu.Unlock()
				})
			}
		}
		wg.Wait()
		r.retried = retried
		r.allIn = time.Since(start)
	}
	return r
}

// signups: 200 signups within a second from one address.
func signups(int) result {
	class := clientFrom(newAddress())
	tag := strconv.FormatInt(time.Now().UnixNano()%1e9, 36)
	mem := watchMemory(*userPID)
	start := time.Now()
	answers := spread(200, time.Second, func(i int) answer {
		a, _ := send(class, "POST", "/api/v1/user/", "", map[string]any{"username": fmt.Sprintf("new%s_%d", tag, i), "password": "pw", "email": "s@example.com", "role": "participant"})
		return a
	})
	return result{answers: answers, peakRSS: mem(), window: time.Since(start)}
}

// storm: 1 000 logins within five seconds from 100 addresses (200
// accounts, five logins each), while a reader keeps reading the cached
// list and a seminar; its p99 before the storm and during it.
func storm(int) result {
	names, token := accounts(200)
	var seminar struct{ ID int64 }
	instructor := clientFrom(newAddress())
	_, body := send(instructor, "POST", "/api/v1/user/", "", map[string]any{"username": "teacher" + strconv.FormatInt(time.Now().UnixNano()%1e9, 36), "password": "pw", "email": "t@example.com", "role": "instructor"})
	var teacher struct{ Token string }
	_ = json.Unmarshal(body, &teacher)
	_, body = send(instructor, "POST", "/api/v1/seminar/", teacher.Token, map[string]any{"name": "Storm", "capacity": 50, "count": 5, "time": "10:00"})
	_ = json.Unmarshal(body, &seminar)

	reader := clientFrom(newAddress())
	read := func(d time.Duration) []time.Duration {
		var took []time.Duration
		for end := time.Now().Add(d); time.Now().Before(end); time.Sleep(20 * time.Millisecond) {
			for _, p := range []string{"/api/v1/seminar/", fmt.Sprintf("/api/v1/seminar/%d/", seminar.ID)} {
				a, _ := send(reader, "GET", p, token, nil)
				took = append(took, a.took)
			}
		}
		return took
	}
	before := read(3 * time.Second)

	clients := make([]*http.Client, 100)
	for i := range clients {
		clients[i] = clientFrom(newAddress())
	}
	var during []time.Duration
	stopReading := make(chan []time.Duration)
	go func() { stopReading <- read(5 * time.Second) }()
	mem := watchMemory(*userPID)
	start := time.Now()
	answers := spread(1000, 5*time.Second, func(i int) answer {
		a, _ := send(clients[i%100], "PUT", "/api/v1/user/login/", "", map[string]any{"username": names[i%len(names)], "password": "pw"})
		return a
	})
	r := result{answers: answers, peakRSS: mem(), window: time.Since(start)}
	during = <-stopReading
	r.readsBefore, r.readsDuring = percentile(before, 99), percentile(during, 99)
	return r
}

// --- measuring -----------------------------------------------------------

type result struct {
	answers, retried         []answer
	peakRSS                  int64
	window, allIn            time.Duration
	readsBefore, readsDuring time.Duration
}

func (r result) String() string {
	statuses := map[int]int{}
	var ok, refusals []time.Duration
	errs, noRetryAfter := 0, 0
	for _, a := range r.answers {
		switch {
		case a.err != nil:
			errs++
		case a.status < 300:
			ok = append(ok, a.took)
		default:
			refusals = append(refusals, a.took)
			if a.retryAfter == 0 {
				noRetryAfter++
			}
		}
		statuses[a.status]++
	}
	var b strings.Builder
	keys := make([]int, 0, len(statuses))
	for k := range statuses {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		fmt.Fprintf(&b, "%d×%d ", statuses[k], k)
	}
	fmt.Fprintf(&b, "| ok p50 %s p99 %s max %s", ms(percentile(ok, 50)), ms(percentile(ok, 99)), ms(percentile(ok, 100)))
	fmt.Fprintf(&b, " | %.0f ok/s over %s", float64(len(ok))/r.window.Seconds(), r.window.Round(10*time.Millisecond))
	if len(refusals) > 0 {
		fmt.Fprintf(&b, " | refused p50 %s max %s, %d without Retry-After", ms(percentile(refusals, 50)), ms(percentile(refusals, 100)), noRetryAfter)
	}
	if errs > 0 {
		fmt.Fprintf(&b, " | %d client errors (timeouts)", errs)
	}
	if r.retried != nil {
		in := 0
		for _, a := range r.retried {
			if a.status == 200 {
				in++
			}
		}
		fmt.Fprintf(&b, " | retried once: %d of %d got in; everyone in after %s", in, len(r.retried), r.allIn.Round(100*time.Millisecond))
	}
	if r.readsBefore > 0 {
		fmt.Fprintf(&b, " | list+seminar p99 before %s, during %s", ms(r.readsBefore), ms(r.readsDuring))
	}
	if r.peakRSS > 0 {
		fmt.Fprintf(&b, " | user RSS peak %d MiB", r.peakRSS>>20)
	}
	return b.String()
}

func percentile(d []time.Duration, p int) time.Duration {
	if len(d) == 0 {
		return 0
	}
	s := slices.Clone(d)
	slices.Sort(s)
	return s[min(len(s)-1, (len(s)*p+99)/100-1)]
}

func ms(d time.Duration) string { return strconv.FormatInt(d.Milliseconds(), 10) + " ms" }

// watchMemory samples pid's resident memory every 10 ms until the function
// it returns is called, which returns the peak.
func watchMemory(pid int) func() int64 {
	if pid == 0 {
		return func() int64 { return 0 }
	}
	ctx, stop := context.WithCancel(context.Background())
	var peak atomic.Int64
	done := make(chan struct{})
	go func() {
		defer close(done)
		for ctx.Err() == nil {
			if rss := residentBytes(pid); rss > peak.Load() {
				peak.Store(rss)
			}
			time.Sleep(10 * time.Millisecond)
		}
	}()
	return func() int64 {
		stop()
		<-done
		return peak.Load()
	}
}

func residentBytes(pid int) int64 {
	status, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(status), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			kb, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
			return kb << 10
		}
	}
	return 0
}

// findUserService finds the user service make run started (.run/bin/user).
func findUserService() int {
	entries, _ := os.ReadDir("/proc")
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		exe, err := os.Readlink(filepath.Join("/proc", e.Name(), "exe"))
		if err == nil && strings.HasSuffix(exe, "/.run/bin/user") {
			return pid
		}
	}
	fmt.Fprintln(os.Stderr, "load: no user service of make run found; its memory is not reported (-user-pid names one)")
	return 0
}

// cpuHog keeps one core busy until the function it returns is called.
func cpuHog() func() {
	cmd := exec.Command("sh", "-c", "while :; do :; done")
	if err := cmd.Start(); err != nil {
		fmt.Fprintln(os.Stderr, "load: cpu hog:", err)
		os.Exit(1)
	}
	time.Sleep(500 * time.Millisecond) // let the scheduler see it
	return func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	}
}
