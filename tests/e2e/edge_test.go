package e2e

import (
	"bufio"
	"compress/gzip"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// rawGet fetches without the contract validation (static files, redirects).
func rawGet(t *testing.T, client *http.Client, url string, header map[string]string) (*http.Response, []byte) {
	t.Helper()
	return rawRequest(t, client, "GET", url, header)
}

// rawRequest sends a request without a body and without the contract
// validation.
func rawRequest(t *testing.T, client *http.Client, method, url string, header map[string]string) (*http.Response, []byte) {
	t.Helper()
	req, _ := http.NewRequest(method, url, nil)
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
	// Only what is there is kept for a year: a missing asset must not be.
	if missing, _ := rawGet(t, nil, sys.edge.http+"/assets/nope-123.js", nil); missing.StatusCode != 404 || missing.Header.Get("Cache-Control") != "no-store" {
		t.Fatalf("missing asset: %d, Cache-Control %q; want 404, no-store", missing.StatusCode, missing.Header.Get("Cache-Control"))
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

// The flood guard's rate is a setting (EDGE_AUTH_RATE); a value that is
// not a rate stops the edge at start, naming the variable, rather than
// starting it with no limit or a surprising one.
func TestAnEdgeAuthRateThatIsNotARateStopsTheEdge(t *testing.T) {
	renderRefused(t, "EDGE_AUTH_RATE=fast", "EDGE_AUTH_RATE must be a rate")
}

// renderRefused renders an edge with setting added and wants it refused
// with a message that says want.
func renderRefused(t *testing.T, setting, want string) {
	t.Helper()
	sys.ownStack(t, "renders an edge of its own")
	render := exec.Command(filepath.Join(sys.root, "scripts", "edge.sh"), "render", t.TempDir())
	render.Env = append(os.Environ(), setting, "EDGE_HTTP_PORT=1", "EDGE_HTTPS_PORT=2",
		"EDGE_UPSTREAM=unix:/nonexistent.sock", "EDGE_WEB_ROOT="+sys.webRoot, "EDGE_TLS_DIR="+filepath.Join(sys.dir, "tls"))
	out, err := render.CombinedOutput()
	if err == nil || !strings.Contains(string(out), want) {
		t.Fatalf("%s: %v\n%s; want a refusal naming the variable", setting, err, out)
	}
}

// With EDGE_METRICS_LOG set, the edge sends one syslog line over UDP per
// answer — its status and time, the edge's own 502 among them — which the
// monitoring collector counts (deploy/collector/nginx.yaml parses exactly
// this: an RFC 3164 header, then JSON).
func TestTheEdgeSendsALinePerAnswerToTheMetricsLog(t *testing.T) {
	sys.ownStack(t, "starts an edge of its own")
	conn, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	e, err := sys.startEdge("edge-metrics-log", edgeOptions{mode: "local", rate: "20r/s",
		upstream: "127.0.0.1:1", metricsLog: conn.LocalAddr().String()})
	if err != nil {
		t.Fatal(err)
	}
	// startEdge's own readiness checks answered too: drain them first.
	drain(conn, 300*time.Millisecond)
	for _, path := range []string{"/index.html", "/api/v1/seminar/"} {
		resp, err := http.Get(e.http + path)
		if err != nil {
			t.Fatal(err)
		}
		_ = resp.Body.Close()
	}
	header := regexp.MustCompile(`^<\d+>[A-Z][a-z]{2} [ \d]\d \d\d:\d\d:\d\d \S+ edge: (\{.*\})$`)
	var statuses []string
	for _, line := range drain(conn, 2*time.Second) {
		m := header.FindStringSubmatch(line)
		if m == nil {
			t.Fatalf("line %q is not an RFC 3164 message with the edge's tag and JSON", line)
		}
		var answer struct {
			Status string   `json:"http.response.status_code"`
			Time   *float64 `json:"edge.request_time"`
		}
		if err := json.Unmarshal([]byte(m[1]), &answer); err != nil || answer.Time == nil || *answer.Time < 0 {
			t.Fatalf("line %q: %v; want the status and the request's time", line, err)
		}
		statuses = append(statuses, answer.Status)
	}
	if want := []string{"200", "502"}; !slices.Equal(statuses, want) {
		t.Fatalf("lines for statuses %v; want %v, one per answer", statuses, want)
	}
}

// drain returns the datagrams that arrive until none has for quiet.
func drain(conn net.PacketConn, quiet time.Duration) []string {
	var lines []string
	buf := make([]byte, 4096)
	for {
		_ = conn.SetReadDeadline(time.Now().Add(quiet))
		n, _, err := conn.ReadFrom(buf)
		if err != nil {
			return lines
		}
		lines = append(lines, string(buf[:n]))
	}
}

// EDGE_METRICS_LOG that is not an address and port stops the edge at start,
// naming the variable.
func TestAnEdgeMetricsLogThatIsNotAnAddressStopsTheEdge(t *testing.T) {
	renderRefused(t, "EDGE_METRICS_LOG=collector", "EDGE_METRICS_LOG must be an address and port")
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
		// Past the burst (400) allowed at once.
		for i := 0; i < 460; i++ {
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
			t.Fatalf("%s %s: 460 quick attempts, none limited", target.method, target.path)
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

// wantJSONError checks an error answer as every layer must give it: a JSON
// object with "error", never stored by a cache, with the security headers
// (HSTS when it came over TLS).
func wantJSONError(t *testing.T, status int, header http.Header, body []byte, wantStatus int, overTLS bool) {
	t.Helper()
	var m map[string]any
	if status != wantStatus || json.Unmarshal(body, &m) != nil || m["error"] == "" || m["error"] == nil {
		t.Fatalf("%d %s, want %d with a JSON error", status, body, wantStatus)
	}
	if !strings.HasPrefix(header.Get("Content-Type"), "application/json") || header.Get("Cache-Control") != "no-store" {
		t.Fatalf("Content-Type %q, Cache-Control %q; want JSON, no-store", header.Get("Content-Type"), header.Get("Cache-Control"))
	}
	if header.Get("X-Content-Type-Options") != "nosniff" || !strings.Contains(header.Get("Content-Security-Policy"), "frame-ancestors 'none'") {
		t.Fatalf("no security headers: %v", header)
	}
	if hsts := header.Get("Strict-Transport-Security") != ""; hsts != overTLS {
		t.Fatalf("Strict-Transport-Security %q over TLS %v", header.Get("Strict-Transport-Security"), overTLS)
	}
	if strings.Contains(strings.ToLower(string(body)), "nginx") || strings.ContainsAny(header.Get("Server"), "0123456789") {
		t.Fatalf("the server names itself: Server %q, %s", header.Get("Server"), body)
	}
}

// What Nginx refuses before the gateway sees it — at the request line, in
// the headers, a method it will not serve — is JSON too, with the status
// that says why: for the API and for every other path alike. Raw bytes,
// because no HTTP client library sends most of these.
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
		{"TRACE on the API", "TRACE /api/v1/user/ HTTP/1.1\r\nHost: localhost\r\n\r\n", 405},
		{"TRACE on a page", "TRACE / HTTP/1.1\r\nHost: localhost\r\n\r\n", 405},
		{"a transfer coding it does not know", "POST /api/v1/user/ HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: xchunked\r\n\r\n", 501},
		{"HTTP/9.9", "GET /api/v1/seminar/ HTTP/9.9\r\nHost: localhost\r\n\r\n", 505},
		{"a POST to a static file", "POST /index.html HTTP/1.1\r\nHost: localhost\r\nContent-Length: 0\r\n\r\n", 405},
		{"a missing asset", "GET /assets/nonexistent-0f1e2d.js HTTP/1.1\r\nHost: localhost\r\n\r\n", 404},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			status, header, body := rawExchange(t, c.request)
			wantJSONError(t, status, header, body, c.status, strings.HasPrefix(sys.gateway, "https:"))
		})
	}
}

// Plain HTTP sent to the HTTPS port gets a JSON 400 that says so (not
// Nginx's page); no HSTS, as nothing came over TLS.
func TestPlainHTTPToTheHTTPSPortIsAJSONError(t *testing.T) {
	addr := ""
	if u, _ := url.Parse(sys.gateway); u.Scheme == "https" {
		addr = u.Host
	} else {
		sys.ownStack(t, "needs an HTTPS port (the suite's edge has one)")
		addr = strings.TrimPrefix(sys.edge.https, "https://")
	}
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = conn.Close() }()
	_ = conn.SetDeadline(time.Now().Add(10 * time.Second))
	_, _ = conn.Write([]byte("GET /api/v1/seminar/ HTTP/1.1\r\nHost: localhost\r\n\r\n"))
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	_ = resp.Body.Close()
	wantJSONError(t, resp.StatusCode, resp.Header, body, 400, false)
}

// The gateway's own answers to paths and methods the API does not have are
// the API's: JSON, no-store.
func TestUnknownAPIPathsAndMethodsAreJSONAndNeverStored(t *testing.T) {
	for _, c := range []struct {
		method, path string
		status       int
	}{{"GET", "/api/v1/nonexistent/", 404}, {"PATCH", "/api/v1/seminar/", 405}, {"DELETE", "/api/v1/user/login/", 405}} {
		req, _ := http.NewRequest(c.method, sys.gateway+c.path, nil)
		resp, err := clientOf(t).Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		_ = resp.Body.Close()
		wantJSONError(t, resp.StatusCode, resp.Header, body, c.status, strings.HasPrefix(sys.gateway, "https:"))
	}
}

// HEAD works wherever GET does, through the edge: the same status and
// headers, no body — for the probes an uptime checker uses, the API's reads
// and the pages.
func TestHEADAnswersLikeGETWithoutABody(t *testing.T) {
	a := participantAccount(t)
	s := newSeminar(t, instructorAccount(t), 5)
	client := &http.Client{Transport: noDecompression()}
	if !sys.remote {
		tr := clientOf(t).Transport.(*http.Transport).Clone()
		tr.DisableCompression = true
		client = &http.Client{Transport: tr}
	}
	for _, p := range []string{"/ping", "/version", "/api/v1/seminar/", seminarPath(idOf(s), ""), "/api/v1/user/me/", "/", "/seminars/7"} {
		auth := map[string]string{"Authorization": "Token " + a.Token}
		get, getBody := rawRequest(t, client, "GET", sys.gateway+p, auth)
		head, headBody := rawRequest(t, client, "HEAD", sys.gateway+p, auth)
		if get.StatusCode != 200 || head.StatusCode != 200 || len(headBody) != 0 || len(getBody) == 0 {
			t.Fatalf("%s: GET %d (%d bytes), HEAD %d (%d bytes); want 200 both, a body only for GET", p, get.StatusCode, len(getBody), head.StatusCode, len(headBody))
		}
		for _, h := range []string{"Content-Type", "Content-Length", "Cache-Control", "ETag", "Content-Security-Policy", "Strict-Transport-Security"} {
			if get.Header.Get(h) != head.Header.Get(h) {
				t.Errorf("%s: %s is %q for GET, %q for HEAD", p, h, get.Header.Get(h), head.Header.Get(h))
			}
		}
	}
}

// A class of 200 behind one NAT address signs up at once, then logs in at
// once, through the production configuration as shipped (the edge's
// per-address limit, HTTPS, the product's budgets). Whoever cannot be
// served before the deadline is told so at once — 503 with Retry-After,
// JSON — and gets in on the one retry the web app makes after it.
func TestAClassOf200BehindOneAddressAllGetIn(t *testing.T) {
	sys.ownStack(t, "starts an edge of its own")
	prod, err := sys.startEdge("edge-classroom", edgeOptions{mode: "production", upstream: "unix:" + sys.socket + " unix:" + sys.socket2})
	if err != nil {
		t.Fatal(err)
	}
	client := trustingClient(t)
	const class = 200
	names := make([]string, class)
	for i := range names {
		names[i] = unique("student")
	}
	var (
		mu       sync.Mutex
		answered []exchanged
		refused  int
	)
	// everyone sends one request at once; a 503 is tried again after its
	// Retry-After (and a moment of jitter, as the web app adds), once.
	everyone := func(method, path string, body func(name string) string) []int {
		final := make([]int, class)
		var wg sync.WaitGroup
		for i, name := range names {
			wg.Go(func() {
				for try := 0; try < 2; try++ {
					req, r, err := exchange(client, prod.https, method, path, body(name), nil)
					if err != nil {
						t.Error(err)
						return
					}
					mu.Lock()
					answered = append(answered, exchanged{req, r})
					mu.Unlock()
					final[i] = r.Status
					wait, _ := strconv.Atoi(r.Header.Get("Retry-After"))
					if r.Status != http.StatusServiceUnavailable || wait < 1 {
						return
					}
					mu.Lock()
					refused++
					mu.Unlock()
					time.Sleep(time.Duration(wait)*time.Second + time.Duration(rand.IntN(1000))*time.Millisecond)
				}
			})
		}
		wg.Wait()
		return final
	}
	signups := everyone("POST", "/api/v1/user/", func(name string) string {
		return `{"username":"` + name + `","password":"pw","email":"s@example.com","role":"participant"}`
	})
	logins := everyone("PUT", "/api/v1/user/login/", func(name string) string {
		return `{"username":"` + name + `","password":"pw"}`
	})
	for _, a := range answered {
		validate(t, a.req, a.resp)
	}
	for i := range names {
		if signups[i] != 201 || logins[i] != 200 {
			t.Errorf("student %d: signup %d, login %d", i, signups[i], logins[i])
		}
	}
	t.Logf("a class of %d: %d answers, %d of them 503 with Retry-After (then retried)", class, len(answered), refused)
}

type exchanged struct {
	req  *http.Request
	resp response
}
