package e2e

import (
	"fmt"
	"io"
	"net/http"
	"os"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

var (
	seedOnce  sync.Once
	seedToken string
)

// seed fills the system with 100 seminars, each with an instructor and 10
// participants, through the public API.
func seed(b *testing.B) string {
	seedOnce.Do(func() {
		participants := make([]account, 20)
		for i := range participants {
			participants[i] = participantAccount(b)
		}
		var wg sync.WaitGroup
		sem := make(chan struct{}, 8)
		for i := 0; i < 100; i++ {
			wg.Add(1)
			sem <- struct{}{}
			go func(i int) {
				defer wg.Done()
				defer func() { <-sem }()
				s := newSeminar(b, instructorAccount(b), 20)
				for j := 0; j < 10; j++ {
					p := participants[(i+j)%len(participants)]
					expect(b, call(b, "POST", seminarPath(idOf(s), "user/"), p.Token, map[string]any{"role": "participant"}), 201)
				}
			}(i)
		}
		wg.Wait()
		seedToken = participants[0].Token
	})
	return seedToken
}

type loadResult struct {
	requests int
	elapsed  time.Duration
	p50, p99 time.Duration
	cache    map[string]int
}

// hammer sends n list requests from 8 concurrent clients, measuring each.
func hammer(b *testing.B, token string, n int) loadResult {
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 16}}
	lat := make([]time.Duration, n)
	var next atomic.Int64
	var mu sync.Mutex
	cacheStatus := map[string]int{}
	start := time.Now()
	var wg sync.WaitGroup
	for w := 0; w < 8; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1)) - 1
				if i >= n {
					return
				}
				req, _ := http.NewRequest("GET", sys.gateway+"/api/v1/seminar/", nil)
				req.Header.Set("Authorization", "Token "+token)
				t0 := time.Now()
				resp, err := client.Do(req)
				if err != nil {
					b.Error(err)
					return
				}
				_, _ = drain(resp)
				lat[i] = time.Since(t0)
				if resp.StatusCode != 200 {
					b.Errorf("status %d", resp.StatusCode)
				}
				mu.Lock()
				cacheStatus[resp.Header.Get("X-Cache")]++
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	return loadResult{requests: n, elapsed: elapsed, p50: lat[n/2], p99: lat[n*99/100], cache: cacheStatus}
}

func (r loadResult) rps() float64 { return float64(r.requests) / r.elapsed.Seconds() }

// BenchmarkSeminarList measures GET /api/v1/seminar/ through the gateway on
// 100 seeded seminars: with Redis (cached) and with Redis stopped (every
// layer reads PostgreSQL). Run with `make bench`.
func BenchmarkSeminarList(b *testing.B) {
	token := seed(b)
	const n = 2000
	hammer(b, token, 200) // warm connections and caches
	cpu0 := cpuSeconds()
	cached := hammer(b, token, n)
	cachedCPU := cpuSince(cpu0)

	sys.redis.Kill()
	time.Sleep(200 * time.Millisecond)
	hammer(b, token, 200)
	cpu1 := cpuSeconds()
	uncached := hammer(b, token, n)
	uncachedCPU := cpuSince(cpu1)
	if err := sys.redis.Restart(); err != nil {
		b.Fatal(err)
	}

	b.ReportMetric(cached.rps(), "cached-req/s")
	b.ReportMetric(uncached.rps(), "uncached-req/s")
	b.ReportMetric(cached.rps()/uncached.rps(), "speedup")
	fmt.Fprintf(os.Stderr, "\nGET /api/v1/seminar/ through the gateway, 100 seminars × (1 instructor + 10 participants), 8 clients, %d requests each:\n", n)
	fmt.Fprintf(os.Stderr, "  %-9s %10s %10s %10s  %s\n", "", "req/s", "p50", "p99", "X-Cache")
	for _, r := range []struct {
		name string
		res  loadResult
	}{{"cached", cached}, {"uncached", uncached}} {
		fmt.Fprintf(os.Stderr, "  %-9s %10.0f %10s %10s  %v\n", r.name, r.res.rps(), r.res.p50.Round(time.Microsecond), r.res.p99.Round(time.Microsecond), r.res.cache)
	}
	fmt.Fprintf(os.Stderr, "  ratio: %.1f× the throughput, p50 %.1f× and p99 %.1f× lower with the cache\n",
		cached.rps()/uncached.rps(), float64(uncached.p50)/float64(cached.p50), float64(uncached.p99)/float64(cached.p99))
	// CPU per request of each service gives the requests/s one pod sustains
	// at the HPA's target (70% of one CPU), the basis of docs/capacity.md.
	fmt.Fprintf(os.Stderr, "  CPU per request and req/s per pod at 70%% of one CPU:\n")
	for _, svc := range []string{"gateway", "user", "content"} {
		c, u := cachedCPU[svc]/float64(n), uncachedCPU[svc]/float64(n)
		fmt.Fprintf(os.Stderr, "    %-8s cached %.3f ms → %5.0f req/s   uncached %.3f ms → %5.0f req/s\n", svc, c*1000, 0.7/c, u*1000, 0.7/u)
	}
	fmt.Fprintln(os.Stderr)
}

func drain(resp *http.Response) (int64, error) {
	defer func() { _ = resp.Body.Close() }()
	return io.Copy(io.Discard, resp.Body)
}

// cpuSeconds reads the CPU time (user+system) each service process has used.
func cpuSeconds() map[string]float64 {
	out := map[string]float64{}
	for svc, cmd := range sys.procs {
		b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", cmd.Process.Pid))
		if err != nil {
			continue
		}
		f := strings.Fields(string(b[strings.LastIndexByte(string(b), ')')+2:]))
		utime, _ := strconv.ParseFloat(f[11], 64)
		stime, _ := strconv.ParseFloat(f[12], 64)
		out[svc] = (utime + stime) / 100 // clock ticks at USER_HZ=100
	}
	return out
}

func cpuSince(before map[string]float64) map[string]float64 {
	now := cpuSeconds()
	for k := range now {
		now[k] -= before[k]
	}
	return now
}
