package blackbox

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"slices"
	"sync"
	"time"
)

// Request is one request of a load: method, path, token and body.
type Request struct {
	Method, Path, Token string
	Body                []byte
	// OK says whether an answer is the one expected (default: 2xx).
	OK func(status int) bool
}

// Load sends requests at a steady rate until stopped and keeps every
// outcome: what a rollout, a deleted pod or a killed container cost the
// people using the product meanwhile.
type Load struct {
	client *http.Client
	base   string
	next   func(i int) Request

	mu       sync.Mutex
	outcomes []Outcome
	stop     context.CancelFunc
	done     chan struct{}
}

// Outcome is one request's fate.
type Outcome struct {
	At     time.Time
	Took   time.Duration
	Status int
	Err    error
	Failed bool
}

// StartLoad sends next(0), next(1), … to base at perSecond requests a
// second, each in its own goroutine (a slow answer does not slow the rate),
// until Stop.
func StartLoad(client *http.Client, base string, perSecond int, next func(i int) Request) *Load {
	ctx, stop := context.WithCancel(context.Background())
	l := &Load{client: client, base: base, next: next, stop: stop, done: make(chan struct{})}
	go func() {
		defer close(l.done)
		var wg sync.WaitGroup
		tick := time.NewTicker(time.Second / time.Duration(perSecond))
		defer tick.Stop()
		for i := 0; ; i++ {
			select {
			case <-ctx.Done():
				wg.Wait()
				return
			case <-tick.C:
				wg.Go(func() { l.record(l.send(next(i))) })
			}
		}
	}()
	return l
}

func (l *Load) send(r Request) Outcome {
	start := time.Now()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, r.Method, l.base+r.Path, bytes.NewReader(r.Body))
	if r.Body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if r.Token != "" {
		req.Header.Set("Authorization", "Token "+r.Token)
	}
	resp, err := l.client.Do(req)
	o := Outcome{At: start, Err: err}
	if err == nil {
		_, _ = io.Copy(io.Discard, resp.Body)
		_ = resp.Body.Close()
		o.Status = resp.StatusCode
	}
	o.Took = time.Since(start)
	ok := r.OK
	if ok == nil {
		ok = func(s int) bool { return s >= 200 && s < 300 }
	}
	o.Failed = err != nil || !ok(o.Status)
	return o
}

func (l *Load) record(o Outcome) {
	l.mu.Lock()
	l.outcomes = append(l.outcomes, o)
	l.mu.Unlock()
}

// Stop ends the load and waits for the requests in flight.
func (l *Load) Stop() {
	l.stop()
	<-l.done
}

// Stats sums up the outcomes of requests started in [from, to).
type Stats struct {
	Requests, Failed int
	PerSecond        float64
	P99              time.Duration
	// Failures are the first few failed outcomes, to say what went wrong.
	Failures []Outcome
}

func (s Stats) String() string {
	return fmt.Sprintf("%d requests (%.0f/s), %d failed, p99 %s", s.Requests, s.PerSecond, s.Failed, s.P99.Round(time.Millisecond))
}

// Between sums up the requests started in [from, to).
func (l *Load) Between(from, to time.Time) Stats {
	l.mu.Lock()
	defer l.mu.Unlock()
	var s Stats
	var took []time.Duration
	for _, o := range l.outcomes {
		if o.At.Before(from) || !o.At.Before(to) {
			continue
		}
		s.Requests++
		took = append(took, o.Took)
		if o.Failed {
			s.Failed++
			if len(s.Failures) < 5 {
				s.Failures = append(s.Failures, o)
			}
		}
	}
	if secs := to.Sub(from).Seconds(); secs > 0 {
		s.PerSecond = float64(s.Requests) / secs
	}
	if len(took) > 0 {
		slices.Sort(took)
		s.P99 = took[min(len(took)-1, len(took)*99/100)]
	}
	return s
}
