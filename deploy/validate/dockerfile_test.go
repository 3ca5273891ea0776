package validate

import (
	"debug/elf"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

const maxBinaryBytes = 26 << 20

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
		// Each image must stay within 30 MiB. A binary far over 20 MB
		// usually means the linker keeps every method again (a dependency
		// calling reflect's MethodByName: see scripts/build.sh).
		st, err := os.Stat(filepath.Join(out, svc))
		if err != nil {
			t.Fatal(err)
		}
		if st.Size() > maxBinaryBytes {
			t.Errorf("%s binary is %d bytes, over %d", svc, st.Size(), maxBinaryBytes)
		}
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

// The build stage copies every module's go.mod before the sources (one
// cached layer of downloads); go refuses a go.work that names a module
// whose go.mod is missing, so a module added to go.work must be added here.
func TestTheImageBuildCopiesTheGoModOfEveryWorkspaceModule(t *testing.T) {
	root := repoRoot(t)
	out, err := exec.Command("go", "work", "edit", "-json", filepath.Join(root, "go.work")).Output()
	if err != nil {
		t.Fatal(err)
	}
	var work struct{ Use []struct{ DiskPath string } }
	if err := json.Unmarshal(out, &work); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(root, "Dockerfile"))
	if err != nil {
		t.Fatal(err)
	}
	for _, u := range work.Use {
		mod := strings.TrimPrefix(u.DiskPath, "./") + "/go.mod"
		if !strings.Contains(string(b), "COPY "+mod) {
			t.Errorf("the Dockerfile does not copy %s before the sources", mod)
		}
	}
}
