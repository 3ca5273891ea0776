// Package app is the common shape of a service binary: subcommands, a JSON
// logger, signal handling and telemetry, so each main.go only says what is
// particular to its service.
package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"net"
	"net/http"
	"net/http/pprof"
	"os"
	"os/signal"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/KimMachineGun/automemlimit/memlimit"

	"github.com/seminarhub/seminarhub/platform/buildinfo"
	"github.com/seminarhub/seminarhub/platform/cache"
	"github.com/seminarhub/seminarhub/platform/config"
	"github.com/seminarhub/seminarhub/platform/httpx"
	"github.com/seminarhub/seminarhub/platform/logging"
	"github.com/seminarhub/seminarhub/platform/server"
	"github.com/seminarhub/seminarhub/platform/telemetry"
)

// Command is one subcommand of a service binary.
type Command func(ctx context.Context, log *slog.Logger) error

// Main loads nothing itself: the caller has loaded and validated its config
// (so a bad variable is reported before anything starts) and passes the
// shared part. The first argument picks the command; "serve" is the default,
// "healthcheck" is always available for container health checks.
func Main(service string, base config.Base, commands map[string]Command) {
	out := logging.NewBuffer(os.Stdout, logFlushPeriod)
	log := logging.New(out, service, base.LogLevel)
	exit := func(code int) {
		_ = out.Close()
		os.Exit(code)
	}
	name := "serve"
	if len(os.Args) > 1 {
		name = os.Args[1]
	}
	if name == "healthcheck" {
		exit(healthcheck(base.OpsAddr))
	}
	cmd, ok := commands[name]
	if !ok {
		names := []string{"healthcheck"}
		for n := range commands {
			names = append(names, n)
		}
		sort.Strings(names)
		fmt.Fprintf(os.Stderr, "usage: %s [%s]\n", service, strings.Join(names, "|"))
		exit(2)
	}

	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	flush, err := telemetry.Setup(ctx, service, buildinfo.Version)
	if err != nil {
		log.Error("telemetry setup failed", "error", err.Error())
		exit(1)
	}
	if base.DebugAddr != "" {
		go serveProfiler(ctx, log, base.DebugAddr)
	}
	log.Info("starting", "command", name, "version", buildinfo.Version, "commit", buildinfo.CommitOrVCS(), "addr", base.Addr, "environment", base.Environment,
		"gomaxprocs", runtime.GOMAXPROCS(0), "gomemlimit", memoryLimit(log))
	err = cmd(ctx, log)
	fctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_ = flush(fctx)
	if err != nil {
		log.Error("exited with error", "command", name, "error", err.Error())
		exit(1)
	}
	_ = out.Close()
}

// memoryLimit makes the container's memory limit, where there is one, the
// heap's soft limit (GOMEMLIMIT, 90 % of it): the collector then works
// harder as the heap nears the limit instead of letting the kernel's OOM
// killer end the process. Go already sizes GOMAXPROCS from the container's
// CPU limit; the memory limit it leaves to us. A GOMEMLIMIT set in the
// environment wins. It returns the limit in force, "none" without one.
func memoryLimit(log *slog.Logger) string {
	limit, err := memlimit.Set(memlimit.WithLogger(log))
	if err != nil {
		log.Warn("the memory limit could not be read; GOMEMLIMIT left as it was", "error", err.Error())
	}
	if limit <= 0 || limit == math.MaxInt64 {
		return "none"
	}
	return strconv.FormatInt(limit>>20, 10) + "MiB"
}

// logFlushPeriod is how late an info line may reach the log (see
// logging.Buffer).
const logFlushPeriod = 200 * time.Millisecond

// Serve runs handler on base.Addr and the probes and metrics on
// base.OpsAddr until ctx ends, then drains; ready fails while draining or
// while one of checks does.
func Serve(ctx context.Context, log *slog.Logger, base config.Base, handler http.Handler, checks map[string]httpx.Check) error {
	ready := &server.Readiness{}
	srv := server.NewHTTPServer(handler, log)
	return server.Run(ctx, log, srv, ready, server.Options{
		Addr: base.Addr, DrainDelay: base.DrainDelay, ShutdownTimeout: base.ShutdownTimeout,
		Ops: httpx.OpsHandler(ready, checks), OpsAddr: base.OpsAddr,
	})
}

// serveProfiler serves net/http/pprof on addr until ctx ends. A failure to
// listen is logged, not fatal: profiling is a diagnostic, not the service.
func serveProfiler(ctx context.Context, log *slog.Logger, addr string) {
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	srv := &http.Server{Addr: addr, Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	go func() {
		<-ctx.Done()
		_ = srv.Close()
	}()
	log.Info("profiler listening", "addr", addr)
	if err := srv.ListenAndServe(); err != nil && !errors.Is(err, http.ErrServerClosed) {
		log.Warn("profiler not started", "addr", addr, "error", err.Error())
	}
}

// healthcheck asks the local /healthz; distroless images have no curl.
func healthcheck(addr string) int {
	client := &http.Client{Timeout: 2 * time.Second}
	url := "http://" + addr + "/healthz"
	if path, ok := strings.CutPrefix(addr, "unix:"); ok {
		client.Transport = &http.Transport{DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			return (&net.Dialer{}).DialContext(ctx, "unix", path)
		}}
		url = "http://unix/healthz"
	}
	resp, err := client.Get(url)
	if err != nil {
		fmt.Fprintln(os.Stderr, "healthcheck:", err)
		return 1
	}
	_ = resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		fmt.Fprintln(os.Stderr, "healthcheck: status", resp.StatusCode)
		return 1
	}
	return 0
}

// OpenCache connects the service's namespace of the shared Redis. Redis need
// not be up: the cache bypasses until it answers.
func OpenCache(base config.Base, namespace string, log *slog.Logger) (*cache.Cache, func(), error) {
	rdb, err := cache.Open(base.RedisURL, base.RedisTimeout)
	if err != nil {
		return nil, nil, err
	}
	if rdb == nil {
		log.Warn("REDIS_URL is empty: caching disabled")
		return cache.New(nil, namespace, log), func() {}, nil
	}
	return cache.New(rdb, namespace, log), func() { _ = rdb.Close() }, nil
}
