package validate

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/compose-spec/compose-go/v2/cli"
	"github.com/compose-spec/compose-go/v2/types"
)

func loadCompose(t *testing.T) *types.Project {
	t.Helper()
	root := repoRoot(t)
	opts, err := cli.NewProjectOptions([]string{filepath.Join(root, "compose.yaml")}, cli.WithWorkingDirectory(root), cli.WithName("seminarhub"))
	if err != nil {
		t.Fatal(err)
	}
	p, err := opts.LoadProject(context.Background())
	if err != nil {
		t.Fatalf("compose.yaml does not load: %v", err)
	}
	return p
}

// oneShot services (migrations) run to completion; everything else must say
// when it is healthy so dependants can wait for it.
func oneShot(s types.ServiceConfig) bool { return s.Restart == "no" }

func TestEveryComposeServiceHasAHealthCheckOrIsAOneShot(t *testing.T) {
	for name, s := range loadCompose(t).Services {
		if oneShot(s) {
			continue
		}
		if s.HealthCheck == nil || s.HealthCheck.Disable || len(s.HealthCheck.Test) == 0 {
			t.Errorf("service %s has no health check", name)
		}
	}
}

func TestComposeDependenciesExistAndWaitForTheRightCondition(t *testing.T) {
	p := loadCompose(t)
	for name, s := range p.Services {
		for dep, cfg := range s.DependsOn {
			target, ok := p.Services[dep]
			if !ok {
				t.Errorf("%s depends on %s, which does not exist", name, dep)
				continue
			}
			want := types.ServiceConditionHealthy
			if oneShot(target) {
				want = types.ServiceConditionCompletedSuccessfully
			}
			if cfg.Condition != want {
				t.Errorf("%s waits for %s to be %q, want %q", name, dep, cfg.Condition, want)
			}
		}
	}
	for _, svc := range []string{"user", "content"} {
		if _, ok := p.Services[svc].DependsOn[svc+"-migrate"]; !ok {
			t.Errorf("%s does not wait for its migration", svc)
		}
	}
}

func TestEdgeAndGatewayShareTheSocketVolume(t *testing.T) {
	p := loadCompose(t)
	mount := func(svc string) string {
		for _, v := range p.Services[svc].Volumes {
			if v.Target == "/run/seminarhub" {
				return v.Source
			}
		}
		return ""
	}
	if g, e := mount("gateway"), mount("edge"); g == "" || g != e {
		t.Fatalf("gateway mounts %q and edge %q at /run/seminarhub", g, e)
	}
	if addr := p.Services["gateway"].Environment["HTTP_ADDR"]; addr == nil || !strings.HasPrefix(*addr, "unix:/run/seminarhub/") {
		t.Fatalf("gateway HTTP_ADDR = %v, want a socket on the shared volume", addr)
	}
}

func TestComposeImagesArePinnedAndTracesHaveSomewhereToGo(t *testing.T) {
	p := loadCompose(t)
	for name, s := range p.Services {
		if s.Build == nil && (!strings.Contains(s.Image, ":") || strings.HasSuffix(s.Image, ":latest")) {
			t.Errorf("service %s: image %q is not pinned", name, s.Image)
		}
	}
	for _, want := range []string{"jaeger", "postgres", "redis", "edge"} {
		if _, ok := p.Services[want]; !ok {
			t.Errorf("no %s service", want)
		}
	}
}

// As in Kubernetes, the limits on signing in are settings with the shipped
// values as defaults, under the same names.
func TestComposeTakesTheLimitsOnSigningInFromTheEnvironment(t *testing.T) {
	p := loadCompose(t)
	want := map[string]map[string]string{
		"edge": {"EDGE_AUTH_RATE": "20r/s"},
		"user": {"FAILED_LOGINS_PER_ADDRESS_PER_HOUR": "100", "SIGNUPS_PER_ADDRESS_PER_HOUR": "300"},
	}
	for svc, vars := range want {
		for k, v := range vars {
			if got := p.Services[svc].Environment[k]; got == nil || *got != v {
				t.Errorf("%s: %s is %v; want %q by default", svc, k, got, v)
			}
		}
	}
}
