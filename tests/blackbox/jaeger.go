// Package blackbox is what the suites that test a deployment from outside
// share (tests/compose, tests/k8s, tests/restore): one request and its
// whole answer, the e2e suite run against a deployment, a traced request and
// reading its trace back from Jaeger, a steady load whose every failure is
// counted, and the probe of a restore to a moment. Standard library only.
package blackbox

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"time"
)

// TraceParts asks Jaeger's query API at base (http://host:16686) for a
// trace and returns the services and database systems that appear in it
// (nil while Jaeger does not have it yet).
func TraceParts(ctx context.Context, base, traceID string) (map[string]bool, error) {
	req, err := http.NewRequestWithContext(ctx, "GET", base+"/api/traces/"+traceID, nil)
	if err != nil {
		return nil, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, nil // not up yet: ask again
	}
	defer func() { _ = resp.Body.Close() }()
	var out struct {
		Data []struct {
			TraceID string `json:"traceID"`
			Spans   []struct {
				ProcessID string `json:"processID"`
				Tags      []struct {
					Key   string `json:"key"`
					Value any    `json:"value"`
				} `json:"tags"`
			} `json:"spans"`
			Processes map[string]struct {
				ServiceName string `json:"serviceName"`
			} `json:"processes"`
		} `json:"data"`
	}
	if resp.StatusCode != 200 || json.NewDecoder(resp.Body).Decode(&out) != nil || len(out.Data) == 0 {
		return nil, nil
	}
	if len(out.Data) != 1 || out.Data[0].TraceID != traceID {
		return nil, fmt.Errorf("jaeger answered %d traces for %s", len(out.Data), traceID)
	}
	seen := map[string]bool{}
	tr := out.Data[0]
	for _, s := range tr.Spans {
		seen[tr.Processes[s.ProcessID].ServiceName] = true
		for _, tag := range s.Tags {
			if tag.Key == "db.system" || tag.Key == "db.system.name" {
				seen[fmt.Sprint(tag.Value)] = true
			}
		}
	}
	return seen, nil
}

// WaitForTrace asks until the trace has every part in want or within has
// passed (spans arrive in batches, each process on its own schedule), and
// returns what it saw last.
func WaitForTrace(base, traceID string, want []string, within time.Duration) (map[string]bool, error) {
	var seen map[string]bool
	for deadline := time.Now().Add(within); time.Now().Before(deadline); time.Sleep(time.Second) {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		parts, err := TraceParts(ctx, base, traceID)
		cancel()
		if err != nil {
			return parts, err
		}
		seen = parts
		complete := true
		for _, w := range want {
			complete = complete && seen[w]
		}
		if complete {
			return seen, nil
		}
	}
	return seen, fmt.Errorf("trace %s in Jaeger has %v, want all of %v", traceID, seen, want)
}

// Traced opens a seminar as the instructor whose token this is, under a
// trace id of its own sent in traceparent (sampled), and returns the id.
func Traced(client *http.Client, base, token string) (string, error) {
	var b [16]byte
	_, _ = rand.Read(b[:])
	traceID := hex.EncodeToString(b[:])
	a, err := Exchange(client, base, "POST", "/api/v1/seminar/", token,
		map[string]any{"name": "traced", "capacity": 5, "count": 1, "time": "09:00"},
		map[string]string{"traceparent": "00-" + traceID + "-00f067aa0ba902b7-01"})
	if err != nil {
		return "", err
	}
	if a.StatusCode != http.StatusCreated {
		return "", fmt.Errorf("opening a traced seminar: %d %s", a.StatusCode, a.Body)
	}
	return traceID, nil
}
