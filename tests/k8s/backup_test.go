package k8s

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/seminarhub/seminarhub/tests/blackbox"
)

// The CronJob's backup, run now, and the archive bring the in-cluster
// PostgreSQL back to a chosen moment with scripts/k8s-restore.sh: what was
// written before it is served, what came after is not — not even from the
// cache, which held it.
func backupAndRestore(t *testing.T) {
	probe, err := blackbox.NewRestoreProbe(env.client, env.base, func() error {
		job := randomName("backup-now-")
		kubectl(t, "-n", ns, "create", "job", job, "--from=cronjob/postgres-backup")
		kubectl(t, "-n", ns, "wait", "--for=condition=complete", "job/"+job, "--timeout=300s")
		out := kubectl(t, "-n", ns, "logs", "job/"+job)
		kubectl(t, "-n", ns, "delete", "job", job)
		if !strings.Contains(out, " backup: ") {
			return fmt.Errorf("the backup Job's log names no backup:\n%s", out)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	began := time.Now()
	cmd := exec.Command(filepath.Join(env.root, "scripts", "k8s-restore.sh"), probe.Target)
	cmd.Dir = env.root
	cmd.Env = append(os.Environ(), "KUBECONFIG="+env.kubeconfig, "NAMESPACE="+ns, "PATH="+filepath.Dir(env.kubectl)+":"+os.Getenv("PATH"))
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("scripts/k8s-restore.sh %q: %v\n%s", probe.Target, err, out)
	}
	if err := probe.Check(); err != nil {
		t.Fatal(err)
	}
	t.Logf("restored to %s and serving again %s after scripts/k8s-restore.sh began", probe.Target, time.Since(began).Round(100*time.Millisecond))
}
