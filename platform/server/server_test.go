package server_test

import (
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"path/filepath"
	"testing"
	"time"

	"github.com/seminarhub/seminarhub/platform/server"
)

// On shutdown the server reports draining first, lets an in-flight request
// finish, and only then returns without error.
func TestShutdownDrainsAndFinishesInFlightRequests(t *testing.T) {
	ready := &server.Readiness{}
	started := make(chan struct{})
	h := http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		close(started)
		time.Sleep(time.Second)
		_, _ = io.WriteString(w, "done")
	})
	sock := filepath.Join(t.TempDir(), "s.sock")
	ctx, cancel := context.WithCancel(context.Background())
	result := make(chan error, 1)
	go func() {
		result <- server.Run(ctx, slog.New(slog.DiscardHandler), server.NewHTTPServer(h, slog.New(slog.DiscardHandler)), ready,
			server.Options{Addr: "unix:" + sock, DrainDelay: 100 * time.Millisecond, ShutdownTimeout: 5 * time.Second})
	}()
	client := &http.Client{Transport: &http.Transport{DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
		return (&net.Dialer{}).DialContext(ctx, "unix", sock)
	}}}
	got := make(chan string, 1)
	go func() {
		for i := 0; i < 100; i++ {
			resp, err := client.Get("http://unix/")
			if err == nil {
				b, _ := io.ReadAll(resp.Body)
				_ = resp.Body.Close()
				got <- string(b)
				return
			}
			time.Sleep(10 * time.Millisecond)
		}
		got <- "error: no answer"
	}()
	<-started
	cancel()
	// Draining begins as soon as Run sees the cancel, well before the
	// in-flight request (1 s) can finish.
	for deadline := time.Now().Add(900 * time.Millisecond); !ready.Draining(); time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("not draining while the in-flight request still runs")
		}
	}
	if body := <-got; body != "done" {
		t.Fatalf("in-flight request got %q", body)
	}
	if err := <-result; err != nil {
		t.Fatalf("Run returned %v", err)
	}
}

// While draining, every answer says "Connection: close", so that a proxy
// stops reusing its connections to this process before they are closed
// under it.
func TestAnswersWhileDrainingCloseTheirConnection(t *testing.T) {
	ready := &server.Readiness{}
	h := http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { _, _ = io.WriteString(w, "ok") })
	sock := filepath.Join(t.TempDir(), "s.sock")
	ctx, cancel := context.WithCancel(context.Background())
	result := make(chan error, 1)
	go func() {
		result <- server.Run(ctx, slog.New(slog.DiscardHandler), server.NewHTTPServer(h, slog.New(slog.DiscardHandler)), ready,
			server.Options{Addr: "unix:" + sock, DrainDelay: 2 * time.Second, ShutdownTimeout: 5 * time.Second})
	}()
	client := &http.Client{Transport: &http.Transport{DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
		return (&net.Dialer{}).DialContext(ctx, "unix", sock)
	}}}
	// closes says whether an answer came with Connection: close.
	closes := func() bool {
		for i := 0; i < 200; i++ {
			if resp, err := client.Get("http://unix/"); err == nil {
				_, _ = io.ReadAll(resp.Body)
				_ = resp.Body.Close()
				return resp.Close
			}
			time.Sleep(10 * time.Millisecond)
		}
		t.Fatal("no answer")
		return false
	}
	if closes() {
		t.Fatal("an answer before draining closes its connection")
	}
	cancel()
	for deadline := time.Now().Add(time.Second); !ready.Draining(); time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("not draining")
		}
	}
	if !closes() {
		t.Fatal("an answer while draining keeps its connection open; want Connection: close")
	}
	if err := <-result; err != nil {
		t.Fatalf("Run returned %v", err)
	}
}
