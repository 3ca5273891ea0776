package e2e

import (
	"bufio"
	"compress/gzip"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// rawGet fetches without the contract validation (static files, redirects).
func rawGet(t *testing.T, client *http.Client, url string, header map[string]string) (*http.Response, []byte) {
	t.Helper()
	req, _ := http.NewRequest("GET", url, nil)
	for k, v := range header {
		req.Header.Set(k, v)
	}
	if h := header["Host"]; h != "" {
		req.Host = h
	}
	if client == nil {
		client = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = resp.Body.Close() }()
	body, _ := io.ReadAll(resp.Body)
	return resp, body
}

// noDecompression is the default transport (trusting what the suite trusts)
// handing gzip bodies over as they came.
func noDecompression() *http.Transport {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.DisableCompression = true
	return tr
}

func TestTheShippedNginxConfigurationPassesNginxT(t *testing.T) {
	sys.ownStack(t, "runs nginx -t on the suite's edge")
	bin, err := exec.Command(filepath.Join(sys.root, "scripts", "edge.sh"), "bin").Output()
	if err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(strings.TrimSpace(string(bin)), "-t", "-p", sys.edge.dir, "-c", filepath.Join(sys.edge.dir, "nginx.conf")).CombinedOutput()
	if err != nil {
		t.Fatalf("nginx -t: %v\n%s", err, out)
	}
	link, err := os.Readlink(filepath.Join(sys.edge.dir, "sites-enabled", "seminarhub.conf"))
	if err != nil || link != "../sites-available/seminarhub.conf" {
		t.Fatalf("site not enabled by a symlink: %q %v", link, err)
	}
}

func TestStaticFilesSinglePageFallbackAndCaching(t *testing.T) {
	sys.ownStack(t, "serves the suite's stand-in web root")
	index, body := rawGet(t, nil, sys.edge.http+"/", nil)
	if index.StatusCode != 200 || !strings.Contains(string(body), `<div id="root">`) || index.Header.Get("Cache-Control") != "no-cache" {
		t.Fatalf("/: %d %q %q", index.StatusCode, index.Header.Get("Cache-Control"), body)
	}
	route, body := rawGet(t, nil, sys.edge.http+"/seminars/42", nil)
	if route.StatusCode != 200 || !strings.Contains(string(body), `<div id="root">`) {
		t.Fatalf("client route: %d %q", route.StatusCode, body)
	}
	asset, _ := rawGet(t, &http.Client{Transport: &http.Transport{DisableCompression: true}}, sys.edge.http+"/assets/app-3f2a1b.js",
		map[string]string{"Accept-Encoding": "gzip"})
	if asset.StatusCode != 200 || asset.Header.Get("Cache-Control") != "public, max-age=31536000, immutable" || asset.Header.Get("Content-Encoding") != "gzip" {
		t.Fatalf("asset: %d cache %q encoding %q", asset.StatusCode, asset.Header.Get("Cache-Control"), asset.Header.Get("Content-Encoding"))
	}
	if missing, _ := rawGet(t, nil, sys.edge.http+"/assets/nope-123.js", nil); missing.StatusCode != 404 {
		t.Fatalf("missing asset: %d", missing.StatusCode)
	}
}

func TestJSONAnswersAreGzippedForClientsThatAsk(t *testing.T) {
	// A seminar is well over gzip_min_length (512 bytes) once it has members.
	owner := instructorAccount(t)
	s := newSeminar(t, owner, 10)
	for i := 0; i < 3; i++ {
		expect(t, call(t, "POST", seminarPath(idOf(s), "user/"), participantAccount(t).Token, map[string]any{"role": "participant"}), 201)
	}
	resp, body := rawGet(t, &http.Client{Transport: noDecompression()}, sys.gateway+seminarPath(idOf(s), ""),
		map[string]string{"Authorization": "Token " + owner.Token, "Accept-Encoding": "gzip"})
	if resp.StatusCode != 200 || resp.Header.Get("Content-Encoding") != "gzip" {
		t.Fatalf("status %d, Content-Encoding %q", resp.StatusCode, resp.Header.Get("Content-Encoding"))
	}
	zr, err := gzip.NewReader(strings.NewReader(string(body)))
	if err != nil {
		t.Fatal(err)
	}
	plain, err := io.ReadAll(zr)
	if err != nil || len(plain) <= 512 || !strings.Contains(string(plain), `"participants"`) {
		t.Fatalf("gunzipped %d bytes (%v): %.80s", len(plain), err, plain)
	}
}

func TestServiceEndpointsAreNotReachableFromOutside(t *testing.T) {
	for _, p := range []string{"/internal/v1/users/1", "/internal/v1/seminars", "/healthz", "/readyz", "/metrics"} {
		resp, body := rawGet(t, nil, sys.gateway+p, nil)
		if resp.StatusCode != 404 || !strings.Contains(string(body), `"error"`) {
			t.Fatalf("%s: %d %s", p, resp.StatusCode, body)
		}
	}
}

func TestSecurityHeadersAndNoVersionDisclosure(t *testing.T) {
	for _, p := range []string{"/", "/ping"} {
		resp, _ := rawGet(t, nil, sys.gateway+p, nil)
		h := resp.Header
		// HSTS belongs on HTTPS answers only.
		wantHSTS := strings.HasPrefix(sys.gateway, "https:")
		if h.Get("X-Content-Type-Options") != "nosniff" || h.Get("Referrer-Policy") == "" ||
			!strings.Contains(h.Get("Content-Security-Policy"), "frame-ancestors 'none'") ||
			strings.ContainsAny(h.Get("Server"), "0123456789") || (h.Get("Strict-Transport-Security") != "") != wantHSTS {
			t.Fatalf("%s headers: %v", p, h)
		}
	}
}

func trustingClient(t *testing.T) *http.Client {
	sys.ownStack(t, "trusts the suite's certificate")
	t.Helper()
	pem, err := os.ReadFile(filepath.Join(sys.dir, "tls", "tls.crt"))
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(pem)
	return &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}, ForceAttemptHTTP2: true}}
}

func TestHTTPSWithTheGeneratedCertificateSpeaksHTTP2AndSendsHSTS(t *testing.T) {
	resp, body := rawGet(t, trustingClient(t), sys.edge.https+"/ping", nil)
	if resp.StatusCode != 200 || string(body) != "pong" || resp.ProtoMajor != 2 || resp.TLS.Version < tls.VersionTLS12 {
		t.Fatalf("%d %q proto %s tls %x", resp.StatusCode, body, resp.Proto, resp.TLS.Version)
	}
	if !strings.HasPrefix(resp.Header.Get("Strict-Transport-Security"), "max-age=") {
		t.Fatalf("no HSTS on HTTPS: %v", resp.Header)
	}
}

func TestTLSBelow12IsRefused(t *testing.T) {
	sys.ownStack(t, "dials the suite's edge")
	addr := strings.TrimPrefix(sys.edge.https, "https://")
	conn, err := tls.Dial("tcp", addr, &tls.Config{InsecureSkipVerify: true, MaxVersion: tls.VersionTLS11}) //nolint:gosec // the point of the test
	if err == nil {
		_ = conn.Close()
		t.Fatal("a TLS 1.1 handshake succeeded")
	}
}

func TestProductionRedirectsPlainHTTPToHTTPS(t *testing.T) {
	sys.ownStack(t, "starts an edge of its own")
	prod, err := sys.startEdge("edge-prod", edgeOptions{mode: "production", rate: "10r/m", upstream: "unix:" + sys.socket})
	if err != nil {
		t.Fatal(err)
	}
	resp, _ := rawGet(t, nil, prod.http+"/seminars?x=1", map[string]string{"Host": "seminarhub.example"})
	if resp.StatusCode != 301 || resp.Header.Get("Location") != "https://seminarhub.example/seminars?x=1" {
		t.Fatalf("%d → %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	ok, body := rawGet(t, trustingClient(t), prod.https+"/ping", nil)
	if ok.StatusCode != 200 || string(body) != "pong" {
		t.Fatalf("HTTPS in production: %d %q", ok.StatusCode, body)
	}
}

func TestSignupAndLoginAreRateLimitedPerClientWithJSON429(t *testing.T) {
	sys.ownStack(t, "starts an edge of its own")
	limited, err := sys.startEdge("edge-limited", edgeOptions{mode: "local", rate: "2r/m", upstream: "unix:" + sys.socket})
	if err != nil {
		t.Fatal(err)
	}
	for _, target := range []struct{ method, path string }{{"POST", "/api/v1/user/"}, {"PUT", "/api/v1/user/login/"}} {
		var mu sync.Mutex
		got429 := 0
		// Past the burst (200) allowed at once.
		for i := 0; i < 260; i++ {
			req, _ := http.NewRequest(target.method, limited.http+target.path, strings.NewReader(`{}`))
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			_ = resp.Body.Close()
			if resp.StatusCode == 429 {
				mu.Lock()
				got429++
				mu.Unlock()
				if resp.Header.Get("Retry-After") == "" || !strings.Contains(string(body), `"error"`) {
					t.Fatalf("429 without Retry-After or JSON: %v %s", resp.Header, body)
				}
			}
		}
		if got429 == 0 {
			t.Fatalf("%s %s: 260 quick attempts, none limited", target.method, target.path)
		}
	}
	// Other API calls are not limited.
	resp, _ := rawGet(t, nil, limited.http+"/ping", nil)
	if resp.StatusCode != 200 {
		t.Fatalf("/ping behind the limited edge: %d", resp.StatusCode)
	}
}

func TestAStoppedGatewayGivesJSON502(t *testing.T) {
	sys.ownStack(t, "starts an edge of its own")
	down, err := sys.startEdge("edge-down", edgeOptions{mode: "local", rate: "10r/m", upstream: "unix:" + filepath.Join(sys.dir, "no-gateway.sock")})
	if err != nil {
		t.Fatal(err)
	}
	resp, body := rawGet(t, nil, down.http+"/api/v1/seminar/", nil)
	if resp.StatusCode != 502 || !strings.Contains(string(body), `"error"`) || !strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json") {
		t.Fatalf("%d %q %s", resp.StatusCode, resp.Header.Get("Content-Type"), body)
	}
}

func TestTraceparentIsPassedThroughAndLogged(t *testing.T) {
	sys.ownStack(t, "reads the edge's access log file")
	const traceID = "4bf92f3577b34da6a3ce929d0e0736aa"
	r := callWith(t, "GET", "/ping", nil, map[string]string{
		"traceparent": "00-" + traceID + "-00f067aa0ba902b7-01", "X-Request-ID": "trace-test-1",
	})
	expect(t, r, 200)
	if !eventually(func() bool {
		return strings.Contains(sys.edge.accessLog(), `"request_id":"trace-test-1","trace_id":"`+traceID+`"`)
	}) {
		t.Fatal("the access log line lacks the request id and trace id")
	}
	if !eventually(func() bool {
		return strings.Contains(gatewayLog(), `"request_id":"trace-test-1","trace_id":"`+traceID+`"`)
	}) {
		t.Fatal("the gateway did not continue the client's trace")
	}
}

func TestWithoutATraceparentTheEdgeStartsATraceNamedByTheRequestID(t *testing.T) {
	sys.ownStack(t, "reads the gateway's log file")
	r := expect(t, call(t, "GET", "/ping", "", nil), 200)
	id := r.Header.Get("X-Request-ID")
	if len(id) != 32 || !eventually(func() bool { return strings.Contains(gatewayLog(), `"request_id":"`+id+`","trace_id":"`+id+`"`) }) {
		t.Fatalf("request id %q not carried as the trace id into the gateway log", id)
	}
}

// gatewayLog is both replicas' logs: the edge picks either.
func gatewayLog() string {
	var all []byte
	for _, name := range []string{"gateway.log", "gateway2.log"} {
		b, _ := os.ReadFile(filepath.Join(sys.dir, name))
		all = append(all, b...)
	}
	return string(all)
}

// eventually polls cond for up to two seconds: log lines are written just
// after the response they describe.
func eventually(cond func() bool) bool {
	for i := 0; i < 40; i++ {
		if cond() {
			return true
		}
		time.Sleep(50 * time.Millisecond)
	}
	return false
}

// rawExchange sends bytes no HTTP client would and reads the answer: the
// status code, the headers and the body.
func rawExchange(t *testing.T, request string) (int, http.Header, []byte) {
	t.Helper()
	u, err := url.Parse(sys.gateway)
	if err != nil {
		t.Fatal(err)
	}
	host := u.Host
	var conn net.Conn
	if u.Scheme == "https" {
		if u.Port() == "" {
			host += ":443"
		}
		cfg := http.DefaultTransport.(*http.Transport).TLSClientConfig.Clone()
		if cfg == nil {
			cfg = &tls.Config{}
		}
		cfg.ServerName, cfg.NextProtos = u.Hostname(), []string{"http/1.1"}
		conn, err = tls.Dial("tcp", host, cfg)
	} else {
		conn, err = net.Dial("tcp", host)
	}
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = conn.Close() }()
	_ = conn.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := conn.Write([]byte(request)); err != nil {
		t.Fatal(err)
	}
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatalf("no HTTP answer to %.60q: %v", request, err)
	}
	defer func() { _ = resp.Body.Close() }()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, body
}

// What Nginx refuses before the gateway sees it is JSON too, with the
// status that says why, and never stored by a cache.
func TestRequestsNginxRefusesItselfAnswerJSON(t *testing.T) {
	long := "/api/v1/seminar/?name=" + strings.Repeat("a", 10000)
	cases := []struct {
		name    string
		request string
		status  int
	}{
		{"a NUL in the path", "GET /api/v1/seminar/\x00x HTTP/1.1\r\nHost: localhost\r\n\r\n", 400},
		{"a broken request line", "GARBAGE\r\n\r\n", 400},
		{"a request line over the buffer", "GET " + long + " HTTP/1.1\r\nHost: localhost\r\n\r\n", 414},
		{"a header over the buffer", "GET /api/v1/seminar/ HTTP/1.1\r\nHost: localhost\r\nX-Big: " + strings.Repeat("b", 10000) + "\r\n\r\n", 400},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			status, header, body := rawExchange(t, c.request)
			var m map[string]any
			if status != c.status || json.Unmarshal(body, &m) != nil || m["error"] == "" || m["error"] == nil {
				t.Fatalf("%d %s, want %d with a JSON error", status, body, c.status)
			}
			if !strings.HasPrefix(header.Get("Content-Type"), "application/json") || header.Get("Cache-Control") != "no-store" {
				t.Fatalf("Content-Type %q, Cache-Control %q", header.Get("Content-Type"), header.Get("Cache-Control"))
			}
		})
	}
}

// A classroom behind one NAT address: 30 people sign up and log in within
// a few seconds through the production configuration as shipped (the
// shipped per-address limit, HTTPS), and every one of them gets in.
func TestAClassroomBehindOneAddressAllGetIn(t *testing.T) {
	sys.ownStack(t, "starts an edge of its own")
	prod, err := sys.startEdge("edge-classroom", edgeOptions{mode: "production", upstream: "unix:" + sys.socket + " unix:" + sys.socket2})
	if err != nil {
		t.Fatal(err)
	}
	client := trustingClient(t)
	post := func(method, path, body string) int {
		req, _ := http.NewRequest(method, prod.https+path, strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		resp, err := client.Do(req)
		if err != nil {
			t.Error(err)
			return 0
		}
		_ = resp.Body.Close()
		return resp.StatusCode
	}
	var wg sync.WaitGroup
	for i := 0; i < 30; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			name := unique("student")
			if s := post("POST", "/api/v1/user/", `{"username":"`+name+`","password":"pw","email":"s@example.com","role":"participant"}`); s != 201 {
				t.Errorf("signup of student %d: %d", i, s)
				return
			}
			if s := post("PUT", "/api/v1/user/login/", `{"username":"`+name+`","password":"pw"}`); s != 200 {
				t.Errorf("login of student %d: %d", i, s)
			}
		}()
	}
	wg.Wait()
}
