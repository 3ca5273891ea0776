// Package server runs an HTTP server for its whole life: listen on TCP or a
// unix socket, serve, and on SIGTERM drain in the order Kubernetes needs —
// report not-ready, give load balancers time to notice, finish in-flight
// requests, then return so the caller can close pools and flush telemetry.
package server

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strings"
	"sync/atomic"
	"time"
)

// Options are the lifecycle settings every service reads from its config.
type Options struct {
	// Addr is "host:port" or "unix:/path/to.sock".
	Addr string
	// DrainDelay is how long /readyz fails before the listener closes, so
	// endpoints controllers and proxies stop sending new requests first.
	DrainDelay time.Duration
	// ShutdownTimeout bounds the wait for in-flight requests.
	ShutdownTimeout time.Duration
	// Ops, served on OpsAddr, answers probes and metrics: it keeps serving
	// while the main server drains (so /readyz can say "draining") and
	// stops last.
	Ops     http.Handler
	OpsAddr string
}

// Readiness is flipped to "draining" when shutdown starts.
type Readiness struct{ draining atomic.Bool }

// Draining reports whether the process is shutting down.
func (r *Readiness) Draining() bool { return r.draining.Load() }

// Listen opens a TCP listener or, for "unix:/path", a unix socket that the
// edge proxy (running as another user) may connect to.
func Listen(addr string) (net.Listener, error) {
	if path, ok := strings.CutPrefix(addr, "unix:"); ok {
		if err := os.Remove(path); err != nil && !errors.Is(err, os.ErrNotExist) {
			return nil, fmt.Errorf("remove stale socket %s: %w", path, err)
		}
		ln, err := net.Listen("unix", path)
		if err != nil {
			return nil, err
		}
		// The edge proxy runs as another user and must be able to connect.
		if err := os.Chmod(path, 0o666); err != nil { //nolint:gosec // see above
			_ = ln.Close()
			return nil, err
		}
		return ln, nil
	}
	return net.Listen("tcp", addr)
}

// NewHTTPServer applies the timeouts every service wants: a slow or stalled
// client must not hold a goroutine and a file descriptor forever.
func NewHTTPServer(h http.Handler, log *slog.Logger) *http.Server {
	return &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       15 * time.Second,
		WriteTimeout:      30 * time.Second,
		IdleTimeout:       120 * time.Second,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
}

// Run serves until ctx is cancelled (SIGTERM/SIGINT in main), then drains.
// It returns nil after a clean shutdown.
func Run(ctx context.Context, log *slog.Logger, srv *http.Server, ready *Readiness, opts Options) error {
	ln, err := Listen(opts.Addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", opts.Addr, err)
	}
	errs := make(chan error, 2)
	go func() { errs <- srv.Serve(ln) }()
	log.Info("listening", "addr", opts.Addr)
	if opts.Ops != nil {
		opsLn, err := Listen(opts.OpsAddr)
		if err != nil {
			_ = srv.Close()
			return fmt.Errorf("listen on %s (ops): %w", opts.OpsAddr, err)
		}
		ops := NewHTTPServer(opts.Ops, log)
		go func() { errs <- ops.Serve(opsLn) }()
		defer func() { _ = ops.Close() }() // after the main server has drained
		log.Info("ops listening", "addr", opts.OpsAddr)
	}

	select {
	case err := <-errs:
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}

	log.Info("shutdown started", "drain_delay", opts.DrainDelay.String())
	// Every answer from now on says "Connection: close": a proxy holding a
	// kept-alive connection to this process — Nginx through a Service's
	// address, the gateway's clients — opens its next one to a process
	// that stays, instead of racing Shutdown's closing of idle
	// connections with a request it cannot safely retry (a POST).
	srv.SetKeepAlivesEnabled(false)
	ready.draining.Store(true)
	time.Sleep(opts.DrainDelay)

	sctx, cancel := context.WithTimeout(context.Background(), opts.ShutdownTimeout)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		_ = srv.Close()
		return fmt.Errorf("graceful shutdown: %w", err)
	}
	log.Info("shutdown complete")
	return nil
}
