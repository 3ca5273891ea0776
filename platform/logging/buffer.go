package logging

import (
	"bufio"
	"io"
	"sync"
	"time"
)

// Buffer batches log output: lines are written out every period (or
// sooner when 64 KiB are pending, and at once for warnings and errors —
// see New) instead of with one system call each. At thousands of requests
// a second per replica, one write per access-log line was a measurable
// share of a cached request's CPU. The price: a crash loses at most one
// period of info lines; Close flushes on every orderly exit.
type Buffer struct {
	mu   sync.Mutex
	w    *bufio.Writer
	stop chan struct{}
	done chan struct{}
}

// NewBuffer starts flushing to w every period until Close.
func NewBuffer(w io.Writer, period time.Duration) *Buffer {
	b := &Buffer{w: bufio.NewWriterSize(w, 64<<10), stop: make(chan struct{}), done: make(chan struct{})}
	go func() {
		defer close(b.done)
		t := time.NewTicker(period)
		defer t.Stop()
		for {
			select {
			case <-t.C:
				_ = b.Flush()
			case <-b.stop:
				return
			}
		}
	}()
	return b
}

// Write buffers p.
func (b *Buffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.w.Write(p)
}

// Flush writes out what is pending.
func (b *Buffer) Flush() error {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.w.Flush()
}

// Close stops the periodic flush and flushes what is left.
func (b *Buffer) Close() error {
	close(b.stop)
	<-b.done
	return b.Flush()
}
