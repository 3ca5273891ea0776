package e2e

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
)

// TestBrowserFlows walks the product in a real headless Chromium: the built
// front end (web/dist) served by Nginx in front of the whole stack. The
// flows live in web/e2e (node's test runner + playwright-core); screenshots
// land in artifacts/browser (not committed).
func TestBrowserFlows(t *testing.T) {
	chromium := "/usr/bin/chromium"
	if _, err := os.Stat(chromium); err != nil {
		t.Skip("Debian's chromium is not installed (make test installs it)")
	}
	base, env := sys.gateway, []string{}
	if sys.remote {
		// The deployment serves its own build of the front end, over HTTPS
		// with a certificate the browser was not given.
		env = append(env, "IGNORE_HTTPS_ERRORS=1")
		if ca := os.Getenv(EnvCA); ca != "" {
			// The flows also call the API from node itself.
			env = append(env, "NODE_EXTRA_CA_CERTS="+ca)
		}
	} else {
		build := exec.Command(filepath.Join(sys.root, "scripts", "web.sh"), "build")
		if out, err := build.CombinedOutput(); err != nil {
			t.Fatalf("build the front end: %v\n%s", err, out)
		}
		web, err := sys.startEdge("edge-web", edgeOptions{mode: "local", rate: "100000r/s", upstream: "unix:" + sys.socket,
			webRoot: filepath.Join(sys.root, "web", "dist")})
		if err != nil {
			t.Fatal(err)
		}
		base = web.http
	}
	out := browse(t, chromium, env, "BASE_URL="+base)
	t.Logf("browser flows passed; screenshots in artifacts/browser\n%s", out)
}

// browse runs the browser flows of web/e2e with env added, and fails t
// with their output when one fails.
func browse(t *testing.T, chromium string, env []string, more ...string) string {
	t.Helper()
	artifacts := filepath.Join(sys.root, "artifacts", "browser")
	cmd := exec.Command("node", "--test", "--test-reporter=spec", "e2e/")
	cmd.Dir = filepath.Join(sys.root, "web")
	cmd.Env = append(append(append(os.Environ(), env...), more...), "ARTIFACTS="+artifacts, "CHROMIUM="+chromium)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("browser flows failed: %v\n%s", err, out)
	}
	return string(out)
}

// During a rolling update two builds of the edge serve at once: a page
// from the new one asks for its assets, and a load balancer may hand that
// request to an old one, which does not have them (404). When the update
// is done and the person opens the site again, the app must work: the 404
// must not have been kept, as an "immutable" answer would be, for a year.
//
// Two edges, the web app as built and a next build of it (its entry asset
// renamed, as a new hash would), behind a proxy that plays the load
// balancer: the first request for the new script goes to the old edge,
// everything else to the new one.
func TestABrowserNeverKeepsABrokenAssetFromARollingUpdate(t *testing.T) {
	sys.ownStack(t, "starts edges of its own")
	chromium := "/usr/bin/chromium"
	if _, err := os.Stat(chromium); err != nil {
		t.Skip("Debian's chromium is not installed (make test installs it)")
	}
	if out, err := exec.Command(filepath.Join(sys.root, "scripts", "web.sh"), "build").CombinedOutput(); err != nil {
		t.Fatalf("build the front end: %v\n%s", err, out)
	}
	current := filepath.Join(sys.root, "web", "dist")
	next := filepath.Join(sys.dir, "web-next")
	if err := nextBuild(current, next); err != nil {
		t.Fatal(err)
	}
	old, err := sys.startEdge("edge-old", edgeOptions{mode: "local", rate: "100000r/s", upstream: "unix:" + sys.socket, webRoot: current})
	if err != nil {
		t.Fatal(err)
	}
	updated, err := sys.startEdge("edge-new", edgeOptions{mode: "local", rate: "100000r/s", upstream: "unix:" + sys.socket, webRoot: next})
	if err != nil {
		t.Fatal(err)
	}
	var toOld atomic.Int32
	toOld.Store(1)
	oldURL, _ := url.Parse(old.http)
	newURL, _ := url.Parse(updated.http)
	balancer := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		target := newURL
		if strings.HasSuffix(r.URL.Path, "next.js") && toOld.Add(-1) >= 0 {
			target = oldURL
		}
		httputil.NewSingleHostReverseProxy(target).ServeHTTP(w, r)
	}))
	defer balancer.Close()
	out := browse(t, chromium, nil, "BASE_URL="+balancer.URL, "ROLLOUT=1")
	if !strings.Contains(out, "✔ a browser never keeps a broken asset from a rolling update") {
		t.Fatalf("the rollout flow did not run:\n%s", out)
	}
}

// nextBuild copies the built front end from src to dst as the next build
// would be: its entry script under a new fingerprinted name.
func nextBuild(src, dst string) error {
	if err := os.CopyFS(dst, os.DirFS(src)); err != nil {
		return err
	}
	index, err := os.ReadFile(filepath.Join(dst, "index.html"))
	if err != nil {
		return err
	}
	scripts, _ := filepath.Glob(filepath.Join(dst, "assets", "index-*.js"))
	if len(scripts) != 1 {
		return fmt.Errorf("want one entry script in %s/assets, found %v", dst, scripts)
	}
	name := filepath.Base(scripts[0])
	renamed := strings.TrimSuffix(name, ".js") + "next.js"
	if err := os.Rename(scripts[0], filepath.Join(dst, "assets", renamed)); err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dst, "index.html"), []byte(strings.Replace(string(index), name, renamed, 1)), 0o644)
}
