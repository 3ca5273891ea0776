package blackbox

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"time"
)

// Answer is one answer, read whole (its body closed).
type Answer struct {
	StatusCode int
	Proto      string
	ProtoMajor int
	Header     http.Header
	Body       []byte
}

// Exchange sends one request to the edge at base — a JSON body when body
// is not nil, "Authorization: Token …" when token is not empty, header on
// top — and reads the whole answer within 30 s. It needs no testing.T, so
// any goroutine may call it.
func Exchange(client *http.Client, base, method, path, token string, body any, header map[string]string) (Answer, error) {
	var raw io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return Answer{}, err
		}
		raw = bytes.NewReader(b)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, method, base+path, raw)
	if err != nil {
		return Answer{}, err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Token "+token)
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := client.Do(req)
	if err != nil {
		return Answer{}, err
	}
	defer func() { _ = resp.Body.Close() }()
	out, err := io.ReadAll(resp.Body)
	return Answer{StatusCode: resp.StatusCode, Proto: resp.Proto, ProtoMajor: resp.ProtoMajor, Header: resp.Header, Body: out}, err
}

// EndToEnd runs the e2e suite of the checkout at root (tests/e2e) against
// the deployment whose edge is base, trusting the certificate in caFile:
// every test of the public contract, every answer validated against
// api/openapi.yaml, the browser flows included (tests that need the
// suite's own processes skip). It says how many passed and skipped; an
// error carries the suite's output.
func EndToEnd(root, base, caFile string) (passed, skipped int, err error) {
	cmd := exec.Command("go", "test", "-count=1", "-v", "./tests/e2e/")
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "SEMINARHUB_E2E_BASE_URL="+base, "SEMINARHUB_E2E_CA="+caFile)
	out, err := cmd.CombinedOutput()
	passed, skipped = strings.Count(string(out), "--- PASS"), strings.Count(string(out), "--- SKIP")
	if err != nil {
		return passed, skipped, fmt.Errorf("the e2e suite failed against %s: %w\n%s", base, err, out)
	}
	if !strings.Contains(string(out), "--- PASS: TestBrowserFlows") {
		return passed, skipped, fmt.Errorf("the browser flows did not run against %s:\n%s", base, out)
	}
	return passed, skipped, nil
}

// OpenSeminar opens a seminar named name (capacity 5, one session at
// 10:00) as the instructor whose token this is, and returns its id.
func OpenSeminar(client *http.Client, base, token, name string) (int64, error) {
	a, err := Exchange(client, base, "POST", "/api/v1/seminar/", token,
		map[string]any{"name": name, "capacity": 5, "count": 1, "time": "10:00"}, nil)
	if err != nil {
		return 0, err
	}
	var s struct{ ID int64 }
	if a.StatusCode != http.StatusCreated || json.Unmarshal(a.Body, &s) != nil {
		return 0, fmt.Errorf("opening %q: %d %s", name, a.StatusCode, a.Body)
	}
	return s.ID, nil
}
