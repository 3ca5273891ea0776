package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/gorillamux"
)

var (
	specOnce   sync.Once
	specRouter routers.Router
	specErr    error
)

// contract loads api/openapi.yaml once and checks that it is itself valid.
func contract(t testing.TB) routers.Router {
	t.Helper()
	specOnce.Do(func() {
		loader := openapi3.NewLoader()
		doc, err := loader.LoadFromFile(filepath.Join(sys.root, "api", "openapi.yaml"))
		if err != nil {
			specErr = err
			return
		}
		if err := doc.Validate(context.Background()); err != nil {
			specErr = fmt.Errorf("api/openapi.yaml is invalid: %w", err)
			return
		}
		specRouter, specErr = gorillamux.NewRouter(doc)
	})
	if specErr != nil {
		t.Fatal(specErr)
	}
	return specRouter
}

// response is one answer from the gateway.
type response struct {
	Status int
	Header http.Header
	Body   []byte
}

// obj decodes the body as a JSON object.
func (r response) obj(t testing.TB) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(r.Body, &m); err != nil {
		t.Fatalf("body is not a JSON object: %v: %s", err, r.Body)
	}
	return m
}

// list decodes the body as a JSON array of objects.
func (r response) list(t testing.TB) []map[string]any {
	t.Helper()
	var l []map[string]any
	if err := json.Unmarshal(r.Body, &l); err != nil {
		t.Fatalf("body is not a JSON array: %v: %s", err, r.Body)
	}
	return l
}

// call sends a request to the gateway and validates the answer against the
// OpenAPI document: status documented for the operation, body and headers
// matching their schemas. body may be nil, a string (sent as is) or a value
// encoded as JSON.
func call(t testing.TB, method, path, token string, body any) response {
	t.Helper()
	return callWith(t, method, path, body, map[string]string{"Authorization": tokenHeader(token)})
}

func tokenHeader(token string) string {
	if token == "" {
		return ""
	}
	return "Token " + token
}

func callWith(t testing.TB, method, path string, body any, headers map[string]string) response {
	t.Helper()
	return send(t, clientOf(t), sys.gateway, method, path, body, headers)
}

var (
	clientsMu sync.Mutex
	clients   = map[string]*http.Client{}
)

// clientOf is the HTTP client of t's top-level test. Each test is a client
// of its own, as classmates at home are: its requests come from a loopback
// address of its own (Linux routes all of 127.0.0.0/8 to lo), so the budgets
// the product keeps per client address — signups, failed logins — are one
// test's alone. Against a remote deployment every request comes from this
// machine's one address anyway (a container's published port), and its
// per-address budgets are lifted for the suite.
func clientOf(t testing.TB) *http.Client {
	if sys.remote {
		return http.DefaultClient
	}
	name, _, _ := strings.Cut(t.Name(), "/")
	clientsMu.Lock()
	defer clientsMu.Unlock()
	if c, ok := clients[name]; ok {
		return c
	}
	n := len(clients)
	addr := &net.TCPAddr{IP: net.IPv4(127, 1, byte(n/250), byte(n%250+1))}
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.DialContext = (&net.Dialer{LocalAddr: addr, Timeout: 10 * time.Second}).DialContext
	c := &http.Client{Transport: tr}
	clients[name] = c
	return c
}

// onReplica calls one gateway replica directly over its socket, bypassing
// the edge's choice of replica.
func onReplica(t testing.TB, socket, method, path, token string, body any) response {
	t.Helper()
	sys.ownStack(t, "calls each gateway replica over its own socket")
	client := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{
		DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			return (&net.Dialer{}).DialContext(ctx, "unix", socket)
		}}}
	defer client.CloseIdleConnections()
	return send(t, client, "http://gateway", method, path, body, map[string]string{"Authorization": tokenHeader(token)})
}

// send makes one request and checks the answer against the contract.
func send(t testing.TB, client *http.Client, base, method, path string, body any, headers map[string]string) response {
	t.Helper()
	req, r, err := exchange(client, base, method, path, body, headers)
	if err != nil {
		t.Fatal(err)
	}
	validate(t, req, r)
	return r
}

// exchange makes one request and reads the answer; it does not touch a
// testing.T, so many can run at once (validate their answers after).
func exchange(client *http.Client, base, method, path string, body any, headers map[string]string) (*http.Request, response, error) {
	var raw []byte
	switch b := body.(type) {
	case nil:
	case string:
		raw = []byte(b)
	case []byte:
		raw = b
	default:
		var err error
		if raw, err = json.Marshal(b); err != nil {
			return nil, response{}, err
		}
	}
	req, err := http.NewRequest(method, base+path, bytes.NewReader(raw))
	if err != nil {
		return nil, response{}, err
	}
	if raw != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	for k, v := range headers {
		if v != "" {
			req.Header.Set(k, v)
		}
	}
	resp, err := client.Do(req)
	if err != nil {
		return req, response{}, fmt.Errorf("%s %s: %w", method, path, err)
	}
	defer func() { _ = resp.Body.Close() }()
	out, err := io.ReadAll(resp.Body)
	if err != nil {
		return req, response{}, err
	}
	return req, response{Status: resp.StatusCode, Header: resp.Header, Body: out}, nil
}

// validate checks r against the contract. Paths the contract does not have
// (unknown routes, wrong methods) must still answer a JSON error.
func validate(t testing.TB, req *http.Request, r response) {
	t.Helper()
	if r.Header.Get("X-Request-ID") == "" {
		t.Errorf("%s %s: no X-Request-ID in the response", req.Method, req.URL.Path)
	}
	canonical := req.Clone(context.Background())
	if strings.HasPrefix(canonical.URL.Path, "/api/") && !strings.HasSuffix(canonical.URL.Path, "/") {
		canonical.URL.Path += "/"
	}
	canonical.Body = http.NoBody
	route, params, err := contract(t).FindRoute(canonical)
	if err != nil {
		if r.Status < 400 {
			t.Fatalf("%s %s answered %d but is not in the contract", req.Method, req.URL.Path, r.Status)
		}
		assertError(t, r)
		return
	}
	in := &openapi3filter.RequestValidationInput{
		Request: canonical, PathParams: params, Route: route,
		Options: &openapi3filter.Options{AuthenticationFunc: openapi3filter.NoopAuthenticationFunc},
	}
	err = openapi3filter.ValidateResponse(context.Background(), &openapi3filter.ResponseValidationInput{
		RequestValidationInput: in,
		Status:                 r.Status,
		Header:                 r.Header,
		Body:                   io.NopCloser(bytes.NewReader(r.Body)),
		Options:                &openapi3filter.Options{IncludeResponseStatus: true},
	})
	if err != nil {
		t.Fatalf("%s %s → %d does not match api/openapi.yaml: %v\nbody: %s", req.Method, req.URL.Path, r.Status, err, r.Body)
	}
	if r.Status >= 400 {
		assertError(t, r)
	}
}

func assertError(t testing.TB, r response) {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(r.Body, &m); err != nil {
		t.Fatalf("status %d with a non-JSON body: %s", r.Status, r.Body)
	}
	if msg, _ := m["error"].(string); msg == "" {
		t.Fatalf("status %d without an \"error\" message: %s", r.Status, r.Body)
	}
}

// expect fails unless r has the wanted status.
func expect(t testing.TB, r response, status int) response {
	t.Helper()
	if r.Status != status {
		t.Fatalf("status %d, want %d; body: %s", r.Status, status, r.Body)
	}
	return r
}
