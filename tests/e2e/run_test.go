package e2e

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// make run stops everything it started however it is told to stop: Ctrl-C
// (INT), a supervisor or CI (TERM) or a closing terminal (HUP), each sent
// to its whole process group, twice. PostgreSQL and Redis, which daemonize into
// sessions of their own, are the ones that used to survive.
func TestMakeRunStopsEverythingItStartedOnEverySignal(t *testing.T) {
	sys.ownStack(t, "starts scripts/run.sh on this machine")
	for _, sig := range []syscall.Signal{syscall.SIGINT, syscall.SIGTERM, syscall.SIGHUP} {
		t.Run(sig.String(), func(t *testing.T) {
			instance := fmt.Sprintf("e2e-run-%d-%d", os.Getpid(), int(sig))
			addrs := map[string]string{}
			for _, name := range []string{"postgres", "redis", "edge", "edge-tls", "user", "content", "gateway-ops", "user-ops", "content-ops"} {
				addrs[name] = freeAddr()
			}
			port := func(name string) string { return addrs[name][strings.LastIndex(addrs[name], ":")+1:] }
			cmd := exec.Command(filepath.Join(sys.root, "scripts", "run.sh"))
			cmd.Dir = sys.root
			cmd.Env = append(os.Environ(), "SEMINARHUB_INSTANCE="+instance,
				"SEMINARHUB_PG_PORT="+port("postgres"), "SEMINARHUB_REDIS_PORT="+port("redis"),
				"EDGE_HTTP_PORT="+port("edge"), "EDGE_HTTPS_PORT="+port("edge-tls"),
				"USER_ADDR="+addrs["user"], "CONTENT_ADDR="+addrs["content"],
				"GATEWAY_OPS="+addrs["gateway-ops"], "USER_OPS="+addrs["user-ops"], "CONTENT_OPS="+addrs["content-ops"])
			log, err := os.Create(filepath.Join(t.TempDir(), "run.log"))
			if err != nil {
				t.Fatal(err)
			}
			cmd.Stdout, cmd.Stderr = log, log
			cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
			// make run started from a terminal has HUP's default action;
			// this test may run under nohup, which ignores HUP in every
			// process it starts (and a shell cannot trap a signal ignored
			// when it started). A signal the test handles is reset to the
			// default in what it executes: handle HUP while starting.
			hup := make(chan os.Signal, 1)
			signal.Notify(hup, syscall.SIGHUP)
			err = cmd.Start()
			signal.Stop(hup)
			if err != nil {
				t.Fatal(err)
			}
			// Only that it ends is judged: make reports a child's signal
			// death as "Error" whatever the script did.
			exited := make(chan struct{})
			go func() { _ = cmd.Wait(); close(exited) }()
			t.Cleanup(func() {
				_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
				for _, what := range [][]string{{"pg-stop", instance}, {"redis-stop", instance + "-redis"}} {
					_ = exec.Command(filepath.Join(sys.root, "scripts", "stack.sh"), what...).Run()
				}
				for _, dir := range []string{instance, instance + "-run", instance + "-redis", filepath.Join("backup", instance)} {
					_ = os.RemoveAll(filepath.Join(sys.root, ".run", dir))
				}
			})
			if err := waitOK("http://"+addrs["edge"]+"/ping", 3*time.Minute); err != nil {
				out, _ := os.ReadFile(log.Name())
				t.Fatalf("make run did not come up: %v\n%s", err, out)
			}

			// Twice, as an impatient person or supervisor does: the second
			// arrives while the first is still stopping things.
			if err := syscall.Kill(-cmd.Process.Pid, sig); err != nil {
				t.Fatal(err)
			}
			time.Sleep(300 * time.Millisecond)
			_ = syscall.Kill(-cmd.Process.Pid, sig)
			select {
			case <-exited:
			case <-time.After(time.Minute):
				out, _ := os.ReadFile(log.Name())
				t.Fatalf("still running a minute after %s; these were running: %v\nmake run said:\n%s",
					sig, processesMentioning(instance), out)
			}
			for name, addr := range addrs {
				if conn, err := net.DialTimeout("tcp", addr, time.Second); err == nil {
					_ = conn.Close()
					t.Errorf("after %s, %s still answers on %s", sig, name, addr)
				}
			}
			if t.Failed() {
				out, _ := os.ReadFile(log.Name())
				t.Logf("at %s, make run said:\n%s", time.Now().Format("15:04:05.000"), out)
			}
			if left := processesMentioning(filepath.Join(sys.root, ".run", instance)); len(left) > 0 {
				t.Errorf("after %s these are still running: %v", sig, left)
			}
		})
	}
}

// processesMentioning lists the command lines that contain s.
func processesMentioning(s string) []string {
	var found []string
	entries, _ := os.ReadDir("/proc")
	for _, e := range entries {
		b, err := os.ReadFile(filepath.Join("/proc", e.Name(), "cmdline"))
		if err == nil && strings.Contains(string(b), s) {
			found = append(found, strings.ReplaceAll(string(b), "\x00", " "))
		}
	}
	return found
}
