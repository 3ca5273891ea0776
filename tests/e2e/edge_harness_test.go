package e2e

import (
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"
)

// edge is one Nginx instance rendered from deploy/nginx by scripts/edge.sh.
type edge struct {
	http, https string // base URLs
	dir         string
	cmd         *exec.Cmd
}

type edgeOptions struct {
	mode     string // local | production
	rate     string // signup/login limit
	upstream string // unix:/path or host:port, several separated by spaces
	webRoot  string // default: the suite's stand-in web root
	// metricsLog: where a line per answer goes (EDGE_METRICS_LOG), or "".
	metricsLog string
}

// startEdge renders, checks (nginx -t) and starts an Nginx in the foreground.
func (s *stack) startEdge(name string, o edgeOptions) (*edge, error) {
	e := &edge{dir: filepath.Join(s.dir, name)}
	httpAddr, httpsAddr := freeAddr(), freeAddr()
	port := func(a string) string { return a[strings.LastIndex(a, ":")+1:] }
	if o.webRoot == "" {
		o.webRoot = s.webRoot
	}
	render := exec.Command(filepath.Join(s.root, "scripts", "edge.sh"), "render", e.dir)
	render.Env = append(os.Environ(),
		"EDGE_MODE="+o.mode, "EDGE_HTTP_PORT="+port(httpAddr), "EDGE_HTTPS_PORT="+port(httpsAddr),
		"EDGE_UPSTREAM="+o.upstream, "EDGE_WEB_ROOT="+o.webRoot, "EDGE_TLS_DIR="+filepath.Join(s.dir, "tls"),
		"EDGE_AUTH_RATE="+o.rate, "EDGE_LOG_DIR="+e.dir, "EDGE_METRICS_LOG="+o.metricsLog)
	if out, err := render.CombinedOutput(); err != nil {
		return nil, fmt.Errorf("render edge %s: %w\n%s", name, err, out)
	}
	bin, err := exec.Command(filepath.Join(s.root, "scripts", "edge.sh"), "bin").Output()
	if err != nil {
		return nil, err
	}
	e.cmd = exec.Command(strings.TrimSpace(string(bin)), "-p", e.dir, "-c", filepath.Join(e.dir, "nginx.conf"), "-g", "daemon off;")
	if err := e.cmd.Start(); err != nil {
		return nil, err
	}
	s.cleanups = append(s.cleanups, func() { _ = terminate(e.cmd) })
	e.http, e.https = "http://"+httpAddr, "https://localhost:"+port(httpsAddr)
	noRedirect := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	for i := 0; i < 100; i++ {
		if resp, err := noRedirect.Get(e.http + "/index.html"); err == nil {
			_ = resp.Body.Close()
			return e, nil
		}
		time.Sleep(50 * time.Millisecond)
	}
	return nil, fmt.Errorf("edge %s did not answer", name)
}

// accessLog returns the edge's JSON access log.
func (e *edge) accessLog() string {
	b, _ := os.ReadFile(filepath.Join(e.dir, "edge-access.log"))
	return string(b)
}

// writeWebRoot lays out a stand-in for web/dist: an index and a hashed asset.
func writeWebRoot(dir string) error {
	if err := os.MkdirAll(filepath.Join(dir, "assets"), 0o755); err != nil {
		return err
	}
	files := map[string]string{
		"index.html":              `<!doctype html><html><head><title>seminarhub</title><script type="module" src="/assets/app-3f2a1b.js"></script></head><body><div id="root"></div></body></html>`,
		"assets/app-3f2a1b.js":    strings.Repeat("console.log('seminarhub');\n", 100),
		"assets/style-9c8d7e.css": "body{margin:0}",
	}
	for name, body := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			return err
		}
	}
	return nil
}
