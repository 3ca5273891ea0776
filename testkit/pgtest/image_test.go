package pgtest

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Tests run the PostgreSQL that `docker compose up` runs: the image
// deploy/postgres builds on (it adds pgBackRest, which tests do not need).
func TestTheTestImageIsTheOneComposesPostgresBuildsOn(t *testing.T) {
	root, err := RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(root, "deploy", "postgres", "Dockerfile"))
	if err != nil {
		t.Fatal(err)
	}
	var from string
	for _, line := range strings.Split(string(b), "\n") {
		if f := strings.Fields(line); len(f) >= 2 && f[0] == "FROM" {
			from = f[1]
		}
	}
	if from != Image {
		t.Fatalf("deploy/postgres builds on %s, the tests run %s", from, Image)
	}
}
