package validate

import (
	"debug/elf"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

var ldflags = regexp.MustCompile(`-ldflags "([^"]*)"`)

// buildFlags extracts how a file invokes go build: the environment prefix,
// -trimpath and the -ldflags with the variable names normalised.
func buildFlags(t *testing.T, path string) (string, string) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	text := strings.ReplaceAll(string(b), "\\\n", " ")
	var line string
	for _, l := range strings.Split(text, "\n") {
		if strings.Contains(l, "go build") {
			line = l
		}
	}
	if line == "" {
		t.Fatalf("%s: no go build", path)
	}
	m := ldflags.FindStringSubmatch(line)
	if m == nil {
		t.Fatalf("%s: no -ldflags in %q", path, line)
	}
	norm := regexp.MustCompile(`\$\{?(\w+)\}?`).ReplaceAllString(m[1], "$$$1")
	prefix := line[strings.Index(line, "CGO_ENABLED"):strings.Index(line, "-ldflags")]
	return strings.Join(strings.Fields(prefix), " "), strings.Join(strings.Fields(norm), " ")
}

// The Dockerfile and scripts/build.sh must build the same binaries.
func TestTheDockerfileBuildsLikeScriptsBuild(t *testing.T) {
	root := repoRoot(t)
	dPrefix, dFlags := buildFlags(t, filepath.Join(root, "Dockerfile"))
	sPrefix, sFlags := buildFlags(t, filepath.Join(root, "scripts", "build.sh"))
	if dPrefix != sPrefix || strings.ReplaceAll(dFlags, "$PKG", "github.com/seminarhub/seminarhub/platform/buildinfo") != strings.ReplaceAll(sFlags, "$PKG", "github.com/seminarhub/seminarhub/platform/buildinfo") {
		t.Fatalf("Dockerfile: %q %q\nbuild.sh:   %q %q", dPrefix, dFlags, sPrefix, sFlags)
	}
	if !strings.Contains(dPrefix, "CGO_ENABLED=0") || !strings.Contains(dPrefix, "-trimpath") {
		t.Fatalf("not a static, reproducible build: %q", dPrefix)
	}
}

// Built the way the images build them, the binaries are static: no dynamic
// loader, so they run on distroless/static or scratch.
func TestTheServiceBinariesAreStatic(t *testing.T) {
	root := repoRoot(t)
	out := t.TempDir()
	build := exec.Command(filepath.Join(root, "scripts", "build.sh"), out)
	build.Env = append(os.Environ(), "VERSION=test", "COMMIT=test")
	if b, err := build.CombinedOutput(); err != nil {
		t.Fatalf("scripts/build.sh: %v\n%s", err, b)
	}
	for _, svc := range []string{"user", "content", "gateway"} {
		f, err := elf.Open(filepath.Join(out, svc))
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range f.Progs {
			if p.Type == elf.PT_INTERP {
				t.Errorf("%s needs a dynamic loader", svc)
			}
		}
		_ = f.Close()
	}
}

func TestImagesRunAsNonRootAndBaseImagesArePinned(t *testing.T) {
	root := repoRoot(t)
	for _, file := range []string{"Dockerfile", "deploy/nginx/Dockerfile"} {
		b, err := os.ReadFile(filepath.Join(root, file))
		if err != nil {
			t.Fatal(err)
		}
		var lastUser string
		for _, l := range strings.Split(string(b), "\n") {
			f := strings.Fields(l)
			if len(f) >= 2 && f[0] == "FROM" && !strings.Contains(f[1], ":") && f[1] != "runtime" {
				t.Errorf("%s: %q is not pinned", file, l)
			}
			if len(f) >= 2 && f[0] == "FROM" && strings.HasSuffix(f[1], ":latest") {
				t.Errorf("%s: %q uses latest", file, l)
			}
			if len(f) >= 2 && f[0] == "USER" {
				lastUser = f[1]
			}
		}
		if lastUser == "" || strings.HasPrefix(lastUser, "root") || lastUser == "0" {
			t.Errorf("%s: final user %q is root", file, lastUser)
		}
	}
}
