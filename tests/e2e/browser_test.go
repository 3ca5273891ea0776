package e2e

import (
	"os"
	"os/exec"
	"path/filepath"
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
	artifacts := filepath.Join(sys.root, "artifacts", "browser")
	cmd := exec.Command("node", "--test", "--test-reporter=spec", "e2e/")
	cmd.Dir = filepath.Join(sys.root, "web")
	cmd.Env = append(append(os.Environ(), env...), "BASE_URL="+base, "ARTIFACTS="+artifacts, "CHROMIUM="+chromium)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("browser flows failed: %v\n%s", err, out)
	}
	t.Logf("browser flows passed; screenshots in %s\n%s", artifacts, out)
}
